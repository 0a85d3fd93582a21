import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '../../../../src/core/layers/cache';
import { compareImages } from '../../../../src/core/diff/compare';
import { CompareError } from '../../../../src/core/util/errors';
import { findFile, readImageFile } from '../../../../src/core/layers/files';
import { FileTree } from '../../../../src/core/layers/fileTree';
import { loadImages } from '../../../../src/core/sources/loader';
import { makeImageArchive, makeTar, rawHeader, type FakeImage } from '../../../helpers/tarBuilder';

const base = () => makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/os-release', content: 'ID=debian\n' }, { name: 'bin/sh', content: Buffer.from([0x7f, 0x45, 0, 1]), mode: 0o755 }]);

async function twoImages(): Promise<FakeImage[]> {
  const shared = await base();
  const app = (mode: number, conf: string, owner: number, link: string) =>
    makeTar([
      { name: 'app/', type: 'directory' },
      { name: 'app/run.sh', content: '#!/bin/sh\necho hi\n', mode },
      { name: 'app/config.ini', content: conf },
      { name: 'app/data.txt', content: 'data', uid: owner, gid: owner },
      { name: 'app/current', type: 'symlink', linkname: link },
      { name: 'app/old.txt', content: 'old' },
    ]);
  return [
    { tags: ['demo:a'], layers: [shared, await app(0o755, 'a=1\nb=2\n', 0, 'v1'), await makeTar([{ name: 'app/.wh.old.txt' }])] },
    { tags: ['demo:b'], layers: [shared, await app(0o644, 'a=1\r\nb=2\r\n', 1000, 'v2'), await makeTar([{ name: 'app/new.txt', content: 'new' }]), await makeTar([{ name: 'extra', content: 'x' }])], config: { Env: ['PATH=/usr/bin', 'MODE=ci'] } },
  ];
}

