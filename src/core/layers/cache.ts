import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile, type FileHandle } from 'node:fs/promises';
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
/** Names and the layers they had when last read (recentLayers()), at most MAX_RECENT of them. */
const RECENT = 'recent-layers.json';
const MAX_RECENT = 64;
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
 * What a small-files copy of a layer keeps: files of at most this size. It
 * covers package databases (a Debian status file is a few MB, an rpmdb.sqlite
 * rarely over 16) and every text a diff editor shows comfortably; larger
 * files are mostly binaries, read from the image again when asked for.
 */
export const SMALL_FILE_BYTES = 16 * 2 ** 20;
/** Small files are gathered into writes of this size (the tar headers between them written as zeros). */
const SMALL_WRITE = 2 ** 20;
/** A gap this long between two kept files (a binary between them) ends a write rather than being written as zeros. */
const SMALL_GAP = 16 * 2 ** 10;
/**
 * rpm's package databases: the binary files the analysis reads (every other
 * package database is text). packages/ detects rpm by these paths too.
 */
export const RPM_DB_PATHS: ReadonlySet<string> = new Set(['/var/lib/rpm/rpmdb.sqlite', '/usr/lib/sysimage/rpm/rpmdb.sqlite']);

/**
 * Whether a small-files copy keeps a file: text of at most SMALL_FILE_BYTES,
 * and rpm's databases. What reads bytes of an image read through the
 * engine's export reads text (package databases, /etc/passwd, the texts of
 * changed files, what a diff editor shows); a binary (libraries, executables,
 * data) is compared by its digest, and read from the image again if it is
 * ever opened. On the bench pair that is half of the small files' bytes
 * (276 of 516 MB), and writing them cost ~0.13 s of CPU in a cold compare.
 * `text` undefined: not known yet (the writer asks before the file's bytes,
 * then again once its first bytes are seen).
 */
export function smallCopyKeeps(file: { path: string; size: number; text?: boolean }): boolean {
  return file.size <= SMALL_FILE_BYTES && (file.text !== false || RPM_DB_PATHS.has(file.path));
}

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

