import * as vscode from 'vscode';
import { renderMarkdown } from '../../cli/format';
import { reportError } from '../notify';
import type { Command } from '../services';
import { inertJson } from '../../core/util/inert';

/**
 * Export Report: the comparison as the CLI writes it, JSON (`diff --json`)
 * or Markdown (`diff --markdown`), so a report from the editor and one from
 * CI read the same. A target URI as argument skips the save dialog.
 */
export const exportReport: Command = {
  id: 'containerCompare.exportReport',
  async run(s, target?: unknown) {
    const cur = s.session.current;
    if (!cur) {
      void vscode.window.showInformationMessage('Compare two images first.');
      return undefined;
    }
    const [a, b] = s.comparison.names();
    const base = `${a}-vs-${b}`.replace(/[^A-Za-z0-9._-]+/g, '_');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            title: 'Export Comparison Report',
            ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.md`) } : {}),
            filters: { Markdown: ['md'], JSON: ['json'] },
          });
    if (!uri) return undefined;
    const json = uri.path.toLowerCase().endsWith('.json');
    const text = json ? inertJson({ ...cur.report, gate: cur.gate }) + '\n' : renderMarkdown(cur.report, cur.gate);
    try {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    } catch (e) {
      void reportError(s.log, `Writing ${uri.fsPath}`, e);
      return undefined;
    }
    s.log.info(`Report written to ${uri.toString()}`);
    void vscode.window.showInformationMessage(`Report written to ${vscode.workspace.asRelativePath(uri)}`, 'Open').then((pick) => {
      if (pick === 'Open') void vscode.commands.executeCommand('vscode.open', uri);
    });
    return uri;
  },
};
