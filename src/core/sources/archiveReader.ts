import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as tar from 'tar-stream';
import type { Cache, LayerWriter } from '../layers/cache';
import type { EntryBudget } from '../layers/limits';
import { ChunkPool } from '../util/chunkPool';
import { lazy } from '../util/lazy';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';
import { ABSURD_ENTRY_SIZE } from '../layers/layerIndexer';
import { decoderStream, processLayer, sniff, type ArchiveContents, type ProcessedLayer } from '../layers/layerProcessor';
import { encodeIndexBody } from '../layers/indexCodec';
import { readLayout, type Platform } from '../image/layout';
import { hostile, safeRelativeName } from '../layers/paths';
import { inertName } from '../util/inert';

/** Small files (manifests, configs, indexes) are kept in memory; no real one comes near this. */
export const MAX_METADATA = 16 * 2 ** 20;

/**
 * All the small files of one archive together: a docker save of hundreds of
 * images holds a few MiB of them. Beyond these an archive is refused rather
 * than kept in memory.
 */
export const MAX_METADATA_TOTAL = 64 * 2 ** 20;
export const MAX_ARCHIVE_FILES = 100_000;

function tooLarge(where: string, path: string, size: number): CompareError {
  return new CompareError('hostileArchive', `${where}: ${inertName(path)} is ${size} bytes, more than the ${MAX_METADATA / 2 ** 20} MiB a manifest, index or config may have; refusing it as too large`);
}

export interface ReadOptions {
  /** How the archive is named in messages. */
  where: string;
  platform: Platform;
  cache: Cache;
  signal?: AbortSignal;
  /** Layers (by diffID) whose bytes must end up in the layer store even if already indexed. */
  needBytes?: ReadonlySet<string>;
  /** Bytes of the archive read so far. */
  onProgress?: (bytes: number) => void;
  /** Told each time a layer has been read (or skipped, its index already cached). */
  onLayer?: () => void;
  /**
   * The archive is the daemon's own export: take each layer's diffID from the
   * image config instead of hashing every layer again (a file from elsewhere
   * is always verified).
   */
  trustDiffIds?: boolean;
  /** What the load may still keep in memory of layer indexes (layers/limits.ts). */
  budget?: EntryBudget;
}

/** Whether a blob of known digest can be skipped: its index is cached and its bytes are not needed. */
async function alreadyIndexed(digest: string | undefined, opts: ReadOptions): Promise<boolean> {
  if (!digest) return false;
  const diffId = await opts.cache.diffIdOfBlob(digest);
  return !!diffId && indexUsable(diffId, opts);
}

/** The cached index of `diffId` serves this read: it exists, and the layer's bytes are there if they are needed. */
function indexUsable(diffId: string, opts: ReadOptions): boolean {
  return opts.cache.hasIndex(diffId) && !(opts.needBytes?.has(diffId) && !opts.cache.layers.has(diffId));
}

/** Records a freshly read layer in the cache: its file index, and for a compressed blob which diffID it holds. */
async function remember(cache: Cache, layer: ProcessedLayer, body?: Buffer): Promise<void> {
  await cache.writeIndex({ diffId: layer.diffId, size: layer.size, entries: layer.entries }, body);
  if (layer.compression !== 'none') await cache.rememberBlob(layer.digest, layer.diffId);
}

/**
 * Reads a docker-save / oci-archive tar (or a daemon export) in one pass:
 * layers are indexed as they stream past, small JSON files are kept, and the
 * layout is resolved at the end (docker save writes manifest.json last).
 * Gzip-compressed archives (`docker save | gzip`) are read the same way.
 */
