import * as vscode from 'vscode';
import { compareStrings, octal, two } from '../../../core/util/text';
import { humanSize } from '../../../core/util/units';
import type { EngineService } from '../../engineService';
import { ImageUri } from '../../fs/imageUri';
import type { FsEntryNode, FsRootNode, ImagesNode } from '../imagesTree';
import { basename } from '../labels';

export function fsRootItem(n: FsRootNode, engine: EngineService): vscode.TreeItem {
  const item = new vscode.TreeItem('Filesystem', vscode.TreeItemCollapsibleState.Collapsed);
  const size = engine.tree(n.image).size;
  item.description = `${size.toLocaleString('en-US')} entries, all layers merged`;
  item.iconPath = new vscode.ThemeIcon('root-folder');
  item.resourceUri = ImageUri.of(n.image.id, '/').toUri();
  item.contextValue = 'filesystem';
  return item;
}

export function fsEntryItem(n: FsEntryNode, engine: EngineService): vscode.TreeItem {
  const e = n.entry;
  const target = e.type === 'symlink' ? engine.tree(n.root.image).resolve(e.path) : undefined;
  const isDir = e.type === 'dir' || target?.entry.type === 'dir';
  const item = new vscode.TreeItem(basename(e.path), isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.resourceUri = ImageUri.of(n.root.image.id, e.path).toUri();
  item.iconPath = isDir ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
  item.description = e.type === 'symlink' ? `→ ${e.linkTarget}` : e.type === 'dir' ? undefined : `${humanSize(e.size)} · ${octal(e.mode)}`;
  item.tooltip = `${e.path}\n${e.type}, mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}${e.type === 'file' ? `, ${e.size} bytes` : ''}${e.layer >= 0 ? `\nwritten by layer ${two(e.layer)}` : ''}`;
  item.contextValue = isDir ? 'folder' : 'file';
  if (!isDir) item.command = { command: 'containerCompare.openFile', title: 'Open', arguments: [n] };
  return item;
}

/** A directory of the merged filesystem (a symlink to one lists its target). */
export function fsEntryChildren(engine: EngineService, n: FsEntryNode): ImagesNode[] {
  const tree = engine.tree(n.root.image);
  const target = tree.resolve(n.entry.path);
  return target ? fsChildren(engine, n.root, target.path, n) : [];
}

export function fsChildren(engine: EngineService, root: FsRootNode, dir: string, parent: FsRootNode | FsEntryNode): ImagesNode[] {
  const list = engine.tree(root.image).list(dir) ?? [];
  const entries = list.map((entry): FsEntryNode => ({ kind: 'fsEntry', id: `${root.id}:${entry.path}`, parent, root, entry }));
  // Folders first, as the explorer lists them.
  return entries.sort((a, b) => Number(b.entry.type === 'dir') - Number(a.entry.type === 'dir') || compareStrings(a.entry.path, b.entry.path));
}
