import * as vscode from 'vscode';
import { codeInfo } from '../../core/findings/codes';
import type { Finding } from '../../core/findings/finding';
import type { EvidenceTarget } from '../../protocol/report';
import type { ComparisonSession, CurrentComparison } from '../comparisonSession';
import { evidenceLinks, findingPaths } from './evidence';
import { displayNames, escapeMd } from './labels';
import { inertItem } from './inertItem';

export type { EvidenceTarget } from '../../protocol/report';

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

export type FindingsNode = FindingNode | EvidenceNode;

const SEVERITY: Record<Finding['severity'], { icon: string; color: string }> = {
  error: { icon: 'error', color: 'problemsErrorIcon.foreground' },
  warning: { icon: 'warning', color: 'problemsWarningIcon.foreground' },
  info: { icon: 'info', color: 'problemsInfoIcon.foreground' },
};

/** Evidence items listed under a finding at most (a finding about 4,000 files still opens its first ones; the report says how many more). */
const MAX_EVIDENCE = 50;

/**
 * The Findings view: the ranked likely causes, most likely first, each
 * summarised on one row (its code and title) with the evidence that shows
 * it below. A finding is read in full in the report editor: clicking its
 * row shows it there.
 */
export class FindingsTreeProvider implements vscode.TreeDataProvider<FindingsNode> {
  private readonly changed = new vscode.EventEmitter<FindingsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<FindingsNode> | undefined;
  private nodes: FindingNode[] = [];

  constructor(
    private readonly session: ComparisonSession,
    private readonly debug: () => boolean,
  ) {
    session.onDidChange(() => this.refresh());
  }

  attach(view: vscode.TreeView<FindingsNode>): void {
    this.view = view;
    this.refresh();
  }

  refresh(): void {
    const findings = this.session.current?.report.findings;
    this.nodes = findingNodes(findings ?? [], this.session.current ? pairKeyOf(this.session.current) : 'none');
    if (this.view) {
      this.view.description = findings ? `${findings.length}` : undefined;
      this.view.message = findings && !findings.length ? 'No findings: nothing here explains a difference better than the Comparison view does.' : undefined;
      const errors = findings?.filter((f) => f.severity === 'error').length ?? 0;
      this.view.badge = errors ? { value: errors, tooltip: `${errors} finding${errors === 1 ? '' : 's'} that likely break the image` } : undefined;
    }
    void vscode.commands.executeCommand('setContext', 'containerCompare.hasFindings', !!findings?.length);
    this.changed.fire(undefined);
  }

  /** The nodes of the findings now listed, by rank. */
  findingNodes(): readonly FindingNode[] {
    return this.nodes;
  }

  getChildren(n?: FindingsNode): FindingsNode[] {
    if (!n) return this.nodes;
    const c = this.session.current;
    return n.kind === 'finding' && c ? evidenceNodes(n, c) : [];
  }

  getParent(n: FindingsNode): FindingsNode | undefined {
    return n.kind === 'evidence' ? n.parent : undefined;
  }

  getTreeItem(n: FindingsNode): vscode.TreeItem {
    return inertItem(n.kind === 'finding' ? findingItem(n, this.debug()) : evidenceItem(n));
  }
}

const pairKeyOf = (c: CurrentComparison) => `${c.report.a.id}|${c.report.b.id}`;

export function findingNodes(findings: readonly Finding[], prefix: string): FindingNode[] {
  return findings.map((finding, rank) => ({ kind: 'finding', id: `${prefix}/${finding.code}:${rank}`, finding, rank }));
}

/** A finding summarised: its code and title on the row, what the code means in the tooltip; the row shows it in full in the report. */
export function findingItem(n: FindingNode, debug = false): vscode.TreeItem {
  const f = n.finding;
  const count = evidenceCount(f);
  // Collapsed: the report has the reading room; the view is a list to pick from.
  const item = new vscode.TreeItem(f.title, count ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  const s = SEVERITY[f.severity];
  item.iconPath = new vscode.ThemeIcon(s.icon, new vscode.ThemeColor(s.color));
  item.description = `${f.code}${n.rank === 0 ? ' · most likely' : ''}`;
  const doc = codeInfo(f.code);
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${f.code}${doc ? ` · ${escapeMd(doc.name)}` : ''}**\n\n${escapeMd(f.title)}\n\n`);
  if (doc) md.appendMarkdown(`${escapeMd(doc.means)}\n\n_Fix:_ ${escapeMd(doc.fix)}\n\n`);
  md.appendMarkdown('Click to read it in full in the report.');
  if (debug) md.appendMarkdown(`\n\n\`${f.kind}\` · score ${f.score}`);
  item.tooltip = md;
  item.id = n.id;
  item.contextValue = findingPaths(f).length ? 'finding withPaths' : 'finding';
  item.command = { command: 'containerCompare.openEvidence', title: 'Show in Report', arguments: [{ target: { type: 'finding', index: n.rank } }] };
  return item;
}

function evidenceCount(f: Finding): number {
  const e = f.evidence;
  return (e.files?.length ?? 0) + (e.layerRows?.length ?? 0) + (e.packages?.length ?? 0) + (e.config?.length ?? 0) + (e.leftovers?.length ?? 0) + (e.logRows?.length ?? 0) + (e.probe ? 1 : 0) + (e.http?.length ?? 0) + (e.listening?.length ?? 0);
}

export function evidenceNodes(parent: FindingNode, c: CurrentComparison): EvidenceNode[] {
  const links = evidenceLinks(parent.finding, { report: c.report, ...(c.run ? { run: c.run } : {}), names: displayNames(c.report.a.name, c.report.b.name) });
  return links.slice(0, MAX_EVIDENCE).map((l) => ({ kind: 'evidence', id: `${parent.id}/${l.key}`, parent, label: l.label, icon: l.icon, target: l.target, ...(l.hint ? { description: l.hint } : {}) }));
}

export function evidenceItem(n: EvidenceNode): vscode.TreeItem {
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(n.icon);
  item.description = n.description;
  item.tooltip = n.description ? `${n.label}\n${n.description}` : n.label;
  item.id = n.id;
  item.contextValue = 'evidence';
  item.command = { command: 'containerCompare.openEvidence', title: 'Open', arguments: [n] };
  return item;
}
