import * as vscode from 'vscode';
import type { ImageModel } from '../../../core/image/model';
import { age, humanSize } from '../../../core/util/units';
import type { ImageNode, ImagesNode, RepoNode } from '../imagesTree';
import { escapeMd, sizeNote } from '../labels';
import { shortId } from '../../../core/util/text';

/** A group of images: an engine repository, the untagged images, or the images opened in this session. */
export function repoItem(n: RepoNode): vscode.TreeItem {
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.description = `${n.images.length} image${n.images.length === 1 ? '' : 's'}`;
  item.iconPath = new vscode.ThemeIcon(n.icon);
  item.contextValue = 'repository';
  return item;
}

/**
 * An image of any source. `loadedId`: its id, '' for a registry tag not
 * loaded yet; `leftovers`: how many of its files should not ship.
 */
export function imageItem(n: ImageNode, loadedId: string, leftovers: number): vscode.TreeItem {
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Collapsed);
  const s = n.summary;
  const remote = n.parent.kind === 'remoteRepo';
  item.description = [loadedId ? shortId(loadedId) : 'not downloaded', ...(s ? [humanSize(s.size), age(s.created)] : [])].join(' · ');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMd(n.label)}**\n\n`);
  if (loadedId) md.appendMarkdown(`Image id \`${loadedId}\`\n\n`);
  if (s) {
    md.appendMarkdown(`${humanSize(s.size)} (${sizeNote('daemon')}), created ${new Date(s.created).toLocaleString()} (${age(s.created)})\n\n`);
    if (s.repoTags.length > 1) md.appendMarkdown(`Tags: ${s.repoTags.map((t) => `\`${t}\``).join(', ')}\n\n`);
    if (s.repoDigests.length) md.appendMarkdown(`Digests: ${s.repoDigests.map((t) => `\`${t}\``).join(', ')}\n\n`);
  } else md.appendMarkdown(`From \`${escapeMd(n.ref)}\`\n\n`);
  item.tooltip = md;
  if (leftovers) item.description += ` · ⚠ ${leftovers} leftover${leftovers === 1 ? '' : 's'}`;
  item.iconPath = new vscode.ThemeIcon(remote ? 'cloud' : 'package');
  // Registry images can be browsed and compared, not run (run needs them in the engine).
  item.contextValue = remote ? 'remoteImage' : 'image';
  return item;
}

/** A loaded image's children: its numbered layers, then its merged filesystem. */
export function imageChildNodes(n: ImageNode, image: ImageModel): ImagesNode[] {
  const layers: ImagesNode[] = image.layers.map((layer) => ({ kind: 'layer', id: `${n.id}/layer:${layer.index}`, parent: n, image, layer }));
  return [...layers, { kind: 'fsRoot', id: `${n.id}/fs`, parent: n, image }];
}
