import { diffArrays } from 'diff';
import { throwIfAborted } from '../util/errors';
import { cleanLine, defaultLogRules, normalizeLines, normalizeSegments } from './logNormalize';
import type { CompiledRules, LineSegment, LogLine } from './logNormalize';

/**
 * Aligns two container logs line by line for a two-column view, comparing
 * normalised lines (see logNormalize.ts) so that only what differs between
 * the images differs. Lines present on one side only, and pairs of similar
 * lines that differ (with a word diff), are what a reader looks at.
 */

export type LogRowKind = 'same' | 'onlyA' | 'onlyB' | 'changed';

/**
 * One piece of a changed row's word diff, in raw text. The `a` texts of a
 * row's parts, concatenated, give `row.a.raw`; the `b` texts give `row.b.raw`.
 * A 'same' part is equal once normalised: its raw texts may still differ (a
 * masked timestamp).
 */
export interface WordPart {
  kind: 'same' | 'onlyA' | 'onlyB';
  a?: string;
  b?: string;
}

/** One row of the two-column view: `a` for 'same' | 'changed' | 'onlyA', `b` for 'same' | 'changed' | 'onlyB'. */
export interface LogRow {
  kind: LogRowKind;
  a?: LogLine;
  b?: LogLine;
  /** For 'changed' rows. */
  words?: WordPart[];
}

export interface LogDiffSummary {
  linesA: number;
  linesB: number;
  same: number;
  changed: number;
  onlyA: number;
  onlyB: number;
}

export interface LogDiff {
  rows: LogRow[];
  summary: LogDiffSummary;
}

export interface DiffLogsOptions {
  /**
   * How lines given as strings are normalised, and how changed rows are cut
   * for the word diff (default: the built-in masks). With LogLines, pass the
   * rules they were normalised with.
   */
  rules?: CompiledRules;
  signal?: AbortSignal;
  /** Longer lines (characters, either side) get a coarse word diff: their differing middle as one part each. Default 4000. */
  maxWordDiffLength?: number;
}

// Line alignment budget. Myers' algorithm (jsdiff) costs about (n + m) * D
// steps, tens of nanoseconds each: it is used only with an edit length bounded
// so that one call stays under MYERS_WORK steps, and all calls together under
// MYERS_BUDGET; beyond, anchors alone align the logs. The result is
// deterministic (no timeout) and its cost bounded whatever the logs.
const MYERS_WORK = 300_000;
const MYERS_BUDGET = 3_000_000;
const MIN_EDIT_LENGTH = 16;
// How many occurrences of a repeated line nearAnchors() considers for each line of the other side.
const NEAR = 16;

// Pairing of removed and added lines into 'changed' rows.
const SIMILAR = 0.5;
const PAIR_CELLS = 65_536;
const PAIR_CHUNK = 64;
const PAIR_BUDGET = 1_000_000;

function isLogLines(lines: readonly string[] | readonly LogLine[]): lines is readonly LogLine[] {
  return lines.length > 0 && typeof lines[0] !== 'string';
}

/**
 * Compares two logs. Lines given as strings are normalised with `opts.rules`;
 * LogLines are taken as they are (normalise both sides with the same rules).
 */
export function diffLogs(a: readonly string[] | readonly LogLine[], b: readonly string[] | readonly LogLine[], opts: DiffLogsOptions = {}): LogDiff {
  const rules = opts.rules ?? defaultLogRules();
  const signal = opts.signal;
  const la = isLogLines(a) ? a : normalizeLines(a as readonly string[], rules, signal);
  const lb = isLogLines(b) ? b : normalizeLines(b as readonly string[], rules, signal);
  throwIfAborted(signal);

  // Lines as small integers: equal numbers for equal normalised text.
  const ids = new Map<string, number>();
  const A = intern(la, ids);
  const B = intern(lb, ids);
  const match = align(A, B, ids.size, signal);
  throwIfAborted(signal);

  const out = new RowBuilder(la, lb, new Pairing(la, lb), new WordDiffer(rules, opts.maxWordDiffLength ?? 4000));
  for (let k = 0; k < A.length; k++) {
    if (match[k] >= 0) out.same(k, match[k]);
    if ((k & 0xffff) === 0xffff) throwIfAborted(signal);
  }
  out.gap(A.length, B.length);
  return { rows: out.rows, summary: out.summary };
}

