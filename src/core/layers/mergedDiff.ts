import { contentOf, type FileEntry } from '../image/model';
import { implicitDir } from './fileTree';
import { runSync, STEP, type Steps } from '../util/turns';

/** One layer's entries by path, with its deletion markers apart. */
export interface LayerView {
  files: Map<string, FileEntry>;
  whiteouts: Set<string>;
  opaques: Set<string>;
  /**
   * Directories the layer has without an entry of its own: the parents of
   * what it writes (tars may omit them), an opaque directory. The engine
   * creates them in the layer, so they replace a lower file or symlink.
   */
  dirs: Set<string>;
}

function* view(entries: readonly FileEntry[]): Steps<LayerView> {
  const v: LayerView = { files: new Map(), whiteouts: new Set(), opaques: new Set(), dirs: new Set() };
  let i = 0;
  for (const e of entries) {
    if (++i % STEP === 0) yield;
    if (e.type === 'whiteout') v.whiteouts.add(e.path);
    else if (e.type === 'opaque') v.opaques.add(e.path);
    else v.files.set(e.path, e);
  }
  const implied = (d: string) => {
    for (; d !== '/' && !v.dirs.has(d); d = d.slice(0, d.lastIndexOf('/')) || '/') v.dirs.add(d);
  };
  // A tar lists a directory's entries together: an entry in the same directory
  // as the one before has nothing new to imply, and costs no string.
  let last = '';
  for (const e of entries) {
    if (++i % STEP === 0) yield;
    const p = e.path;
    if (e.type === 'opaque') {
      if (p !== '/') implied(p);
      continue;
    }
    const cut = p.lastIndexOf('/');
    if (cut === last.length && cut > 0 && p.startsWith(last)) continue;
    last = p.slice(0, cut) || '/';
    implied(last);
  }
  // The directories the layer lists itself are not implicit.
  for (const d of v.dirs) if (v.files.has(d)) v.dirs.delete(d);
  return v;
}

/**
 * Answers "what is at this path in the merged filesystem" by looking down
 * the layers, the way overlayfs does, without merging the whole image.
 */
export class MergedLookup {
  private readonly views: LayerView[];
  private readonly blocks = new Map<string, number[]>();
  /** By `below`: the highest layer under it that hides what is below each directory (stopBelow). */
  private readonly stops = new Map<number, Map<string, number>>();

  /** `shared` lets two images reuse the views of the layers they share (keyed by diffID). */
  constructor(indexes: readonly FileEntry[][], diffIds?: readonly string[], shared?: Map<string, LayerView>, views?: LayerView[]) {
    this.views = views ?? runSync(MergedLookup.viewSteps(indexes, diffIds, shared));
  }

  /** The lookup, built a step at a time (util/turns.ts): an index of a million entries takes a second. */
  static *build(indexes: readonly FileEntry[][], diffIds?: readonly string[], shared?: Map<string, LayerView>): Steps<MergedLookup> {
    return new MergedLookup(indexes, diffIds, shared, yield* MergedLookup.viewSteps(indexes, diffIds, shared));
  }

  private static *viewSteps(indexes: readonly FileEntry[][], diffIds?: readonly string[], shared?: Map<string, LayerView>): Steps<LayerView[]> {
    const views: LayerView[] = [];
    for (const [i, entries] of indexes.entries()) {
      const key = diffIds?.[i];
      let v = key ? shared?.get(key) : undefined;
      if (!v) {
        v = yield* view(entries);
        if (key) shared?.set(key, v);
      }
      views.push(v);
    }
    return views;
  }

  /** The layer views, for a caller that scans several lookups' layers once each. */
  get layerViews(): readonly LayerView[] {
    return this.views;
  }

  /** Whether a layer below `below` has a directory at `p` only implicitly (the lookup shows none over nothing). */
  impliedBelow(p: string, below: number): boolean {
    for (let l = 0; l < below; l++) if (this.views[l].dirs.has(p)) return true;
    return false;
  }

