import picomatch from 'picomatch';
import { baseLayerCount } from '../image/history';
import { FileTree, type MergedEntry } from '../layers/fileTree';
import { MergedLookup, candidatePaths, type LayerView } from '../layers/mergedDiff';
import type { EntryType, FileEntry, ImageConfig, ImageModel, LayerInfo, LineEndings } from '../image/model';
import { byPath } from '../util/text';

export type LayerStatus = 'identical' | 'different' | 'onlyA' | 'onlyB';
export type ChangeKind = 'added' | 'removed' | 'modified';
/** Why a file present on both sides differs. `lineEndings`: the bytes are equal once CRLF is read as LF. */
export type Reason = 'content' | 'lineEndings' | 'mode' | 'owner' | 'symlink' | 'type';
export const REASONS: readonly Reason[] = ['content', 'lineEndings', 'mode', 'owner', 'symlink', 'type'];

/** One side of a changed file. */
export interface FileSide {
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  lineEndings?: LineEndings;
  linkTarget?: string;
  /** Layer of its own image that wrote it (or deleted it, for a whiteout). */
  layer: number;
}

export interface FileChange {
  path: string;
  change: ChangeKind;
  reasons: Reason[];
  /** Row of the layer alignment where the change happens (the later of the two sides). */
  layer: number;
  a?: FileSide;
  b?: FileSide;
}

/** A row of the layer alignment. */
export interface LayerPair {
  index: number;
  status: LayerStatus;
  a?: LayerInfo;
  b?: LayerInfo;
  /** A layer of the base image (the FROM) on either side, as far as the history tells (history.ts baseLayerCount). */
  base?: true;
  /** For different / one-sided rows: what the layers themselves add, change or delete differently. */
  files: FileChange[];
}

export interface ConfigChange {
  field: string;
  a: unknown;
  b: unknown;
}

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
}

/**
 * Compares two indexed images: aligns their layers, diffs every differing
 * layer pair and the merged filesystems, and diffs the configs.
 */
export function compareImages(a: ImageModel, b: ImageModel, opts: CompareOptions = {}): Comparison {
  const ignored = ignoreMatcher(opts.ignore ?? []);
  const rows = alignLayers(a.layers, b.layers);
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

  for (const r of rows) {
    if (r.status === 'identical') continue;
    const ea = r.a ? a.indexes[r.a.index] : [];
    const eb = r.b ? b.indexes[r.b.index] : [];
    r.files = diffEntries(layerMap(ea, r.a?.index ?? -1), layerMap(eb, r.b?.index ?? -1), ignored, () => r.index);
  }
  const files = opts.fullMerge
    ? diffEntries(mergedMap(FileTree.merge(a.indexes)), mergedMap(FileTree.merge(b.indexes)), ignored, rowOf)
    : diffMerged(a, b, rows, ignored, rowOf);
  return { a, b, layers: rows, files, config: diffConfig(a.config, b.config), ignored: [...(opts.ignore ?? [])] };
}

/** Whether a path is left out by the `--ignore` globs (a glob without a leading / is rooted). */
export function ignoreMatcher(globs: readonly string[]): (path: string) => boolean {
  const ignore = globs.map(normaliseGlob);
  return ignore.length ? picomatch(ignore, { dot: true }) : () => false;
}

function normaliseGlob(g: string): string {
  return g.startsWith('/') || g.startsWith('**') ? g : `/${g}`;
}

/**
 * Aligns layers: identical ones (same diffID) are matched with an LCS, so a
 * shared base and shared later layers line up; in each gap between matches
 * the differing layers are paired by instruction (LCS again), then by
 * position; the rest are one-sided.
 */
export function alignLayers(a: readonly LayerInfo[], b: readonly LayerInfo[]): LayerPair[] {
  const rows: Array<Omit<LayerPair, 'index'>> = [];
  const same = lcs(a, b, (x, y) => x.diffId === y.diffId);
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...same, [a.length, b.length] as [number, number]]) {
    pairGap(a.slice(i, mi), b.slice(j, mj), rows);
    if (mi < a.length && mj < b.length) rows.push({ status: 'identical', a: a[mi], b: b[mj], files: [] });
    i = mi + 1;
    j = mj + 1;
  }
  return rows.map((r, index) => ({ index, ...r }));
}