function intern(lines: readonly LogLine[], ids: Map<string, number>): Int32Array {
  const out = new Int32Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const key = lines[i].normalized;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    out[i] = id;
  }
  return out;
}

/** Rows from the alignment: matched lines as 'same', each gap between them through the pairing. */
class RowBuilder {
  readonly rows: LogRow[] = [];
  readonly summary: LogDiffSummary;
  private i = 0;
  private j = 0;

  constructor(
    private readonly la: readonly LogLine[],
    private readonly lb: readonly LogLine[],
    private readonly pairing: Pairing,
    private readonly words: WordDiffer,
  ) {
    this.summary = { linesA: la.length, linesB: lb.length, same: 0, changed: 0, onlyA: 0, onlyB: 0 };
  }

  same(i: number, j: number): void {
    this.gap(i, j);
    this.rows.push({ kind: 'same', a: this.la[i], b: this.lb[j] });
    this.summary.same++;
    this.i = i + 1;
    this.j = j + 1;
  }

  /** The unmatched lines before A's line i1 and B's line j1: paired ones as 'changed', the others on one side. */
  gap(i1: number, j1: number): void {
    const { la, lb, rows, summary } = this;
    if (i1 > this.i && j1 > this.j) {
      for (const [pi, pj] of this.pairing.pair(this.i, i1, this.j, j1)) {
        this.onlyUntil(pi, pj);
        rows.push({ kind: 'changed', a: la[pi], b: lb[pj], words: this.words.diff(la[pi].raw, lb[pj].raw) });
        summary.changed++;
        this.i = pi + 1;
        this.j = pj + 1;
      }
    }
    this.onlyUntil(i1, j1);
  }

  private onlyUntil(i1: number, j1: number): void {
    const { la, lb, rows, summary } = this;
    for (; this.i < i1; this.i++, summary.onlyA++) rows.push({ kind: 'onlyA', a: la[this.i] });
    for (; this.j < j1; this.j++, summary.onlyB++) rows.push({ kind: 'onlyB', b: lb[this.j] });
  }
}

/**
 * Which line of B each line of A is matched with (-1: none), increasing.
 *
 * Common prefix and suffix first; then Myers (jsdiff) where it is cheap
 * (within the budget above); otherwise anchors, patience-style: lines that
 * occur once in each side's range, the longest increasing run of them, and
 * the same again between anchors. Where no line is unique (a log of repeated lines), a longest
 * common subsequence among pairs near the diagonal (nearAnchors) instead.
 * Every step matches equal lines in order, so the result is always a correct
 * alignment; only its minimality is given up on very different logs.
 */
function align(A: Int32Array, B: Int32Array, idCount: number, signal: AbortSignal | undefined): Int32Array {
  const match = new Int32Array(A.length).fill(-1);
  const scratch = new Scratch(idCount);
  let budget = MYERS_BUDGET;
  const stack: number[] = [0, A.length, 0, B.length];
  let steps = 0;
  while (stack.length) {
    let b1 = stack.pop()!;
    let b0 = stack.pop()!;
    let a1 = stack.pop()!;
    let a0 = stack.pop()!;
    if ((++steps & 0x3ff) === 0) throwIfAborted(signal);
    while (a0 < a1 && b0 < b1 && A[a0] === B[b0]) match[a0++] = b0++;
    while (a0 < a1 && b0 < b1 && A[a1 - 1] === B[b1 - 1]) match[--a1] = --b1;
    if (a0 === a1 || b0 === b1) continue;
    const size = a1 - a0 + (b1 - b0);
    const maxEdit = Math.min(size, Math.floor(MYERS_WORK / size));
    if (budget > 0 && (maxEdit === size || maxEdit >= MIN_EDIT_LENGTH)) {
      const d = myers(A, B, a0, a1, b0, b1, maxEdit, match);
      budget -= size * (d < 0 ? maxEdit : d);
      if (d >= 0) continue;
    }
    let anchors = scratch.uniqueAnchors(A, B, a0, a1, b0, b1);
    if (anchors.length === 0) anchors = scratch.nearAnchors(A, B, a0, a1, b0, b1);
    // Nothing in common: every line of the range is on one side only.
    if (anchors.length === 0) continue;
    let pa = a0;
    let pb = b0;
    for (let k = 0; k < anchors.length; k += 2) {
      const ai = anchors[k];
      const bj = anchors[k + 1];
      match[ai] = bj;
      if (ai > pa || bj > pb) stack.push(pa, ai, pb, bj);
      pa = ai + 1;
      pb = bj + 1;
    }
    if (pa < a1 || pb < b1) stack.push(pa, a1, pb, b1);
  }
  return match;
}

