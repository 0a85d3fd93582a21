/**
 * The alignment of two images' build steps. Identical layers (same diffID)
 * are matched first, with an LCS, so a shared base and shared later layers
 * line up. In each gap between them, the steps that can write files (RUN,
 * COPY, ADD, WORKDIR) are paired by their Dockerfile line, empty ones
 * included: the engine records a step that changed nothing as an empty
 * layer (`empty_layer` in the history, no diffID), and "the same RUN wrote
 * 31 files in A and nothing in B" is often the whole diagnosis. Layers left
 * between two such pairs are paired by position; the rest are one-sided.
 */
import type { HistoryStep, LayerInfo } from '../image/model';
import type { Side } from '../util/side';
import type { FileChange } from './fileDiff';

/**
 * `sameContent`: the two layers differ (other diffIDs) but agree on every
 * path, type, mode, owner, content and link target: only timestamps (or
 * other tar metadata) differ, as when a step is rebuilt later.
 */
export type LayerStatus = 'identical' | 'sameContent' | 'different' | 'onlyA' | 'onlyB';

/** Whether a row is a real difference (not identical, not timestamps only). */
export const differs = (s: LayerStatus): boolean => s === 'different' || s === 'onlyA' || s === 'onlyB';

/** A step of the same Dockerfile line on one side that made no layer there (the row's layer is on the other side). */
export interface EmptyStep {
  side: Side;
  /** Index into that image's config history. */
  history: number;
  instruction: string;
  createdBy: string;
}

/** A row of the alignment. */
export interface LayerPair {
  index: number;
  status: LayerStatus;
  a?: LayerInfo;
  b?: LayerInfo;
  /** For a one-sided row: the other side ran the same step, and it wrote nothing. */
  emptyStep?: EmptyStep;
  /** A layer of the base image (the FROM) on either side, as far as the history tells (history.ts baseLayerCount). */
  base?: true;
  /** For rows that are not identical: what the layers themselves add, change or delete differently. */
  files: FileChange[];
  /**
   * For rows that are not identical: how many entries each side's layer has
   * that change something (what the layers below already show does not
   * count): 0 is a step that wrote nothing, or a side without a layer.
   */
  written?: Record<Side, number>;
}

/** What the alignment reads of an image: its layers, and its history when it has one. */
export interface StepSource {
  layers: readonly LayerInfo[];
  history?: readonly HistoryStep[];
}

/** Steps that can write files; the others (ENV, CMD, EXPOSE...) never make a layer. */
const FS_STEP = /^(RUN|COPY|ADD|WORKDIR)\b/;

interface Item {
  layer?: LayerInfo;
  /** An empty step, when there is no layer. */
  empty?: Omit<EmptyStep, 'side'>;
  instruction: string;
}

function items(src: StepSource): Item[] {
  const out: Item[] = [];
  const placed = new Set<number>();
  for (const [i, h] of (src.history ?? []).entries()) {
    if (h.layerIndex !== undefined && src.layers[h.layerIndex]) {
      out.push({ layer: src.layers[h.layerIndex], instruction: h.instruction });
      placed.add(h.layerIndex);
    } else if (h.emptyLayer && FS_STEP.test(h.instruction)) {
      out.push({ empty: { history: i, instruction: h.instruction, createdBy: h.createdBy }, instruction: h.instruction });
    }
  }
  // Layers the history does not account for (no history, or a short one) keep their order at the end.
  for (const l of src.layers) if (!placed.has(l.index)) out.push({ layer: l, instruction: l.instruction });
  return out;
}

type Row = Omit<LayerPair, 'index'>;

/** Aligns two images' steps (see the top of this file); a bare list of layers aligns as layers alone. */
export function alignLayers(a: StepSource | readonly LayerInfo[], b: StepSource | readonly LayerInfo[]): LayerPair[] {
  const ia = items(Array.isArray(a) ? { layers: a } : (a as StepSource));
  const ib = items(Array.isArray(b) ? { layers: b } : (b as StepSource));
  const rows: Row[] = [];
  const same = lcs(ia, ib, (x) => x.layer?.diffId);
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...same, [ia.length, ib.length] as [number, number]]) {
    pairGap(ia.slice(i, mi), ib.slice(j, mj), rows);
    if (mi < ia.length && mj < ib.length) rows.push({ status: 'identical', a: ia[mi].layer, b: ib[mj].layer, files: [] });
    i = mi + 1;
    j = mj + 1;
  }
  return rows.map((r, index) => ({ index, ...r }));
}

