import * as vscode from 'vscode';
import type { Command } from '../services';
import type { ComparisonNode } from '../views/comparisonTree';
import type { ImagesNode } from '../views/imagesTree';

/** Copy Path: the file's absolute path inside the image. */
export const copyPath: Command = {
  id: 'containerCompare.copyPath',
  async run(_s, node?: unknown) {
    const n = node as ComparisonNode | ImagesNode | undefined;
    const path = n?.kind === 'change' ? n.file.path : n?.kind === 'layerChange' ? n.change.path : n?.kind === 'fsEntry' ? n.entry.path : n?.kind === 'changeFolder' ? n.folder.path : undefined;
    if (path) await vscode.env.clipboard.writeText(path);
  },
};
