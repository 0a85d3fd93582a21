import { posix } from 'node:path';
import { contentOf, type FileEntry } from '../image/model';
import { runAsync, runSync, STEP, type Steps } from '../util/turns';
import { followSymlinks } from './paths';

/** A file of the merged filesystem, with the layer that last wrote it. */
export interface MergedEntry extends FileEntry {
  layer: number;
}

interface Node {
  entry?: MergedEntry;
  children?: Map<string, Node>;
}

/** Symlink hops allowed when resolving, as Linux's MAXSYMLINKS. */

/**
 * The filesystem an image presents: its layers applied in order, whiteouts
 * and opaque directories honoured (as overlayfs does). A trie, so deleting a
 * directory deletes its subtree in one step.
 */
export class FileTree {
  private readonly root: Node = { children: new Map() };
  private count = 0;

  static merge(indexes: readonly FileEntry[][]): FileTree {
    return runSync(FileTree.mergeSteps(indexes));
  }

  /** merge with turns of the event loop (and `signal` checked) while it works: a huge image takes seconds. */
  static mergeAsync(indexes: readonly FileEntry[][], signal?: AbortSignal): Promise<FileTree> {
    return runAsync(FileTree.mergeSteps(indexes), signal);
  }

  private static *mergeSteps(indexes: readonly FileEntry[][]): Steps<FileTree> {
    const tree = new FileTree();
    for (const [layer, entries] of indexes.entries()) yield* tree.apply(entries, layer);
    return tree;
  }

  get size(): number {
    return this.count;
  }

  private *apply(entries: readonly FileEntry[], layer: number): Steps<void> {
    let i = 0;
    // Markers hide what lower layers had; they never hide this layer's own entries. Whiteouts
    // first: a directory this layer both deletes and marks opaque (or writes into) is there.
    for (const e of entries) {
      if (++i % STEP === 0) yield;
      if (e.type !== 'whiteout') continue;
      const parent = this.ensure(posix.dirname(e.path), layer, true);
      const child = parent.children?.get(posix.basename(e.path));
      if (child) {
        this.count -= countBelow(child) + (child.entry ? 1 : 0);
        parent.children!.delete(posix.basename(e.path));
      }
    }
    for (const e of entries) {
      // overlayfs ignores an opaque root (the engine shows the lower layers' files all the same).
      if (e.type !== 'opaque' || e.path === '/') continue;
      // The marker lives inside the directory: the layer has it as a directory.
      const n = this.ensure(e.path, layer, true);
      if (n.children) {
        this.count -= countBelow(n);
        n.children.clear();
      }
    }
    for (const e of entries) {
      if (++i % STEP === 0) yield;
      if (e.type === 'opaque' || e.type === 'whiteout') continue;
      const n = this.ensure(e.path, layer);
      if (!n.entry) this.count++;
      if (e.type !== 'dir' && n.children?.size) {
        // A file replacing a directory hides everything that was below it.
        this.count -= countBelow(n);
        n.children.clear();
      }
      const merged: MergedEntry = { ...e, layer };
      if (e.type === 'hardlink' && merged.sha256 === undefined && e.linkTarget) {
        const target = this.get(e.linkTarget);
        if (target) Object.assign(merged, { ...contentOf(target), offset: merged.offset });
      }
      n.entry = merged;
    }
  }

  /** A non-directory a layer writes below becomes a directory of that layer, as the engine makes it. */
  private unset(n: Node, path: string, layer: number): void {
    n.entry = { ...implicitDir(path), layer };
  }

  get(path: string): MergedEntry | undefined {
    return this.find(path)?.entry;
  }

  has(path: string): boolean {
    return path === '/' || this.find(path) !== undefined;
  }

  /** Direct children of a directory, sorted by name; undefined when `dir` is not there. */
  list(dir: string): MergedEntry[] | undefined {
    const n = this.find(dir);
    if (!n) return undefined;
    const out: MergedEntry[] = [];
    for (const name of [...(n.children?.keys() ?? [])].sort()) {
      const c = n.children!.get(name)!;
      out.push(c.entry ?? implicitDir(posix.join(dir, name)));
    }
    return out;
  }

  /** Every entry, depth-first in path order. */
  *entries(): IterableIterator<MergedEntry> {
    function* walk(n: Node, path: string): IterableIterator<MergedEntry> {
      if (!n.children) return;
      for (const name of [...n.children.keys()].sort()) {
        const c = n.children.get(name)!;
        const p = path === '/' ? `/${name}` : `${path}/${name}`;
        yield c.entry ?? implicitDir(p);
        yield* walk(c, p);
      }
    }
    yield* walk(this.root, '/');
  }

  /**
   * Follows symlinks the way the kernel does inside the container: absolute
   * targets and `..` at the root stay inside the image. Returns the final
   * path and entry, or undefined for a dangling link or a loop.
   */
  resolve(path: string): { path: string; entry: MergedEntry } | undefined {
    const final = followSymlinks(path, {
      target: (p) => {
        const e = this.get(p);
        return e?.type === 'symlink' ? e.linkTarget : undefined;
      },
      plain: (p) => this.has(p),
      loop: () => undefined,
    });
    if (final === undefined) return undefined;
    const entry = final === '/' ? implicitDir('/') : this.get(final) ?? (this.has(final) ? implicitDir(final) : undefined);
    return entry && { path: final, entry };
  }

  private find(path: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const part of path.split('/')) {
      if (!part) continue;
      n = n.children?.get(part);
      if (!n) return undefined;
    }
    return n;
  }

  /**
   * The node of `path`, creating missing directories. A layer that writes
   * below a path a lower layer made a file or a symlink gets a directory
   * there: the engine applies the layer into its own directory (the lower
   * symlink is not followed) and overlayfs shows that directory on top.
   */
  private ensure(path: string, layer: number, dir = false): Node {
    let n = this.root;
    let at = '';
    for (const part of path.split('/')) {
      if (!part) continue;
      if (n.entry && n.entry.type !== 'dir') this.unset(n, at, layer);
      n.children ??= new Map();
      let c = n.children.get(part);
      if (!c) n.children.set(part, (c = {}));
      n = c;
      at += `/${part}`;
    }
    // The directory a marker is in: the layer has it as a directory too.
    if (dir && n.entry && n.entry.type !== 'dir') this.unset(n, at, layer);
    return n;
  }
}

function countBelow(n: Node): number {
  let c = 0;
  for (const child of n.children?.values() ?? []) c += (child.entry ? 1 : 0) + countBelow(child);
  return c;
}

/** Layers may add a/b/c without an entry for a/b; such directories exist all the same. */
export function implicitDir(path: string): MergedEntry {
  return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, layer: -1 };
}