describe('archives and the engine on them', () => {
  let dir: string;
  let cache: Cache;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-unit-'));
    cache = await Cache.open(join(dir, 'cache'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, data: Buffer) => {
    const p = join(dir, name);
    await writeFile(p, data);
    return p;
  };

  for (const [layout, gzip] of [['legacy', false], ['oci', false], ['oci', true]] as const) {
    it(`reads a ${layout}${gzip ? ' (gzip)' : ''} docker-save archive and explains every difference`, async () => {
      const p = await write('both.tar', await makeImageArchive(await twoImages(), layout, { gzip }));
      const [a, b] = await loadImages([`docker-archive:${p}:demo:a`, `docker-archive:${p}:demo:b`], { cache });
      assert.deepEqual(a.repoTags, ['demo:a']);
      assert.equal(a.layers.length, 3);
      assert.equal(b.layers.length, 4);
      if (gzip) assert.match(a.layers[0].digest ?? '', /^sha256:/);
      const c = compareImages(a, b);
      assert.deepEqual(c.layers.map((l) => l.status), ['identical', 'different', 'different', 'onlyB']);
      const byPath = new Map(c.files.map((f) => [f.path, f]));
      assert.deepEqual(byPath.get('/app/run.sh')?.reasons, ['mode']);
      assert.deepEqual(byPath.get('/app/config.ini')?.reasons, ['lineEndings']);
      assert.deepEqual(byPath.get('/app/data.txt')?.reasons, ['owner']);
      assert.deepEqual(byPath.get('/app/current')?.reasons, ['symlink']);
      assert.equal(byPath.get('/app/new.txt')?.change, 'added');
      assert.equal(byPath.get('/app/old.txt')?.change, 'added', 'deleted by a whiteout in A, present in B');
      assert.equal(byPath.get('/extra')?.layer, 3);
      assert.ok(!byPath.has('/etc/os-release'), 'shared files are not reported');
      // The extra step is a layer row of its own (onlyB), not a config field.
      assert.deepEqual(c.config, [{ field: 'Env.MODE', a: null, b: 'ci' }]);
      // The per-layer view shows the whiteout as a deletion on A's side.
      const wh = c.layers[2].files.find((f) => f.path === '/app/old.txt');
      assert.equal(wh?.a?.type, 'whiteout');
    });
  }

  it('reads the same file from the layer store without reading the archive again', async () => {
    const p = await write('a.tar', await makeImageArchive((await twoImages()).slice(0, 1), 'legacy'));
    const [a] = await loadImages([`docker-archive:${p}`], { cache });
    await rm(p);
    const file = findFile(a, '/app/config.ini');
    const chunks: Buffer[] = [];
    for await (const c of await readImageFile(cache, a, file)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'a=1\nb=2\n');
  });

  it('applies whiteouts and opaque directories when merging', async () => {
    const l0 = await makeTar([{ name: 'd/', type: 'directory' }, { name: 'd/a', content: '1' }, { name: 'd/sub/b', content: '2' }, { name: 'keep', content: 'k' }]);
    const l1 = await makeTar([{ name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq' }, { name: 'd/c', content: '3' }, { name: '.wh.keep' }]);
    const p = await write('o.tar', await makeImageArchive([{ tags: ['o:1'], layers: [l0, l1] }], 'legacy'));
    const [img] = await loadImages([p], { cache });
    const paths = [...FileTree.merge(img.indexes).entries()].map((e) => e.path);
    assert.deepEqual(paths, ['/d', '/d/c']);
  });

  it('asks which image when an archive holds several and none is named', async () => {
    const p = await write('both.tar', await makeImageArchive(await twoImages(), 'legacy'));
    await assert.rejects(loadImages([`docker-archive:${p}`], { cache }), /holds 2 images \(demo:a, demo:b\)/);
    await assert.rejects(loadImages([`docker-archive:${p}:demo:zzz`], { cache }), (e: unknown) => e instanceof CompareError && e.reason === 'unknownImage');
  });

  describe('hostile and broken archives', () => {
    const layer = () => makeTar([{ name: 'f', content: 'x' }]);
    const cases: Array<[string, () => Promise<Buffer>, RegExp]> = [
      ['an outer entry climbing out with ..', async () => makeTar([{ name: '../evil', content: 'x' }]), /climbs out/],
      ['an absolute outer entry', async () => makeTar([{ name: '/etc/evil', content: 'x' }]), /absolute path/],
      ['an outer symlink leaving the archive', async () => makeTar([{ name: 'manifest.json', type: 'symlink', linkname: '../../etc/passwd' }]), /outside the archive/],
      ['a layer entry with ..', async () => makeImageArchive([{ tags: ['h:1'], layers: [await makeTar([{ name: 'a/../../x', content: 'x' }])] }], 'legacy'), /climbs out/],
      ['a layer symlink escaping the image', async () => makeImageArchive([{ tags: ['h:1'], layers: [await makeTar([{ name: 'a/l', type: 'symlink', linkname: '../../../etc/shadow' }])] }], 'legacy'), /outside the image/],
      ['an entry claiming an absurd size', async () => Buffer.concat([rawHeader('x/layer.tar', 2 ** 41), Buffer.alloc(1024)]), /absurd size/],
      ['a truncated archive', async () => (await makeImageArchive([{ tags: ['t:1'], layers: [await makeTar([{ name: 'big', content: Buffer.alloc(100000, 7) }])] }], 'legacy')).subarray(0, 30000), /truncated|ends early/],
      ['corrupt gzip in a layer', async () => {
        const archive = await makeImageArchive([{ tags: ['g:1'], layers: [await makeTar([{ name: 'f', content: Buffer.alloc(5000, 3) }])] }], 'oci', { gzip: true });
        const blob = archive.indexOf(Buffer.from([0x1f, 0x8b, 0x08]));
        archive.fill(0xee, blob + 12, blob + 20); // inside the deflate stream
        return archive;
      }, /gzip data is corrupt/],
      ['not an archive at all', async () => Buffer.from('hello, I am not a tar file at all'.repeat(40)), /not a readable|neither manifest/],
      ['a layer that does not match the diffID its config names', async () => makeImageArchive([{ tags: ['m:1'], layers: [await layer()], diffIds: [`sha256:${'ab'.repeat(32)}`] }], 'legacy'), /does not match the diffID/],
      ['a config naming a diffID that is no digest', async () => makeImageArchive([{ tags: ['m:1'], layers: [await layer()], diffIds: ['sha256:../../../etc/passwd'] }], 'legacy'), /not a sha256 digest|does not match/],
    ];
    for (const [name, build, msg] of cases) {
      it(`refuses ${name} with a clear error and writes nothing outside the cache`, async () => {
        const p = await write('bad.tar', await build());
        const before = await readdir(dir);
        await assert.rejects(loadImages([`docker-archive:${p}`], { cache }), (e: unknown) => {
          assert.ok(e instanceof CompareError, `expected a CompareError, got ${e}`);
          assert.match(e.message, msg);
          return true;
        });
        assert.deepEqual(await readdir(dir), before);
        const leftovers = (await readdir(join(dir, 'cache', 'layers'))).filter((n) => n.includes('.tmp-'));
        assert.deepEqual(leftovers, [], 'no half-written layer is left behind');
      });
    }

  });
});
