/**
 * The evidence of a finding as links: words to show and what each opens.
 * The Findings view and the report editor list the same links, so a click
 * lands on the same thing in both (commands/openEvidence.ts opens them).
 * No vscode here: the words are tested on their own.
 */
import type { Finding } from '../../core/findings/finding';
import type { DiffReport } from '../../core/report/report';
import type { RunReport } from '../../core/run/runModel';
import { cut, two } from '../../core/util/text';
import type { EvidenceTarget, ReportLink } from '../../protocol/report';
import { basename, configFieldName, layerTitle } from './labels';
import { viewFiles } from './rowFiles';

export interface EvidenceLink extends ReportLink {
  /** Unique among a finding's links (a tree id). */
  key: string;
  /** A codicon for tree rows. */
  icon: string;
}

export interface EvidenceContext {
  report: DiffReport;
  run?: RunReport;
  /** Short names of A and B ("laptop", "ci"). */
  names: [string, string];
}

const ECOSYSTEM_WORDS: Record<string, string> = { dpkg: 'Debian package (dpkg)', apk: 'Alpine package (apk)', rpm: 'RPM package', python: 'Python package', node: 'Node package' };

/** Where a path lives, for a hint: its folder. */
const folder = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';

export function evidenceLinks(f: Finding, ctx: EvidenceContext): EvidenceLink[] {
  const e = f.evidence;
  const { report, run, names } = ctx;
  const side = (s: 'a' | 'b') => (s === 'a' ? names[0] : names[1]);
  const out: EvidenceLink[] = [];
  const add = (key: string, icon: string, label: string, target: EvidenceTarget, hint?: string) => out.push({ key, icon, label, target, ...(hint ? { hint } : {}) });
  for (const r of e.layerRows ?? []) {
    const row = report.layers.find((l) => l.index === r);
    const step = row ? layerTitle((row.a ?? row.b)!.instruction) : '';
    const files = row ? viewFiles(row.files ?? []).length : 0;
    add(`row:${r}`, 'layers', `Layer ${two(r)}${step ? ` · ${step}` : ''}`, { type: 'layerRow', row: r }, files ? `open both layers (${files} file${files === 1 ? '' : 's'} differ${files === 1 ? 's' : ''})` : 'show the row');
  }
  for (const x of e.files ?? []) add(`file:${x.side ?? ''}:${x.path}`, 'file', basename(x.path), { type: 'file', evidence: x }, `${folder(x.path)}${x.side ? ` · in ${side(x.side)}` : ''}`);
  for (const p of e.packages ?? []) add(`pkg:${p.ecosystem}:${p.name}`, 'package', p.name, { type: 'package', ecosystem: p.ecosystem, name: p.name }, ECOSYSTEM_WORDS[p.ecosystem] ?? `${p.ecosystem} package`);
  for (const c of e.config ?? []) add(`config:${c}`, 'settings-gear', configFieldName(c), { type: 'config', field: c }, 'config');
  for (const l of e.leftovers ?? []) add(`leftover:${l.side}:${l.layer}:${l.path}`, 'shield', basename(l.path), { type: 'leftover', evidence: l }, `in ${side(l.side)} · layer ${two(l.layer)} · ${folder(l.path)}`);
  for (const r of e.logRows ?? []) {
    const row = run?.logs.rows[r];
    const line = row?.a ?? row?.b;
    const which = row?.kind === 'onlyA' ? ` · only in ${names[0]}` : row?.kind === 'onlyB' ? ` · only in ${names[1]}` : '';
    add(`log:${r}`, 'output', line ? cut(line.raw.trim(), 90) : `Startup log, line ${r + 1}`, { type: 'run', logRow: r }, `startup log${which}`);
  }
  if (e.probe) add(`probe:${e.probe}`, 'terminal', `Probe ${e.probe}`, { type: 'run', probe: e.probe }, 'the outputs of both containers');
  for (const h of e.http ?? []) add(`http:${h}`, 'globe', `HTTP ${h}`, { type: 'run', http: h }, 'the answers of both containers');
  for (const s of e.listening ?? []) add(`listening:${s}`, 'plug', `Ports ${side(s)} listens on`, { type: 'run', listening: s }, 'in the run panel');
  return out;
}

/** The paths a finding cites (its files, its leftovers), for "Ignore CODE for this path". */
export function findingPaths(f: Finding): string[] {
  return [...new Set([...(f.evidence.files ?? []).map((x) => x.path), ...(f.evidence.leftovers ?? []).map((l) => l.path)])];
}
