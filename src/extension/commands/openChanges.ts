import * as vscode from 'vscode';
import type { ReportFile } from '../../core/report/report';
import { changeSides, type ChangeScope } from '../changeSides';
import { ImageUri } from '../fs/imageUri';
import type { Command, Services } from '../services';
import type { ComparisonNode } from '../views/comparisonTree';
import type { ImagesNode } from '../views/imagesTree';
import { basename, capitalise } from '../views/labels';
import { viewFiles } from '../views/rowFiles';
import { openMany } from './openEvidence';
import { two } from '../../core/util/text';
import { inert } from '../../core/util/inert';

/**
 * Open Changes: VS Code's own diff editor. On a changed file, A vs B (merged
 * filesystems, or the two layers of a layer pair); on a layer pair or a group,
 * the multi-file diff editor with all of its files; on a file a layer changed
 * (Images view), the version below vs the layer's.
 */
export const openChanges: Command = {
  id: 'containerCompare.openChanges',
  async run(s, node?: unknown) {
    const n = node as ComparisonNode | ImagesNode | undefined;
    if (!n) return;
    if (n.kind === 'layerChange') {
      const c = n.change;
      const id = n.layerNode.image.id;
      const layer = n.layerNode.layer.index;
      if (c.kind !== 'modified' || c.beforeLayer === undefined) return vscode.commands.executeCommand('containerCompare.openFile', n);
      const meta = c.entry.type !== 'file' || c.before?.type !== 'file';
      const left = ImageUri.of(id, c.path, { layer: c.beforeLayer, meta }).toUri();
      const right = ImageUri.of(id, c.path, { layer, meta }).toUri();
      return vscode.commands.executeCommand('vscode.diff', left, right, inert(`${basename(c.path)} (layer ${two(c.beforeLayer)} ↔ ${two(layer)})`), { preview: true });
    }
    const cur = s.session.current;
    if (!cur) return;
    const names = s.comparison.names();
    const sides = (f: ReportFile, scope: ChangeScope) => changeSides(cur.comparison.a, cur.comparison.b, f, scope, names);
    if (n.kind === 'change') {
      const x = sides(n.file, n.scope);
      return vscode.commands.executeCommand('vscode.diff', x.left, x.right, x.title, { preview: true });
    }
    if (n.kind === 'row') {
      const files = viewFiles(n.row.files ?? []);
      if (files.length) await openMany(s, cur, files, { kind: 'row', row: n.row.index });
      return;
    }
    if (n.kind === 'group' && n.files.length) {
      await openMany(s, cur, n.files, n.scope, `${capitalise(n.title)}: ${names[0]} ↔ ${names[1]}${n.scope.kind === 'row' ? `, layer ${two(n.scope.row)}` : ''}`);
    }
  },
};

/** Exported for the Open File command: the document a node stands for. */
export function nodeDocument(s: Services, node: ComparisonNode | ImagesNode): vscode.Uri | undefined {
  if (node.kind === 'change') {
    const cur = s.session.current;
    if (!cur) return undefined;
    return changeSides(cur.comparison.a, cur.comparison.b, node.file, node.scope, s.comparison.names()).present.uri.toUri();
  }
  if (node.kind === 'layerChange') {
    const c = node.change;
    const id = node.layerNode.image.id;
    // A deletion opens what was deleted, from the layer that wrote it.
    if (c.kind === 'deleted') return c.beforeLayer === undefined ? undefined : ImageUri.of(id, c.path, { layer: c.beforeLayer }).toUri();
    return ImageUri.of(id, c.path, { layer: node.layerNode.layer.index, meta: c.entry.type === 'dir' || c.entry.type === 'opaque' }).toUri();
  }
  if (node.kind === 'fsEntry') return ImageUri.of(node.root.image.id, node.entry.path).toUri();
  return undefined;
}