export async function readArchiveStream(input: Readable, opts: ReadOptions): Promise<ArchiveContents> {
  const { where } = opts;
  const small = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const byPath = new Map<string, ProcessedLayer>();
  // With trustDiffIds: layers read but not yet named, their bytes waiting for a diffID to be committed under.
  // Their indexes are encoded meanwhile (all but the diffID): the main thread waits for the engine then, not at the end.
  const pending = new Map<string, { layer: ProcessedLayer; writer: LayerWriter; body: Buffer }>();
  const unreadable = new Map<string, string>();
  // Files too large to be metadata: if the layout asks for one (manifest.json, a config), that is the error.
  const oversized = new Map<string, number>();
  const extract = lazy.tarStream().extract();
  let bytes = 0;
  let entries = 0;
  let smallBytes = 0;
  // The entry being read: on failure, wait for it to clean up (abort its layer write) before reporting.
  let current: Promise<void> = Promise.resolve();
  // The first problem found in an entry explains the failure better than the stream error it causes.
  let entryError: unknown;
  // The source's chunks can be reused once read (the engine's export, streamGet). Entries are read one
  // after the other and every reader before the layer's indexer either copies what it keeps (peek,
  // collect) or keeps nothing, so a layer's indexer having read a chunk means the whole archive has.
  // Not when layers are kept whole: a whole layer's writer queues the chunks themselves (see below).
  const smallFilesOnly = !!opts.trustDiffIds && !opts.needBytes;
  const pool = smallFilesOnly ? ChunkPool.of(input) : undefined;
  const consumed = pool && ((chunk: Buffer) => pool.consumed(chunk));

  extract.on('entry', (header, stream, next) => {
    // A destroyed extract destroys its current entry with the same error, which is reported once, below.
    stream.on('error', () => undefined);
    current = onEntry(header, stream as unknown as Readable);
    current.then(
      () => next(),
      (e) => {
        entryError ??= e;
        stream.resume();
        extract.destroy(e);
      },
    );
  });
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      if (extract.write(chunk)) cb();
      else extract.once('drain', () => cb());
    },
    final(cb) {
      extract.once('finish', () => cb());
      extract.once('error', (e: Error) => cb(e));
      (extract as unknown as { end(): void }).end();
    },
    destroy(err, cb) {
      extract.destroy(err ?? undefined);
      cb(err);
    },
  });
  // The extract fails on its own (bad header, an entry we refused): fail the pipeline with it.
  extract.on('error', (e: Error) => sink.destroy(e));

  async function onEntry(header: tar.Header, stream: Readable): Promise<void> {
    throwIfAborted(opts.signal);
    if (++entries > MAX_ARCHIVE_FILES) {
      throw new CompareError('hostileArchive', `${where}: the archive holds more than ${MAX_ARCHIVE_FILES} files (a docker save or OCI archive holds a few per layer); refusing it`);
    }
    const name = header.name ?? '';
    const path = safeRelativeName(name, where);
    const size = header.size ?? 0;
    if (size > ABSURD_ENTRY_SIZE || size < 0) throw hostile(where, name, `claims an absurd size (${size} bytes)`);
    // Only regular files carry data; tar-stream waits forever for a directory's claimed bytes when the tar ends first.
    if (size > 0 && header.type && !['file', 'contiguous-file'].includes(header.type)) throw hostile(where, name, `is a ${header.type} that claims ${size} bytes of content`);
    if (header.type === 'symlink' || header.type === 'link') {
      const target = header.type === 'symlink' ? posix.join(posix.dirname(path), header.linkname ?? '') : posix.normalize(header.linkname ?? '');
      if (!header.linkname || header.linkname.startsWith('/') || target === '..' || target.startsWith('../')) {
        throw hostile(where, name, `links to "${header.linkname}", outside the archive`);
      }
      links.set(path, target);
      stream.resume();
      return;
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') {
      stream.resume();
      return;
    }
    const head = await peek(stream);
    const kind = sniff(head.chunk);
    const digest = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path)?.[1];
    if (path.endsWith('layer.tar') || kind === 'gzip' || kind === 'zstd' || kind === 'tar') {
      try {
        await onLayerEntry(path, kind, head, digest);
      } finally {
        opts.onLayer?.();
      }
      return;
    }
    if (size > MAX_METADATA) {
      unreadable.set(path, `${size} bytes, neither a layer nor metadata`);
      oversized.set(path, size);
      return drainRest(head.rest);
    }
    const bytes = await collect(head.rest);
    smallBytes += bytes.length;
    if (smallBytes > MAX_METADATA_TOTAL) {
      throw new CompareError('hostileArchive', `${where}: the archive's files other than layers add up to more than ${MAX_METADATA_TOTAL / 2 ** 20} MiB (a docker save of hundreds of images holds a few); refusing it`);
    }
    small.set(path, bytes);
  }

  /** A layer (layer.tar, or a blob that sniffs as one): indexed as it streams past, unless its index is cached. */
  async function onLayerEntry(path: string, kind: ReturnType<typeof sniff>, head: { rest: Readable; drain: () => Promise<void> }, digest: string | undefined): Promise<void> {
    if (await alreadyIndexed(digest && `sha256:${digest}`, opts)) return drainRest(head.rest);
    // The engine's own export keeps only small files: a larger one is exported again if it is ever opened (LayerStore).
    const writer = opts.cache.layers.createWriter({ smallFilesOnly });
    try {
      const layer = await processLayer(head.rest, { where: `${where}: ${inertName(path)}`, writer, signal: opts.signal, diffIdLater: opts.trustDiffIds, budget: opts.budget, consumed });
      if (opts.trustDiffIds) {
        pending.set(path, { layer, writer, body: encodeIndexBody(layer) });
        return;
      }
      await remember(opts.cache, layer);
      byPath.set(path, layer);
    } catch (e) {
      // A blob that merely looked like a tar is not an error until a manifest names it as a layer.
      if (e instanceof CompareError && e.reason === 'badArchive' && !path.endsWith('layer.tar') && kind !== 'gzip' && kind !== 'zstd') {
        unreadable.set(path, e.message);
        // The indexer stopped reading: the archive goes on only once this entry's bytes are read.
        return head.drain();
      }
      throw e;
    }
  }

  const counter = readAhead(
    (n) => {
      bytes += n;
      opts.onProgress?.(bytes);
    },
    !pool,
  );
  try {
    await pipeline(input, counter, decoderStream(() => undefined), sink, { signal: opts.signal });
  } catch (e) {
    await current.catch(() => undefined);
    await abortPending();
    throw explainStreamError(entryError ?? e, where);
  }

  async function abortPending(): Promise<void> {
    for (const { writer } of pending.values()) await writer.abort();
    pending.clear();
  }

  try {
    return await resolveContents();
  } finally {
    await abortPending(); // layers no image named
  }

  async function resolveContents(): Promise<ArchiveContents> {
    const resolve = (p: string): string => {
      for (let hops = 0; links.has(p); hops++) {
        if (hops > 16) throw new CompareError('hostileArchive', `${where}: "${inertName(p)}" is part of a link loop`);
        p = links.get(p)!;
      }
      return p;
    };
    const images = await readLayout(
      async (p) => {
        const path = resolve(p);
        const size = oversized.get(path);
        if (size !== undefined) throw tooLarge(where, p, size);
        return small.get(path);
      },
      where,
      opts.platform,
    );
    const indexed = new Map<string, ProcessedLayer>();
    // The named layers' bytes and indexes are written side by side, not one after the other: on the bench pair,
    // this step took 13-20 ms instead of 41-65.
    const commits: Promise<void>[] = [];
    let error: unknown;
    try {
      for (const image of images) {
        for (const [i, blob] of image.layers.entries()) {
          const path = resolve(blob.path);
          const waiting = pending.get(path);
          if (waiting) {
            // The daemon's own export: the config's diffID names the layer (digestHex refuses a malformed one).
            const diffId = image.diffIds[i];
            Object.assign(waiting.layer, { diffId, digest: waiting.layer.compression === 'none' ? diffId : waiting.layer.digest });
            verify(waiting.layer, diffId, blob.digest, `${where}: ${inertName(blob.path)}`);
            pending.delete(path);
            commits.push(waiting.writer.commit(diffId).then(() => remember(opts.cache, waiting.layer, waiting.body)));
            byPath.set(path, waiting.layer);
          }
          let layer = byPath.get(path);
          const buffered = small.get(path);
          if (!layer && buffered && !opts.cache.hasIndex(image.diffIds[i])) {
            // A tiny layer that did not look like one when it streamed past (no ustar magic).
            layer = await processLayer(Readable.from([buffered]), { where: `${where}: ${inertName(blob.path)}`, writer: opts.cache.layers.createWriter(), budget: opts.budget });
            await remember(opts.cache, layer);
          }
          if (layer) {
            verify(layer, image.diffIds[i], blob.digest, `${where}: ${inertName(blob.path)}`);
            indexed.set(layer.diffId, layer);
          } else if (!opts.cache.hasIndex(image.diffIds[i])) {
            const why = unreadable.get(path);
            throw new CompareError('badArchive', `${where}: layer ${i + 1} ("${inertName(blob.path)}") ${why ? `cannot be read: ${why}` : 'is missing from the archive'}`);
          }
        }
      }
    } catch (e) {
      error = e;
    }
    // Every write has ended before this returns or throws: nothing writes into the cache after.
    const failed = (await Promise.allSettled(commits)).find((r) => r.status === 'rejected');
    if (error || failed) throw error ?? (failed as PromiseRejectedResult).reason;
    return { images, indexed };
  }
}

