import type { DiffReport, GateResult, ReportLayer, ReportLayerSide, ReportLeftovers, ReportPackages } from '../core/report/report';
import type { ImageModel } from '../core/image/model';
import type { MergedEntry } from '../core/layers/fileTree';
import type { Leftover } from '../core/findings/leftovers';
import type { PackageChange } from '../core/packages/packages';
import { describeChange, groupFiles } from '../core/report/report';
import { cut, octal, shortId, two } from '../core/util/text';
import { humanSize } from '../core/util/units';
import { differs, sameInstruction } from '../core/diff/align';
import { findingLines, findingsMarkdown } from './findingFormat';
import { inert, inertCode, inertMarkdown as md, inertText } from '../core/util/inert';

/** Files listed per group in text and Markdown; JSON always has all of them. */
const PER_GROUP = 25;



function layerLabel(s: ReportLayerSide | undefined): string {
  return s ? s.instruction : '';
}

/** Consecutive identical rows become one line: a shared base is one fact, not twelve. */
function collapse(layers: readonly ReportLayer[]): Array<ReportLayer | ReportLayer[]> {
  const out: Array<ReportLayer | ReportLayer[]> = [];
  for (const l of layers) {
    const last = out[out.length - 1];
    if (l.status === 'identical' && Array.isArray(last)) last.push(l);
    else out.push(l.status === 'identical' ? [l] : l);
  }
  return out;
}

const MARK: Record<string, string> = { identical: '=', sameContent: '≈', different: '≠', onlyA: '-', onlyB: '+' };

const STATUS_WORDS: Record<string, string> = { identical: 'identical', sameContent: 'same content, other timestamps', different: 'different', onlyA: 'only in A', onlyB: 'only in B' };

/** Findings printed in text and Markdown; JSON always has all of them. */
const MAX_FINDINGS = 30;

/**
 * The text report: findings first (when the comparison was analysed), then
 * A and B, layers, files by reason, packages, leftovers, config and the
 * gate. Paths and commands come from the images: every line is made inert
 * before it reaches a terminal.
 */
export function renderText(r: DiffReport, gate: GateResult): string {
  const lines: string[] = [];
  if (r.findings) lines.push(...findingLines(r.findings, MAX_FINDINGS), '');
  const w = Math.max(r.a.name.length, r.b.name.length);
  for (const [k, s] of [['A', r.a], ['B', r.b]] as const) {
    lines.push(`${k}  ${s.name.padEnd(w)}  ${shortId(s.id)}  ${s.layers} layers, ${humanSize(s.size)}, ${s.platform || 'unknown platform'}${s.source === 'snapshot' ? `  (snapshot ${s.ref})` : ''}`);
  }
  lines.push('', 'Layers');
  for (const item of collapse(r.layers)) {
    if (Array.isArray(item)) {
      const size = item.reduce((n, l) => n + (l.a?.size ?? 0), 0);
      const span = item.length === 1 ? two(item[0].index) : `${two(item[0].index)}-${two(item[item.length - 1].index)}`;
      const what = item.length === 1 ? cut(layerLabel(item[0].a), 70) : 'shared layers';
      lines.push(`  = ${span.padEnd(5)}  ${item.length} identical: ${what} (${humanSize(size)})`);
      continue;
    }
    const l = item;
    const n = l.files?.length ?? 0;
    const files = `${n} file${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''}`;
    if (l.status === 'sameContent') {
      lines.push(`  ≈ ${two(l.index).padEnd(5)}  ${cut(l.a!.instruction, 90)}  [same content, other timestamps]`);
    } else if (l.status === 'different') {
      const same = sameInstruction(l.a!, l.b!);
      lines.push(`  ≠ ${two(l.index).padEnd(5)}  ${cut(l.a!.instruction, 90)}  [${files}]`);
      if (!same) lines.push(`    ${''.padEnd(5)}  B: ${cut(l.b!.instruction, 90)}`);
    } else {
      const side = l.status === 'onlyA' ? l.a! : l.b!;
      const other = l.status === 'onlyA' ? 'B' : 'A';
      const empty = l.emptyStep ? `; ${other} ran the same step and it wrote nothing` : '';
      lines.push(`  ${MARK[l.status]} ${two(l.index).padEnd(5)}  only in ${l.status === 'onlyA' ? 'A' : 'B'}: ${cut(side.instruction, 80)} (${side.fileCount} files, ${humanSize(side.size)})${empty}`);
    }
  }
  const s = r.summary.files;
  lines.push('', `Files: ${s.modified} modified, ${s.added} added, ${s.removed} removed${r.ignored.length ? ` (ignoring ${r.ignored.join(', ')})` : ''}`);
  for (const g of groupFiles(r.files)) {
    lines.push(`  ${g.title} (${g.files.length})`);
    const pw = Math.min(60, Math.max(...g.files.slice(0, PER_GROUP).map((f) => f.path.length)));
    for (const f of g.files.slice(0, PER_GROUP)) lines.push(`    ${f.path.padEnd(pw)}  ${describeChange(f)}  (layer ${two(f.layer)})`);
    if (g.files.length > PER_GROUP) lines.push(`    … and ${g.files.length - PER_GROUP} more (--json lists all)`);
  }
  if (r.packages) lines.push('', ...packageLines(r.packages));
  if (r.leftovers && (r.leftovers.a.length || r.leftovers.b.length)) lines.push('', ...leftoverLines(r.leftovers));
  if (r.config.length) {
    lines.push('', 'Config');
    for (const c of r.config) lines.push(`  ${c.field}: ${show(c.a)} → ${show(c.b)}`);
  }
  lines.push('', gate.fail ? `Different: ${gate.explanation}.` : `OK: ${gate.explanation}.`);
  return lines.map(inert).join('\n') + '\n';
}

