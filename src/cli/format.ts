import type { DiffReport, GateResult, ReportLayer, ReportLayerSide } from '../core/report';
import type { ImageModel } from '../core/model';
import type { MergedEntry } from '../core/fileTree';
import { describeChange, groupFiles, octal } from '../core/report';
import { humanSize } from '../core/units';
import { sameInstruction } from '../core/compare';

/** Files listed per group in text and Markdown; JSON always has all of them. */
const PER_GROUP = 25;


const two = (n: number) => String(n).padStart(2, '0');
const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const truncate = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

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

const MARK: Record<string, string> = { identical: '=', different: '≠', onlyA: '-', onlyB: '+' };

export function renderText(r: DiffReport, gate: GateResult): string {
  const lines: string[] = [];
  const w = Math.max(r.a.name.length, r.b.name.length);
  for (const [k, s] of [['A', r.a], ['B', r.b]] as const) {
    lines.push(`${k}  ${s.name.padEnd(w)}  ${shortId(s.id)}  ${s.layers} layers, ${humanSize(s.size)}, ${s.platform || 'unknown platform'}`);
  }
  lines.push('', 'Layers');
  for (const item of collapse(r.layers)) {
    if (Array.isArray(item)) {
      const size = item.reduce((n, l) => n + (l.a?.size ?? 0), 0);
      const span = item.length === 1 ? two(item[0].index) : `${two(item[0].index)}-${two(item[item.length - 1].index)}`;
      const what = item.length === 1 ? truncate(layerLabel(item[0].a), 70) : 'shared layers';
      lines.push(`  = ${span.padEnd(5)}  ${item.length} identical: ${what} (${humanSize(size)})`);
      continue;
    }
    const l = item;
    const n = l.files?.length ?? 0;
    const files = `${n} file${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''}`;
    if (l.status === 'different') {
      const same = sameInstruction(l.a!, l.b!);
      lines.push(`  ≠ ${two(l.index).padEnd(5)}  ${truncate(l.a!.instruction, 90)}  [${files}]`);
      if (!same) lines.push(`    ${''.padEnd(5)}  B: ${truncate(l.b!.instruction, 90)}`);
    } else {
      const side = l.status === 'onlyA' ? l.a! : l.b!;
      lines.push(`  ${MARK[l.status]} ${two(l.index).padEnd(5)}  only in ${l.status === 'onlyA' ? 'A' : 'B'}: ${truncate(side.instruction, 80)} (${side.fileCount} files, ${humanSize(side.size)})`);
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
  if (r.config.length) {
    lines.push('', 'Config');
    for (const c of r.config) lines.push(`  ${c.field}: ${show(c.a)} → ${show(c.b)}`);
  }
  lines.push('', gate.fail ? `Different: ${gate.explanation}.` : `OK: ${gate.explanation}.`);
  return lines.join('\n') + '\n';
}

function show(v: unknown): string {
  return v === null || v === undefined ? '(none)' : truncate(typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v), 100);
}

const md = (s: string) => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/\n/g, ' ');

/** A report for a pull-request comment. */
export function renderMarkdown(r: DiffReport, gate: GateResult): string {
  const out: string[] = [];
  out.push(`## Container Compare: \`${r.a.name}\` vs \`${r.b.name}\``, '');
  out.push(gate.fail ? `**Different** — ${gate.explanation}.` : `**OK** — ${gate.explanation}.`, '');
  out.push('| | image | id | layers | size | platform |', '|---|---|---|---|---|---|');
  out.push(`| A | ${md(r.a.name)} | \`${shortId(r.a.id)}\` | ${r.a.layers} | ${humanSize(r.a.size)} | ${r.a.platform} |`);
  out.push(`| B | ${md(r.b.name)} | \`${shortId(r.b.id)}\` | ${r.b.layers} | ${humanSize(r.b.size)} | ${r.b.platform} |`, '');
  out.push('### Layers', '', '| # | status | instruction | files |', '|---|---|---|---|');
  for (const item of collapse(r.layers)) {
    if (Array.isArray(item)) {
      out.push(`| ${two(item[0].index)}${item.length > 1 ? `–${two(item[item.length - 1].index)}` : ''} | identical | ${item.length} shared layer${item.length > 1 ? 's' : ''} | |`);
      continue;
    }
    const side = item.a ?? item.b!;
    const instr = item.status === 'different' && !sameInstruction(item.a!, item.b!) ? `A: ${md(item.a!.instruction)}<br>B: ${md(item.b!.instruction)}` : md(truncate(side.instruction, 120));
    out.push(`| ${two(item.index)} | ${item.status} | ${instr} | ${item.files?.length ?? 0} |`);
  }
  out.push('', `### Files (${r.summary.files.modified} modified, ${r.summary.files.added} added, ${r.summary.files.removed} removed)`);
  for (const g of groupFiles(r.files)) {
    out.push('', `<details${g.files.length <= 10 ? ' open' : ''}><summary>${g.title} (${g.files.length})</summary>`, '', '| path | change | layer |', '|---|---|---|');
    for (const f of g.files.slice(0, PER_GROUP * 4)) out.push(`| \`${f.path.replace(/`/g, "'")}\` | ${md(describeChange(f))} | ${two(f.layer)} |`);
    if (g.files.length > PER_GROUP * 4) out.push(`| … ${g.files.length - PER_GROUP * 4} more | | |`);
    out.push('', '</details>');
  }
  if (r.config.length) {
    out.push('', '### Config', '', '| field | A | B |', '|---|---|---|');
    for (const c of r.config) out.push(`| ${md(c.field)} | ${md(show(c.a))} | ${md(show(c.b))} |`);
  }
  return out.join('\n') + '\n';
}

export function renderLayers(image: ImageModel): string {
  const lines = [`${image.name}  ${shortId(image.id)}  ${image.layers.length} layers`];
  for (const l of image.layers) {
    lines.push(`  ${two(l.index)}  ${humanSize(l.size).padStart(7)}  ${String(l.fileCount).padStart(6)} files  ${l.builder.padEnd(8)}  ${truncate(l.instruction, 100)}`);
  }
  return lines.join('\n') + '\n';
}

export function renderListing(entries: ReadonlyArray<MergedEntry | (MergedEntry & { deleted?: boolean })>): string {
  return (
    entries
      .map((e) => {
        const kind = e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : e.type === 'whiteout' || e.type === 'opaque' ? 'D' : '-';
        const link = e.linkTarget !== undefined && e.type === 'symlink' ? ` -> ${e.linkTarget}` : '';
        const note = e.type === 'whiteout' ? '  (deleted)' : e.type === 'opaque' ? '  (opaque: hides lower layers)' : '';
        return `${kind}${octal(e.mode)} ${String(e.uid).padStart(5)}:${String(e.gid).padEnd(5)} ${String(e.size).padStart(10)}  ${e.layer >= 0 ? two(e.layer) : '  '}  ${e.path}${link}${note}`;
      })
      .join('\n') + (entries.length ? '\n' : '')
  );
}
