import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompareError } from '../util/errors';
import { nextTurn } from '../util/turns';
import type { EntryType, FileEntry, LineEndings } from '../image/model';
import type { SecretKind } from '../image/model';

/**
 * Bumped whenever the index format changes, so old entries are simply not found.
 * v2: rows carry the secret kinds found in each file (FileEntry.secrets).
 * v3: paths are where the engine puts them (through the layer's own
 * symlinks, no opaque marker at the root); one row per line, read and
 * written a batch at a time.
 */
export const INDEX_DIR = 'index-v3';
/** Rows serialised or parsed between two turns of the event loop. */
const ROW_BATCH = 10_000;
const DIGEST = /^sha256:([a-f0-9]{64})$/;
/** Temp files older than this belong to a run that died; younger ones may be another process at work. */
const STALE_TEMP_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_LAYER_BYTES = 10 * 2 ** 30;
/**
 * Layer bytes are written behind the stream: a deep write buffer lets the disk
 * catch up in the background instead of stalling the export on every chunk.
 */
const WRITE_BUFFER = 4 * 2 ** 20;

/** The user's cache directory for this tool (XDG on Linux). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string {
  if (env.CONTAINER_COMPARE_CACHE) return env.CONTAINER_COMPARE_CACHE;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'container-compare');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'container-compare', 'Cache');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'container-compare');
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

/** writeAtomic for content produced a piece at a time (large indexes), never held whole. */
async function writeAtomicChunks(file: string, chunks: AsyncIterable<string>): Promise<void> {
  const tmp = tempName(file);
  const out = createWriteStream(tmp);
  try {
    await pipeline(Readable.from(chunks), out);
    await rename(tmp, file);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
}

function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Compact on-disk row of a FileEntry: JSON arrays parse several times faster than objects. */
type Row = [string, EntryType, number, number, number, number, string?, string?, (0 | 1)?, LineEndings?, string?, number?, SecretKind[]?];

function toRow(e: FileEntry): Row {
  const row: Row = [e.path, e.type, e.mode, e.uid, e.gid, e.size, e.linkTarget, e.sha256, e.text === undefined ? undefined : e.text ? 1 : 0, e.lineEndings, e.lfSha256, e.offset];
  // Only the few files with secrets get the extra column: rows stay as short as v1's.
  if (e.secrets?.length) row[12] = e.secrets;
  return row;
}

function fromRow(r: Row): FileEntry {
  const e: FileEntry = { path: r[0], type: r[1], mode: r[2], uid: r[3], gid: r[4], size: r[5] };
  if (r[6] != null) e.linkTarget = r[6];
  if (r[7] != null) e.sha256 = r[7];
  if (r[8] != null) e.text = r[8] === 1;
  if (r[9] != null) e.lineEndings = r[9];
  if (r[10] != null) e.lfSha256 = r[10];
  if (r[11] != null) e.offset = r[11];
  if (r[12] != null) e.secrets = r[12];
  return e;
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
    let text: string;
    try {
      text = await readFile(this.indexFile(diffId), 'utf8');
    } catch {
      return undefined;
    }
    try {
      // The file is one JSON document, a row per line: parsed a batch of lines at a time, so a
      // layer of a million entries does not hold the event loop (and a Ctrl-C) for seconds.
      const lines = text.split('\n');
      const head = JSON.parse(`${lines[0]}]}`) as { diffId: string; size: number };
      if (lines.at(-1) !== ']}') return undefined;
      const entries: FileEntry[] = [];
      for (let i = 1; i < lines.length - 1; i += ROW_BATCH) {
        const batch = lines.slice(i, Math.min(i + ROW_BATCH, lines.length - 1)).map((l) => (l.startsWith(',') ? l.slice(1) : l)).filter(Boolean);
        if (batch.length) for (const r of JSON.parse(`[${batch.join(',')}]`) as Row[]) entries.push(fromRow(r));
        await nextTurn();
      }
      return { diffId: head.diffId, size: head.size, entries };
    } catch {
      return undefined; // unreadable (written by a future version?): re-index
    }
  }

  async writeIndex(index: CachedIndex): Promise<void> {
    const file = this.indexFile(index.diffId);
    const { entries } = index;
    await writeAtomicChunks(
      file,
      (async function* () {
        yield `${JSON.stringify({ diffId: index.diffId, size: index.size }).slice(0, -1)},"rows":[\n`;
        for (let i = 0; i < entries.length; i += ROW_BATCH) {
          let chunk = '';
          for (let j = i; j < Math.min(i + ROW_BATCH, entries.length); j++) chunk += `${j ? ',' : ''}${JSON.stringify(toRow(entries[j]))}\n`;
          yield chunk;
          await nextTurn();
        }
        yield ']}';
      })(),
    );
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

  private indexFile(diffId: string): string {
    return join(this.dir, INDEX_DIR, `${digestHex(diffId)}.json`);
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
