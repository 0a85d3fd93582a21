import { posix } from 'node:path';
import { Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { ContentScanner } from './contentScanner';
import { CompareError, messageOf } from '../util/errors';
import { contentOf, type EntryType, type FileEntry } from '../image/model';
import { followSymlinks, hostile, layerPath, symlinkEscapes } from './paths';
import { EntryBudget, MAX_ENTRIES_PER_IMAGE, MAX_PATH_BYTES, tooManyEntries } from './limits';
import { inertName } from '../util/inert';
import type { SmallFilesWriter } from './cache';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** No real layer holds a single file this large; a header claiming it is hostile or corrupt. */
export const ABSURD_ENTRY_SIZE = 2 ** 40;
/** Symlink hops allowed when resolving, as Linux's MAXSYMLINKS. */
/** Entries between two turns of the event loop: signals and cancellation get a turn at least this often. */
const YIELD_EVERY = 2048;

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
 *
 * Paths are placed where the engine puts them when it applies the layer
 * (Docker's overlay2 and containerd both extract a layer into its own
 * directory, resolving symlinks inside that directory only): an entry below
 * a symlink this same layer created is written through it (`y -> /keep`,
 * then `y/b` is `/keep/b`), and refused when that leads nowhere in the layer,
 * as the engine refuses it; a symlink of a lower layer is not followed (the
 * merged views make its path a directory). An opaque marker at the root is
 * dropped: overlayfs ignores it there.
 */
export class LayerIndexer extends Writable {
  private readonly extract = tar.extract();
  private readonly byPath = new Map<string, FileEntry>();
  /** This layer's symlinks (path → target), to resolve the entries written through them. */
  private readonly links = new Map<string, string>();
  /** Directories this layer has: its directory entries' paths and every entry's ancestors. */
  private readonly dirs = new Set<string>(['/']);
  private readonly done: Promise<FileEntry[]>;
  private count = 0;

  constructor(
    private readonly where: string,
    private readonly budget = new EntryBudget(),
    /** Given each file it keeps as the file streams past (the layer store's small-files copy). */
    private readonly smallFiles?: SmallFilesWriter,
  ) {
    super();
    this.done = new Promise<FileEntry[]>((resolve, reject) => {
      this.extract.on('entry', (header, stream, next) => {
        // Its errors are the extract's, reported through entries().
        stream.on('error', () => undefined);
        // Millions of tiny entries are read without the event loop ever running otherwise.
        const proceed = ++this.count % YIELD_EVERY === 0 ? () => setImmediate(next) : next;
        try {
          this.onEntry(header, stream as unknown as EntryStream, proceed);
        } catch (e) {
          stream.resume();
          this.extract.destroy(e as Error);
        }
      });
      this.extract.on('finish', () => resolve([...this.byPath.values()]));
      this.extract.on('error', (e: Error) => {
        const err = this.wrap(e);
        reject(err);
        // A write waiting for the extract to drain would wait forever: fail the stream writing into us.
        this.destroy(err);
      });
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
    // Only regular files carry data; tar-stream waits forever for a directory's claimed bytes when the tar ends first.
    if (size > 0 && type && type !== 'file') throw hostile(where, name, `is a ${header.type} that claims ${size} bytes of content`);
    if (Buffer.byteLength(name) > MAX_PATH_BYTES) throw hostile(where, name, `is a name longer than ${MAX_PATH_BYTES} bytes (PATH_MAX)`);
    if (Buffer.byteLength(header.linkname ?? '') > MAX_PATH_BYTES) throw hostile(where, name, `links to a name longer than ${MAX_PATH_BYTES} bytes (PATH_MAX)`);
    let path = layerPath(name, where);
    if (path === '/' || !type) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const base = posix.basename(path);
    const dir = this.links.size ? this.throughLinks(posix.dirname(path), name) : posix.dirname(path);
    if (base === OPAQUE && dir === '/') {
      stream.on('end', next);
      stream.resume();
      return;
    }
    path = dir === '/' ? `/${base}` : `${dir}/${base}`;
    // The load's budget (all its images), and this layer alone, which can be no larger than its image.
    this.budget.take(where, 1, path.length + (header.linkname?.length ?? 0));
    if (this.count > MAX_ENTRIES_PER_IMAGE) throw tooManyEntries(where);
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
        throw hostile(where, name, `is a symlink to "${inertName(entry.linkTarget.slice(0, 200))}", outside the image`);
      }
    } else if (type === 'hardlink') {
      entry.linkTarget = layerPath(header.linkname ?? '', where);
      const target = this.byPath.get(entry.linkTarget);
      if (target?.type === 'file') {
        Object.assign(entry, contentOf(target));
      }
    }
    this.noteDirs(entry);
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
    const keep = entry.offset !== undefined && this.smallFiles?.keeps(size) ? this.smallFiles : undefined;
    if (keep) {
      let at = entry.offset!;
      stream.on('data', (chunk: Buffer) => {
        scanner.update(chunk);
        const w = keep.writeAt(at, chunk);
        at += chunk.length;
        // Behind the disk: the tar waits (this entry's buffer fills, the extract stops draining).
        if (w instanceof Promise) {
          stream.pause();
          void w.then(() => stream.resume());
        }
      });
    } else stream.on('data', (chunk: Buffer) => scanner.update(chunk));
    stream.on('end', () => {
      Object.assign(entry, scanner.finish());
      next();
    });
  }

  /** Records what this entry makes of its path and parents: a symlink to follow, a directory, or neither any more. */
  private noteDirs(entry: FileEntry): void {
    if (entry.type === 'symlink') this.links.set(entry.path, entry.linkTarget!);
    else if (entry.type !== 'opaque') this.links.delete(entry.path);
    if (entry.type === 'dir') this.dirs.add(entry.path);
    for (let d = posix.dirname(entry.path); !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d);
  }

  /**
   * The directory `dir` of this layer after following this layer's own
   * symlinks, as the engine resolves it (inside the layer's directory; `..`
   * stops at its root). A link to a directory the layer does not have makes
   * the engine fail to apply the layer: refused here too.
   */
  private throughLinks(dir: string, name: string): string {
    return followSymlinks(dir, {
      target: (p) => this.links.get(p),
      followed: (link, target, to) => {
        if (!this.dirs.has(to) && this.byPath.get(to)?.type !== 'dir') {
          throw hostile(this.where, name, `is written through the symlink "${inertName(link)}" (to "${inertName(target.slice(0, 200))}"), which leads to no directory of this layer; the engine refuses to apply such a layer`);
        }
        return true;
      },
      loop: () => {
        throw hostile(this.where, name, 'is written through a loop of symlinks');
      },
    })!;
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
  pause(): unknown;
  resume(): unknown;
}

