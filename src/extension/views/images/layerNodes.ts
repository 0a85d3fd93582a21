import * as vscode from 'vscode';
import { layerChanges, type LayerChange } from '../../../core/layers/layerChanges';
import type { MergedLookup } from '../../../core/layers/mergedDiff';
import type { Leftover } from '../../../core/findings/leftovers';
import type { LayerInfo } from '../../../core/image/model';
import { octal, two } from '../../../core/util/text';
import { humanSize } from '../../../core/util/units';
import { ImageUri } from '../../fs/imageUri';
import type { ChangeFolderNode, ChangeNode, ImagesNode, LayerNode } from '../imagesTree';
import { basename, escapeMd, layerTitle } from '../labels';
import { buildPathTree, type PathFolder } from '../pathTree';

/** The URI a layer change is shown and opened with (ImagesTreeProvider.changeUri, which also decorates it). */
export type ChangeUri = (layerNode: LayerNode, c: LayerChange) => vscode.Uri;

/** A layer; `found`: what it ships that should not ship. */
export function layerItem(n: LayerNode, found: readonly Leftover[] | undefined): vscode.TreeItem {
  const l = n.layer;
  const item = new vscode.TreeItem(`${two(l.index)} · ${layerTitle(l.instruction)}`, n.image.indexes[l.index].length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.description = `${humanSize(l.size)} · ${l.fileCount} file${l.fileCount === 1 ? '' : 's'}`;
  item.tooltip = layerTooltip(l);
  if (found?.length) {
    const secrets = found.filter((x) => x.secretKinds?.length).length;
    item.description += ` · ⚠ ${found.length} leftover${found.length === 1 ? '' : 's'}${secrets ? `, ${secrets} with secrets` : ''}`;
    (item.tooltip as vscode.MarkdownString).appendMarkdown(
      `\n\n**Should not ship:**\n\n${found.map((x) => `- \`${escapeMd(x.path)}\`: ${escapeMd(x.reason)}${x.deletedInLayer !== undefined ? ` (deleted by layer ${two(x.deletedInLayer)}, but its bytes still ship here)` : ''}`).join('\n')}`,
    );
  }
  item.iconPath = new vscode.ThemeIcon('layers');
  item.contextValue = 'layer';
  return item;
}

export function changeFolderItem(n: ChangeFolderNode, changeUri: ChangeUri): vscode.TreeItem {
  const item = new vscode.TreeItem(n.folder.label, vscode.TreeItemCollapsibleState.Collapsed);
  const own = n.folder.item;
  item.resourceUri = own ? changeUri(n.layerNode, own) : ImageUri.of(n.layerNode.image.id, n.folder.path, { layer: n.layerNode.layer.index }).toUri();
  item.iconPath = vscode.ThemeIcon.Folder;
  if (own) item.tooltip = changeTooltip(own);
  item.contextValue = 'folder';
  return item;
}

export function changeItem(n: ChangeNode, changeUri: ChangeUri): vscode.TreeItem {
  const c = n.change;
  const item = new vscode.TreeItem(basename(c.path), vscode.TreeItemCollapsibleState.None);
  item.resourceUri = changeUri(n.layerNode, c);
  item.iconPath = c.entry.type === 'symlink' ? new vscode.ThemeIcon('file-symlink-file') : vscode.ThemeIcon.File;
  item.description = changeDescription(c);
  item.tooltip = changeTooltip(c);
  item.contextValue = c.kind === 'deleted' ? 'file deleted' : 'file';
  // A file the layer changed opens as what the layer did to it, as the SCM view opens a change.
  item.command =
    c.kind === 'modified' && c.beforeLayer !== undefined
      ? { command: 'containerCompare.openChanges', title: 'Open Changes', arguments: [n] }
      : { command: 'containerCompare.openFile', title: 'Open', arguments: [n] };
  return item;
}

/** What a layer adds, changes or deletes, in folders. */
export function layerChildren(n: LayerNode, lookup: MergedLookup): ImagesNode[] {
  const changes = layerChanges(n.image.indexes, n.layer.index, lookup);
  return folderChildren(buildPathTree(changes.map((c) => ({ path: c.path, item: c }))), n, n);
}

export function folderChildren(f: PathFolder<LayerChange>, parent: LayerNode | ChangeFolderNode, layerNode: LayerNode): ImagesNode[] {
  const out: ImagesNode[] = [];
  for (const sub of f.folders) out.push({ kind: 'changeFolder', id: `${layerNode.id}/d:${sub.path}`, parent, layerNode, folder: sub });
  for (const { item } of f.items) out.push({ kind: 'layerChange', id: `${layerNode.id}/f:${item.path}`, parent, layerNode, change: item });
  return out;
}

function layerTooltip(l: LayerInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**Layer ${two(l.index)}** · ${humanSize(l.size)} · ${l.fileCount} files · ${l.builder === 'unknown' ? 'builder unknown' : `${l.builder} builder`}\n\n`);
  md.appendCodeblock(l.createdBy || '(no history for this layer)', 'dockerfile');
  md.appendMarkdown(`diffID \`${l.diffId}\`\n\n`);
  if (l.digest) md.appendMarkdown(`blob \`${l.digest}\`${l.compressedSize !== undefined ? ` (${humanSize(l.compressedSize)} compressed)` : ''}\n\n`);
  if (l.comment) md.appendMarkdown(`${escapeMd(l.comment)}\n\n`);
  return md;
}

function changeDescription(c: LayerChange): string {
  const e = c.entry;
  if (c.kind === 'deleted') return 'deleted';
  if (e.type === 'symlink') return `→ ${e.linkTarget}`;
  if (e.type === 'opaque') return 'replaced: lower contents hidden';
  const b = c.before;
  const parts: string[] = [];
  if (b && b.mode !== e.mode) parts.push(`${octal(b.mode)} → ${octal(e.mode)}`);
  if (b && (b.uid !== e.uid || b.gid !== e.gid)) parts.push(`${b.uid}:${b.gid} → ${e.uid}:${e.gid}`);
  if (e.type === 'file' || e.type === 'hardlink') parts.unshift(humanSize(e.size));
  return parts.join(' · ');
}

export function changeTooltip(c: LayerChange): string {
  const e = c.entry;
  const verb = c.kind === 'added' ? 'Added' : c.kind === 'deleted' ? 'Deleted' : e.type === 'opaque' ? 'Replaced (opaque directory)' : 'Changed';
  const lines = [`${verb} by this layer: ${c.path}`];
  if (c.kind !== 'deleted' && e.type !== 'opaque') lines.push(`${e.type}, mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}${e.type === 'file' ? `, ${e.size} bytes` : ''}${e.lineEndings && e.lineEndings !== 'none' ? `, ${e.lineEndings.toUpperCase()} line endings` : ''}`);
  if (c.before) lines.push(`Before: ${c.before.type}, mode ${octal(c.before.mode)}, owner ${c.before.uid}:${c.before.gid}${c.beforeLayer !== undefined ? `, from layer ${two(c.beforeLayer)}` : ''}`);
  return lines.join('\n');
}
