import * as vscode from 'vscode';
import type { Finding, FindingEvidence } from '../../core/findings/finding';
import type { Side } from '../../core/util/side';
import type { ComparisonSession } from '../comparisonSession';
import { basename, escapeMd } from './labels';
import { two } from '../../core/util/text';
import { inertItem } from './inertItem';

/** A finding; its children are the evidence a click opens. */
export interface FindingNode {
  kind: 'finding';
  id: string;
  finding: Finding;
  rank: number;
}

/** One piece of evidence: a file, a layer pair, a package, a config field, a leftover, run output. */
export interface EvidenceNode {
  kind: 'evidence';
  id: string;
  parent: FindingNode;
  label: string;
  description?: string;
  icon: string;
  /** What opening it does; the command is containerCompare.openEvidence. */
  target: EvidenceTarget;
}

export type EvidenceTarget =
  | { type: 'file'; evidence: NonNullable<FindingEvidence['files']>[number] }
  | { type: 'layerRow'; row: number }
  | { type: 'package'; ecosystem: string; name: string }
  | { type: 'config'; field: string }
  | { type: 'leftover'; evidence: NonNullable<FindingEvidence['leftovers']>[number] }
  | { type: 'run'; logRow?: number; probe?: string; http?: string; listening?: Side };

export type FindingsNode = FindingNode | EvidenceNode;

const SEVERITY: Record<Finding['severity'], { icon: string; color: string }> = {
  error: { icon: 'error', color: 'problemsErrorIcon.foreground' },
  warning: { icon: 'warning', color: 'problemsWarningIcon.foreground' },
  info: { icon: 'info', color: 'problemsInfoIcon.foreground' },
};

/** Evidence items listed under a finding at most (a finding about 4,000 files still opens its first ones). */
const MAX_EVIDENCE = 50;

/**
 * The Findings view: the comparison's (and, when one ran, the run's) ranked
 * likely causes, most likely first, each with the evidence that shows it.
 * The Comparison view lists the same findings at its top.
 */
export class FindingsTreeProvider implements vscode.TreeDataProvider<FindingsNode> {
  private readonly changed = new vscode.EventEmitter<FindingsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<FindingsNode> | undefined;

  constructor(private readonly session: ComparisonSession) {
    session.onDidChange(() => this.refresh());
  }

  attach(view: vscode.TreeView<FindingsNode>): void {
    this.view = view;
    this.refresh();
  }

  refresh(): void {
    const findings = this.session.current?.report.findings;
    if (this.view) {
      this.view.description = findings ? `${findings.length}` : undefined;
      this.view.badge = findings?.some((f) => f.severity === 'error') ? { value: findings.filter((f) => f.severity === 'error').length, tooltip: 'Findings that likely break the image' } : undefined;
    }
    this.changed.fire(undefined);
  }

  getChildren(n?: FindingsNode): FindingsNode[] {
    if (!n) return findingNodes(this.session.current?.report.findings ?? [], 'findings');
    return n.kind === 'finding' ? evidenceNodes(n) : [];
  }

  getParent(n: FindingsNode): FindingsNode | undefined {
    return n.kind === 'evidence' ? n.parent : undefined;
  }

  getTreeItem(n: FindingsNode): vscode.TreeItem {
    return inertItem(n.kind === 'finding' ? findingItem(n) : evidenceItem(n));
  }
}

export function findingNodes(findings: readonly Finding[], prefix: string): FindingNode[] {
  return findings.map((finding, rank) => ({ kind: 'finding', id: `${prefix}/${rank}:${finding.kind}`, finding, rank }));
}

/** `openFirst`: the most likely finding starts expanded on its evidence (the Findings view; the Comparison view keeps its list short). */
export function findingItem(n: FindingNode, openFirst = true): vscode.TreeItem {
  const f = n.finding;
  const count = evidenceCount(f.evidence);
  const item = new vscode.TreeItem(f.title, count ? (n.rank === 0 && openFirst ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None);
  const s = SEVERITY[f.severity];
  item.iconPath = new vscode.ThemeIcon(s.icon, new vscode.ThemeColor(s.color));
  item.description = `${n.rank === 0 ? 'most likely · ' : ''}${f.side ? `${f.side.toUpperCase()} · ` : ''}${f.kind}`;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMd(f.title)}**\n\n${escapeMd(f.detail)}\n\n_${f.severity}, ${f.kind}, score ${f.score}_`);
  item.tooltip = md;
  item.id = n.id;
  item.contextValue = 'finding';
  return item;
}

function evidenceCount(e: FindingEvidence): number {
  return (e.files?.length ?? 0) + (e.layerRows?.length ?? 0) + (e.packages?.length ?? 0) + (e.config?.length ?? 0) + (e.leftovers?.length ?? 0) + (e.logRows?.length ?? 0) + (e.probe ? 1 : 0) + (e.http?.length ?? 0) + (e.listening?.length ?? 0);
}

export function evidenceNodes(parent: FindingNode): EvidenceNode[] {
  const e = parent.finding.evidence;
  const out: EvidenceNode[] = [];
  const add = (key: string, label: string, icon: string, target: EvidenceTarget, description?: string) =>
    out.push({ kind: 'evidence', id: `${parent.id}/${key}`, parent, label, icon, target, ...(description ? { description } : {}) });
  for (const r of e.layerRows ?? []) add(`row:${r}`, `Layer ${two(r)}`, 'layers', { type: 'layerRow', row: r }, 'open both layers');
  for (const f of e.files ?? []) add(`file:${f.side ?? ''}:${f.path}`, basename(f.path), 'file', { type: 'file', evidence: f }, `${f.path.slice(0, f.path.lastIndexOf('/')) || '/'}${f.side ? ` · ${f.side.toUpperCase()}` : ''}`);
  for (const p of e.packages ?? []) add(`pkg:${p.ecosystem}:${p.name}`, p.name, 'package', { type: 'package', ecosystem: p.ecosystem, name: p.name }, p.ecosystem);
  for (const c of e.config ?? []) add(`config:${c}`, c, 'settings-gear', { type: 'config', field: c });
  for (const l of e.leftovers ?? []) add(`leftover:${l.side}:${l.layer}:${l.path}`, basename(l.path), 'shield', { type: 'leftover', evidence: l }, `${l.side.toUpperCase()} · layer ${two(l.layer)} · ${l.path}`);
  for (const r of e.logRows ?? []) add(`log:${r}`, `Log row ${r + 1}`, 'output', { type: 'run', logRow: r }, 'in the run panel');
  if (e.probe) add(`probe:${e.probe}`, e.probe, 'terminal', { type: 'run', probe: e.probe }, 'probe output');
  for (const h of e.http ?? []) add(`http:${h}`, h, 'globe', { type: 'run', http: h }, 'HTTP');
  for (const side of e.listening ?? []) add(`listening:${side}`, `Listening ports of ${side.toUpperCase()}`, 'plug', { type: 'run', listening: side }, 'in the run panel');
  return out.slice(0, MAX_EVIDENCE);
}

export function evidenceItem(n: EvidenceNode): vscode.TreeItem {
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(n.icon);
  item.description = n.description;
  item.id = n.id;
  item.contextValue = 'evidence';
  item.command = { command: 'containerCompare.openEvidence', title: 'Open', arguments: [n] };
  return item;
}
