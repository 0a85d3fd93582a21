/**
 * File differences: why the same path differs on two sides (content, line
 * endings only, mode, owner, symlink target, type; never mtimes), and the
 * maps of entries the comparison diffs (a layer's own entries, or what the
 * merged filesystem shows).
 */
import type { EntryType, FileEntry, LineEndings } from '../image/model';
import type { FileTree, MergedEntry } from '../layers/fileTree';
import { byPath } from '../util/text';
import { runSync, STEP, type Steps } from '../util/turns';

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

export type SideMap = Map<string, FileSide & { lfSha256?: string; path: string }>;

export function side(e: FileEntry, layer: number): FileSide & { lfSha256?: string; path: string } {
  const s: FileSide & { lfSha256?: string; path: string } = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, layer };
  if (e.sha256 !== undefined) s.sha256 = e.sha256;
  if (e.lineEndings !== undefined) s.lineEndings = e.lineEndings;
  if (e.lfSha256 !== undefined) s.lfSha256 = e.lfSha256;
  if (e.linkTarget !== undefined) s.linkTarget = e.linkTarget;
  return s;
}

/** A layer's own entries; whiteouts and opaque markers keep their own keys so they diff as deletions. */
export function layerMap(entries: readonly FileEntry[], layer: number): SideMap {
  return runSync(layerMapSteps(entries, layer));
}

export function* layerMapSteps(entries: readonly FileEntry[], layer: number): Steps<SideMap> {
  const m: SideMap = new Map();
  let i = 0;
  for (const e of entries) {
    if (++i % STEP === 0) yield;
    const key = e.type === 'opaque' ? `${e.path}/\0opaque` : e.type === 'whiteout' ? `${e.path}\0whiteout` : e.path;
    m.set(key, side(e, layer));
  }
  return m;
}

/**
 * The whole merged filesystem as a map (the reference the fast path is
 * tested against). Directories no layer has an entry for (layer -1) are left
 * out, as the fast path and snapshots leave them out: they are there only
 * because something is below them, and that something is compared.
 */
export function mergedMap(tree: FileTree): SideMap {
  const m: SideMap = new Map();
  for (const e of tree.entries()) if ((e as MergedEntry).layer >= 0) m.set(e.path, side(e, (e as MergedEntry).layer));
  return m;
}

export function diffEntries(ma: SideMap, mb: SideMap, ignored: (p: string) => boolean, rowOf: (a?: FileSide, b?: FileSide) => number): FileChange[] {
  return runSync(diffEntrySteps(ma, mb, ignored, rowOf));
}

/** diffEntries a step at a time (util/turns.ts). */
export function* diffEntrySteps(ma: SideMap, mb: SideMap, ignored: (p: string) => boolean, rowOf: (a?: FileSide, b?: FileSide) => number): Steps<FileChange[]> {
  const out: FileChange[] = [];
  const emit = (path: string, change: ChangeKind, reasons: Reason[], a?: FileSide, b?: FileSide) => {
    if (ignored(path)) return;
    out.push({ path, change, reasons, layer: rowOf(a, b), ...(a ? { a: publicSide(a) } : {}), ...(b ? { b: publicSide(b) } : {}) });
  };
  let i = 0;
  for (const [key, a] of ma) {
    if (++i % STEP === 0) yield;
    const b = mb.get(key);
    if (!b) emit(a.path, 'removed', [], a);
    else {
      const reasons = reasonsFor(a, b);
      if (reasons.length) emit(a.path, 'modified', reasons, a, b);
    }
  }
  for (const [key, b] of mb) {
    if (++i % STEP === 0) yield;
    if (!ma.has(key)) emit(b.path, 'added', [], undefined, b);
  }
  yield;
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