function pairGap(ga: Item[], gb: Item[], rows: Row[]): void {
  const matched = lcs(ga, gb, (x) => stepKey(x.instruction));
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matched, [ga.length, gb.length] as [number, number]]) {
    // Layers between two matched steps: paired by position, extras one-sided; empty steps there pair with nothing.
    const la = ga.slice(i, mi).filter((x) => x.layer);
    const lb = gb.slice(j, mj).filter((x) => x.layer);
    let k = 0;
    for (; k < la.length && k < lb.length; k++) rows.push({ status: 'different', a: la[k].layer, b: lb[k].layer, files: [] });
    for (const x of la.slice(k)) rows.push({ status: 'onlyA', a: x.layer, files: [] });
    for (const y of lb.slice(k)) rows.push({ status: 'onlyB', b: y.layer, files: [] });
    if (mi < ga.length && mj < gb.length) {
      const x = ga[mi];
      const y = gb[mj];
      if (x.layer && y.layer) rows.push({ status: 'different', a: x.layer, b: y.layer, files: [] });
      else if (x.layer) rows.push({ status: 'onlyA', a: x.layer, emptyStep: { side: 'b', ...y.empty! }, files: [] });
      else if (y.layer) rows.push({ status: 'onlyB', b: y.layer, emptyStep: { side: 'a', ...x.empty! }, files: [] });
    }
    i = mi + 1;
    j = mj + 1;
  }
}

/**
 * The Dockerfile line as the alignment compares it. A COPY or ADD is known
 * by its destination: the classic builder records the hash of what it
 * copied (`COPY dir:3f2a… /etc/app/`), BuildKit the source as written
 * (`COPY conf/ /etc/app/`), so that is all the two notations share.
 */
function stepKey(instruction: string): string {
  const s = instruction.replace(/\s+/g, ' ').trim();
  const copy = /^(COPY|ADD) (?:--\S+ )*(?:.* )?(\S+)$/.exec(s);
  return copy ? `${copy[1]} → ${copy[2].replace(/(.)\/+$/, '$1')}` : s;
}

/** A classic-builder COPY/ADD: the source is recorded as a content hash, not as written. */
const HASHED_SOURCE = /^(COPY|ADD) (?:--\S+ )*(?:file|dir|multi):[0-9a-f]+…?/;

/**
 * Whether two layers come from the same Dockerfile line: the same text once
 * the notation is set aside (a classic COPY of other bytes still is; a
 * classic and a BuildKit COPY to the same place are, as far as can be told).
 */
export function sameInstruction(a: { instruction: string }, b: { instruction: string }): boolean {
  if (HASHED_SOURCE.test(a.instruction) || HASHED_SOURCE.test(b.instruction)) return stepKey(a.instruction) === stepKey(b.instruction);
  return a.instruction.replace(/\s+/g, ' ').trim() === b.instruction.replace(/\s+/g, ' ').trim();
}

/**
 * Cells of the LCS table at most (4 MiB of it): two real images differ in a
 * few dozen steps, so only a hostile pair (thousands of history steps that
 * all differ) goes past it, and gets the greedy alignment instead.
 */
export const MAX_LCS_CELLS = 1 << 20;

/**
 * Longest common subsequence of the items' keys (undefined matches
 * nothing), after setting aside the common head and tail (most pairs share
 * their base and differ in a few steps), so the table is only as large as
 * the part that differs. Past MAX_LCS_CELLS, a greedy match in linear time:
 * each item of `a` takes the next equal item of `b`.
 */
function lcs<T>(a: readonly T[], b: readonly T[], key: (x: T) => string | undefined): Array<[number, number]> {
  const ka = a.map(key);
  const kb = b.map(key);
  const eq = (i: number, j: number) => ka[i] !== undefined && ka[i] === kb[j];
  let head = 0;
  while (head < a.length && head < b.length && eq(head, head)) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && eq(a.length - 1 - tail, b.length - 1 - tail)) tail++;
  const out: Array<[number, number]> = [];
  for (let k = 0; k < head; k++) out.push([k, k]);
  const n = a.length - tail - head;
  const m = b.length - tail - head;
  if ((n + 1) * (m + 1) > MAX_LCS_CELLS) greedy(ka.slice(head, head + n), kb.slice(head, head + m), head, out);
  else {
    const w = m + 1;
    const t = new Int32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i * w + j] = eq(head + i, head + j) ? t[(i + 1) * w + j + 1] + 1 : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
    for (let i = 0, j = 0; i < n && j < m; ) {
      if (eq(head + i, head + j) && t[i * w + j] === t[(i + 1) * w + j + 1] + 1) out.push([head + i++, head + j++]);
      else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) i++;
      else j++;
    }
  }
  for (let k = 0; k < tail; k++) out.push([a.length - tail + k, b.length - tail + k]);
  return out;
}

/** Increasing matches in O((n + m) log m): each item of `a`, in order, takes the first equal item of `b` after the last one taken. */
function greedy(a: ReadonlyArray<string | undefined>, b: ReadonlyArray<string | undefined>, offset: number, out: Array<[number, number]>): void {
  const positions = new Map<string, number[]>();
  b.forEach((k, j) => {
    if (k === undefined) return;
    const list = positions.get(k);
    if (list) list.push(j);
    else positions.set(k, [j]);
  });
  let last = -1;
  a.forEach((k, i) => {
    const list = k === undefined ? undefined : positions.get(k);
    if (!list) return;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] <= last) lo = mid + 1;
      else hi = mid;
    }
    if (lo < list.length) {
      last = list[lo];
      out.push([offset + i, offset + last]);
    }
  });
}
