import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CompareError } from '../util/errors';
import type { FileEntry } from '../image/model';
import { decodeIndex, encodeIndex } from './indexCodec';

/**
 * Bumped whenever the index format changes, so old entries are simply not found.
 * v2: rows carry the secret kinds found in each file (FileEntry.secrets).
 * v3: binary (indexCodec.ts) instead of JSON rows: read in a third of the time.
 * v4: paths are where the engine puts them (through the layer's own
 * symlinks, no opaque marker at the root).
 */
export const INDEX_DIR = 'index-v4';
const DIGEST = /^sha256:([a-f0-9]{64})$/;
/** Temp files older than this belong to a run that died; younger ones may be another process at work. */
const STALE_TEMP_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_LAYER_BYTES = 10 * 2 ** 30;
/**
 * Layer bytes are written behind the stream: a deep write buffer lets the disk
 * catch up in the background instead of stalling the export on every chunk.
 */
const WRITE_BUFFER = 4 * 2 ** 20;

/**
 * Digests reach file names, and they come from untrusted configs and
 * manifests: only a well-formed sha256 may name a cache file.
 */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new CompareError('hostileArchive', `"${digest.slice(0, 80)}" is not a sha256 digest`);
  return m[1];
}

/** Writes `data` to `file` so that readers see the old content, the new content, or nothing: never half. */
export async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface CachedIndex {
  diffId: string;
  size: number;
  entries: FileEntry[];
}

/**
 * The cache folder: layer file indexes keyed by diffID, image configs keyed
 * by image id, blob digest → diffID, and a bounded store of layer bytes.
 * Every write is atomic (temp + rename), so two processes indexing the same
 * layer at once both succeed and a killed run leaves no half entry.
 */
export class Cache {
  readonly layers: LayerStore;

  private constructor(readonly dir: string, maxLayerBytes: number) {
    this.layers = new LayerStore(join(dir, 'layers'), maxLayerBytes);
  }

  static async open(dir: string, maxLayerBytes = DEFAULT_MAX_LAYER_BYTES): Promise<Cache> {
    for (const sub of [INDEX_DIR, 'configs', 'digests', 'layers']) await mkdir(join(dir, sub), { recursive: true });
    const cache = new Cache(dir, maxLayerBytes);
    await cache.sweepStaleTemps();
    return cache;
  }

  hasIndex(diffId: string): boolean {
    return existsSync(this.indexFile(diffId));
  }

  async readIndex(diffId: string): Promise<CachedIndex | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.indexFile(diffId));
    } catch {
      return undefined;
    }
    // Unreadable (truncated, written by a future version?): re-index.
    const index = decodeIndex(bytes);
    return index && index.diffId === diffId ? index : undefined;
  }

  async writeIndex(index: CachedIndex): Promise<void> {
    await writeAtomic(this.indexFile(index.diffId), encodeIndex(index));
  }

  async readConfig(id: string): Promise<Buffer | undefined> {
    return readFile(join(this.dir, 'configs', `${digestHex(id)}.json`)).catch(() => undefined);
  }

  async writeConfig(id: string, bytes: Buffer): Promise<void> {
    await writeAtomic(join(this.dir, 'configs', `${digestHex(id)}.json`), bytes);
  }

  async diffIdOfBlob(digest: string): Promise<string | undefined> {
    const text = await readFile(join(this.dir, 'digests', digestHex(digest)), 'utf8').catch(() => undefined);
    return text && DIGEST.test(text) ? text : undefined;
  }

  async rememberBlob(digest: string, diffId: string): Promise<void> {
    digestHex(diffId);
    await writeAtomic(join(this.dir, 'digests', digestHex(digest)), diffId);
  }

  /** Where the index of a layer is kept (for tests that compare two caches' files). */
  indexFile(diffId: string): string {
    return join(this.dir, INDEX_DIR, `${digestHex(diffId)}.idx`);
  }

  private async sweepStaleTemps(): Promise<void> {
    const now = Date.now();
    for (const sub of [INDEX_DIR, 'configs', 'digests', 'layers']) {
      const dir = join(this.dir, sub);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!name.includes('.tmp-')) continue;
        const st = await stat(join(dir, name)).catch(() => undefined);
        if (st && now - st.mtimeMs > STALE_TEMP_MS) await rm(join(dir, name), { force: true });
      }
    }
  }
}