const PACKAGE_MARK: Record<PackageChange['change'], string> = { added: '+', removed: '-', changed: '~' };

function packageChange(c: PackageChange): string {
  const version = c.change === 'changed' ? `${c.a} → ${c.b}` : (c.a ?? c.b ?? '');
  const notes = [c.change === 'changed' && c.direction !== 'upgrade' ? c.direction : '', c.security ?? ''].filter(Boolean).join(', ');
  return `${c.name}${c.arch ? `:${c.arch}` : ''}  ${version}${notes ? `  (${notes})` : ''}`;
}

function packageCounts(e: ReportPackages['ecosystems'][number]): string {
  if (e.identical) return 'same databases (not read)';
  const parts = [e.added.length && `${e.added.length} added`, e.removed.length && `${e.removed.length} removed`, e.changed.length && `${e.changed.length} changed`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no change';
}

/** Per ecosystem: counts, then each change (+ only in B, - only in A, ~ other version). */
function packageLines(p: ReportPackages): string[] {
  if (!p.ecosystems.length) return ['Packages: no package database found'];
  const out = ['Packages'];
  for (const e of p.ecosystems) {
    out.push(`  ${e.kind}: ${packageCounts(e)}`);
    const all = [...e.changed, ...e.removed, ...e.added];
    for (const c of all.slice(0, PER_GROUP)) out.push(`    ${PACKAGE_MARK[c.change]} ${packageChange(c)}`);
    if (all.length > PER_GROUP) out.push(`    … and ${all.length - PER_GROUP} more (--json lists all)`);
  }
  for (const x of p.problems) out.push(`  ! ${x.side.toUpperCase()} ${x.kind}: ${x.message}`);
  return out;
}

function leftoverNote(l: Leftover): string {
  const notes = [l.secretKinds?.length ? `secrets: ${l.secretKinds.join(', ')}` : '', l.deletedInLayer !== undefined ? `deleted in layer ${two(l.deletedInLayer)}, its bytes still ship` : '', l.replacedInLayer !== undefined ? `replaced in layer ${two(l.replacedInLayer)}, this version still ships` : '', l.thirdParty ? 'in a library or system folder' : ''];
  return [l.kind, ...notes].filter(Boolean).join('; ');
}

/** Files that should not ship, by side and layer; never their content. */
function leftoverLines(l: ReportLeftovers): string[] {
  const out = ['Leftovers (files that should not ship; values never shown)'];
  for (const [k, list] of [['A', l.a], ['B', l.b]] as const) {
    for (const x of list.slice(0, PER_GROUP)) out.push(`  ${k}  layer ${two(x.layer)}  ${x.path}  ${leftoverNote(x)}`);
    if (list.length > PER_GROUP) out.push(`  ${k}  … and ${list.length - PER_GROUP} more (--json lists all)`);
  }
  return out;
}

function show(v: unknown): string {
  return v === null || v === undefined ? '(none)' : cut(typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v), 100);
}

