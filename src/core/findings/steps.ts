/** What a Dockerfile step did differently on the two sides: the files its row changes, and the packages. */
import { posix } from 'node:path';
import { sameInstruction, type LayerPair } from '../diff/align';
import type { FileChange } from '../diff/fileDiff';
import { packageDbKind, type Ecosystem } from '../packages/packages';
import { otherSide, SIDES, type Side } from '../util/side';
import { list, octal, plural } from '../util/text';
import { candidatePaths, stepCommands, workdirAt } from './commands';
import type { FindingContext } from './context';
import { crlfSide, isFileType, mostNotable, NOISE, notability } from './evidence';
import type { PackageEvidence } from './finding';
import { base } from './phrasing';

export interface RowEffect {
  row: LayerPair;
  /** Merged-filesystem changes placed at this row (or the layers' own differences when none are). */
  files: FileChange[];
  onlyIn: Record<Side, FileChange[]>;
  changed: FileChange[];
  noiseOnly: boolean;
  /** Ecosystems whose package database changes at this row. */
  dbKinds: Set<Ecosystem>;
}

export function rowEffect(ctx: FindingContext, row: LayerPair): RowEffect {
  const merged = ctx.mergedByRow.get(row.index) ?? [];
  const files = merged.length ? [...merged] : [...row.files];
  const onlyIn = { a: files.filter((f) => f.change === 'removed'), b: files.filter((f) => f.change === 'added') };
  const changed = files.filter((f) => f.change === 'modified');
  const dbKinds = new Set<Ecosystem>();
  for (const f of files) {
    const k = packageDbKind(f.path);
    if (k) dbKinds.add(k);
  }
  return { row, files, onlyIn, changed, noiseOnly: files.length > 0 && files.every((f) => NOISE.test(f.path)), dbKinds };
}

/**
 * What a step did differently, seen from side `s`: the title part ("31 files
 * missing, among them /usr/lib/apache2/modules/mod_fcgid.so") and the rest
 * ("8 files changed") for the detail.
 */
export function effectText(e: RowEffect, s: Side): { text: string; rest: string; notable: FileChange[] } {
  const missing = e.onlyIn[otherSide(s)];
  const extra = e.onlyIn[s];
  const parts: Array<[string, FileChange[]]> = [];
  if (missing.length) parts.push([`${plural(missing.length, 'file')} missing`, missing]);
  if (extra.length) parts.push([`${plural(extra.length, 'file')} more`, extra]);
  if (e.changed.length) parts.push([`${plural(e.changed.length, 'file')} changed`, e.changed]);
  if (!parts.length) return { text: 'the same files, other bytes', rest: '', notable: [] };
  const [[first, pool], ...others] = parts;
  const notable = mostNotable(pool).filter((f) => notability(f) >= 2);
  return { text: `${first}${notable.length ? `, among them ${notable[0].path}` : ''}`, rest: others.map(([t]) => t).join(', '), notable };
}

/** Which side a step "did less" on: the one missing files the other has. */
export function lesserSide(e: RowEffect): Side {
  return e.onlyIn.b.length > e.onlyIn.a.length ? 'a' : 'b';
}

/** What a row's package database change says, from side `s`: "the dpkg database in ci lacks libapache2-mod-fcgid". */
export function rowPackages(ctx: FindingContext, e: RowEffect, s: Side): { text: string; evidence: PackageEvidence[] } {
  const parts: string[] = [];
  const evidence: PackageEvidence[] = [];
  for (const eco of ctx.input.packages?.ecosystems ?? []) {
    if (!e.dbKinds.has(eco.kind)) continue;
    const missing = s === 'b' ? eco.removed : eco.added;
    const extra = s === 'b' ? eco.added : eco.removed;
    const bits: string[] = [];
    if (missing.length) bits.push(`lacks ${list(missing.map((c) => c.name))}`);
    if (extra.length) bits.push(`has ${list(extra.map((c) => c.name))} more`);
    if (eco.changed.length) bits.push(`has other versions of ${list(eco.changed.map((c) => c.name))}`);
    if (bits.length) parts.push(`the ${eco.kind} database in ${ctx.names[s]} ${bits.join(' and ')}`);
    for (const c of [...missing, ...extra, ...eco.changed]) evidence.push({ ecosystem: eco.kind, name: c.name });
  }
  return { text: parts.join('; '), evidence };
}

/** Rows of steps that are the same Dockerfile RUN line on both sides but made different layers (not in the base image). */
export function sameRunRows(ctx: FindingContext): LayerPair[] {
  return ctx.rows.filter((row) => row.status === 'different' && row.a && row.b && !row.base && sameInstruction(row.a, row.b) && /^RUN\b/.test(row.a.instruction));
}