  /**
   * The entry visible at `p` and its layer, looking only at layers below
   * `below` (default: all). A directory a layer has only implicitly (see
   * LayerView.dirs) shows the lower directory when there is one; over a lower
   * file or symlink it is a directory of the (lowest) layer that implied it,
   * as FileTree makes it; over nothing it is not compared (FileTree shows an
   * implicit directory of layer -1 there, which no comparison counts).
   */
  get(p: string, below = this.views.length): { entry: FileEntry; layer: number } | undefined {
    // The highest layer below `below` that deletes an ancestor, makes it opaque or puts a non-directory there: nothing lower shows.
    const stop = this.stopBelow(p.slice(0, p.lastIndexOf('/')), below);
    let implied = -1;
    for (let l = below - 1; l >= 0 && l >= stop; l--) {
      const v = this.views[l];
      const e = v.files.get(p);
      if (e) {
        if (implied >= 0 && e.type !== 'dir') return { entry: implicitDir(p), layer: implied };
        if (e.type === 'hardlink' && e.sha256 === undefined && e.linkTarget) {
          // A hardlink to a file of a lower layer carries no content facts of its own.
          const t = this.get(e.linkTarget, l + 1);
          // Offsets point into one layer tar: a target in another layer lends its content facts, not its offset.
          if (t) return { entry: { ...e, ...contentOf(t.entry), offset: e.offset }, layer: l };
        }
        return { entry: e, layer: l };
      }
      if (v.dirs.has(p)) implied = l;
      if (v.whiteouts.has(p)) return undefined;
    }
    return undefined;
  }

  /**
   * The highest layer below `below` that deletes directory `dir` or one of
   * its ancestors (the root aside), makes it opaque or puts a non-directory
   * there; -1 for none. Once per directory and `below`: a comparison looks up
   * thousands of paths in the same few hundred directories.
   */
  private stopBelow(dir: string, below: number): number {
    if (dir === '') return -1;
    let byDir = this.stops.get(below);
    if (!byDir) this.stops.set(below, (byDir = new Map()));
    let stop = byDir.get(dir);
    if (stop === undefined) {
      stop = this.stopBelow(dir.slice(0, dir.lastIndexOf('/')), below);
      const ls = this.blockLayers(dir);
      for (let k = ls.length - 1; k >= 0; k--) {
        if (ls[k] < below) {
          if (ls[k] > stop) stop = ls[k];
          break;
        }
      }
      byDir.set(dir, stop);
    }
    return stop;
  }

  /**
   * The layers (ascending) that delete directory path `a`, make it opaque or
   * put a non-directory there, hiding what lower layers hold below it. Once
   * per path: the paths a comparison looks up share most of their ancestors.
   */
  private blockLayers(a: string): number[] {
    let ls = this.blocks.get(a);
    if (!ls) {
      ls = [];
      for (let l = 0; l < this.views.length; l++) {
        const v = this.views[l];
        const ae = v.files.get(a);
        if (v.whiteouts.has(a) || v.opaques.has(a) || (ae && ae.type !== 'dir')) ls.push(l);
      }
      this.blocks.set(a, ls);
    }
    return ls;
  }
}

/** Paths below any of `roots` that any of the layers mention (candidates; get() decides what is visible). */
function* below(views: Iterable<LayerView>, roots: ReadonlySet<string>, into: Set<string>): Steps<void> {
  const under = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) if (roots.has(p.slice(0, i))) return true;
    return false;
  };
  let i = 0;
  for (const v of views) {
    for (const set of [v.files.keys(), v.whiteouts, v.dirs]) {
      for (const p of set) {
        if (++i % STEP === 0) yield;
        if (under(p)) into.add(p);
      }
    }
  }
}

/**
 * The paths whose merged state can differ between two images: everything
 * the differing layers mention, plus — where a differing layer deletes or
 * replaces a directory — everything below it. Paths only identical layers
 * touch are the same on both sides (the alignment keeps identical layers in
 * order), so a 1 GB pair that differs in two layers costs two layers of work.
 */
export function* candidatePaths(
  a: MergedLookup,
  b: MergedLookup,
  differing: Array<{ image: 'a' | 'b'; layer: number; entries: readonly FileEntry[] }>,
): Steps<Set<string>> {
  const paths = new Set<string>();
  const roots = new Set<string>();
  let i = 0;
  for (const d of differing) {
    const self = d.image === 'a' ? a : b;
    // A directory a layer has only implicitly can replace a lower file or symlink.
    for (const p of self.layerViews[d.layer].dirs) paths.add(p);
    for (const e of d.entries) {
      if (++i % STEP === 0) yield;
      paths.add(e.path);
      if (e.type === 'opaque') roots.add(e.path);
      else if (e.type !== 'dir') {
        // A whiteout or a non-directory over a directory that was there before
        // (listed, or only implied by what a lower layer holds under it) takes
        // its subtree away. Over nothing, it takes nothing: what the other side
        // has there comes from a layer both share, or from one of its own
        // differing layers, and those paths are candidates already.
        const before = self.get(e.path, d.layer);
        if (before ? before.entry.type === 'dir' : self.impliedBelow(e.path, d.layer)) roots.add(e.path);
      }
    }
  }
  // A subtree present on one side only is either mentioned by a differing layer
  // (already a candidate) or hidden on the other side by one of the roots.
  if (roots.size) yield* below(new Set([...a.layerViews, ...b.layerViews]), roots, paths);
  return paths;
}