/** jsdiff's Myers on one range: its edit length, or -1 when that would exceed `maxEditLength` (nothing matched then). */
function myers(A: Int32Array, B: Int32Array, a0: number, a1: number, b0: number, b1: number, maxEditLength: number, match: Int32Array): number {
  const changes = diffArrays(Array.from(A.subarray(a0, a1)), Array.from(B.subarray(b0, b1)), { maxEditLength });
  if (!changes) return -1;
  let i = a0;
  let j = b0;
  let edits = 0;
  for (const c of changes) {
    if (c.added) j += c.count;
    else if (c.removed) i += c.count;
    else for (let k = 0; k < c.count; k++) match[i++] = j++;
    if (c.added || c.removed) edits += c.count;
  }
  return edits;
}

/** Per-line-id counters reused across ranges (reset after each use), so a range costs its own size, not the number of distinct lines. */
class Scratch {
  private readonly countA: Int32Array;
  private readonly countB: Int32Array;
  private readonly posA: Int32Array;
  private readonly start: Int32Array;
  private readonly fill: Int32Array;

  constructor(idCount: number) {
    this.countA = new Int32Array(idCount);
    this.countB = new Int32Array(idCount);
    this.posA = new Int32Array(idCount);
    this.start = new Int32Array(idCount).fill(-1);
    this.fill = new Int32Array(idCount);
  }

  /** Lines once in A's range and once in B's: the longest run of them in the same order, as [i, j, i, j, ...]. */
  uniqueAnchors(A: Int32Array, B: Int32Array, a0: number, a1: number, b0: number, b1: number): number[] {
    const { countA, countB, posA } = this;
    for (let i = a0; i < a1; i++) {
      countA[A[i]]++;
      posA[A[i]] = i;
    }
    for (let j = b0; j < b1; j++) countB[B[j]]++;
    const is: number[] = [];
    const js: number[] = [];
    for (let j = b0; j < b1; j++) {
      const id = B[j];
      if (countA[id] === 1 && countB[id] === 1) {
        is.push(posA[id]);
        js.push(j);
      }
    }
    for (let i = a0; i < a1; i++) countA[A[i]] = 0;
    for (let j = b0; j < b1; j++) countB[B[j]] = 0;
    return longestIncreasing(is, js);
  }

