import { posix } from 'node:path';
import { Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { ContentScanner } from './contentScanner';
import { CompareError, messageOf } from '../util/errors';
import { contentOf, type EntryType, type FileEntry } from '../image/model';
import { hostile, layerPath, symlinkEscapes } from './paths';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** No real layer holds a single file this large; a header claiming it is hostile or corrupt. */
export const ABSURD_ENTRY_SIZE = 2 ** 40;

const TYPES: Record<string, EntryType | undefined> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

/**
 * A Writable that indexes an uncompressed layer tar streamed into it, never
 * holding more than one chunk of it. `entries()` resolves once the tar has
 * been read to its end; structural problems reject it with a CompareError
 * naming `where` (the layer) and the entry.
 */
export class LayerIndexer extends Writable {
  private readonly extract = tar.extract();
  private readonly byPath = new Map<string, FileEntry>();
  private readonly done: Promise<FileEntry[]>;

  constructor(private readonly where: string) {
    super();
    this.done = new Promise<FileEntry[]>((resolve, reject) => {
      this.extract.on('entry', (header, stream, next) => {
        // Its errors are the extract's, reported through entries().
        stream.on('error', () => undefined);
        try {
          this.onEntry(header, stream as unknown as EntryStream, next);
        } catch (e) {
          stream.resume();
          this.extract.destroy(e as Error);
        }
      });
      this.extract.on('finish', () => resolve([...this.byPath.values()]));
      this.extract.on('error', (e: Error) => reject(this.wrap(e)));
    });
    // Callers await entries(); a rejection nobody awaited yet must not crash the process.
    this.done.catch(() => undefined);
  }

  entries(): Promise<FileEntry[]> {
    return this.done;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.extract.write(chunk)) cb();
    else this.extract.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    (this.extract as unknown as { end(): void }).end();
    this.done.then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.extract.destroy(err ?? undefined);
    cb(err);
  }

  private onEntry(header: tar.Header, stream: EntryStream, next: () => void): void {
    const where = this.where;
    const name = header.name ?? '';
    const type = header.type ? TYPES[header.type] : undefined;
    const size = header.size ?? 0;
    if (size > ABSURD_ENTRY_SIZE || size < 0) throw hostile(where, name, `claims an absurd size (${size} bytes)`);
    const path = layerPath(name, where);
    if (path === '/' || !type) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const base = posix.basename(path);
    const dir = posix.dirname(path);
    const entry: FileEntry = {
      path,
      type,
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      size: type === 'file' ? size : 0,
    };
    if (base === OPAQUE) {
      Object.assign(entry, { path: dir, type: 'opaque', size: 0 });
    } else if (base.startsWith(WHITEOUT)) {
      Object.assign(entry, { path: posix.join(dir, base.slice(WHITEOUT.length)), type: 'whiteout', size: 0 });
    } else if (type === 'symlink') {
      entry.linkTarget = header.linkname ?? '';
      if (symlinkEscapes(path, entry.linkTarget)) {
        throw hostile(where, name, `is a symlink to "${entry.linkTarget}", outside the image`);
      }
    } else if (type === 'hardlink') {
      entry.linkTarget = layerPath(header.linkname ?? '', where);
      const target = this.byPath.get(entry.linkTarget);
      if (target?.type === 'file') {
        Object.assign(entry, contentOf(target));
      }
    }
    // Keyed by the tar name: a directory and its opaque marker share entry.path but are two entries.
    // A later entry for the same name wins, and moves to the end.
    this.byPath.delete(path);
    this.byPath.set(path, entry);
    if (entry.type !== 'file') {
      stream.on('end', next);
      stream.resume();
      return;
    }
    // tar-stream's entry offset is where its header starts; the data follows one 512-byte block later.
    if (typeof stream.offset === 'number') entry.offset = stream.offset + 512;
    const scanner = new ContentScanner(path);
    stream.on('data', (chunk: Buffer) => scanner.update(chunk));
    stream.on('end', () => {
      Object.assign(entry, scanner.finish());
      next();
    });
  }

  private wrap(e: Error): Error {
    if (e instanceof CompareError) return e;
    const msg = messageOf(e);
    if (/unexpected end/i.test(msg)) {
      return new CompareError('badArchive', `${this.where}: the layer ends in the middle of an entry (truncated)`, { cause: e });
    }
    return new CompareError('badArchive', `${this.where}: not a readable tar (${msg})`, { cause: e });
  }
}

/** A tar-stream entry: a streamx Readable that also knows where its header started. */
interface EntryStream {
  offset?: number;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  resume(): unknown;
}