/** Scripts with CRLF line endings, written before `row`, that its RUN line runs (on the CRLF side). */
export function crlfScriptsOf(ctx: FindingContext, row: LayerPair): FileChange[] {
  const out: FileChange[] = [];
  for (const s of SIDES) for (const i of stepInputs(ctx, row, s)) if (i.run && crlfSide(i.file) === s && !out.includes(i.file)) out.push(i.file);
  return out;
}

/** A file a step runs or reads that differs on `side` (where the step did less or other work), and how. */
export interface StepInput {
  file: FileChange;
  /** The step executes it (a program, or a script handed to an interpreter), rather than only reading it. */
  run: boolean;
  /** What differs on `side`, as a clause: "setup.sh is not executable in b (0644; 0755 in a)". */
  why: string;
  /** How much it explains a step that failed: a lost execute bit on what runs first, a bare difference of content last. */
  weight: number;
  /** What to do about it. */
  fix: string;
}

/** The history entry of the step of `row` on `side` (its layer's, or the empty step's). */
function historyIndex(ctx: FindingContext, row: LayerPair, side: Side): number | undefined {
  if (row.emptyStep?.side === side) return row.emptyStep.history;
  const layer = row[side];
  if (!layer) return undefined;
  const i = ctx.images[side].history.findIndex((h) => h.layerIndex === layer.index);
  return i === -1 ? undefined : i;
}

/** The Dockerfile line of a row's step, as either side recorded it. */
export function stepInstruction(row: LayerPair): string {
  return row.a?.instruction ?? row.b?.instruction ?? row.emptyStep?.instruction ?? '';
}

/**
 * The files the step of `row` runs or reads that differ on `side`, written
 * before it, best explanation first: what a RUN line names, resolved the way
 * the shell would (against the WORKDIR of that step, and PATH for programs).
 */
export function stepInputs(ctx: FindingContext, row: LayerPair, side: Side): StepInput[] {
  const instr = stepInstruction(row);
  if (!/^RUN\b/.test(instr)) return [];
  const other = otherSide(side);
  // The WORKDIR the step ran in, from whichever side's history places it (the same Dockerfile line on both).
  const mine = historyIndex(ctx, row, side);
  const theirs = historyIndex(ctx, row, other);
  const workdir = mine !== undefined ? workdirAt(ctx.images[side].history, mine) : theirs !== undefined ? workdirAt(ctx.images[other].history, theirs) : '/';
  const { runs, reads } = stepCommands(instr.replace(/^RUN\s+/, ''));
  const config = ctx.images[side].config;
  const resolve = (w: string, onPath: boolean): string[] =>
    w.startsWith('/') ? [posix.normalize(w)] : w.includes('/') || !onPath ? [posix.join(workdir, w)] : candidatePaths(w, config);
  const byPath = new Map(ctx.files.filter((f) => f.layer < row.index).map((f) => [f.path, f]));
  const out: StepInput[] = [];
  const consider = (word: string, run: boolean, directly: boolean) => {
    for (const p of resolve(word, directly)) {
      const f = byPath.get(p);
      if (!f || out.some((x) => x.file === f)) continue;
      const mine = f[side];
      const theirs = f[other];
      const name = base(p);
      let found: Omit<StepInput, 'file' | 'run'> | undefined;
      if (!mine && theirs) found = { why: `${name} is missing in ${ctx.names[side]}`, weight: 8, fix: `add ${name} to the build context (or the step that makes it)` };
      else if (mine && theirs && run && directly && isFileType(mine) && !(mine.mode & 0o111) && theirs.mode & 0o111) {
        found = {
          why: `${name} is not executable in ${ctx.names[side]} (${octal(mine.mode)}; ${octal(theirs.mode)} in ${ctx.names[other]})`,
          weight: 10,
          fix: `set its mode in the Dockerfile (COPY --chmod=0755, or run it as \`sh ${name}\`) instead of relying on the checkout`,
        };
      } else if (mine && theirs && crlfSide(f) === side) found = { why: `${name} has CRLF line endings in ${ctx.names[side]}`, weight: run ? 9 : 4, fix: 'store it with LF (`*.sh text eol=lf` in .gitattributes)' };
      else if (mine && theirs && f.reasons.includes('content')) found = { why: `${name} has other content in ${ctx.names[side]}`, weight: 5, fix: `compare the two versions of ${name}` };
      else if (mine && theirs && f.reasons.includes('owner')) found = { why: `${name} has another owner in ${ctx.names[side]} (${mine.uid}:${mine.gid})`, weight: 3, fix: 'give it the same owner (COPY --chown)' };
      if (found) out.push({ file: f, run, ...found });
      return;
    }
  };
  for (const r of runs) consider(r.word, true, r.directly);
  for (const w of reads) consider(w, false, false);
  return out.sort((x, y) => y.weight - x.weight);
}

/** Paths with a carriage return in their name: what a CRLF script writes when a line sets a directory. */
export const hasCr = (p: string) => p.includes('\r');

/** A path as a title shows it: a carriage return in a name as \r. */
export const shownPath = (p: string) => p.replace(/\r/g, '\\r');