/**
 * A report for a pull-request comment: the findings first, the verdict, the
 * two images, then every detail in a collapsed section.
 */
export function renderMarkdown(r: DiffReport, gate: GateResult): string {
  const out: string[] = [];
  out.push(`## Container Compare: ${inertCode(r.a.name)} vs ${inertCode(r.b.name)}`, '');
  if (r.findings) out.push('### Findings', '', ...findingsMarkdown(r.findings, MAX_FINDINGS), '');
  out.push(gate.fail ? `**Different** — ${md(gate.explanation)}.` : `**OK** — ${md(gate.explanation)}.`, '');
  out.push('| | image | id | layers | size | platform |', '|---|---|---|---|---|---|');
  const named = (x: DiffReport['a']) => `${md(x.name)}${x.source === 'snapshot' ? ' (snapshot)' : ''}`;
  out.push(`| A | ${named(r.a)} | \`${shortId(r.a.id)}\` | ${r.a.layers} | ${humanSize(r.a.size)} | ${md(r.a.platform)} |`);
  out.push(`| B | ${named(r.b)} | \`${shortId(r.b.id)}\` | ${r.b.layers} | ${humanSize(r.b.size)} | ${md(r.b.platform)} |`, '');
  const differing = r.layers.filter((l) => differs(l.status)).length;
  const retimed = r.summary.layers.sameContent;
  out.push(`<details><summary>Layers: ${r.layers.length - differing - retimed} identical,${retimed ? ` ${retimed} with other timestamps only,` : ''} ${differing} differ</summary>`, '', '| # | status | instruction | files |', '|---|---|---|---|');
  for (const item of collapse(r.layers)) {
    if (Array.isArray(item)) {
      out.push(`| ${two(item[0].index)}${item.length > 1 ? `–${two(item[item.length - 1].index)}` : ''} | identical | ${item.length} shared layer${item.length > 1 ? 's' : ''} | |`);
      continue;
    }
    const side = item.a ?? item.b!;
    const instr = item.status === 'different' && !sameInstruction(item.a!, item.b!) ? `A: ${md(item.a!.instruction)}<br>B: ${md(item.b!.instruction)}` : md(cut(side.instruction, 120));
    out.push(`| ${two(item.index)} | ${STATUS_WORDS[item.status]}${item.emptyStep ? ` (${item.emptyStep.side.toUpperCase()}: same step, wrote nothing)` : ''} | ${instr} | ${item.files?.length ?? 0} |`);
  }
  out.push('', '</details>');
  out.push('', `<details><summary>Files: ${r.summary.files.modified} modified, ${r.summary.files.added} added, ${r.summary.files.removed} removed</summary>`, '');
  for (const g of groupFiles(r.files)) {
    out.push(`**${g.title} (${g.files.length})**`, '', '| path | change | layer |', '|---|---|---|');
    for (const f of g.files.slice(0, PER_GROUP * 4)) out.push(`| ${inertCode(f.path)} | ${md(describeChange(f))} | ${two(f.layer)} |`);
    if (g.files.length > PER_GROUP * 4) out.push(`| … ${g.files.length - PER_GROUP * 4} more | | |`);
    out.push('');
  }
  out.push('</details>');
  if (r.packages && r.packages.ecosystems.length) {
    const summary = r.packages.ecosystems.map((e) => `${e.kind} ${packageCounts(e)}`).join('; ');
    out.push('', `<details><summary>Packages: ${md(summary)}</summary>`, '', '| ecosystem | package | A | B | change |', '|---|---|---|---|---|');
    for (const e of r.packages.ecosystems) {
      const all = [...e.changed, ...e.removed, ...e.added];
      for (const c of all.slice(0, PER_GROUP * 4)) {
        const how = c.change === 'changed' ? (c.direction ?? 'changed') : c.change === 'added' ? 'only in B' : 'only in A';
        out.push(`| ${e.kind} | ${md(c.name)}${c.arch ? ` (${md(c.arch)})` : ''} | ${md(c.a ?? '')} | ${md(c.b ?? '')} | ${how}${c.security ? `, ${c.security}` : ''} |`);
      }
      if (all.length > PER_GROUP * 4) out.push(`| ${e.kind} | … ${all.length - PER_GROUP * 4} more | | | |`);
    }
    for (const x of r.packages.problems) out.push('', `${x.side.toUpperCase()}: ${md(x.message)}`);
    out.push('', '</details>');
  }
  if (r.leftovers && (r.leftovers.a.length || r.leftovers.b.length)) {
    out.push('', `<details><summary>Leftovers: ${r.leftovers.a.length} in A, ${r.leftovers.b.length} in B (values never shown)</summary>`, '', '| | layer | path | what |', '|---|---|---|---|');
    for (const [k, list] of [['A', r.leftovers.a], ['B', r.leftovers.b]] as const) {
      for (const x of list.slice(0, PER_GROUP * 4)) out.push(`| ${k} | ${two(x.layer)} | ${inertCode(x.path)} | ${md(leftoverNote(x))} |`);
    }
    out.push('', '</details>');
  }
  if (r.config.length) {
    out.push('', `<details><summary>Config: ${r.config.length} field${r.config.length === 1 ? '' : 's'} differ${r.config.length === 1 ? 's' : ''}</summary>`, '', '| field | A | B |', '|---|---|---|');
    for (const c of r.config) out.push(`| ${md(c.field)} | ${md(show(c.a))} | ${md(show(c.b))} |`);
    out.push('', '</details>');
  }
  // Every piece from the images went through md() or inertCode(); this catches any that did not.
  return inertText(out.join('\n')) + '\n';
}

