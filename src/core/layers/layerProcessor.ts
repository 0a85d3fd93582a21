import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { CompareError, messageOf } from '../util/errors';
import { LayerIndexer } from './layerIndexer';
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
  },
): Promise<ProcessedLayer> {
  const rawHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let compressedSize = 0;
  let size = 0;
  let compression: Compression | undefined;
  const indexer = new LayerIndexer(opts.where);
  const writer = opts.writer;

  // An uncompressed blob's digest is its diffID: hash it once, in the tap below.
  const decode = decoderStream((kind) => (compression = kind), (chunk) => {
    compressedSize += chunk.length;
    if (compression !== 'none') rawHash.update(chunk);
  });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      size += chunk.length;
      if (!opts.diffIdLater) tarHash.update(chunk);
      const w = writer?.write(chunk);
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

/**
 * A Transform that detects gzip or zstd on the first bytes and decodes, or
 * passes the bytes through unchanged. `onRaw` sees every input chunk.
 */
export function decoderStream(onDetect: (c: Compression) => void, onRaw?: (chunk: Buffer) => void): Transform {
  let decoder: Transform | undefined;
  let detected = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!detected) {
        detected = true;
        const kind = sniff(chunk);
        const compression: Compression = kind === 'gzip' || kind === 'zstd' ? kind : 'none';
        onDetect(compression);
        if (compression !== 'none') {
          decoder = compression === 'gzip' ? zlib.createGunzip() : zstdDecoder();
          decoder.on('data', (d: Buffer) => this.push(d));
          decoder.on('error', (e) => this.destroy(e));
        }
      }
      onRaw?.(chunk);
      if (!decoder) return cb(null, chunk);
      if (decoder.write(chunk)) cb();
      else decoder.once('drain', () => cb());
    },
    flush(cb) {
      if (!decoder) return cb();
      decoder.once('end', () => cb());
      decoder.end();
    },
  });
}

/** zstd as a Transform: Node's zlib has it from 22.15/23.8 only, fzstd is the pure-JS fallback. */
function zstdDecoder(): Transform {
  const native = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (native) return native();
  const out: Buffer[] = [];
  // Copied: fzstd may hand out views of its window, which later input overwrites.
  const dec = new ZstdDecompress((data) => out.push(Buffer.from(data)));
  const flushOut = (t: Transform) => {
    for (const b of out.splice(0)) t.push(b);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        dec.push(chunk);
        flushOut(this);
        cb();
      } catch (e) {
        cb(new Error(`zstd: ${messageOf(e)}`));
      }
    },
    flush(cb) {
      try {
        dec.push(new Uint8Array(0), true);
        flushOut(this);
        cb();
      } catch (e) {
        cb(new Error(`zstd: ${messageOf(e)}`));
      }
    },
  });
}
