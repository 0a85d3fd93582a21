import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileEntry } from '../../../../src/core/image/model';
import { Cache, INDEX_DIR } from '../../../../src/core/layers/cache';
import { nameChars } from '../../../../src/core/layers/limits';
import { defaultCacheDir } from '../../../../src/core/util/cacheDir';
import { present } from '../../../helpers/entries';

const id = (c: string) => `sha256:${c.repeat(64)}`;

describe('Cache', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-cache-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('picks the XDG cache dir, or what the environment says', () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', '/home/u'), '/x/container-compare');
    assert.equal(defaultCacheDir({}, 'linux', '/home/u'), '/home/u/.cache/container-compare');
    assert.equal(defaultCacheDir({ CONTAINER_COMPARE_CACHE: '/c' }, 'linux', '/home/u'), '/c');
  });

  it('round-trips a file index', async () => {
    const cache = await Cache.open(dir);
    const entries = [{ path: '/a', type: 'file' as const, mode: 0o755, uid: 1, gid: 2, size: 3, sha256: 'ab', text: true, lineEndings: 'crlf' as const, lfSha256: 'cd', offset: 512 }];
    await cache.writeIndex({ diffId: id('a'), size: 1024, entries });
    assert.deepEqual(present((await cache.readIndex(id('a')))?.entries), entries);
    assert.equal(cache.hasIndex(id('b')), false);
  });

  it('round-trips the secret kinds of a file, links, hashes, unknown content facts and non-ASCII paths', async () => {
    const cache = await Cache.open(dir);
    const entries: FileEntry[] = [
      { path: '/root/.npmrc', type: 'file', mode: 0o600, uid: 0, gid: 0, size: 60, sha256: 'ab', text: true, lineEndings: 'lf', offset: 1024, secrets: ['npmToken'] },
      { path: '/app/.env', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 20, sha256: 'cd', text: true, lineEndings: 'lf', offset: 2048, secrets: ['awsAccessKey', 'password'] },
      { path: '/app/main.py', type: 'file', mode: 0o4755, uid: 4294967294, gid: 65534, size: 2 ** 40, sha256: 'ef', text: false, offset: 2 ** 41 },
      { path: '/app/données/日本.txt', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, size: 5, linkTarget: '/app/main.py', sha256: 'ef', text: true, lineEndings: 'crlf', lfSha256: '12' },
      { path: '/app/current', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkTarget: '../v1' },
      { path: '/app/old', type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0 },
      { path: '/app', type: 'opaque', mode: 0o755, uid: 0, gid: 0, size: 0 },
      { path: '/dev/null', type: 'char', mode: 0o666, uid: 0, gid: 0, size: 0 },
      { path: '/empty', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, sha256: 'e3', text: true, lineEndings: 'none', offset: 0 },
    ];
    await cache.writeIndex({ diffId: id('c'), size: 4096, entries });
    assert.deepEqual(present(await cache.readIndex(id('c'))), { diffId: id('c'), size: 4096, entries });
    assert.deepEqual(present(await cache.readIndex(id('c'))), { diffId: id('c'), size: 4096, entries }, 'read twice');
    // The decoder counts the names for the limits as it goes: the same count as a pass of its own.
    const decoded = (await cache.readIndex(id('c')))!.entries;
    assert.equal(nameChars(decoded), nameChars([...entries]));
    await cache.writeIndex({ diffId: id('e'), size: 0, entries: [] });
    assert.deepEqual(await cache.readIndex(id('e')), { diffId: id('e'), size: 0, entries: [] });
  });

  it('treats an index file it cannot read (truncated, another format, another layer) as no index', async () => {
    const cache = await Cache.open(dir);
    await cache.writeIndex({ diffId: id('f'), size: 1, entries: [{ path: '/a', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1 }] });
    const bytes = await readFile(cache.indexFile(id('f')));
    await writeFile(cache.indexFile(id('f')), bytes.subarray(0, bytes.length - 20));
    assert.equal(await cache.readIndex(id('f')), undefined);
    await writeFile(cache.indexFile(id('f')), JSON.stringify({ diffId: id('f'), size: 1, rows: [] }));
    assert.equal(await cache.readIndex(id('f')), undefined);
    await writeFile(cache.indexFile(id('0')), bytes);
    assert.equal(await cache.readIndex(id('0')), undefined, 'an index filed under another layer');
  });

  it('does not read indexes of earlier formats (v3 paths ignore the layer\'s own symlinks: the layer is indexed again)', async () => {
    assert.equal(INDEX_DIR, 'index-v4');
    await mkdir(join(dir, 'index-v3'), { recursive: true });
    await writeFile(join(dir, 'index-v3', `${'d'.repeat(64)}.json`), JSON.stringify({ diffId: id('d'), size: 1, rows: [['/a', 'file', 420, 0, 0, 1]] }));
    const cache = await Cache.open(dir);
    assert.equal(cache.hasIndex(id('d')), false);
    assert.equal(await cache.readIndex(id('d')), undefined);
  });

  it('writes and reads large indexes, the same entries back (and an empty one)', async () => {
    const cache = await Cache.open(dir);
    const entries = Array.from({ length: 25_001 }, (_, i) => ({ path: `/d/f${i}`, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: i, sha256: 'ab', offset: i * 512 }));
    await cache.writeIndex({ diffId: id('e'), size: 1, entries });
    assert.deepEqual(present((await cache.readIndex(id('e')))?.entries), entries);
    await cache.writeIndex({ diffId: id('f'), size: 0, entries: [] });
    assert.deepEqual((await cache.readIndex(id('f')))?.entries, []);
  });

  it('refuses digests that could name a path outside the cache', async () => {
    const cache = await Cache.open(dir);
    await assert.rejects(cache.writeIndex({ diffId: 'sha256:../../x', size: 0, entries: [] }), /not a sha256 digest/);
  });

  it('evicts the least recently used layers beyond its bound, and never keeps a layer larger than the bound', async () => {
    const cache = await Cache.open(dir, 3000);
    for (const c of ['a', 'b']) {
      const w = cache.layers.createWriter();
      await w.write(Buffer.alloc(1200));
      await w.commit(id(c));
    }
    // "a" was used more recently than "b".
    await utimes(cache.layers.file(id('b')), new Date(1000), new Date(1000));
    await cache.layers.readRange(id('a'), 0, 10);
    const w = cache.layers.createWriter();
    await w.write(Buffer.alloc(1200));
    await w.commit(id('c'));
    assert.equal(cache.layers.has(id('a')), true);
    assert.equal(cache.layers.has(id('b')), false);
    assert.equal(cache.layers.has(id('c')), true);
    const big = cache.layers.createWriter();
    assert.equal(await big.write(Buffer.alloc(4000)), undefined);
    await big.commit(id('d'));
    assert.equal(cache.layers.has(id('d')), false);
    assert.deepEqual((await readdir(cache.layers.dir)).filter((n) => n.includes('.tmp-')), []);
  });

  it('leaves no half entry when the writing process is killed', async () => {
    // A child starts a layer write and is SIGKILLed halfway; only complete entries may be visible.
    const script = `
      const { Cache } = require(${JSON.stringify(join(__dirname, '../../../../src/core/layers/cache.ts'))});
      (async () => {
        const c = await Cache.open(${JSON.stringify(dir)});
        const w = c.layers.createWriter();
        await w.write(Buffer.alloc(1 << 20));
        process.stdout.write('writing\\n');
        setInterval(() => w.write(Buffer.alloc(1 << 16)), 5);
      })();`;
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const files = await readdir(join(dir, 'layers'));
    assert.ok(files.every((n) => n.includes('.tmp-')), `only temp files may remain: ${files}`);
    assert.equal(files.some((n) => n.endsWith('.tar') && !n.includes('.tmp-')), false);
    // The next run sweeps temp files once they are old enough to belong to no live process.
    for (const n of files) await utimes(join(dir, 'layers', n), new Date(0), new Date(0));
    await Cache.open(dir);
    assert.deepEqual(await readdir(join(dir, 'layers')), []);
  });

  it('aborts a writer mid-write without an unhandled stream error, and leaves no temp file', async () => {
    const cache = await Cache.open(dir);
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      const w = cache.layers.createWriter();
      // Fill the write buffer so that fs writes are in flight when the abort destroys the stream.
      const chunk = Buffer.alloc(8 * 2 ** 20, 1);
      const pending = w.write(chunk);
      await w.abort();
      await pending; // resolves: a destroyed stream never drains, but the wait must not hang
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(errors, []);
      assert.deepEqual(await readdir(join(dir, 'layers')), []);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('drops the bytes, not the compare, when the layer file cannot be written', async () => {
    const cache = await Cache.open(dir);
    await rm(join(dir, 'layers'), { recursive: true });
    const w = cache.layers.createWriter();
    await w.write(Buffer.from('bytes'));
    await w.commit(id('f'));
    assert.equal(cache.layers.has(id('f')), false);
  });

  it('lets two writers of the same layer both succeed', async () => {
    const cache = await Cache.open(dir);
    const write = async () => {
      const w = cache.layers.createWriter();
      await w.write(Buffer.from('same bytes'));
      await w.commit(id('e'));
      await cache.writeIndex({ diffId: id('e'), size: 10, entries: [] });
    };
    await Promise.all([write(), write(), write()]);
    assert.equal(cache.layers.has(id('e')), true);
    assert.deepEqual((await readdir(cache.layers.dir)).sort(), [`${'e'.repeat(64)}.tar`]);
  });
});