/** A layer's bytes being written; nothing is visible in the store until commit(). */
export interface LayerWriter {
  /** False once the layer outgrew the store's limit: the caller keeps going, the bytes are just not kept. */
  write(chunk: Buffer): boolean | Promise<void>;
  commit(diffId: string): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Content-addressed store of uncompressed layer tars, bounded by size with
 * least-recently-used eviction (mtime is the use time). With the offsets in
 * the file index, reading one file of a layer is one positioned read.
 */
export class LayerStore {
  constructor(readonly dir: string, readonly maxBytes: number) {}

  file(diffId: string): string {
    return join(this.dir, `${digestHex(diffId)}.tar`);
  }

  has(diffId: string): boolean {
    return existsSync(this.file(diffId));
  }

  createWriter(): LayerWriter {
    const tmp = tempName(join(this.dir, 'layer'));
    let out: WriteStream | undefined;
    let written = 0;
    let dropped = this.maxBytes <= 0;
    const drop = async () => {
      dropped = true;
      const s = out;
      if (s && !s.closed) await new Promise<void>((r) => s.once('close', () => r()).destroy());
      await rm(tmp, { force: true });
    };
    const open = (): WriteStream => {
      const s = createWriteStream(tmp, { highWaterMark: WRITE_BUFFER });
      // The bytes are a cache, not the result: a full disk (or a write racing an abort) drops
      // them and the compare goes on; a file is read again from the image when needed.
      s.on('error', () => void drop());
      return s;
    };
    return {
      write: (chunk) => {
        if (dropped) return false;
        written += chunk.length;
        if (written > this.maxBytes) return drop().then(() => undefined);
        out ??= open();
        if (out.write(chunk)) return true;
        const s = out;
        // 'close' too: a stream destroyed while full never drains.
        return new Promise<void>((r) => {
          const done = () => {
            s.off('drain', done).off('close', done);
            r();
          };
          s.on('drain', done).on('close', done);
        });
      },
      commit: async (diffId) => {
        if (dropped) return;
        const final = this.file(diffId);
        out ??= open(); // an empty layer still gets its (empty) file
        const s = out;
        const ok = await new Promise<boolean>((resolve) => s.end((e?: Error | null) => resolve(!e && !dropped)));
        if (!ok) return drop();
        await rename(tmp, final);
        await this.evict(final);
      },
      abort: drop,
    };
  }

  /** Bytes [offset, offset+length) of a stored layer, as a stream. Marks the layer as used. */
  async readRange(diffId: string, offset: number, length: number): Promise<Readable> {
    const file = this.file(diffId);
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    // createReadStream with end < start would read the whole file.
    if (length === 0) return Readable.from([]);
    return createReadStream(file, { start: offset, end: offset + length - 1 });
  }

  /**
   * The store's size as of the last scan plus what this process added since:
   * scanning the folder after every layer would make an image of many layers
   * quadratic. Other processes' additions are seen at the next scan, which
   * happens as soon as the estimate passes the bound.
   */
  private estimate?: number;

  private async evict(keep: string): Promise<void> {
    if (this.estimate !== undefined) {
      this.estimate += (await stat(keep).catch(() => undefined))?.size ?? 0;
      if (this.estimate <= this.maxBytes) return;
    }
    const files: Array<{ path: string; size: number; used: number }> = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.tar') || name.includes('.tmp-')) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st) files.push({ path: join(this.dir, name), size: st.size, used: st.mtimeMs });
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      if (f.path === keep) continue;
      await rm(f.path, { force: true });
      total -= f.size;
    }
    this.estimate = total;
  }
}
