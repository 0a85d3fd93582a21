import * as vscode from 'vscode';
import type { Finding } from '../../core/findings/finding';
import type { Command, Services } from '../services';
import { ReportPanel } from '../webviews/reportPanel';

/** Next Finding / Previous Finding: steps through the ranked findings, as F8 steps through problems. */
export const nextFinding: Command = {
  id: 'containerCompare.nextFinding',
  run: (s) => step(s, 1),
};

export const previousFinding: Command = {
  id: 'containerCompare.previousFinding',
  run: (s) => step(s, -1),
};

/**
 * Selects the next finding in the Findings view and shows it in full in
 * the report, without taking the focus from where the user is.
 */
async function step(s: Services, dir: 1 | -1): Promise<Finding | undefined> {
  const nodes = s.findings.findingNodes();
  if (!nodes.length) {
    vscode.window.setStatusBarMessage(s.session.current ? 'This comparison has no findings.' : 'Compare two images first.', 3000);
    return undefined;
  }
  const selected = s.findingsView.selection[0];
  const at = selected ? (selected.kind === 'finding' ? selected.rank : selected.parent.rank) : s.findingCursor;
  const next = at === undefined || at >= nodes.length || at < 0 ? (dir === 1 ? 0 : nodes.length - 1) : (at + dir + nodes.length) % nodes.length;
  s.findingCursor = next;
  const node = nodes[next];
  await s.findingsView.reveal(node, { select: true, focus: false });
  await ReportPanel.showAt(s, { type: 'finding', index: next }, { preserveFocus: true });
  vscode.window.setStatusBarMessage(`Finding ${next + 1} of ${nodes.length}: ${node.finding.code}`, 3000);
  return node.finding;
}
