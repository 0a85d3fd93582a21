import * as vscode from 'vscode';
import type { Command } from '../services';
import { ReportPanel } from '../webviews/reportPanel';

/** Open Report: the Comparison Report editor of the comparison on screen. */
export const openReport: Command = {
  id: 'containerCompare.openReport',
  run(s) {
    const panel = ReportPanel.show(s);
    if (!panel) void vscode.window.showInformationMessage('Compare two images first.', 'Compare Images').then((pick) => pick && vscode.commands.executeCommand('containerCompare.compareImages'));
    return panel;
  },
};