  /**
   * Hunt–Szymanski restricted to pairs near the diagonal: each line of B is
   * paired with the NEAR occurrences of the same line in A closest to where
   * it would sit if the ranges were aligned proportionally; the longest run
   * of these pairs in order is a longest common subsequence among them. For
   * logs where every line repeats (no unique anchor) it still finds what the
   * two share, where pairing the k-th occurrences would drift apart.
   */
  nearAnchors(A: Int32Array, B: Int32Array, a0: number, a1: number, b0: number, b1: number): number[] {
    const { countA, start, fill } = this;
    // A's positions grouped by line, in order: pos[start[id] .. start[id] + countA[id]).
    for (let i = a0; i < a1; i++) countA[A[i]]++;
    const pos = new Int32Array(a1 - a0);
    let cursor = 0;
    for (let i = a0; i < a1; i++) {
      const id = A[i];
      if (start[id] < 0) {
        start[id] = cursor;
        cursor += countA[id];
      }
      pos[start[id] + fill[id]++] = i;
    }
    const is: number[] = [];
    const js: number[] = [];
    const scale = (a1 - a0) / (b1 - b0);
    for (let j = b0; j < b1; j++) {
      const id = B[j];
      const c = countA[id];
      if (c === 0) continue;
      const s = start[id];
      const expected = a0 + (j - b0 + 0.5) * scale;
      let lo = 0;
      let hi = c;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pos[s + mid] < expected) lo = mid + 1;
        else hi = mid;
      }
      // Decreasing i for one j, so that an increasing run takes at most one of them.
      for (let k = Math.min(c, lo + NEAR / 2) - 1; k >= Math.max(0, lo - NEAR / 2); k--) {
        is.push(pos[s + k]);
        js.push(j);
      }
    }
    for (let i = a0; i < a1; i++) {
      const id = A[i];
      countA[id] = 0;
      start[id] = -1;
      fill[id] = 0;
    }
    return longestIncreasing(is, js);
  }
}

/** The longest subsequence of pairs (ordered by j) whose i increase too, as [i, j, i, j, ...] (patience sorting, O(k log k)). */
function longestIncreasing(is: readonly number[], js: readonly number[]): number[] {
  const k = is.length;
  if (k === 0) return [];
  const tails = new Int32Array(k); // tails[l]: index of the smallest last i of a run of length l + 1
  const prev = new Int32Array(k);
  let len = 0;
  for (let x = 0; x < k; x++) {
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (is[tails[mid]] < is[x]) lo = mid + 1;
      else hi = mid;
    }
    prev[x] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = x;
    if (lo === len) len++;
  }
  const out = new Array<number>(2 * len);
  for (let x = tails[len - 1], l = len - 1; x >= 0; x = prev[x], l--) {
    out[2 * l] = is[x];
    out[2 * l + 1] = js[x];
  }
  return out;
}

/**
 * Pairs removed and added lines of one gap of the alignment into 'changed'
 * rows: the order-preserving pairing of greatest total similarity (Dice
 * coefficient of their words), only pairs at least SIMILAR alike. Runs
 * too big for one table are cut into proportional chunks; past PAIR_BUDGET
 * comparisons, lines stay unpaired (one side only), which is still true.
 */
class Pairing {
  private budget = PAIR_BUDGET;

  constructor(
    private readonly la: readonly LogLine[],
    private readonly lb: readonly LogLine[],
  ) {}

  /** Pairs [i, j] in order, i in [i0, i1), j in [j0, j1). */
  pair(i0: number, i1: number, j0: number, j1: number): Array<[number, number]> {
    const r = i1 - i0;
    const s = j1 - j0;
    if (r * s <= PAIR_CELLS) return this.table(i0, i1, j0, j1);
    const chunks = Math.ceil(Math.max(r, s) / PAIR_CHUNK);
    const out: Array<[number, number]> = [];
    for (let c = 0; c < chunks; c++) {
      const ci0 = i0 + Math.floor((r * c) / chunks);
      const ci1 = i0 + Math.floor((r * (c + 1)) / chunks);
      const cj0 = j0 + Math.floor((s * c) / chunks);
      const cj1 = j0 + Math.floor((s * (c + 1)) / chunks);
      if (ci1 > ci0 && cj1 > cj0) out.push(...this.table(ci0, ci1, cj0, cj1));
    }
    return out;
  }

