import * as vscode from 'vscode';
import type { Command } from '../services';
import type { ImagesNode } from '../views/imagesTree';
import { inert } from '../../core/util/inert';

/** Select for Compare, on an image of the Images view (as the explorer's "Select for Compare"). */
export const selectForCompare: Command = {
  id: 'containerCompare.selectForCompare',
  async run(s, node?: unknown) {
    const n = node as ImagesNode | undefined;
    if (n?.kind !== 'image') return;
    s.selection = { ref: n.ref, label: n.ref !== n.imageId ? n.ref.replace(/^registry:\/\//, '') : n.label };
    await vscode.commands.executeCommand('setContext', 'containerCompare.hasSelection', true);
    vscode.window.setStatusBarMessage(`Selected ${inert(s.selection.label)} for compare`, 4000);
  },
};
