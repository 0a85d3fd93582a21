import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileEntry } from '../../../../src/core/image/model';
import { Readable } from 'node:stream';
import { Cache, INDEX_DIR, SMALL_FILE_BYTES } from '../../../../src/core/layers/cache';
import { processLayer } from '../../../../src/core/layers/layerProcessor';
import { readFileBytes } from '../../../../src/core/layers/files';
import type { ImageModel } from '../../../../src/core/image/model';
import { makeTar } from '../../../helpers/tarBuilder';
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

  describe('a small-files copy (what the engine\'s export keeps)', () => {
    const read = async (cache: Cache, diffId: string, offset: number, length: number) => {
      const parts: Buffer[] = [];
      for await (const c of await cache.layers.readRange(diffId, offset, length)) parts.push(c as Buffer);
      return Buffer.concat(parts);
    };

    it('keeps each file at its offset in the tar, gathering near ones into one write and writing a large chunk as it is', async () => {
      const cache = await Cache.open(dir);
      const w = cache.layers.createWriter({ smallFilesOnly: true });
      const { smallFiles } = w;
      assert.ok(smallFiles);
      assert.equal(smallFiles.keeps({ path: '/etc/os-release', size: SMALL_FILE_BYTES }), true);
      assert.equal(smallFiles.keeps({ path: '/etc/os-release', size: SMALL_FILE_BYTES + 1 }), false);
      assert.equal(smallFiles.keeps({ path: '/usr/lib/libc.so.6', size: 10, text: false }), false, 'a binary');
      assert.equal(smallFiles.keeps({ path: '/var/lib/rpm/rpmdb.sqlite', size: 10, text: false }), true, "rpm's database, binary but read");
      const pieces: Array<[number, Buffer]> = [
        [512, Buffer.from('first file')],
        [1536, Buffer.from('second, ')],
        [1544, Buffer.from('in two chunks')],
        [40_000, Buffer.from('after a binary left out')], // a hole, not 38 kB of zeros
        [5 * 2 ** 20, Buffer.alloc(2 ** 20 + 3, 7)], // far away, and a whole write's worth
        [7 * 2 ** 20, Buffer.from('last')],
      ];
      for (const [at, b] of pieces) await smallFiles.writeAt(at, b);
      await w.commit(id('c'));
      assert.deepEqual(await readdir(cache.layers.dir), [`${'c'.repeat(64)}.upto16m-text.tar`]);
      assert.equal(cache.layers.has(id('c')), false, 'not the whole layer');
      assert.equal(cache.layers.holds(id('c'), { path: '/a', size: 10, text: true }), true);
      assert.equal(cache.layers.holds(id('c'), { path: '/a', size: SMALL_FILE_BYTES + 1, text: true }), false, 'a large file is not in it');
      assert.equal(cache.layers.holds(id('c'), { path: '/a', size: 10, text: false }), false, 'nor a binary');
      assert.equal((await read(cache, id('c'), 512, 10)).toString(), 'first file');
      assert.equal((await read(cache, id('c'), 1536, 21)).toString(), 'second, in two chunks');
      assert.equal((await read(cache, id('c'), 40_000, 23)).toString(), 'after a binary left out');
      assert.ok((await read(cache, id('c'), 5 * 2 ** 20, 2 ** 20 + 3)).equals(pieces[4][1]));
      assert.equal((await read(cache, id('c'), 7 * 2 ** 20, 4)).toString(), 'last');
    });

    it('leaves a hole where files were left out, rather than writing zeros', async () => {
      const cache = await Cache.open(dir);
      const w = cache.layers.createWriter({ smallFilesOnly: true });
      await w.smallFiles!.writeAt(512, Buffer.from('a text'));
      await w.smallFiles!.writeAt(2048, Buffer.from('a text after a tar header'));
      // 600 kB of binaries between two kept texts: within one gathering write's reach, but not written.
      await w.smallFiles!.writeAt(600_000, Buffer.from('a text after the binaries'));
      await w.commit(id('b'));
      const { blocks, size } = await stat(cache.layers.smallFile(id('b')));
      assert.equal(size, 600_025);
      assert.ok(blocks * 512 <= 64 * 1024, `${blocks * 512} bytes on disk`);
      assert.equal((await read(cache, id('b'), 2048, 25)).toString(), 'a text after a tar header');
      assert.equal((await read(cache, id('b'), 600_000, 25)).toString(), 'a text after the binaries');
    });

    it('gives way to the whole layer, is forgotten with it, and leaves nothing when aborted or over the bound', async () => {
      const cache = await Cache.open(dir, 3000);
      const small = cache.layers.createWriter({ smallFilesOnly: true });
      await small.smallFiles!.writeAt(0, Buffer.from('x'));
      await small.commit(id('d'));
      const whole = cache.layers.createWriter();
      await whole.write(Buffer.from('whole'));
      await whole.commit(id('d'));
      assert.deepEqual(await readdir(cache.layers.dir), [`${'d'.repeat(64)}.tar`]);
      assert.equal(cache.layers.holds(id('d'), { path: '/a', size: SMALL_FILE_BYTES + 1, text: false }), true, 'the whole layer holds every file');
      // A small-files copy made while the whole layer is there is not kept.
      const late = cache.layers.createWriter({ smallFilesOnly: true });
      await late.smallFiles!.writeAt(0, Buffer.from('y'));
      await late.commit(id('d'));
      assert.deepEqual(await readdir(cache.layers.dir), [`${'d'.repeat(64)}.tar`]);
      await cache.layers.drop(id('d'));
      assert.equal(cache.layers.holds(id('d'), { path: '/a', size: 0 }), false);
      const aborted = cache.layers.createWriter({ smallFilesOnly: true });
      await aborted.smallFiles!.writeAt(0, Buffer.alloc(100));
      await aborted.abort();
      const over = cache.layers.createWriter({ smallFilesOnly: true });
      assert.equal(await over.smallFiles!.writeAt(0, Buffer.alloc(4000)), undefined);
      assert.equal(over.smallFiles!.writeAt(4000, Buffer.alloc(1)), false, 'dropped: the rest is not kept');
      await over.commit(id('e'));
      assert.deepEqual(await readdir(cache.layers.dir), []);
    });

    it('drops the copy, not the compare, when it cannot be written', async () => {
      const cache = await Cache.open(dir);
      await rm(join(dir, 'layers'), { recursive: true });
      const w = cache.layers.createWriter({ smallFilesOnly: true });
      await w.smallFiles!.writeAt(512, Buffer.from('bytes'));
      await w.commit(id('f'));
      const empty = cache.layers.createWriter({ smallFilesOnly: true });
      await empty.commit(id('a'));
      assert.equal(cache.layers.holds(id('f'), { path: '/a', size: 5 }), false);
      assert.equal(cache.layers.holds(id('a'), { path: '/a', size: 0 }), false);
    });

    it('is what a layer read with such a writer leaves: its small text files and rpm database readable, its large files and binaries not', async () => {
      const cache = await Cache.open(dir);
      const big = Buffer.alloc(SMALL_FILE_BYTES + 1, 0x61);
      const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0'), Buffer.alloc(3 * 2 ** 20, 0x90)]);
      const rpmdb = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(200_000, 1)]);
      const tar = await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
        { name: 'opt/model.bin', content: big },
        { name: 'usr/bin/tool', content: elf },
        { name: 'var/lib/rpm/rpmdb.sqlite', content: rpmdb },
        { name: 'opt/VERSION', content: '1.0.0\n' },
      ]);
      const writer = cache.layers.createWriter({ smallFilesOnly: true });
      const layer = await processLayer(Readable.from([tar.subarray(0, 700), tar.subarray(700)]), { where: 'layer', writer });
      // processLayer commits what it hashed itself.
      const image = { name: 'img', layers: [{ diffId: layer.diffId }], indexes: [layer.entries] } as unknown as ImageModel;
      const file = (path: string) => ({ path, entry: layer.entries.find((e) => e.path === path)!, layer: 0 });
      assert.equal((await readFileBytes(cache, image, file('/etc/passwd'))).toString(), 'root:x:0:0:root:/root:/bin/sh\n');
      assert.equal((await readFileBytes(cache, image, file('/opt/VERSION'))).toString(), '1.0.0\n');
      assert.ok((await readFileBytes(cache, image, file('/var/lib/rpm/rpmdb.sqlite'))).equals(rpmdb));
      assert.equal(cache.layers.holds(layer.diffId, file('/opt/model.bin').entry), false);
      assert.equal(cache.layers.holds(layer.diffId, file('/usr/bin/tool').entry), false);
      assert.equal(cache.layers.holdsAll(layer.diffId, [file('/etc/passwd').entry, file('/var/lib/rpm/rpmdb.sqlite').entry]), true);
      assert.equal(cache.layers.holdsAll(layer.diffId, [file('/etc/passwd').entry, file('/usr/bin/tool').entry]), false);
      await assert.rejects(readFileBytes(cache, image, file('/opt/model.bin')), /bytes of \/opt\/model\.bin in layer 0 are not in the cache .*more than 16 MiB/);
      await assert.rejects(readFileBytes(cache, image, file('/usr/bin/tool')), /bytes of \/usr\/bin\/tool in layer 0 are not in the cache .*a binary/);
      // What it keeps on disk: the text files and the database, not the large file's 16 MiB nor the binary's 3 (a sparse file).
      const { blocks } = await import('node:fs/promises').then((fs) => fs.stat(cache.layers.smallFile(layer.diffId)));
      assert.ok(blocks * 512 < 2 ** 20, `${blocks * 512} bytes on disk`);
    });
  });
});