/**
 * Reads an OCI image layout directory (`oci:DIR`): the index first, then only
 * the layer blobs that are not indexed yet. Blob paths come from digests and
 * are checked to stay inside DIR, links included.
 */
export async function readLayoutDir(dir: string, opts: ReadOptions): Promise<ArchiveContents> {
  const { where } = opts;
  const root = await realpath(dir).catch((e) => {
    throw new CompareError('badArchive', `${where}: cannot open the directory (${messageOf(e)})`);
  });
  const inside = async (p: string): Promise<string | undefined> => {
    const full = await realpath(join(root, ...p.split('/'))).catch(() => undefined);
    if (full && relative(root, full).split(sep)[0] === '..') throw hostile(where, p, 'resolves outside the layout directory');
    return full;
  };
  const images = await readLayout(
    async (p) => {
      const full = await inside(p);
      if (!full) return undefined;
      const { size } = await stat(full);
      if (size > MAX_METADATA) throw tooLarge(where, p, size);
      return readFile(full);
    },
    where,
    opts.platform,
  );
  const indexed = new Map<string, ProcessedLayer>();
  for (const image of images) {
    for (const [i, blob] of image.layers.entries()) {
      throwIfAborted(opts.signal);
      const diffId = image.diffIds[i];
      if (indexUsable(diffId, opts) || indexed.has(diffId)) continue;
      const full = await inside(blob.path);
      if (!full) throw new CompareError('badArchive', `${where}: layer ${i + 1} (${inertName(blob.path)}) is missing`);
      const writer = opts.cache.layers.createWriter();
      const layer = await processLayer(createReadStream(full), { where: `${where}: ${inertName(blob.path)}`, writer, signal: opts.signal, budget: opts.budget });
      verify(layer, diffId, blob.digest, `${where}: ${inertName(blob.path)}`);
      await remember(opts.cache, layer);
      indexed.set(diffId, layer);
    }
  }
  return { images, indexed };
}

