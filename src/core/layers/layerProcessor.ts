import { createHash } from 'node:crypto';
import { Duplex, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lazy } from '../util/lazy';
import { CompareError, messageOf } from '../util/errors';
import { LayerIndexer } from './layerIndexer';
import { ZstdDecoder } from './zstd';
import type { EntryBudget } from './limits';
import type { LayerWriter } from './cache';
import type { LayoutImage } from '../image/layout';
import type { FileEntry } from '../image/model';

export type Compression = 'none' | 'gzip' | 'zstd';

export interface ProcessedLayer {
  /** sha256 of the blob as read (compressed): the OCI blob digest. */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  compression: Compression;
  compressedSize: number;
  size: number;
  entries: FileEntry[];
}

/** What one read of an image source (archive, layout, registry) gives: its images, and the layers it indexed. */
export interface ArchiveContents {
  images: LayoutImage[];
  /** Layers indexed during this read, by diffID. Layers absent here were already in the cache. */
  indexed: Map<string, ProcessedLayer>;
}

/** What the first bytes of a blob say it is. */
export function sniff(head: Buffer): Compression | 'tar' | 'json' | 'unknown' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  // An empty layer is two zero blocks; a v7 tar has no magic, but starts with a name.
  if (head.length >= 512 && head.subarray(0, 512).every((b) => b === 0)) return 'tar';
  const first = head.toString('latin1', 0, Math.min(head.length, 64)).trimStart()[0];
  if (first === '{' || first === '[') return 'json';
  return 'unknown';
}

/**
 * Reads one layer blob (uncompressed, gzip or zstd) exactly once: hashes the
 * blob and the uncompressed tar, copies the uncompressed bytes to the layer
 * store, and builds the file index, all while streaming.
 */
export async function processLayer(
  blob: Readable,
  opts: {
    where: string;
    writer?: LayerWriter;
    signal?: AbortSignal;
    /**
     * The diffID will be supplied by the caller (it comes from a source that
     * computed it, the daemon's own export): skip hashing the tar, leave
     * `diffId` empty and the writer uncommitted for the caller to commit.
     */
    diffIdLater?: boolean;
    /** What this load may still keep in memory of indexes (limits.ts); by default one image's worth for this layer alone. */
    budget?: EntryBudget;
    /** Told of each chunk of `blob` once it is read and nothing here keeps a reference into it (ChunkPool). */
    consumed?: (chunk: Buffer) => void;
  },
): Promise<ProcessedLayer> {
  const rawHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let compressedSize = 0;
  let size = 0;
  let compression: Compression | undefined;
  const writer = opts.writer;
  // A small-files writer is handed the files the indexer finds; any other is handed the whole tar, below.
  const whole = writer && !writer.smallFiles ? writer : undefined;
  // A whole-layer writer queues the chunks themselves: then none is reported consumed.
  const indexer = new LayerIndexer(opts.where, opts.budget, writer?.smallFiles, whole ? undefined : opts.consumed);

  // An uncompressed blob's digest is its diffID: hash it once, in the tap below.
  const decode = decoderStream((kind) => (compression = kind), (chunk) => {
    compressedSize += chunk.length;
    if (compression !== 'none') rawHash.update(chunk);
  });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      size += chunk.length;
      if (!opts.diffIdLater) tarHash.update(chunk);
      const w = whole?.write(chunk);
      if (w instanceof Promise) w.then(() => cb(null, chunk), cb);
      else cb(null, chunk);
    },
  });

  try {
    await pipeline(blob, decode, tap, indexer, { signal: opts.signal });
    const entries = await indexer.entries();
    const diffId = opts.diffIdLater ? '' : `sha256:${tarHash.digest('hex')}`;
    if (!opts.diffIdLater) await writer?.commit(diffId);
    return {
      digest: compression === 'none' || !compression ? diffId : `sha256:${rawHash.digest('hex')}`,
      diffId,
      compression: compression ?? 'none',
      compressedSize,
      size,
      entries,
    };
  } catch (e) {
    await writer?.abort();
    throw explain(e, opts.where, compression);
  }
}