  private table(i0: number, i1: number, j0: number, j1: number): Array<[number, number]> {
    const r = i1 - i0;
    const s = j1 - j0;
    if (r * s > this.budget) return [];
    this.budget -= r * s;
    // A line belongs to one gap: its words are needed by one table only.
    const wa: Int32Array[] = [];
    const wb: Int32Array[] = [];
    for (let x = i0; x < i1; x++) wa.push(wordHashes(this.la[x].normalized));
    for (let y = j0; y < j1; y++) wb.push(wordHashes(this.lb[y].normalized));
    // best[x][y]: the greatest total similarity pairing lines before x with lines before y.
    const w = s + 1;
    const best = new Float64Array((r + 1) * w);
    const took = new Uint8Array((r + 1) * w); // 1: pair (x-1, y-1), 2: skip x-1, 3: skip y-1
    for (let x = 1; x <= r; x++) {
      for (let y = 1; y <= s; y++) {
        let v = best[(x - 1) * w + y];
        let t = 2;
        if (best[x * w + y - 1] > v) {
          v = best[x * w + y - 1];
          t = 3;
        }
        const sim = similarity(wa[x - 1], wb[y - 1]);
        if (sim >= SIMILAR && best[(x - 1) * w + y - 1] + sim > v) {
          v = best[(x - 1) * w + y - 1] + sim;
          t = 1;
        }
        best[x * w + y] = v;
        took[x * w + y] = t;
      }
    }
    const pairs: Array<[number, number]> = [];
    for (let x = r, y = s; x > 0 && y > 0; ) {
      const t = took[x * w + y];
      if (t === 1) pairs.push([i0 + --x, j0 + --y]);
      else if (t === 2) x--;
      else y--;
    }
    return pairs.reverse();
  }
}

const isWordChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
const isJoiner = (c: number): boolean => c === 46 || c === 47 || c === 43 || c === 126 || c === 64 || c === 37 || c === 45; // . / + ~ @ % -

/**
 * A line's words for similarity, as sorted 32-bit hashes (FNV-1a): runs of
 * letters and digits joined by . / + ~ @ % - (`mod_fcgid/2.3.9` is one
 * word). Placeholders do not count: every line has a <time>. Hashing in one
 * pass, without cutting strings, keeps pairing cheap on large gaps; a
 * collision only nudges a similarity.
 */
function wordHashes(text: string): Int32Array {
  const out: number[] = [];
  const n = text.length;
  for (let i = 0; i < n; ) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const from = i;
    let h = 0x811c9dc5;
    for (;;) {
      const c = text.charCodeAt(i);
      if (isWordChar(c) || (isJoiner(c) && isWordChar(text.charCodeAt(i + 1)))) {
        h = Math.imul(h ^ c, 0x01000193);
        i++;
      } else break;
    }
    if (text.charCodeAt(from - 1) === 60 && text.charCodeAt(i) === 62) continue; // <placeholder>
    out.push(h | 0);
  }
  return Int32Array.from(out).sort();
}

/** Dice coefficient of two sorted multisets: 2 |x ∩ y| / (|x| + |y|). */
function similarity(x: Int32Array, y: Int32Array): number {
  const total = x.length + y.length;
  if (total === 0) return 0;
  // Cannot reach SIMILAR when one is much longer than the other.
  if (2 * Math.min(x.length, y.length) < SIMILAR * total) return 0;
  let common = 0;
  for (let p = 0, q = 0; p < x.length && q < y.length; ) {
    if (x[p] === y[q]) {
      common++;
      p++;
      q++;
    } else if (x[p] < y[q]) p++;
    else q++;
  }
  return (2 * common) / total;
}

// Tokens of the word diff: a word as above, a run of blanks, or any other single character.
const TOKEN = /[\p{L}\p{N}_]+(?:[./+~@%-][\p{L}\p{N}_]+)*|\s+|[^\p{L}\p{N}_\s]/gu;

interface Token {
  /** What is compared: the normalised text (a placeholder for a masked value). */
  key: string;
  /** What is shown. */
  raw: string;
}

/**
 * Word diff of two paired lines: compared on their normalised tokens, so
 * masked values (timestamps, pids) never light up, and shown on their raw
 * text. A masked value is one token; so is a version such as
 * `mod_fcgid/2.3.9`, which is highlighted whole.
 */
class WordDiffer {
  constructor(
    private readonly rules: CompiledRules,
    private readonly maxLength: number,
  ) {}