function pairGap(ga: LayerInfo[], gb: LayerInfo[], rows: Array<Omit<LayerPair, 'index'>>): void {
  const matched = lcs(ga, gb, (x, y) => instructionKey(x) === instructionKey(y));
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matched, [ga.length, gb.length] as [number, number]]) {
    // Unmatched layers between two instruction matches: pair by position, extras are one-sided.
    while (i < mi && j < mj) rows.push({ status: 'different', a: ga[i++], b: gb[j++], files: [] });
    while (i < mi) rows.push({ status: 'onlyA', a: ga[i++], files: [] });
    while (j < mj) rows.push({ status: 'onlyB', b: gb[j++], files: [] });
    if (mi < ga.length && mj < gb.length) rows.push({ status: 'different', a: ga[mi], b: gb[mj], files: [] });
    i = mi + 1;
    j = mj + 1;
  }
}

/** The instruction without what legitimately varies between two builds of it (classic COPY's content hash). */
function instructionKey(l: { instruction: string }): string {
  return l.instruction.replace(/\b(file|dir|multi):[0-9a-f]+…?/g, '$1:*');
}

/** Whether two layers come from the same Dockerfile line (a classic COPY of other bytes still is). */
export function sameInstruction(a: { instruction: string }, b: { instruction: string }): boolean {
  return instructionKey(a) === instructionKey(b);
}

function lcs<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i][j] = eq(a[i], b[j]) ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  const out: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (eq(a[i], b[j]) && t[i][j] === t[i + 1][j + 1] + 1) out.push([i++, j++]);
    else if (t[i + 1][j] >= t[i][j + 1]) i++;
    else j++;
  }
  return out;
}

export type SideMap = Map<string, FileSide & { lfSha256?: string; path: string }>;

function side(e: FileEntry, layer: number): FileSide & { lfSha256?: string; path: string } {
  const s: FileSide & { lfSha256?: string; path: string } = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, layer };
  if (e.sha256 !== undefined) s.sha256 = e.sha256;
  if (e.lineEndings !== undefined) s.lineEndings = e.lineEndings;
  if (e.lfSha256 !== undefined) s.lfSha256 = e.lfSha256;
  if (e.linkTarget !== undefined) s.linkTarget = e.linkTarget;
  return s;
}

/** A layer's own entries; whiteouts and opaque markers keep their own keys so they diff as deletions. */
function layerMap(entries: readonly FileEntry[], layer: number): SideMap {
  const m: SideMap = new Map();
  for (const e of entries) {
    const key = e.type === 'opaque' ? `${e.path}/\0opaque` : e.type === 'whiteout' ? `${e.path}\0whiteout` : e.path;
    m.set(key, side(e, layer));
  }
  return m;
}

/** Differences of the merged filesystems, looking only where a differing layer could have changed something. */
function diffMerged(a: ImageModel, b: ImageModel, rows: LayerPair[], ignored: (p: string) => boolean, rowOf: (a?: FileSide, b?: FileSide) => number): FileChange[] {
  const shared = new Map<string, LayerView>();
  const la = new MergedLookup(a.indexes, a.layers.map((l) => l.diffId), shared);
  const lb = new MergedLookup(b.indexes, b.layers.map((l) => l.diffId), shared);
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
  for (const p of candidatePaths(la, lb, differing)) {
    const x = la.get(p);
    const y = lb.get(p);
    if (x) ma.set(p, side(x.entry, x.layer));
    if (y) mb.set(p, side(y.entry, y.layer));
  }
  return diffEntries(ma, mb, ignored, rowOf);
}

/** The whole merged filesystem as a map (the reference the fast path is tested against). */
export function mergedMap(tree: FileTree): SideMap {
  const m: SideMap = new Map();
  for (const e of tree.entries()) m.set(e.path, side(e, (e as MergedEntry).layer));
  return m;
}

