/**
 * The whole analysis of two images (or an image and a snapshot): the
 * comparison, the package diff, each side's leftovers and the ranked
 * findings, as one report. The CLI's `diff` and `run` call it; so can the
 * extension, for the same JSON and Markdown.
 */
import type { Cache } from '../layers/cache';
import { compareImagesAsync, ignoreMatcher, type Comparison } from '../diff/compare';
import type { FileChange } from '../diff/fileDiff';
import { throwIfAborted } from '../util/errors';
import { nextTurn, runAsync } from '../util/turns';
import { readFileBytes } from '../layers/files';
import type { FindingFilter } from '../util/codes';
import { rankFindings, rankFindingsAsync } from '../findings/findings';
import { resolveUser, type ResolvedUser } from '../findings/users';
import { wantsFileTexts, type FileText } from '../findings/portCause';
import { findLeftovers, type LayerFind, type Leftover } from '../findings/leftovers';
import { MergedLookup, type LayerView } from '../layers/mergedDiff';
import type { FileEntry, ImageModel } from '../image/model';
import { diffPackages, ECOSYSTEMS, packageFiles, readPackages, type Ecosystem, type PackageSet } from '../packages/packages';
import { toReportSteps, type DiffReport, type ReportPackages } from './report';
import type { RunReport, Side } from '../run/runModel';
import { modelFromSnapshot, snapshotOf, type Snapshot } from './snapshot';

/** One side: an indexed image, or a snapshot read from a file (`file`: how the user named it). */
export type AnalysisSide = { model: ImageModel } | { snapshot: Snapshot; file: string };

export interface ReadBytesOptions {
  cache: Cache;
  /**
   * Brings these layers' bytes into the cache (the CLI: loadImages with
   * needLayerBytes). Without it, a layer whose bytes left the cache makes
   * its package files problems, not reads.
   */
  fetchLayers?: (diffIds: string[]) => Promise<void>;
  signal?: AbortSignal;
  /** Where sql.js' wasm is, when a bundle moved it (rpmdb.ts). */
  sqlWasmPath?: string;
}

export interface AnalyzeOptions extends Omit<ReadBytesOptions, 'fetchLayers'> {
  ignore?: readonly string[];
  fetchLayers?: (side: Side, diffIds: string[]) => Promise<void>;
  /** A side-by-side run of the two images: its findings are ranked with the static ones. */
  run?: RunReport;
  /** Findings to leave out (--ignore-finding). */
  ignoreFindings?: readonly FindingFilter[];
}

export interface Analysis {
  comparison: Comparison;
  /** toReport's document with findings, packages and leftovers. */
  report: DiffReport;
  /** Who each image runs as (a snapshot side: unknown). */
  users?: Partial<Record<Side, ResolvedUser>>;
  /** The small text files that differ, when a run needed them (runFileTexts). */
  texts?: FileText[];
}

/**
 * The installed packages of an image, reading only the package metadata
 * files (of `kinds`), after making sure the layers that hold them are in
 * the cache's byte store.
 */
export async function readImagePackages(image: ImageModel, kinds: readonly Ecosystem[], opts: ReadBytesOptions): Promise<PackageSet> {
  if (!kinds.length) return { ecosystems: [], problems: [] };
  // The package files of each layer, to ask the store once per layer.
  const byLayer = new Map<string, FileEntry[]>();
  for (const f of packageFiles(image, kinds)) {
    const diffId = image.layers[f.file.layer].diffId;
    const files = byLayer.get(diffId);
    if (files) files.push(f.file.entry);
    else byLayer.set(diffId, [f.file.entry]);
  }
  const missing = [...byLayer].filter(([diffId, files]) => !opts.cache.layers.holdsAll(diffId, files)).map(([diffId]) => diffId);
  // A store that keeps no bytes (--cache-size 0) would drop them again: no point exporting for them.
  if (missing.length && opts.fetchLayers && opts.cache.layers.maxBytes > 0) await opts.fetchLayers(missing);
  throwIfAborted(opts.signal);
  return readPackages(image, (f) => readFileBytes(opts.cache, image, f), { kinds, signal: opts.signal, sqlWasmPath: opts.sqlWasmPath });
}

/** Everything `container-compare snapshot` records of an image: packages read from its files, leftovers from its layers. */
export async function takeSnapshot(image: ImageModel, opts: ReadBytesOptions): Promise<Snapshot> {
  const packages = await readImagePackages(image, ECOSYSTEMS, opts);
  return snapshotOf(image, { packages, leftovers: findLeftovers(image) });
}

/** Package metadata files by ecosystem: path → sha256, from the indexes alone (`shared`: layer views both images reuse). */
function dbFiles(m: ImageModel, shared: Map<string, LayerView>): Map<Ecosystem, Map<string, string | undefined>> {
  const out = new Map<Ecosystem, Map<string, string | undefined>>();
  const lookup = new MergedLookup(m.indexes, m.layers.map((l) => l.diffId), shared);
  for (const f of packageFiles(m, ECOSYSTEMS, lookup)) {
    let files = out.get(f.kind);
    if (!files) out.set(f.kind, (files = new Map()));
    files.set(f.file.path, f.file.entry.sha256);
  }
  return out;
}

