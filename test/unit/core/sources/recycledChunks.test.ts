import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Cache } from '../../../../src/core/layers/cache';
import type { FileEntry } from '../../../../src/core/image/model';
import { readArchiveStream } from '../../../../src/core/sources/archiveReader';
import { ChunkPool } from '../../../../src/core/util/chunkPool';
import { makeImageArchive, makeTar, type TarEntry } from '../../../helpers/tarBuilder';
import { rng } from '../../../helpers/randomImages';
import { FAKE as secrets } from '../../../helpers/secrets';

/** Each file the store holds for layer `diffId`: its path and bytes. */
async function heldFiles(cache: Cache, diffId: string, entries: FileEntry[]): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const e of entries) {
    if (e.type !== 'file' || !cache.layers.holds(diffId, e)) continue;
    const parts: Buffer[] = [];
    for await (const c of await cache.layers.readRange(diffId, e.offset!, e.size)) parts.push(c as Buffer);
    out.push([e.path, Buffer.concat(parts).toString('latin1')]);
  }
  return out;
}

/** A pool that scribbles over every chunk it takes back: a reader that still looks at one reads garbage. */
class ScribblingPool extends ChunkPool {
  reused = 0;
  protected override reuse(b: Buffer): void {
    b.fill(0xee);
    this.reused++;
    super.reuse(b);
  }
}

/** `bytes` as a source like the engine's export (streamGet): chunks of `size` from `pool`, handed out as read. */
function pooled(bytes: Buffer, size: number, pool: ChunkPool): Readable {
  let at = 0;
  const s = new Readable({
    highWaterMark: 4 * size,
    read() {
      while (at < bytes.length) {
        const c = pool.take();
        const n = Math.min(size, bytes.length - at);
        bytes.copy(c, 0, at, at + n);
        at += n;
        if (!this.push(n === size ? c : c.subarray(0, n))) return;
      }
      this.push(null);
    },
  });
  pool.serve(s);
  return s;
}

/** Files whose bytes cross chunk boundaries everywhere: text with CRLF, keys at every offset, names longer than a ustar header holds, and a file of megabytes. */
function layer(seed: number, big = false): Promise<Buffer> {
  const r = rng(seed);
  const entries: TarEntry[] = [{ name: 'srv/', type: 'directory' }];
  // Larger than the byte store's gathering writes, smaller than what it keeps, and kept: no NUL byte, so "text".
  if (big) entries.push({ name: 'srv/big.dat', content: Buffer.from(Array.from({ length: 3 * 2 ** 20 + 77 }, () => 1 + Math.floor(r() * 255))) });
  for (let i = 0; i < 60; i++) {
    const dir = `srv/${'deep-directory-name/'.repeat(1 + (i % 7))}`;
    const pad = 'x'.repeat(Math.floor(r() * 1500));
    const text = i % 3 === 0 ? `${pad}\r\nkey follows\r\n${secrets.privateKeyPem}` : `${pad}\n${secrets.privateKeyOpenssh}tail ${i}\n`;
    entries.push({ name: `${dir}file-${i}-${'n'.repeat(i % 4 === 0 ? 100 + i : i % 40)}.txt`, content: text });
    if (i % 10 === 0) entries.push({ name: `srv/blob-${i}.bin`, content: Buffer.from(Array.from({ length: 5000 + Math.floor(r() * 20000) }, () => Math.floor(r() * 256))) });
  }
  return makeTar(entries);
}

describe('an export read through recycled chunks', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-unit-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const read = async (name: string, source: (bytes: Buffer) => Readable, archive: Buffer, needBytes?: Set<string>) => {
    const cache = await Cache.open(join(dir, name));
    const contents = await readArchiveStream(source(archive), { where: 'test', platform: { os: 'linux', architecture: 'amd64' }, cache, trustDiffIds: true, ...(needBytes ? { needBytes } : {}) });
    const layers = contents.images[0].diffIds;
    const entries = layers.map((d) => contents.indexed.get(d)?.entries);
    return {
      entries,
      // What the byte store gives of each file it holds (which binaries its small-files copy has besides depends on the chunks).
      stored: await Promise.all(layers.map((d, i) => heldFiles(cache, d, entries[i] ?? []))),
      whole: needBytes ? await Promise.all(layers.map((d) => readFile(cache.layers.file(d)))) : [],
    };
  };

  let archive: Buffer;
  before(async () => (archive = await makeImageArchive([{ tags: ['t:1'], layers: [await layer(1), await layer(2, true), await layer(3)] }], 'legacy')));

  // Chunk sizes that put boundaries inside headers, long-name records, keys and CRLF pairs.
  for (const size of [509, 1000, 4096, 2 ** 20]) {
    it(`indexes and stores the same as fresh chunks, with ${size}-byte chunks scribbled over once read`, async () => {
      const fresh = await read('fresh', (b) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => Buffer.from(b.subarray(i * size, (i + 1) * size)))), archive);
      // The read-ahead holds megabytes: thousands of these small chunks are in flight at once.
      const pool = new ScribblingPool(size, 4096);
      const recycled = await read('pooled', (b) => pooled(b, size, pool), archive);
      assert.ok(pool.reused > archive.length / size / 2, `most chunks were taken back and scribbled over (${pool.reused})`);
      assert.ok(fresh.entries.every((e) => e && e.some((f) => f.secrets?.length)), 'the keys were found');
      assert.ok(fresh.entries.every((e) => e!.some((f) => f.path.length - f.path.lastIndexOf('/') > 100)), 'names need long-name records');
      assert.deepEqual(recycled.entries, fresh.entries);
      assert.ok(fresh.stored.every((files, i) => files.length >= 60 && files.length < fresh.entries[i]!.filter((e) => e.type === 'file').length), 'the texts are held, not every binary');
      assert.deepEqual(recycled.stored, fresh.stored, 'the byte store gives the same bytes');
    });
  }

  it('takes no chunk back when layers are kept whole (their writer queues the chunks themselves)', async () => {
    const size = 4096;
    const all = new Set(['*']);
    const fresh = await read('fresh', (b) => Readable.from([Buffer.from(b)]), archive, all);
    const pool = new ScribblingPool(size, 4096);
    const kept = await read('pooled', (b) => pooled(b, size, pool), archive, all);
    assert.equal(pool.reused, 0);
    assert.deepEqual(kept.entries, fresh.entries);
    assert.ok(kept.whole.every((s, i) => s.equals(fresh.whole[i])), 'the whole layers are stored as read');
  });
});
