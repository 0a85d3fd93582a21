import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffReport } from '../../../src/core/report/report';
import { runCli } from '../../helpers/runCli';
import { makeImageArchive, makeTar } from '../../helpers/tarBuilder';

/**
 * What the engine (Docker 20.10, overlay2: `docker load`, then `docker
 * export` of a container) shows for these layers, and what diff, ls and cat
 * must all agree on:
 * - `x/passwd` written below a symlink `x -> /etc` of a lower layer: the
 *   engine makes /x a directory holding passwd; /etc/passwd is untouched.
 * - `y -> /keep` then `y/b` in the same layer: written through the link, at /keep/b.
 * - `.wh..wh..opq` at the root: ignored; the lower layers' files stay.
 */
describe('merged views agree with the engine and with each other (diff, ls, cat)', () => {
  let dir: string;
  let cache: string[];
  let archive: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-views-'));
    cache = ['--cache-dir', join(dir, 'cache')];
    const base = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'x', type: 'symlink', linkname: '/etc' },
      { name: 'keep/', type: 'directory' },
      { name: 'keep/a', content: 'a\n' },
    ]);
    const throughLowerLink = await makeTar([{ name: 'x/passwd', content: 'evil::0:0::/:/bin/sh\n' }]);
    const throughOwnLink = await makeTar([
      { name: 'own/', type: 'directory' },
      { name: 'y', type: 'symlink', linkname: '/own' },
      { name: 'y/b', content: 'through\n' },
      { name: 'z', type: 'symlink', linkname: 'own' },
      { name: 'z/sub/c', content: 'c\n' },
    ]);
    const rootOpaque = await makeTar([{ name: '.wh..wh..opq' }, { name: 'new', content: 'n\n' }]);
    archive = join(dir, 'views.tar');
    await writeFile(
      archive,
      await makeImageArchive(
        [
          { tags: ['v:base'], layers: [base] },
          { tags: ['v:lowerlink'], layers: [base, throughLowerLink] },
          { tags: ['v:ownlink'], layers: [base, throughOwnLink] },
          { tags: ['v:rootopq'], layers: [base, rootOpaque] },
        ],
        'legacy',
      ),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const img = (tag: string) => `docker-archive:${archive}:v:${tag}`;
  const cat = async (tag: string, path: string) => runCli(['cat', img(tag), path, ...cache]);
  const ls = async (tag: string, path: string) => {
    const r = await runCli(['ls', img(tag), path, '--json', ...cache]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Array<{ path: string; type: string }>).map((e) => `${e.type} ${e.path}`);
  };
  const diff = async (tag: string) => {
    const r = await runCli(['diff', img('base'), img(tag), '--json', ...cache]);
    assert.equal(r.code, 1, r.stderr);
    return (JSON.parse(r.stdout) as DiffReport).files.map((f) => `${f.change} ${f.path}${f.reasons.length ? ` ${f.reasons.join(',')}` : ''} ${f.a?.type ?? '-'}>${f.b?.type ?? '-'}`);
  };

  it('a file written below a lower layer\'s symlink: the link becomes a directory, /etc/passwd is untouched', async () => {
    assert.deepEqual(await diff('lowerlink'), ['modified /x type symlink>dir', 'added /x/passwd ->file']);
    assert.deepEqual(await ls('lowerlink', '/x'), ['file /x/passwd']);
    assert.equal((await cat('lowerlink', '/x/passwd')).stdout, 'evil::0:0::/:/bin/sh\n');
    assert.equal((await cat('lowerlink', '/etc/passwd')).stdout, 'root:x:0:0::/root:/bin/sh\n');
    assert.deepEqual(await ls('lowerlink', '/etc'), ['file /etc/passwd']);
  });

  it("a file written through the layer's own symlink lands where the link points", async () => {
    const changes = await diff('ownlink');
    assert.ok(changes.includes('added /own/b ->file'), changes.join('\n'));
    assert.ok(changes.includes('added /own/sub/c ->file'), changes.join('\n'));
    assert.ok(!changes.some((c) => / \/y\/| \/z\//.test(c)), changes.join('\n'));
    assert.deepEqual(await ls('ownlink', '/own'), ['file /own/b', 'dir /own/sub']);
    assert.equal((await cat('ownlink', '/own/b')).stdout, 'through\n');
    assert.equal((await cat('ownlink', '/y/b')).stdout, 'through\n', 'through the link, as in a container');
    assert.equal((await cat('ownlink', '/z/sub/c')).stdout, 'c\n');
  });

  it('an opaque marker at the root hides nothing (overlayfs ignores it there)', async () => {
    assert.deepEqual(await diff('rootopq'), ['added /new ->file']);
    const root = await ls('rootopq', '/');
    for (const p of ['dir /etc', 'dir /keep', 'file /new', 'symlink /x']) assert.ok(root.includes(p), root.join('\n'));
    assert.equal((await cat('rootopq', '/keep/a')).stdout, 'a\n');
  });

  it("refuses a layer written through its own symlink to nowhere, as the engine does (\"open /y/b: no such file or directory\")", async () => {
    const bad = join(dir, 'dangling.tar');
    await writeFile(bad, await makeImageArchive([{ tags: ['d:1'], layers: [await makeTar([{ name: 'y', type: 'symlink', linkname: '/keep' }, { name: 'y/b', content: 'x' }])] }], 'legacy'));
    const r = await runCli(['ls', `docker-archive:${bad}`, '/', ...cache]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /entry "y\/b" is written through the symlink "\/y" \(to "\/keep"\), which leads to no directory of this layer; the engine refuses to apply such a layer/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
