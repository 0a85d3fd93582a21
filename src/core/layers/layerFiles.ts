import { randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, open, openSync, readSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import type { LayerFiles } from '../image/daemon';
import { lazy } from '../util/lazy';
import { CompareError, messageOf } from '../util/errors';
import { safeRelativeName } from './paths';
import { inertName } from '../util/inert';

/**
 * Files up to this size are read whole, synchronously: from the page cache
 * that is a few microseconds, where an asynchronous open, read and close
 * cost tens on the main thread, and a layer has tens of thousands of them.
 * A batch (DIR_LOOKAHEAD files) blocks for well under a millisecond.
 */
const SMALL_FILE = 256 * 1024;
/** How many files a directory read opens ahead of the one being copied. */
const DIR_LOOKAHEAD = 16;
/** Out-of-order files up to this size are kept in memory, up to MEMORY_SPILL in all; the rest go to a temp file. */
const SMALL_SPILL = 64 * 1024;
const MEMORY_SPILL = 16 * 2 ** 20;
/** How far a tar of a layer's directory is read ahead of the file being copied. */
const READ_AHEAD = 4 * 2 ** 20;

/** A tar name as a relative path without "./", a trailing "/" or `prefix`; refuses names that climb out. */
function relativeName(name: string, where: string, prefix = ''): string {
  const rel = safeRelativeName(name, where);
  if (!prefix) return rel;
  if (rel === prefix) return '';
  if (!rel.startsWith(`${prefix}/`)) throw new CompareError('badArchive', `${where}: "${inertName(name)}" is outside ${prefix}/`);
  return rel.slice(prefix.length + 1);
}

function openNoFollow(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, READ_NO_FOLLOW, (e, fd) => (e ? reject(e) : resolve(fd))));
}

const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/** A small file whole; one byte more than expected is asked for, so a file that grew is noticed. */
function readSmall(path: string, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size + 1);
  const fd = openSync(path, READ_NO_FOLLOW);
  let got = 0;
  try {
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, null);
  } finally {
    closeSync(fd);
  }
  return buf.subarray(0, got);
}

/**
 * A layer's files in a local directory (overlay2's `diff` directory of the
 * layer, read directly). Names come from the engine's own record of the
 * layer; the last component is opened without following a symlink, and
 * reassembleLayer checks each size, the caller the whole layer's sha256.
 */
export function directoryFiles(dir: string, where: string): LayerFiles {
  return {
    lookahead: DIR_LOOKAHEAD,
    async open(name, size) {
      const path = join(dir, relativeName(name, where));
      try {
        if (size <= SMALL_FILE) return readSmall(path, size);
        return createReadStream('', { fd: await openNoFollow(path), highWaterMark: 256 << 10 });
      } catch (e) {
        throw new CompareError('io', `${where}: cannot read "${inertName(name)}" from the layer's directory (${(e as NodeJS.ErrnoException).code ?? messageOf(e)})`, { cause: e });
      }
    },
    async close() {},
  };
}

/** An entry of tar-stream's extract, read as a stream. */
type TarEntry = Readable & { header: tar.Header };

interface Spilled {
  size: number;
  /** In memory, or at `offset` in the spill file. */
  buf?: Buffer;
  offset?: number;
}

/**
 * A layer's files from a tar of its directory (the engine's archive
 * endpoint, which walks the directory in its own order: names sorted, where
 * the layer's tar may have another order, e.g. an imported layer). Files
 * asked for in the stream's order are handed straight through; a file that
 * comes before its turn is set aside (small ones in memory, the rest in a
 * temp file in `spillDir`) until it is asked for. Hard links in the stream
 * are followed to the file they name.
 */
export function tarFiles(stream: Readable, opts: { where: string; prefix: string; spillDir: string }): LayerFiles {
  const { where, prefix } = opts;
  const extract = lazy.tarStream().extract();
  // Read ahead of the tar: the engine keeps producing while files are indexed, instead of both taking turns through a socket buffer.
  const ahead = new PassThrough({ highWaterMark: READ_AHEAD });
  stream.on('error', (e) => extract.destroy(e));
  ahead.on('error', (e) => extract.destroy(e));
  stream.pipe(ahead).pipe(extract as unknown as NodeJS.WritableStream);
  const entries = (extract as unknown as AsyncIterable<TarEntry>)[Symbol.asyncIterator]();
  const spilled = new Map<string, Spilled>();
  const links = new Map<string, string>();
  let memory = 0;
  let spillFile: { path: string; fd: number; size: number } | undefined;
  let ended = false;
  // The stream handed out last: the tar cannot move on until it has been read.
  let current: Promise<void> = Promise.resolve();

  // Set aside and read back synchronously: the spill file is in the page cache, and an asynchronous
  // write or read per file would cost more than the copy.
  const spill = async (name: string, entry: Readable, size: number): Promise<void> => {
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (size <= SMALL_SPILL && memory + size <= MEMORY_SPILL) {
      memory += buf.length;
      spilled.set(name, { size: buf.length, buf });
      return;
    }
    if (!spillFile) {
      const path = join(opts.spillDir, `spill.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      spillFile = { path, fd: openSync(path, 'w+'), size: 0 };
    }
    const offset = spillFile.size;
    for (let done = 0; done < buf.length; ) done += writeSync(spillFile.fd, buf, done, buf.length - done, offset + done);
    spillFile.size += buf.length;
    spilled.set(name, { size: buf.length, offset });
  };

  const fromSpill = (s: Spilled): Buffer | Readable => {
    if (s.buf) return s.buf;
    const buf = Buffer.allocUnsafe(s.size);
    for (let done = 0; done < s.size; ) {
      const n = readSync(spillFile!.fd, buf, done, s.size - done, s.offset! + done);
      if (n === 0) throw new CompareError('io', `${where}: the temp file ${spillFile!.path} ends early`);
      done += n;
    }
    return buf;
  };

  return {
    lookahead: 0,
    async open(name) {
      await current;
      const want = relativeName(name, where);
      for (;;) {
        const key = links.get(want) ?? want;
        const s = spilled.get(key);
        if (s) return fromSpill(s);
        if (ended) throw new CompareError('badArchive', `${where}: "${inertName(name)}" is not in the layer's directory`);
        const n = await entries.next();
        if (n.done) {
          ended = true;
          continue;
        }
        const entry = n.value;
        const h = entry.header;
        const got = relativeName(h.name, where, prefix);
        if (h.type === 'link') {
          links.set(got, relativeName(h.linkname ?? '', where, prefix));
          entry.resume();
          await new Promise<void>((r) => entry.once('end', () => r()));
          continue;
        }
        const hasContent = (h.type === 'file' || h.type === 'contiguous-file') && (h.size ?? 0) > 0;
        if (hasContent && got === key) {
          let finished!: () => void;
          current = new Promise<void>((r) => (finished = r));
          const out = Readable.from(entry as unknown as AsyncIterable<Buffer>, { objectMode: false });
          out.once('close', () => finished());
          return out;
        }
        if (hasContent) await spill(got, entry as unknown as Readable, h.size ?? 0);
        else {
          entry.resume();
          await new Promise<void>((r) => entry.once('end', () => r()));
        }
      }
    },
    async close() {
      try {
        await entries.return?.();
      } catch {
        // the stream failed already; nothing left to free
      }
      stream.destroy();
      if (spillFile) {
        closeSync(spillFile.fd);
        await rm(spillFile.path, { force: true });
      }
    },
  };
}