function sameFiles(x: Map<string, string | undefined> | undefined, y: Map<string, string | undefined> | undefined): boolean {
  if (!x || !y || x.size !== y.size) return false;
  for (const [p, h] of x) if (h === undefined || y.get(p) !== h) return false;
  return true;
}

const only = (set: PackageSet, kinds: ReadonlySet<Ecosystem>): PackageSet => ({
  ecosystems: set.ecosystems.filter((e) => kinds.has(e.kind)),
  problems: set.problems.filter((p) => kinds.has(p.kind)),
});

/**
 * The package diff, reading as little as possible: an ecosystem whose
 * database files have the same paths and sha256 on both sides cannot
 * differ and is not read; the others are read (a snapshot side has its
 * packages already).
 */
async function comparePackages(sides: Record<Side, AnalysisSide>, models: Record<Side, ImageModel>, opts: AnalyzeOptions, shared: Map<string, LayerView>): Promise<ReportPackages> {
  const fa = dbFiles(models.a, shared);
  const fb = dbFiles(models.b, shared);
  const present = ECOSYSTEMS.filter((k) => fa.has(k) || fb.has(k));
  const changed = new Set(present.filter((k) => !sameFiles(fa.get(k), fb.get(k))));
  const sets = {} as Record<Side, PackageSet>;
  for (const s of ['a', 'b'] as const) {
    const side = sides[s];
    sets[s] =
      'snapshot' in side
        ? only(side.snapshot.packages, changed)
        : await readImagePackages(side.model, [...changed], { ...opts, fetchLayers: opts.fetchLayers && ((d) => opts.fetchLayers!(s, d)) });
  }
  const diff = diffPackages(sets.a, sets.b);
  const ecosystems: ReportPackages['ecosystems'] = present.map((kind) => diff.ecosystems.find((e) => e.kind === kind) ?? { kind, added: [], removed: [], changed: [], ...(changed.has(kind) ? {} : { identical: true as const }) });
  return { ecosystems, problems: [...sets.a.problems.map((p) => ({ ...p, side: 'a' as const })), ...sets.b.problems.map((p) => ({ ...p, side: 'b' as const }))] };
}

/**
 * Compares two sides and analyses the result. Two images compare as they
 * always do; when a snapshot is involved, both sides are compared in the
 * snapshot's form (merged files, layer by layer what each contributes),
 * so that the image and the baseline mean the same.
 */
export async function analyzePair(a: AnalysisSide, b: AnalysisSide, opts: AnalyzeOptions): Promise<Analysis> {
  const sides = { a, b };
  const snapshots = 'snapshot' in a || 'snapshot' in b;
  const model = (s: AnalysisSide): ImageModel => ('snapshot' in s ? modelFromSnapshot(s.snapshot, s.file) : snapshots ? modelFromSnapshot(snapshotOf(s.model)) : s.model);
  const models = { a: model(a), b: model(b) };
  // Each phase below is synchronous and can take a while on a huge pair: a turn of the event loop between them
  // lets a signal (or the signal) be answered.
  const turn = async () => {
    await nextTurn();
    throwIfAborted(opts.signal);
  };
  // Each layer's view (its entries by path) is built once, for the comparison, the packages and the leftovers.
  const views = new Map<string, LayerView>();
  const comparison = await compareImagesAsync(models.a, models.b, { ignore: opts.ignore, fullMerge: snapshots, views }, opts.signal);
  await turn();
  const base = await runAsync(toReportSteps(comparison), opts.signal);
  await turn();
  const packages = await comparePackages(sides, models, opts, views);
  const ignored = ignoreMatcher(opts.ignore ?? []);
  const perLayer = new Map<string, LayerFind[]>();
  // Leftovers look at the images themselves: with a snapshot, `models` are in the snapshot's form, and their views are not the layers'.
  const leftoversOf = (s: AnalysisSide): Leftover[] => ('snapshot' in s ? s.snapshot.leftovers : findLeftovers(s.model, perLayer, snapshots ? undefined : views)).filter((l) => !ignored(l.path));
  await turn();
  const leftoversA = leftoversOf(a);
  await turn();
  const report = withAnalysis(base, { packages, leftovers: { a: leftoversA, b: leftoversOf(b) } });
  await turn();
  const users: Partial<Record<Side, ResolvedUser>> = {};
  for (const s of ['a', 'b'] as const) {
    const side = sides[s];
    const u = 'snapshot' in side ? undefined : await imageUser(side.model, { ...opts, fetchLayers: opts.fetchLayers && ((d) => opts.fetchLayers!(s, d)) });
    if (u) users[s] = u;
  }
  const texts = !snapshots && wantsFileTexts(opts.run) ? await runFileTexts(comparison, opts) : undefined;
  await turn();
  const findings = await rankFindingsAsync({ comparison, packages: report.packages, leftovers: report.leftovers, run: opts.run, users, ignore: opts.ignoreFindings, texts }, opts.signal);
  return { comparison, report: withAnalysis({ ...report, findings }, {}), ...(texts ? { texts } : {}) };
}

