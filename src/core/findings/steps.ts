/** What a Dockerfile step did differently on the two sides: the files its row changes, and the packages. */
import { sameInstruction, type FileChange, type LayerPair } from '../diff/compare';
import { packageDbKind, type Ecosystem } from '../packages/packages';
import type { Side } from '../run/runModel';
import { list, plural } from '../util/text';
import { mentions } from './commands';
import type { FindingContext } from './context';
import { crlfSide, mostNotable, NOISE, notability } from './evidence';
import type { PackageEvidence } from './finding';
import { otherSide } from '../util/side';

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

/** Scripts with CRLF line endings, written before `row`, that its RUN line names (on the CRLF side). */
export function crlfScriptsOf(ctx: FindingContext, row: LayerPair): FileChange[] {
  return ctx.files.filter((f) => {
    const s = crlfSide(f);
    return s !== undefined && f.layer < row.index && mentions(row[s]!.createdBy, f.path);
  });
}