export function diffEntries(ma: SideMap, mb: SideMap, ignored: (p: string) => boolean, rowOf: (a?: FileSide, b?: FileSide) => number): FileChange[] {
  const out: FileChange[] = [];
  const emit = (path: string, change: ChangeKind, reasons: Reason[], a?: FileSide, b?: FileSide) => {
    if (ignored(path)) return;
    out.push({ path, change, reasons, layer: rowOf(a, b), ...(a ? { a: publicSide(a) } : {}), ...(b ? { b: publicSide(b) } : {}) });
  };
  for (const [key, a] of ma) {
    const b = mb.get(key);
    if (!b) emit(a.path, 'removed', [], a);
    else {
      const reasons = reasonsFor(a, b);
      if (reasons.length) emit(a.path, 'modified', reasons, a, b);
    }
  }
  for (const [key, b] of mb) if (!ma.has(key)) emit(b.path, 'added', [], undefined, b);
  return out.sort(byPath);
}

function publicSide(s: FileSide & { lfSha256?: string; path?: string }): FileSide {
  const rest = { ...s };
  delete rest.lfSha256;
  delete rest.path;
  return rest;
}

const kindOf = (t: EntryType): EntryType => (t === 'hardlink' ? 'file' : t);

/** Every reason two entries at the same path differ; empty when they do not (mtimes are not compared). */
export function reasonsFor(a: FileSide & { lfSha256?: string }, b: FileSide & { lfSha256?: string }): Reason[] {
  if (kindOf(a.type) !== kindOf(b.type)) return ['type'];
  const reasons: Reason[] = [];
  if (kindOf(a.type) === 'file' && a.sha256 !== b.sha256) {
    const crlfOnly = (a.lfSha256 !== undefined || b.lfSha256 !== undefined) && (a.lfSha256 ?? a.sha256) === (b.lfSha256 ?? b.sha256);
    reasons.push(crlfOnly ? 'lineEndings' : 'content');
  }
  if (a.type === 'symlink' && a.linkTarget !== b.linkTarget) reasons.push('symlink');
  if (a.mode !== b.mode) reasons.push('mode');
  if (a.uid !== b.uid || a.gid !== b.gid) reasons.push('owner');
  return reasons;
}

/** Config fields compared, in the order people read them. Env and Labels are compared per key. */
export function diffConfig(a: ImageConfig, b: ImageConfig): ConfigChange[] {
  const out: ConfigChange[] = [];
  const push = (field: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x ?? null) !== JSON.stringify(y ?? null)) out.push({ field, a: x ?? null, b: y ?? null });
  };
  push('Platform', platformOf(a), platformOf(b));
  const ca = a.config ?? {};
  const cb = b.config ?? {};
  push('User', ca.User || null, cb.User || null);
  push('WorkingDir', ca.WorkingDir || null, cb.WorkingDir || null);
  push('Entrypoint', ca.Entrypoint, cb.Entrypoint);
  push('Cmd', ca.Cmd, cb.Cmd);
  keyed('Env', envMap(ca.Env), envMap(cb.Env), push);
  push('ExposedPorts', keysOf(ca.ExposedPorts), keysOf(cb.ExposedPorts));
  push('Volumes', keysOf(ca.Volumes), keysOf(cb.Volumes));
  keyed('Labels', ca.Labels ?? {}, cb.Labels ?? {}, push);
  push('StopSignal', ca.StopSignal || null, cb.StopSignal || null);
  push('Healthcheck', ca.Healthcheck, cb.Healthcheck);
  const ha = (a.history ?? []).map((h) => h.created_by ?? '');
  const hb = (b.history ?? []).map((h) => h.created_by ?? '');
  for (let i = 0; i < Math.max(ha.length, hb.length); i++) push(`History[${i}]`, ha[i], hb[i]);
  return out;
}

function platformOf(c: ImageConfig): string | null {
  return c.os || c.architecture ? [c.os, c.architecture, c.variant].filter(Boolean).join('/') : null;
}

function keysOf(o: Record<string, unknown> | null | undefined): string[] | null {
  const k = Object.keys(o ?? {}).sort();
  return k.length ? k : null;
}

function envMap(env: string[] | undefined): Record<string, string> {
  const m: Record<string, string> = {};
  for (const kv of env ?? []) {
    const i = kv.indexOf('=');
    if (i === -1) m[kv] = '';
    else m[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return m;
}

function keyed(field: string, a: Record<string, string>, b: Record<string, string>, push: (f: string, x: unknown, y: unknown) => void): void {
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) push(`${field}.${k}`, a[k], b[k]);
}
