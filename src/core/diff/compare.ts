/**
 * Compares two indexed images: aligns their steps (align.ts), diffs each
 * pair of layers that is not identical and the merged filesystems
 * (fileDiff.ts), and the configs (configDiff.ts).
 */
import { baseLayerCount } from '../image/history';
import type { FileEntry, ImageModel } from '../image/model';
import { FileTree } from '../layers/fileTree';
import { MergedLookup, candidatePaths, type LayerView } from '../layers/mergedDiff';
import { alignLayers, type LayerPair } from './align';
import { diffConfig, type ConfigChange } from './configDiff';
import { diffEntries, diffEntrySteps, layerMapSteps, mergedMap, reasonsFor, side, type FileChange, type FileSide, type SideMap } from './fileDiff';
import { runAsync, runSync, STEP, type Steps } from '../util/turns';
import { lazy } from '../util/lazy';

export interface Comparison {
  a: ImageModel;
  b: ImageModel;
  layers: LayerPair[];
  /** Differences of the merged filesystems. */
  files: FileChange[];
  config: ConfigChange[];
  ignored: string[];
}

export interface CompareOptions {
  /** Globs of paths to leave out, e.g. "/var/log/**". */
  ignore?: readonly string[];
  /**
   * Diff every path of the two merged filesystems instead of only the paths
   * differing layers mention. Needed when the indexes hold no deletion
   * markers: a snapshot's layers are what each layer contributes to the
   * final filesystem (snapshot.ts), so a path one side deleted is simply
   * absent, and only a full walk sees it.
   */
  fullMerge?: boolean;
  /**
   * Layer views by diffID (MergedLookup), to share with what looks at the
   * same models afterwards (packages, leftovers): a 300k-file base layer's
   * view costs hundreds of ms to build.
   */
  views?: Map<string, LayerView>;
}

export function compareImages(a: ImageModel, b: ImageModel, opts: CompareOptions = {}): Comparison {
  return runSync(compareSteps(a, b, opts));
}

/**
 * compareImages with turns of the event loop between its steps, so that a
 * signal or `signal` is answered while a pair of huge images is compared.
 */
export function compareImagesAsync(a: ImageModel, b: ImageModel, opts: CompareOptions = {}, signal?: AbortSignal): Promise<Comparison> {
  return runAsync(compareSteps(a, b, opts), signal);
}

function* compareSteps(a: ImageModel, b: ImageModel, opts: CompareOptions): Steps<Comparison> {
  const ignored = ignoreMatcher(opts.ignore ?? []);
  const rows = alignLayers(a, b);
  yield;
  const baseA = baseLayerCount(a.history, a.layers.length);
  const baseB = baseLayerCount(b.history, b.layers.length);
  for (const r of rows) if ((r.a && r.a.index < baseA) || (r.b && r.b.index < baseB)) r.base = true;
  const rowOfA = new Map<number, number>();
  const rowOfB = new Map<number, number>();
  for (const r of rows) {
    if (r.a) rowOfA.set(r.a.index, r.index);
    if (r.b) rowOfB.set(r.b.index, r.index);
  }
  const rowOf = (x?: FileSide, y?: FileSide) => Math.max(x ? rowOfA.get(x.layer) ?? -1 : -1, y ? rowOfB.get(y.layer) ?? -1 : -1);

  const shared = opts.views ?? new Map<string, LayerView>();
  const la = yield* MergedLookup.build(a.indexes, a.layers.map((l) => l.diffId), shared);
  const lb = yield* MergedLookup.build(b.indexes, b.layers.map((l) => l.diffId), shared);
  for (const r of rows) {
    if (r.status === 'identical') continue;
    const ea = r.a ? yield* effectiveEntries(a.indexes[r.a.index], la, r.a.index) : [];
    const eb = r.b ? yield* effectiveEntries(b.indexes[r.b.index], lb, r.b.index) : [];
    r.files = yield* diffEntrySteps(yield* layerMapSteps(ea, r.a?.index ?? -1), yield* layerMapSteps(eb, r.b?.index ?? -1), ignored, () => r.index);
    r.written = { a: ea.length, b: eb.length };
    // Other diffIDs, nothing else: the step ran again and stamped other times.
    if (r.status === 'different' && !r.files.length) r.status = 'sameContent';
  }
  const files = opts.fullMerge
    ? diffEntries(mergedMap(FileTree.merge(a.indexes)), mergedMap(FileTree.merge(b.indexes)), ignored, rowOf)
    : yield* diffMerged(a, b, la, lb, rows, ignored, rowOf);
  return { a, b, layers: rows, files, config: diffConfig(a.config, b.config), ignored: [...(opts.ignore ?? [])] };
}

/**
 * A layer's entries that change something: an entry the same as what the
 * layers below already show (a parent directory a tar lists again with a
 * new mtime, as BuildKit lists /etc in every RUN layer; a file rewritten
 * with the same bytes) or a deletion of nothing changes nothing, so two
 * steps that differ only there did the same work.
 */
function* effectiveEntries(entries: readonly FileEntry[], lookup: MergedLookup, layer: number): Steps<FileEntry[]> {
  const out: FileEntry[] = [];
  let i = 0;
  for (const e of entries) {
    if (++i % STEP === 0) yield;
    if (e.type === 'opaque') {
      out.push(e);
      continue;
    }
    const below = lookup.get(e.path, layer);
    if (e.type === 'whiteout' ? below !== undefined : !below || reasonsFor(side(e, layer), side(below.entry, below.layer)).length > 0) out.push(e);
  }
  return out;
}

/** Whether a path is left out by the `--ignore` globs (a glob without a leading / is rooted). */
export function ignoreMatcher(globs: readonly string[]): (path: string) => boolean {
  const ignore = globs.map(normaliseGlob);
  return ignore.length ? lazy.picomatch()(ignore, { dot: true }) : () => false;
}

function normaliseGlob(g: string): string {
  return g.startsWith('/') || g.startsWith('**') ? g : `/${g}`;
}

/** Differences of the merged filesystems, looking only where a differing layer could have changed something. */
function* diffMerged(
  a: ImageModel,
  b: ImageModel,
  la: MergedLookup,
  lb: MergedLookup,
  rows: LayerPair[],
  ignored: (p: string) => boolean,
  rowOf: (a?: FileSide, b?: FileSide) => number,
): Steps<FileChange[]> {
  const differing = rows.flatMap((r) =>
    r.status === 'identical'
      ? []
      : [
          ...(r.a ? [{ image: 'a' as const, layer: r.a.index, entries: a.indexes[r.a.index] }] : []),
          ...(r.b ? [{ image: 'b' as const, layer: r.b.index, entries: b.indexes[r.b.index] }] : []),
        ],
  );
  const ma: SideMap = new Map();
  const mb: SideMap = new Map();
  let i = 0;
  for (const p of yield* candidatePaths(la, lb, differing)) {
    if (++i % STEP === 0) yield;
    const x = la.get(p);
    const y = lb.get(p);
    if (x) ma.set(p, side(x.entry, x.layer));
    if (y) mb.set(p, side(y.entry, y.layer));
  }
  return yield* diffEntrySteps(ma, mb, ignored, rowOf);
}