/** A row of recent-layers.json as written: [name, diffIDs]; anything else in the file is ignored. */
function isRecentRow(row: unknown): row is [string, string[]] {
  return Array.isArray(row) && row.length === 2 && typeof row[0] === 'string' && Array.isArray(row[1]) && row[1].length <= 1000 && row[1].every((d) => typeof d === 'string' && DIGEST.test(d));
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

  /**
   * The layers `names` (image names as the engine knows them) had when they
   * were last read here: a guess, made to read their indexes ahead while the
   * engine is asked what they are now. An index is named by its diffID, so
   * what is read ahead is right for whatever asks for it.
   */
  async recentLayers(names: readonly string[]): Promise<string[]> {
    const recent = await this.readRecent();
    return [...new Set(names.flatMap((n) => recent.get(n) ?? []))];
  }

  /** Remembers each name's layers for recentLayers(); writes nothing when they are what it remembers. */
  async rememberLayers(rows: ReadonlyArray<readonly [string, readonly string[]]>): Promise<void> {
    const recent = await this.readRecent();
    if (rows.every(([name, diffIds]) => recent.get(name)?.join() === diffIds.join())) return;
    // Most recent last; the oldest names beyond MAX_RECENT are forgotten.
    for (const [name, diffIds] of rows) {
      recent.delete(name);
      recent.set(name, [...diffIds]);
    }
    await writeAtomic(join(this.dir, RECENT), JSON.stringify([...recent].slice(-MAX_RECENT)));
  }

  private recent: Promise<Map<string, string[]>> | undefined;

  private readRecent(): Promise<Map<string, string[]>> {
    // No file, or not JSON: nothing remembered.
    this.recent ??= readFile(join(this.dir, RECENT), 'utf8')
      .then((text) => {
        const rows: unknown = JSON.parse(text);
        return new Map(Array.isArray(rows) ? rows.filter(isRecentRow) : []);
      })
      .catch(() => new Map<string, string[]>());
    return this.recent;
  }

  /** `body`: the index already encoded but for its diffID (encodeIndexBody), when it was made ahead. */
  async writeIndex(index: CachedIndex, body?: Buffer): Promise<void> {
    await writeAtomic(this.indexFile(index.diffId), encodeIndex(index, body));
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
  /**
   * The layer tar, chunk by chunk. False once the layer outgrew the store's
   * limit: the caller keeps going, the bytes are just not kept. A
   * small-files writer ignores it: its reader hands it files instead.
   */
  write(chunk: Buffer): boolean | Promise<void>;
  /** Set on a writer that keeps only the layer's small files (createWriter). */
  readonly smallFiles?: SmallFilesWriter;
  commit(diffId: string): Promise<void>;
  abort(): Promise<void>;
}

/** What a layer's tar reader gives a small-files writer: each file it keeps, at the file's offset in the tar. */
export interface SmallFilesWriter {
  /** smallCopyKeeps: asked before a file's bytes, and again with `text` once its first bytes are read (false: none are written). */
  keeps(file: { path: string; size: number; text?: boolean }): boolean;
  /** Bytes of a kept file at `position` of the layer tar, in increasing positions. False or a promise as write(). */
  writeAt(position: number, chunk: Buffer): boolean | Promise<void>;
}

/**
 * Content-addressed store of uncompressed layer tars, bounded by size with
 * least-recently-used eviction (mtime is the use time). With the offsets in
 * the file index, reading one file of a layer is one positioned read.
 *
 * A layer is kept whole (file()), or as a small-files copy (smallFile()):
 * a sparse file of the tar's layout holding only its small text files
 * (smallCopyKeeps), each at its own offset. The engine's export keeps
 * that copy: writing a gigabyte of binaries next to an export that writes
 * it once already is what made a cold compare slower than `docker save`,
 * and a file nobody opens need not be kept. Another file is read from the
 * image again when asked for (holds() says when).
 */
export class LayerStore {
  /** Gathering buffers written and free again: a gigabyte of small files is gathered through a handful of them. */
  private readonly batches: Buffer[] = [];

  constructor(readonly dir: string, readonly maxBytes: number) {}

  private spare(batch: Buffer): void {
    if (batch.length === SMALL_WRITE && this.batches.length < WRITE_BUFFER / SMALL_WRITE + 2) this.batches.push(batch);
  }

  /** The whole layer tar. */
  file(diffId: string): string {
    return join(this.dir, `${digestHex(diffId)}.tar`);
  }

  /**
   * The small-files copy; its name says what it keeps, so that another
   * policy never reads it as its own (a copy named `.upto16m.tar`, of a
   * version that kept binaries too, is not read, and ages out).
   */
  smallFile(diffId: string): string {
    return join(this.dir, `${digestHex(diffId)}.upto${SMALL_FILE_BYTES / 2 ** 20}m-text.tar`);
  }

  /** Whether the whole layer is kept. */
  has(diffId: string): boolean {
    return existsSync(this.file(diffId));
  }

  /** Whether a file of the layer (its index entry: path, size, whether text) can be read from the store. */
  holds(diffId: string, file: { path: string; size: number; text?: boolean }): boolean {
    return this.holdsAll(diffId, [file]);
  }

  /** holds() for each of `files` of the layer, with one look at the disk. */
  holdsAll(diffId: string, files: ReadonlyArray<{ path: string; size: number; text?: boolean }>): boolean {
    return this.has(diffId) || (files.every(smallCopyKeeps) && existsSync(this.smallFile(diffId)));
  }

  /** Forgets a layer's bytes, whole or small files (an eviction). */
  async drop(diffId: string): Promise<void> {
    await rm(this.file(diffId), { force: true });
    await rm(this.smallFile(diffId), { force: true });
  }

  /** A writer of the whole layer, or with `smallFilesOnly` of its small-files copy. */
  createWriter(opts: { smallFilesOnly?: boolean } = {}): LayerWriter {
    if (opts.smallFilesOnly) return this.smallFilesWriter();
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
        // The whole layer supersedes its small-files copy.
        await rm(this.smallFile(diffId), { force: true });
        await this.evict(final);
      },
      abort: drop,
    };
  }

  /**
   * Writes the files it is handed at their offsets in a sparse file: small
   * files close together are gathered into one write of up to SMALL_WRITE;
   * a chunk of that size or more is written as it is.
   */
  private smallFilesWriter(): LayerWriter {
    const tmp = tempName(join(this.dir, 'layer'));
    let fh: Promise<FileHandle> | undefined;
    let dropped = this.maxBytes <= 0;
    let kept = 0;
    let batch: Buffer | undefined;
    let batchStart = 0;
    let batchEnd = 0;
    let queued = 0;
    // Writes one after another; a failure (a full disk) drops the bytes, not the compare.
    let chain: Promise<void> = Promise.resolve();
    const enqueue = (buf: Buffer, length: number, position: number): void => {
      queued += length;
      chain = chain
        .then(async () => {
          if (dropped) return;
          await (await (fh ??= open(tmp, 'w'))).write(buf, 0, length, position);
        })
        .catch(() => void (dropped = true))
        .finally(() => {
          queued -= length;
          this.spare(buf);
        });
    };
    const flush = (): void => {
      if (batch) enqueue(batch, batchEnd - batchStart, batchStart);
      batch = undefined;
    };
    const close = async (): Promise<void> => {
      batch = undefined;
      await chain;
      const f = fh;
      fh = undefined;
      if (f) await (await f.catch(() => undefined))?.close().catch(() => undefined);
    };
    const drop = async (): Promise<void> => {
      dropped = true;
      await close();
      await rm(tmp, { force: true });
    };
    const smallFiles: SmallFilesWriter = {
      keeps: smallCopyKeeps,
      writeAt: (position, chunk) => {
        if (dropped) return false;
        kept += chunk.length;
        if (kept > this.maxBytes) return drop().then(() => undefined);
        // Copied, never queued as it is: the chunk's memory may be reused once this returns (ChunkPool).
        for (let at = 0; at < chunk.length; ) {
          const pos = position + at;
          if (!batch || pos < batchEnd || pos >= batchStart + SMALL_WRITE || pos - batchEnd > SMALL_GAP) {
            flush();
            batch = this.batches.pop() ?? Buffer.allocUnsafe(SMALL_WRITE);
            batchStart = batchEnd = pos;
          }
          // A batch holds old bytes (reused, or never cleared): the tar headers between two files are written as zeros.
          if (pos > batchEnd) batch.fill(0, batchEnd - batchStart, pos - batchStart);
          const k = Math.min(chunk.length - at, batchStart + SMALL_WRITE - pos);
          chunk.copy(batch, pos - batchStart, at, at + k);
          batchEnd = pos + k;
          at += k;
        }
        return queued > WRITE_BUFFER ? chain : true;
      },
    };
    return {
      smallFiles,
      write: () => !dropped,
      commit: async (diffId) => {
        if (dropped) return drop();
        flush();
        await chain;
        fh ??= open(tmp, 'w'); // a layer without small files still gets its (empty) file
        const opened = await fh.then(
          () => true,
          () => false,
        );
        await close();
        // Another process kept the whole layer meanwhile: that serves every file.
        if (dropped || !opened || this.has(diffId)) return drop();
        const final = this.smallFile(diffId);
        // The bytes are a cache, not the result: a copy that cannot be put in place is dropped, the compare goes on.
        if (!(await rename(tmp, final).then(() => true, () => false))) return drop();
        await this.evict(final);
      },
      abort: drop,
    };
  }

  /** Bytes [offset, offset+length) of a stored layer (whole, or its small-files copy), as a stream. Marks the layer as used. */
  async readRange(diffId: string, offset: number, length: number): Promise<Readable> {
    const file = this.has(diffId) ? this.file(diffId) : this.smallFile(diffId);
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
      const st = await stat(keep).catch(() => undefined);
      this.estimate += st ? used(st) : 0;
      if (this.estimate <= this.maxBytes) return;
    }
    const files: Array<{ path: string; size: number; used: number }> = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.tar') || name.includes('.tmp-')) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st) files.push({ path: join(this.dir, name), size: used(st), used: st.mtimeMs });
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

/** What a stored layer takes on disk: its size, or the blocks a sparse small-files copy has. */
function used(st: { size: number; blocks: number }): number {
  // A file system that reports no blocks (or none yet) is counted by size.
  return st.blocks > 0 ? Math.min(st.size, st.blocks * 512) : st.size;
}