/** `layers IMAGE`: one line per layer; instructions come from the image's history, made inert. */
export function renderLayers(image: ImageModel): string {
  const lines = [`${image.name}  ${shortId(image.id)}  ${image.layers.length} layers`];
  for (const l of image.layers) {
    lines.push(`  ${two(l.index)}  ${humanSize(l.size).padStart(7)}  ${String(l.fileCount).padStart(6)} files  ${l.builder.padEnd(8)}  ${cut(l.instruction, 100)}`);
  }
  return lines.map(inert).join('\n') + '\n';
}

/** `ls`: one line per entry; a name or link target with a newline or an escape sequence stays on its line, inert. */
export function renderListing(entries: ReadonlyArray<MergedEntry | (MergedEntry & { deleted?: boolean })>): string {
  return (
    entries
      .map((e) => {
        const kind = e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : e.type === 'whiteout' || e.type === 'opaque' ? 'D' : '-';
        const link = e.linkTarget !== undefined && e.type === 'symlink' ? ` -> ${e.linkTarget}` : '';
        const note = e.type === 'whiteout' ? '  (deleted)' : e.type === 'opaque' ? '  (opaque: hides lower layers)' : '';
        return inert(`${kind}${octal(e.mode)} ${String(e.uid).padStart(5)}:${String(e.gid).padEnd(5)} ${String(e.size).padStart(10)}  ${e.layer >= 0 ? two(e.layer) : '  '}  ${e.path}${link}${note}`);
      })
      .join('\n') + (entries.length ? '\n' : '')
  );
}