/** Bytes of a text file read for a run finding at most; larger files are not configuration. */
const MAX_TEXT_BYTES = 64 * 1024;
/** Files read at most per side: configuration first (/etc), then the rest in path order. */
const MAX_TEXT_FILES = 200;
/** Where files differ between any two builds without telling what a program does. */
const NOT_CONFIG = /^\/(?:var\/(?:lib|cache|log)|usr\/share\/(?:doc|man|locale|info)|proc|sys|dev|tmp)\//;

/**
 * The texts of the small text files that differ between the two images
 * (content, or only on one side), for the run findings a file can explain
 * (portCause.ts: the file that names the port a container listens on).
 * Bounded: text files of 64 KiB at most, 200 per side, none under package
 * databases, caches, logs or documentation. A file that cannot be read is
 * left out.
 */
export async function runFileTexts(comparison: Comparison, opts: Omit<AnalyzeOptions, 'run' | 'ignore' | 'ignoreFindings'>): Promise<FileText[]> {
  const images: Record<Side, ImageModel> = { a: comparison.a, b: comparison.b };
  const small = (f: FileChange['a']) => f?.type === 'file' && f.size <= MAX_TEXT_BYTES;
  const changed = comparison.files
    .filter((f) => (f.change !== 'modified' || f.reasons.includes('content')) && (small(f.a) || small(f.b)) && !NOT_CONFIG.test(f.path))
    .sort((x, y) => Number(!x.path.startsWith('/etc/')) - Number(!y.path.startsWith('/etc/')) || (x.path < y.path ? -1 : 1))
    .slice(0, MAX_TEXT_FILES);
  const out: FileText[] = [];
  const lookups: Partial<Record<Side, MergedLookup>> = {};
  for (const f of changed) {
    const t: FileText = { path: f.path };
    for (const s of ['a', 'b'] as const) {
      if (!small(f[s])) continue;
      throwIfAborted(opts.signal);
      const text = await readSmallText(images[s], (lookups[s] ??= new MergedLookup(images[s].indexes)), f.path, MAX_TEXT_BYTES, { ...opts, fetchLayers: opts.fetchLayers && ((d) => opts.fetchLayers!(s, d)) });
      if (text !== undefined) t[s] = text;
    }
    if (t.a !== undefined || t.b !== undefined) out.push(t);
  }
  return out;
}

/** A text file of the merged filesystem, read from the layer store (its layer fetched if needed), or undefined. */
async function readSmallText(image: ImageModel, lookup: MergedLookup, path: string, maxBytes: number, opts: ReadBytesOptions): Promise<string | undefined> {
  const hit = lookup.get(path);
  if (!hit || hit.entry.type !== 'file' || hit.entry.size > maxBytes || hit.entry.text === false) return undefined;
  const diffId = image.layers[hit.layer].diffId;
  if (!opts.cache.layers.holds(diffId, hit.entry) && opts.fetchLayers && opts.cache.layers.maxBytes > 0) await opts.fetchLayers([diffId]);
  try {
    return (await readFileBytes(opts.cache, image, { path, entry: hit.entry, layer: hit.layer })).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Who an image runs as: USER resolved through its own /etc/passwd and
 * /etc/group (read from the layer store; small files, one layer fetched at
 * most). Undefined when the files cannot be read or do not name the user.
 */
export async function imageUser(image: ImageModel, opts: ReadBytesOptions): Promise<ResolvedUser | undefined> {
  const spec = image.config.config?.User ?? '';
  const quick = resolveUser(spec);
  if (quick || !spec) return quick;
  const lookup = new MergedLookup(image.indexes);
  const read = (path: string): Promise<string | undefined> => readSmallText(image, lookup, path, 2 ** 20, opts);
  return resolveUser(spec, await read('/etc/passwd'), await read('/etc/group'));
}

/**
 * The report with its findings ranked again, with a run's (or without):
 * what a side-by-side run adds to a comparison already made, without
 * comparing, reading packages or looking for leftovers again.
 */
export function rankWith({ comparison, report, users, texts }: Analysis, run?: RunReport, ignore?: readonly FindingFilter[]): DiffReport {
  const findings = rankFindings({ comparison, packages: report.packages, leftovers: report.leftovers, run, users, ignore, texts });
  return withAnalysis({ ...report, findings }, {});
}

/** The report with the analysis in reading order: findings right after the two images. */
function withAnalysis(r: DiffReport, extra: Pick<Partial<DiffReport>, 'packages' | 'leftovers'>): DiffReport {
  const { schemaVersion, a, b, findings, summary, layers, files, config, ignored } = r;
  const packages = extra.packages ?? r.packages;
  const leftovers = extra.leftovers ?? r.leftovers;
  return { schemaVersion, a, b, ...(findings ? { findings } : {}), summary, layers, files, config, ...(packages ? { packages } : {}), ...(leftovers ? { leftovers } : {}), ignored };
}
