import * as vscode from 'vscode';
import { sameInstruction } from '../../core/diff/align';
import { type ConfigChange } from '../../core/diff/configDiff';
import type { Leftover } from '../../core/findings/leftovers';
import type { EcosystemDiff, PackageChange } from '../../core/packages/packages';
import { describeChange, groupFiles, type DiffReport, type ReportFile, type ReportLayer, type ReportLayerSide } from '../../core/report/report';
import { humanSize } from '../../core/util/units';
import { changeSides, type ChangeScope } from '../changeSides';
import type { ComparisonSession, CurrentComparison } from '../comparisonSession';
import type { ChangeDecorations, ChangeMark } from './decorations';
import { basename, capitalise, configFieldName, configValue, displayNames, layerStatus, layerTitle, pairTitle, sizeNote, summaryLine } from './labels';
import { viewFiles } from './rowFiles';
import { compareStrings, shortId, two } from '../../core/util/text';
import { inertItem } from './inertItem';

export interface SideNode {
  kind: 'side';
  id: string;
  which: 'A' | 'B';
}
export interface SectionNode {
  kind: 'section';
  id: string;
  section: 'layers' | 'files' | 'packages' | 'leftovers' | 'config';
}
/** One ecosystem's package changes (dpkg, apk, rpm, python, node). */
export interface EcosystemNode {
  kind: 'ecosystem';
  id: string;
  ecosystem: EcosystemDiff;
}
export interface PackageNode {
  kind: 'package';
  id: string;
  change: PackageChange;
}
export interface LeftoverNode {
  kind: 'leftover';
  id: string;
  side: 'a' | 'b';
  leftover: Leftover;
}
/** A run of identical layers, collapsed: a shared base is one fact, not twelve. */
export interface SharedNode {
  kind: 'shared';
  id: string;
  rows: ReportLayer[];
}
export interface RowNode {
  kind: 'row';
  id: string;
  row: ReportLayer;
}
export interface GroupNode {
  kind: 'group';
  id: string;
  key: string;
  title: string;
  files: ReportFile[];
  scope: ChangeScope;
}
export interface FileNode {
  kind: 'change';
  id: string;
  file: ReportFile;
  scope: ChangeScope;
}
export interface ConfigNode {
  kind: 'config';
  id: string;
  change: ConfigChange;
}

export type ComparisonNode = SideNode | SectionNode | SharedNode | RowNode | GroupNode | FileNode | ConfigNode | EcosystemNode | PackageNode | LeftoverNode;

const GROUP_ICONS: Record<string, string> = {
  lineEndings: 'whitespace',
  lineEndingsAndMore: 'whitespace',
  mode: 'lock',
  owner: 'person',
  modeAndOwner: 'lock',
  symlink: 'file-symlink-file',
  type: 'symbol-misc',
  content: 'diff',
  added: 'diff-added',
  removed: 'diff-removed',
};

