import * as vscode from 'vscode';
import type { Command } from '../services';
import type { ComparisonNode } from '../views/comparisonTree';
import type { ImagesNode } from '../views/imagesTree';
import { nodeDocument } from './openChanges';

/** Open File: the file itself, read-only, from the image (B's side of a change, or A's when B has none). */
export const openFile: Command = {
  id: 'containerCompare.openFile',
  async run(s, node?: unknown) {
    const uri = node ? nodeDocument(s, node as ComparisonNode | ImagesNode) : undefined;
    if (!uri) return;
    await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
  },
};