function explain(e: unknown, where: string, compression: Compression | undefined): Error {
  if (e instanceof CompareError) return e;
  if ((e as Error)?.name === 'AbortError') return new CompareError('cancelled', 'Cancelled', { cause: e });
  const msg = messageOf(e);
  if (compression === 'gzip' && (e as { code?: string }).code?.startsWith('Z_')) {
    return new CompareError('badArchive', `${where}: the gzip data is corrupt or truncated (${msg})`, { cause: e });
  }
  if (compression === 'zstd' && /zstd|invalid|unexpected/i.test(msg)) {
    return new CompareError('badArchive', `${where}: the zstd data is corrupt or truncated (${msg})`, { cause: e });
  }
  if (/premature close|unexpected end/i.test(msg)) {
    return new CompareError('badArchive', `${where}: the layer ends early (truncated)`, { cause: e });
  }
  return new CompareError('badArchive', `${where}: ${msg}`, { cause: e });
}

/** Output the zstd decoder hands on before it waits for its reader: a 140 KiB frame can hold 4 GiB. */
const ZSTD_STEP = 1 << 20;

/**
 * A stream that detects gzip or zstd on the first bytes and decodes, or
 * passes the bytes through unchanged. `onRaw` sees every input chunk.
 * Whatever the compression ratio, it holds a bounded amount of output: it
 * decodes only as fast as its reader reads (gzip through zlib's own
 * backpressure, zstd a step at a time), and yields to the event loop between
 * zstd steps, so that a bomb stays cancellable.
 */
export function decoderStream(onDetect: (c: Compression) => void, onRaw?: (chunk: Buffer) => void): Duplex {
  return new Decoder(onDetect, onRaw);
}

class Decoder extends Duplex {
  private detected = false;
  /** gzip (or Node's own zstd): a stream whose output is read as this stream is read. */
  private inner?: Transform;
  private zstd?: ZstdDecoder;
  /** Waiting for the reader: what to do when it asks for more. */
  private wake?: () => void;
  private full = false;

  constructor(
    private readonly onDetect: (c: Compression) => void,
    private readonly onRaw?: (chunk: Buffer) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (!this.detected) this.detect(chunk);
    this.onRaw?.(chunk);
    if (this.inner) {
      if (this.inner.write(chunk)) cb();
      else this.inner.once('drain', () => cb());
    } else if (this.zstd) this.decodeZstd(chunk, false, cb);
    else {
      this.full = !this.push(chunk);
      if (this.full) this.wake = () => cb();
      else cb();
    }
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.inner) {
      this.inner.once('end', () => {
        this.push(null);
        cb();
      });
      this.inner.end();
    } else if (this.zstd) {
      this.decodeZstd(Buffer.alloc(0), true, (e) => {
        if (!e) this.push(null);
        cb(e);
      });
    } else {
      this.push(null);
      cb();
    }
  }

  override _read(): void {
    this.full = false;
    const wake = this.wake;
    this.wake = undefined;
    // On the next turn, not now: the reader asks from inside push() and process.nextTick, and waking
    // here would decode a whole bomb without the event loop (signals, cancellation) ever running.
    if (wake) setImmediate(wake);
    this.inner?.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.inner?.destroy();
    this.wake = undefined;
    cb(err);
  }

  private detect(chunk: Buffer): void {
    this.detected = true;
    const kind = sniff(chunk);
    const compression: Compression = kind === 'gzip' || kind === 'zstd' ? kind : 'none';
    this.onDetect(compression);
    const zlib = lazy.zlib();
    const native = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (compression === 'gzip' || (compression === 'zstd' && native)) {
      const inner = compression === 'gzip' ? zlib.createGunzip() : native!();
      inner.on('data', (d: Buffer) => {
        if (!this.push(d)) inner.pause();
      });
      inner.on('error', (e) => this.destroy(e));
      this.inner = inner;
    } else if (compression === 'zstd') {
      // Blocks are fresh buffers the decoder never touches again: wrapped, not copied.
      this.zstd = new ZstdDecoder((b) => {
        if (!this.push(Buffer.from(b.buffer, b.byteOffset, b.length))) this.full = true;
      });
    }
  }

  /** Feeds `chunk` to the zstd decoder a step at a time, waiting for the reader whenever it is behind. */
  private decodeZstd(chunk: Buffer, final: boolean, cb: (e?: Error | null) => void): void {
    let input: Buffer = chunk;
    const step = (): void => {
      if (this.destroyed) return;
      let more: boolean;
      try {
        more = this.zstd!.push(input, final, ZSTD_STEP);
      } catch (e) {
        return cb(new Error(`zstd: ${messageOf(e)}`));
      }
      input = EMPTY;
      if (!more) return cb();
      if (this.full) this.wake = step;
      else setImmediate(step);
    };
    step();
  }
}

const EMPTY = Buffer.alloc(0);