const STATUS: Record<ReportLayer['status'], { icon: string; color: string }> = {
  identical: { icon: 'pass', color: 'testing.iconPassed' },
  sameContent: { icon: 'history', color: 'descriptionForeground' },
  different: { icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground' },
  onlyA: { icon: 'diff-removed', color: 'gitDecoration.deletedResourceForeground' },
  onlyB: { icon: 'diff-added', color: 'gitDecoration.addedResourceForeground' },
};

/**
 * The Comparison view: navigation through a comparison. The two images,
 * their aligned layers (shared runs collapsed, differing pairs with what
 * differs in them), the changed files of the merged filesystems grouped by
 * reason, packages, what should not ship, and the config differences. The
 * findings are read in the report editor and listed in the Findings view.
 */
export class ComparisonTreeProvider implements vscode.TreeDataProvider<ComparisonNode> {
  private readonly changed = new vscode.EventEmitter<ComparisonNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<ComparisonNode> | undefined;
  private parents = new Map<string, ComparisonNode>();

  constructor(
    private readonly session: ComparisonSession,
    private readonly decorations: ChangeDecorations,
  ) {
    session.onDidChange(() => this.refresh());
  }

  attach(view: vscode.TreeView<ComparisonNode>): void {
    this.view = view;
    this.updateMessage();
  }

  refresh(): void {
    this.parents.clear();
    this.decorations.clear('comparison');
    this.updateMessage();
    this.changed.fire(undefined);
  }

  /** Short names of A and B for titles: the tags alone when both are tags of one repository. */
  names(): [string, string] {
    const c = this.session.current;
    return c ? displayNames(c.report.a.name, c.report.b.name) : ['A', 'B'];
  }

  /**
   * Reveals and selects a node below a section: `path` (a child's id) then,
   * optionally, the first grandchild whose id matches `pick`.
   */
  async reveal(view: vscode.TreeView<ComparisonNode>, section: SectionNode['section'], childId?: string, pick?: (id: string) => boolean): Promise<void> {
    const root = this.getChildren().find((n) => n.kind === 'section' && n.section === section);
    if (!root) return;
    let target: ComparisonNode | undefined = root;
    let kids = this.getChildren(root);
    // A layer row may sit inside a collapsed run of shared layers.
    if (childId && !kids.some((k) => k.id === childId)) kids = kids.flatMap((k) => (k.kind === 'shared' ? this.getChildren(k) : [k]));
    const child = childId ? kids.find((k) => k.id === childId) : kids.find((k) => !pick || pick(k.id));
    if (child) {
      target = child;
      if (childId && pick) target = this.getChildren(child).find((g) => pick(g.id)) ?? child;
    }
    await view.reveal(target, { select: true, focus: true, expand: true });
  }

  getParent(n: ComparisonNode): ComparisonNode | undefined {
    return this.parents.get(n.id);
  }

  getChildren(n?: ComparisonNode): ComparisonNode[] {
    const c = this.session.current;
    if (!c) return [];
    const kids = this.childrenOf(c, n);
    if (n) for (const k of kids) this.parents.set(k.id, n);
    return kids;
  }

  private childrenOf(c: CurrentComparison, n?: ComparisonNode): ComparisonNode[] {
    const r = c.report;
    if (!n) {
      const out: ComparisonNode[] = [
        { kind: 'side', id: 'side:A', which: 'A' },
        { kind: 'side', id: 'side:B', which: 'B' },
        { kind: 'section', id: 'layers', section: 'layers' },
        { kind: 'section', id: 'files', section: 'files' },
      ];
      if (changedEcosystems(r).length) out.push({ kind: 'section', id: 'packages', section: 'packages' });
      if ((r.leftovers?.a.length ?? 0) + (r.leftovers?.b.length ?? 0)) out.push({ kind: 'section', id: 'leftovers', section: 'leftovers' });
      if (r.config.length) out.push({ kind: 'section', id: 'config', section: 'config' });
      return out;
    }
    switch (n.kind) {
      case 'section':
        if (n.section === 'layers') return collapseRows(r.layers);
        if (n.section === 'files') return groups(viewFiles(r.files), { kind: 'merged' }, 'files');
        if (n.section === 'packages') return changedEcosystems(r).map((ecosystem) => ({ kind: 'ecosystem', id: `packages/${ecosystem.kind}`, ecosystem }));
        if (n.section === 'leftovers') {
          return (['a', 'b'] as const).flatMap((side) => (r.leftovers?.[side] ?? []).map((leftover): ComparisonNode => ({ kind: 'leftover', id: `leftovers/${side}/${leftover.layer}:${leftover.path}`, side, leftover })));
        }
        return r.config.map((change) => ({ kind: 'config', id: `config:${change.field}`, change }));
      case 'shared':
        return n.rows.map((row) => ({ kind: 'row', id: `row:${row.index}`, row }));
      case 'row': {
        const files = viewFiles(n.row.files ?? []);
        const scope: ChangeScope = { kind: 'row', row: n.row.index };
        const g = groups(files, scope, n.id);
        // One group is no grouping: list its files directly.
        return g.length === 1 ? (g[0] as GroupNode).files.map((file) => fileNode(file, scope, n.id)) : g;
      }
      case 'group':
        return n.files.map((file) => fileNode(file, n.scope, n.id));
      case 'ecosystem': {
        const e = n.ecosystem;
        // Security-relevant changes first, downgrades before upgrades: what to read first.
        const all = [...e.changed, ...e.removed, ...e.added].sort((x, y) => Number(y.securityRelevant) - Number(x.securityRelevant) || Number(y.direction === 'downgrade') - Number(x.direction === 'downgrade') || compareStrings(x.name, y.name));
        return all.map((change) => ({ kind: 'package', id: `${n.id}/${change.change}:${change.name}:${change.arch ?? ''}`, change }));
      }
      default:
        return [];
    }
  }

  getTreeItem(n: ComparisonNode): vscode.TreeItem {
    const c = this.session.current!;
    const r = c.report;
    const [nameA, nameB] = this.names();
    let item: vscode.TreeItem;
    switch (n.kind) {
      case 'side': {
        const s = n.which === 'A' ? r.a : r.b;
        item = new vscode.TreeItem(`${n.which}  ${s.name}`, vscode.TreeItemCollapsibleState.None);
        item.description = `${shortId(s.id)} · ${s.layers} layers · ${humanSize(s.size)}${s.platform ? ` · ${s.platform}` : ''}`;
        item.tooltip = `${n.which}: ${s.ref}\n${s.id}\n${humanSize(s.size)}: ${sizeNote(s.source)}`;
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'side';
        break;
      }
      case 'ecosystem': {
        const e = n.ecosystem;
        item = new vscode.TreeItem(ECOSYSTEM_NAMES[e.kind] ?? e.kind, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = [e.changed.length && `${e.changed.length} changed`, e.added.length && `${e.added.length} added`, e.removed.length && `${e.removed.length} removed`].filter(Boolean).join(', ');
        item.iconPath = new vscode.ThemeIcon('library');
        item.contextValue = 'ecosystem';
        break;
      }
      case 'package': {
        const c = n.change;
        item = new vscode.TreeItem(`${c.name}${c.arch ? `:${c.arch}` : ''}`, vscode.TreeItemCollapsibleState.None);
        item.description = c.change === 'added' ? `only in ${nameB}: ${c.b}` : c.change === 'removed' ? `only in ${nameA}: ${c.a}` : `${c.a} → ${c.b}${c.direction === 'downgrade' ? ' (downgrade)' : ''}`;
        const icon = c.change === 'added' ? 'diff-added' : c.change === 'removed' ? 'diff-removed' : 'diff-modified';
        item.iconPath = c.securityRelevant ? new vscode.ThemeIcon('shield', new vscode.ThemeColor(c.direction === 'downgrade' || c.change === 'removed' ? 'problemsErrorIcon.foreground' : 'problemsWarningIcon.foreground')) : new vscode.ThemeIcon(icon);
        item.tooltip = `${c.kind} package ${c.name}${c.arch ? ` (${c.arch})` : ''}\n${nameA}: ${c.a ?? 'absent'}\n${nameB}: ${c.b ?? 'absent'}${c.securityRelevant ? `\nSecurity-relevant${c.security ? ` (${c.security})` : ''}` : ''}`;
        item.contextValue = 'package';
        break;
      }
      case 'leftover': {
        const l = n.leftover;
        item = new vscode.TreeItem(basename(l.path), vscode.TreeItemCollapsibleState.None);
        item.description = `${n.side === 'a' ? nameA : nameB} · layer ${two(l.layer)} · ${l.path}${l.deletedInLayer !== undefined ? ` · deleted in ${two(l.deletedInLayer)}, still shipped` : ''}`;
        item.tooltip = `${l.reason}${l.secretKinds?.length ? `\nHolds: ${l.secretKinds.join(', ')} (values are never shown)` : ''}`;
        item.iconPath = new vscode.ThemeIcon('shield', new vscode.ThemeColor(l.secretKinds?.length ? 'problemsErrorIcon.foreground' : 'problemsWarningIcon.foreground'));
        item.command = { command: 'containerCompare.openEvidence', title: 'Open', arguments: [{ kind: 'evidence', target: { type: 'leftover', evidence: { side: n.side, path: l.path, layer: l.layer } } }] };
        item.contextValue = 'leftover';
        break;
      }
      case 'section': {
        const s = r.summary;
        const title = { layers: 'Layers', files: 'Files', packages: 'Packages', leftovers: 'Should not ship', config: 'Config' }[n.section];
        item = new vscode.TreeItem(title, n.section === 'packages' || n.section === 'leftovers' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
        if (n.section === 'packages') {
          const changed = changedEcosystems(r);
          item.description = changed.map((e) => `${ECOSYSTEM_NAMES[e.kind] ?? e.kind} ${e.changed.length + e.added.length + e.removed.length}`).join(', ');
          item.iconPath = new vscode.ThemeIcon('library');
        } else if (n.section === 'leftovers') {
          item.description = `${r.leftovers?.a.length ?? 0} in ${nameA}, ${r.leftovers?.b.length ?? 0} in ${nameB}`;
          item.iconPath = new vscode.ThemeIcon('shield');
        } else if (n.section === 'layers') {
          const differ = s.layers.different + s.layers.onlyA + s.layers.onlyB;
          item.description = [`${s.layers.identical} shared`, s.layers.sameContent && `${s.layers.sameContent} same content, other timestamps`, `${differ} differ`].filter(Boolean).join(', ');
          item.iconPath = new vscode.ThemeIcon('layers');
        } else if (n.section === 'files') {
          item.description = `${s.files.modified} modified, ${s.files.added} added, ${s.files.removed} removed`;
          item.iconPath = new vscode.ThemeIcon('files');
          if (r.files.length === 0) item.collapsibleState = vscode.TreeItemCollapsibleState.None;
          if (r.ignored.length) item.tooltip = `Ignoring ${r.ignored.join(', ')}`;
        } else {
          const count = r.config.length;
          item.description = `${count} difference${count === 1 ? '' : 's'}`;
          item.iconPath = new vscode.ThemeIcon('settings-gear');
        }
        item.contextValue = `section ${n.section}`;
        break;
      }
      case 'shared': {
        const first = n.rows[0].index;
        const last = n.rows[n.rows.length - 1].index;
        const size = n.rows.reduce((t, x) => t + (x.a?.size ?? 0), 0);
        item = new vscode.TreeItem(
          n.rows.length === 1 ? `${two(first)} · ${layerTitle(n.rows[0].a!.instruction)}` : `${two(first)}–${two(last)} · ${n.rows.length} shared layers`,
          vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.description = `identical · ${humanSize(size)}`;
        item.iconPath = new vscode.ThemeIcon(STATUS.identical.icon, new vscode.ThemeColor(STATUS.identical.color));
        item.tooltip = n.rows.map((x) => `${two(x.index)}  ${layerTitle(x.a!.instruction)}`).join('\n');
        item.contextValue = 'shared';
        break;
      }
      case 'row': {
        const row = n.row;
        const side = row.a ?? row.b!;
        const files = viewFiles(row.files ?? []).length;
        item = new vscode.TreeItem(`${two(row.index)} · ${layerTitle(side.instruction)}`, files ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        const st = STATUS[row.status];
        item.iconPath = new vscode.ThemeIcon(st.icon, new vscode.ThemeColor(st.color));
        if (row.status === 'identical' || row.status === 'sameContent') item.description = `${layerStatus(row, nameA, nameB)} · ${humanSize(side.size)}`;
        else if (row.status === 'different') item.description = `${humanSize(row.a!.size)} → ${humanSize(row.b!.size)} · ${files} file${files === 1 ? '' : 's'} differ${files === 1 ? 's' : ''}`;
        else item.description = `${layerStatus(row, nameA, nameB)} · ${humanSize(side.size)} · ${side.fileCount} files`;
        item.tooltip = rowTooltip(row, nameA, nameB);
        item.contextValue = files ? 'layerPair' : 'layerRow';
        break;
      }
      case 'group': {
        item = new vscode.TreeItem(capitalise(n.title), vscode.TreeItemCollapsibleState.Collapsed);
        item.description = String(n.files.length);
        item.iconPath = new vscode.ThemeIcon(GROUP_ICONS[n.key] ?? 'diff');
        item.contextValue = 'group';
        break;
      }
      case 'change': {
        const f = n.file;
        item = new vscode.TreeItem(basename(f.path), vscode.TreeItemCollapsibleState.None);
        const dir = f.path.slice(0, f.path.lastIndexOf('/')) || '/';
        const why = f.change === 'modified' ? describeChange(f) : f.change === 'added' ? `only in ${nameB}` : `only in ${nameA}`;
        item.description = `${dir} · ${why}`;
        const sides = changeSides(c.comparison.a, c.comparison.b, f, n.scope, [nameA, nameB]);
        const uri = sides.present.uri.with({ view: n.scope.kind === 'row' ? `row${n.scope.row}` : 'comparison' }).toUri();
        item.resourceUri = uri;
        const mark: ChangeMark = f.change === 'added' ? 'added' : f.change === 'removed' ? 'deleted' : 'modified';
        this.decorations.set('comparison', uri, mark, `${capitalise(f.change)}: ${why}`);
        item.tooltip = fileTooltip(f, nameA, nameB);
        item.iconPath = f.a?.type === 'dir' || f.b?.type === 'dir' ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
        item.command = { command: 'containerCompare.openChanges', title: 'Open Changes', arguments: [n] };
        item.contextValue = 'change file';
        break;
      }
      case 'config': {
        const x = n.change;
        item = new vscode.TreeItem(configFieldName(x.field), vscode.TreeItemCollapsibleState.None);
        item.description = `${configValue(x.a)} → ${configValue(x.b)}`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${configFieldName(x.field)}**\n\n${nameA}:`);
        md.appendCodeblock(full(x.a), 'json');
        md.appendMarkdown(`${nameB}:`);
        md.appendCodeblock(full(x.b), 'json');
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon(x.a === null ? 'diff-added' : x.b === null ? 'diff-removed' : 'diff-modified');
        item.contextValue = 'config';
        break;
      }
    }
    item.id = n.id;
    return inertItem(item);
  }

  private updateMessage(): void {
    if (!this.view) return;
    const c = this.session.current;
    if (!c) {
      this.view.message = undefined;
      this.view.description = undefined;
      return;
    }
    this.view.description = pairTitle(c.report.a.name, c.report.b.name);
    this.view.message = summaryLine(c.report);
  }
}



const ECOSYSTEM_NAMES: Record<string, string> = { dpkg: 'Debian packages (dpkg)', apk: 'Alpine packages (apk)', rpm: 'RPM packages', python: 'Python packages', node: 'Node packages' };

function changedEcosystems(r: DiffReport): EcosystemDiff[] {
  return (r.packages?.ecosystems ?? []).filter((e) => e.changed.length + e.added.length + e.removed.length > 0);
}

function collapseRows(rows: ReportLayer[]): ComparisonNode[] {
  const out: ComparisonNode[] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (row.status === 'identical' && last?.kind === 'shared') last.rows.push(row);
    else if (row.status === 'identical') out.push({ kind: 'shared', id: `shared:${row.index}`, rows: [row] });
    else out.push({ kind: 'row', id: `row:${row.index}`, row });
  }
  return out;
}

function groups(files: readonly ReportFile[], scope: ChangeScope, parentId: string): ComparisonNode[] {
  return groupFiles(files).map((g) => ({ kind: 'group', id: `${parentId}/group:${g.key}`, key: g.key, title: g.title, files: g.files, scope }));
}

function fileNode(file: ReportFile, scope: ChangeScope, parentId: string): FileNode {
  return { kind: 'change', id: `${parentId}/file:${file.path}`, file, scope };
}

function rowTooltip(row: ReportLayer, nameA: string, nameB: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  const side = (label: string, s: ReportLayerSide) => {
    md.appendMarkdown(`**${label}** layer ${two(s.index)} · ${humanSize(s.size)} · ${s.fileCount} files · ${s.builder}\n`);
    md.appendCodeblock(s.createdBy || '(no history)', 'dockerfile');
    md.appendMarkdown(`diffID \`${s.diffId}\`\n\n`);
  };
  if (row.a) side(nameA, row.a);
  if (row.b) side(nameB, row.b);
  if (row.status === 'different' && sameInstruction(row.a!, row.b!)) {
    md.appendMarkdown('Same instruction on both sides, different result: the build did different work from the same Dockerfile line.');
  }
  return md;
}

function fileTooltip(f: ReportFile, nameA: string, nameB: string): string {
  const side = (n: string, s: ReportFile['a']) =>
    s ? `${n}: ${s.type}, mode ${s.mode}, owner ${s.uid}:${s.gid}, ${s.size} bytes${s.lineEndings && s.lineEndings !== 'none' ? `, ${s.lineEndings.toUpperCase()}` : ''}${s.linkTarget !== undefined ? ` → ${s.linkTarget}` : ''} (layer ${two(s.layer)})` : `${n}: absent`;
  return [f.path, side(nameA, f.a), side(nameB, f.b), f.change === 'modified' ? `Differs: ${describeChange(f)}` : ''].filter(Boolean).join('\n');
}


function full(v: unknown): string {
  return v === null || v === undefined ? '(none)' : JSON.stringify(v, null, 2);
}