function verify(layer: ProcessedLayer, diffId: string, digest: string | undefined, where: string): void {
  if (digest && layer.digest !== digest) {
    throw new CompareError('badArchive', `${where}: content does not match its digest (expected ${digest}, read ${layer.digest}); the archive is corrupt`);
  }
  if (layer.diffId !== diffId) {
    throw new CompareError('badArchive', `${where}: uncompressed content does not match the diffID in the image config (expected ${diffId}, read ${layer.diffId}); the archive is corrupt`);
  }
}

function explainStreamError(e: unknown, where: string): Error {
  if (e instanceof CompareError) return e;
  if ((e as Error)?.name === 'AbortError') return new CompareError('cancelled', 'Cancelled', { cause: e });
  const msg = messageOf(e);
  if (/unexpected end|premature close|aborted|ECONNRESET|socket hang up/i.test(msg)) {
    return new CompareError('badArchive', `${where}: the archive ends early (truncated, or the sender stopped: ${msg})`, { cause: e });
  }
  if ((e as { code?: string }).code?.startsWith('Z_')) {
    return new CompareError('badArchive', `${where}: the gzip data is corrupt (${msg})`, { cause: e });
  }
  return new CompareError('badArchive', `${where}: not a readable image archive (${msg})`, { cause: e });
}

/** Chunks handed on by readAhead: large enough that per-chunk stream overhead stops mattering. */
const CHUNK = 1 << 20;
/** How far reading may run ahead of indexing. */
const READ_AHEAD = 8 << 20;

/**
 * Keeps the source (the daemon's socket, a file) draining while indexing
 * catches up, so the exporter and the indexer work at the same time instead of
 * taking turns through a small socket buffer; and hands on ~1 MB chunks, so
 * the dozen stream stages behind it run a few hundred times per GB, not tens
 * of thousands. A source whose chunks are pooled (`regroup` false) already
 * hands on large ones, and its chunks go on as they are.
 */
function readAhead(onBytes: (n: number) => void, regroup: boolean): Transform {
  let parts: Buffer[] = [];
  let have = 0;
  return new Transform({
    writableHighWaterMark: CHUNK,
    readableHighWaterMark: READ_AHEAD,
    transform(chunk: Buffer, _e, cb) {
      onBytes(chunk.length);
      // A pooled source's chunks are handed on as they are: a copy would defeat the pool.
      if (!regroup) return cb(null, chunk);
      parts.push(chunk);
      have += chunk.length;
      if (have >= CHUNK) {
        this.push(parts.length === 1 ? parts[0] : Buffer.concat(parts, have));
        parts = [];
        have = 0;
      }
      cb();
    },
    flush(cb) {
      if (have) this.push(Buffer.concat(parts, have));
      cb();
    },
  });
}

/**
 * At least the first 512 bytes of a stream (enough to sniff), a stream that
 * yields everything from the start, and `drain` to read what a reader of
 * `rest` left unread.
 */
async function peek(stream: Readable): Promise<{ chunk: Buffer; rest: Readable; drain: () => Promise<void> }> {
  const it = stream[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < 512) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    parts.push(n.value as Buffer);
    have += (n.value as Buffer).length;
  }
  const chunk = Buffer.concat(parts);
  const rest = Readable.from(
    (async function* () {
      if (chunk.length) yield chunk;
      if (ended) return;
      for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Buffer;
    })(),
    { objectMode: false },
  );
  const drain = async () => {
    if (ended) return;
    for (let n = await it.next(); !n.done; n = await it.next()) void n;
  };
  return { chunk, rest, drain };
}

async function drainRest(s: Readable): Promise<void> {
  for await (const _ of s) void _;
}

async function collect(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