  diff(rawA: string, rawB: string): WordPart[] {
    const sa = normalizeSegments(rawA, this.rules);
    const sb = normalizeSegments(rawB, this.rules);
    const parts = new PartBuilder();
    // Equal segments at both ends need no tokens (an Apache line's time, module, pid and tid).
    let p = 0;
    while (p < sa.length && p < sb.length && sameSegment(sa[p], sb[p])) parts.same(sa[p].raw, sb[p++].raw);
    let qa = sa.length;
    let qb = sb.length;
    while (qa > p && qb > p && sameSegment(sa[qa - 1], sb[qb - 1])) {
      qa--;
      qb--;
    }
    const ta = tokensOf(sa.slice(p, qa));
    const tb = tokensOf(sb.slice(p, qb));
    let t = 0;
    while (t < ta.length && t < tb.length && ta[t].key === tb[t].key) parts.same(ta[t].raw, tb[t++].raw);
    let ea = ta.length;
    let eb = tb.length;
    while (ea > t && eb > t && ta[ea - 1].key === tb[eb - 1].key) {
      ea--;
      eb--;
    }
    const midA = ta.slice(t, ea);
    const midB = tb.slice(t, eb);
    // One side's middle empty is a pure insertion or deletion; long lines get their middle as a whole
    // rather than a word diff of unbounded cost.
    const changes =
      midA.length && midB.length && rawA.length <= this.maxLength && rawB.length <= this.maxLength
        ? diffArrays(
            midA.map((x) => x.key),
            midB.map((x) => x.key),
            { maxEditLength: 256 },
          )
        : undefined;
    if (changes) {
      let x = 0;
      let y = 0;
      for (const c of changes) {
        for (let k = 0; k < c.count; k++) {
          if (c.added) parts.onlyB(midB[y++].raw);
          else if (c.removed) parts.onlyA(midA[x++].raw);
          else parts.same(midA[x++].raw, midB[y++].raw);
        }
      }
    } else {
      for (const x of midA) parts.onlyA(x.raw);
      for (const y of midB) parts.onlyB(y.raw);
    }
    for (let k = 0; k < ta.length - ea; k++) parts.same(ta[ea + k].raw, tb[eb + k].raw);
    for (let k = 0; k < sa.length - qa; k++) parts.same(sa[qa + k].raw, sb[qb + k].raw);
    return parts.finish();
  }
}

/** The word diff of two raw lines, as 'changed' rows carry it. */
export function wordDiff(rawA: string, rawB: string, rules: CompiledRules = defaultLogRules(), maxLength = 4000): WordPart[] {
  return new WordDiffer(rules, maxLength).diff(rawA, rawB);
}

function sameSegment(x: LineSegment, y: LineSegment): boolean {
  return x.normalized === y.normalized && x.masked === y.masked;
}

function tokensOf(segments: readonly LineSegment[]): Token[] {
  const out: Token[] = [];
  // Escape sequences and trimmed blanks are shown with the token they precede (or the last one).
  let pending = '';
  for (const s of segments) {
    if (s.masked) {
      out.push({ key: s.normalized, raw: pending + s.raw });
      pending = '';
      continue;
    }
    for (const t of s.normalized.match(TOKEN) ?? []) {
      out.push({ key: t, raw: pending + t });
      pending = '';
    }
    pending += s.raw.slice(s.normalized.length);
  }
  if (pending) {
    if (out.length) out[out.length - 1].raw += pending;
    else out.push({ key: '', raw: pending });
  }
  return out;
}

/** Word parts, merging neighbours of the same kind. */
class PartBuilder {
  private readonly parts: WordPart[] = [];

  same(a: string, b: string): void {
    const last = this.parts[this.parts.length - 1];
    if (last?.kind === 'same') {
      last.a += a;
      last.b += b;
    } else this.parts.push({ kind: 'same', a, b });
  }

  onlyA(a: string): void {
    const last = this.parts[this.parts.length - 1];
    if (last?.kind === 'onlyA') last.a += a;
    else this.parts.push({ kind: 'onlyA', a });
  }

  onlyB(b: string): void {
    const last = this.parts[this.parts.length - 1];
    if (last?.kind === 'onlyB') last.b += b;
    else this.parts.push({ kind: 'onlyB', b });
  }

