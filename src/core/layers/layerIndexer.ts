import { posix } from 'node:path';
import { Writable } from 'node:stream';
import { ContentScanner } from './contentScanner';
import { TarParser, type TarHeader } from './tarParser';
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
/** Entries between two turns of the event loop: signals and cancellation get a turn at least this often. */
const YIELD_EVERY = 2048;
/** Bytes read between two turns of the event loop (feed()). */
const SLICE = 64 * 1024;

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
  private readonly parser = new TarParser({
    entry: (header, offset) => this.onEntry(header, offset),
    data: (chunk) => this.onData(chunk),
    end: () => this.onEnd(),
  });
  private readonly byPath = new Map<string, FileEntry>();
  /** This layer's symlinks (path → target), to resolve the entries written through them. */
  private readonly links = new Map<string, string>();
  /** Changes made to `links`, and throughLinks()'s last answer: from which directory, to which, at which change. */
  private linkEdits = 0;
  private resolvedFrom = '';
  private resolvedTo = '';
  private resolvedAt = -1;
  /** Directories this layer has: its directory entries' paths and every entry's ancestors. */
  private readonly dirs = new Set<string>(['/']);
  private readonly done: Promise<FileEntry[]>;
  private resolve!: (entries: FileEntry[]) => void;
  private reject!: (e: Error) => void;
  private count = 0;
  /** The regular file being read, and what its content is found to be. */
  private file: FileEntry | undefined;
  private scanner: ContentScanner | undefined;
  /** Where the current file's bytes go when the store keeps it, and at which offset of the tar the next ones are. */
  private keep: SmallFilesWriter | undefined;
  private at = 0;
  /** The store is behind: the next chunk waits for it. */
  private behind: Promise<void> | undefined;

  constructor(
    private readonly where: string,
    private readonly budget = new EntryBudget(),
    /** Given each file it keeps as the file streams past (the layer store's small-files copy). */
    private readonly smallFiles?: SmallFilesWriter,
    /** Told of each chunk once it is read and nothing keeps a reference into it (a ChunkPool's reader). */
    private readonly consumed?: (chunk: Buffer) => void,
  ) {
    super();
    this.done = new Promise<FileEntry[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Callers await entries(); a rejection nobody awaited yet must not crash the process.
    this.done.catch(() => undefined);
  }

  entries(): Promise<FileEntry[]> {
    return this.done;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.feed(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    try {
      this.parser.finish();
    } catch (e) {
      return cb(this.fail(e));
    }
    this.resolve([...this.byPath.values()]);
    cb();
  }

  /**
   * Reads a chunk SLICE bytes at a time, with a turn of the event loop after
   * each slice and every YIELD_EVERY entries (millions of tiny entries would
   * otherwise be read without one), and waits for the byte store when it is
   * behind. The turns are what lets a source on the same thread keep up: the
   * engine's export comes through a socket that holds ~200 KB, and while a
   * whole megabyte was read at once the engine sat blocked on it (on the
   * bench pair, the export ended 0.4 s later). Once the chunk is read, it is
   * reported consumed: nothing here keeps a reference into it.
   */
  private feed(chunk: Buffer, cb: (e?: Error | null) => void): void {
    let used: number;
    try {
      used = this.parser.push(chunk.length > SLICE ? chunk.subarray(0, SLICE) : chunk);
    } catch (e) {
      return cb(this.fail(e));
    }
    const behind = this.behind;
    this.behind = undefined;
    const rest = chunk.subarray(used);
    if (!rest.length) this.consumed?.(chunk);
    const go = rest.length ? () => setImmediate(() => (this.destroyed ? cb() : this.feed(rest, cb))) : () => cb();
    if (behind) void behind.then(go, go);
    else go();
  }

  private fail(e: unknown): Error {
    const err = this.wrap(e as Error);
    this.reject(err);
    return err;
  }

  private onData(chunk: Buffer): void {
    this.scanner?.update(chunk);
    if (!this.keep) return;
    // The file's first bytes (none written yet), binary from there on (the scanner has just looked for a NUL):
    // the store is asked again, and most binaries are not kept.
    const file = this.file!;
    if (this.at === file.offset && this.scanner!.binary && !this.keep.keeps({ path: file.path, size: file.size, text: false })) {
      this.keep = undefined;
      return;
    }
    const w = this.keep.writeAt(this.at, chunk);
    this.at += chunk.length;
    if (w instanceof Promise) this.behind = w;
  }

  private onEnd(): void {
    const file = this.file;
    if (!file) return;
    Object.assign(file, this.scanner!.finish());
    this.file = undefined;
    this.scanner = undefined;
    this.keep = undefined;
  }

  /** One entry's header: false asks the parser to stop for a turn of the event loop. */
  private onEntry(header: TarHeader, offset: number): boolean {
    const go = ++this.count % YIELD_EVERY !== 0;
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
    if (path === '/' || !type) return go;
    // layerPath() is canonical ("/a/b", no empty or dot segment): its last slash splits it.
    const slash = path.lastIndexOf('/');
    const base = path.slice(slash + 1);
    const parent = slash === 0 ? '/' : path.slice(0, slash);
    const dir = this.links.size ? this.throughLinks(parent, name) : parent;
    if (base === OPAQUE && dir === '/') return go;
    if (dir !== parent) path = dir === '/' ? `/${base}` : `${dir}/${base}`;
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
    if (entry.type !== 'file') return go;
    // The offset is where the entry's header starts; the data follows one 512-byte block later.
    entry.offset = offset + 512;
    this.file = entry;
    this.scanner = new ContentScanner(path, size);
    if (this.smallFiles?.keeps(entry)) {
      this.keep = this.smallFiles;
      this.at = entry.offset;
    }
    return go;
  }

  /** Records what this entry makes of its path and parents: a symlink to follow, a directory, or neither any more. */
  private noteDirs(entry: FileEntry): void {
    if (entry.type === 'symlink') {
      this.links.set(entry.path, entry.linkTarget!);
      this.linkEdits++;
    } else if (entry.type !== 'opaque' && this.links.delete(entry.path)) this.linkEdits++;
    if (entry.type === 'dir') this.dirs.add(entry.path);
    for (let d = parentOf(entry.path); !this.dirs.has(d); d = parentOf(d)) this.dirs.add(d);
  }

  /**
   * The directory `dir` of this layer after following this layer's own
   * symlinks, as the engine resolves it (inside the layer's directory; `..`
   * stops at its root). A link to a directory the layer does not have makes
   * the engine fail to apply the layer: refused here too.
   */
  private throughLinks(dir: string, name: string): string {
    // Entries come directory by directory: the last answer holds while this layer's links are the same
    // (whether a link leads to a directory only changes from no to yes as entries come).
    if (dir === this.resolvedFrom && this.linkEdits === this.resolvedAt) return this.resolvedTo;
    this.resolvedTo = this.follow(dir, name);
    this.resolvedFrom = dir;
    this.resolvedAt = this.linkEdits;
    return this.resolvedTo;
  }

  private follow(dir: string, name: string): string {
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

/** The parent of a canonical absolute path ("/" for "/" and for "/a"). */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