  /**
   * The parts, with each run of changes as one onlyA then one onlyB part, and
   * a blank between two replacements joined to them: `200 8547` → `502 0`
   * reads better than two changes around a shared space.
   */
  finish(): WordPart[] {
    const groups: Array<{ same: boolean; a: string; b: string }> = [];
    for (const p of this.parts) {
      const last = groups[groups.length - 1];
      if (p.kind !== 'same' && last && !last.same) {
        last.a += p.a ?? '';
        last.b += p.b ?? '';
      } else groups.push({ same: p.kind === 'same', a: p.a ?? '', b: p.b ?? '' });
    }
    const out: WordPart[] = [];
    let change: { a: string; b: string } | undefined;
    const flush = (): void => {
      if (change?.a) out.push({ kind: 'onlyA', a: change.a });
      if (change?.b) out.push({ kind: 'onlyB', b: change.b });
      change = undefined;
    };
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k];
      const next = groups[k + 1];
      if (!g.same) {
        if (change) {
          change.a += g.a;
          change.b += g.b;
        } else change = { a: g.a, b: g.b };
      } else if (change?.a && change.b && next && next.a && next.b && g.a === g.b && /^\s+$/.test(g.a)) {
        change.a += g.a;
        change.b += g.b;
      } else {
        flush();
        out.push({ kind: 'same', a: g.a, b: g.b });
      }
    }
    flush();
    return out;
  }
}

/** What a log says it loaded: `[fcgid:info]`-style module tags (`fcgid`) and `name/1.2.3` product tokens (`mod_fcgid/2.3.9`). */
export interface LogMarkers {
  onlyA: string[];
  onlyB: string[];
}

// Apache's `[module:level]`; levels as in its LogLevel directive.
const MODULE_TAG = /\[([A-Za-z_][\w.-]*):(?:emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\]/g;
// `Apache/2.4.68`, `mod_fcgid/2.3.9`, `OpenSSL/3.0.15`, `PHP/8.2.29-1~deb12u1`; not the tail of a path (`/usr/lib/php/8.2`).
const PRODUCT = /(?<![\w./-])[A-Za-z][\w+-]*(?:\.[A-Za-z][\w+-]*)*\/v?\d+(?:\.\d+)+(?:[-+~][\w.~+-]*[\w~+])?(?![\w/])/g;

// Protocols look like products (`HTTP/1.1`, `TLSv1.3` is not matched anyway) but say nothing of what was loaded.
const PROTOCOL = /^(?:HTTP|HTTPS|SPDY|RTSP|SIP|FTP|SMTP|IMAP|AMQP|MQTT)\//i;
// An access-log line (`"GET / HTTP/1.1" 200 ... "curl/8.0.1"`): its tokens are the client's, not the server's.
const ACCESS_LOG = /"(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT|TRACE) [^"]* HTTP\/[\d.]+"/;

/** Module tags and product tokens in the order a log first mentions them. */
export function logMarkers(lines: readonly string[] | readonly LogLine[]): string[] {
  const seen = new Set<string>();
  for (const l of lines) {
    const text = typeof l === 'string' ? cleanLine(l) : l.normalized;
    if (!text.includes('[') && !text.includes('/')) continue;
    const found: Array<[number, string]> = [];
    for (const m of text.matchAll(MODULE_TAG)) found.push([m.index, m[1]]);
    if (!ACCESS_LOG.test(text)) for (const m of text.matchAll(PRODUCT)) if (!PROTOCOL.test(m[0])) found.push([m.index, m[0]]);
    for (const [, marker] of found.sort((x, y) => x[0] - y[0])) seen.add(marker);
  }
  return [...seen];
}

/** The module tags and product tokens that one log mentions and the other does not (`fcgid`, `mod_fcgid/2.3.9` only in A). */
export function diffLogMarkers(a: readonly string[] | readonly LogLine[], b: readonly string[] | readonly LogLine[]): LogMarkers {
  const ma = logMarkers(a);
  const mb = logMarkers(b);
  const sa = new Set(ma);
  const sb = new Set(mb);
  return { onlyA: ma.filter((x) => !sb.has(x)), onlyB: mb.filter((x) => !sa.has(x)) };
}
