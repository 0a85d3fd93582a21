import * as vscode from 'vscode';
import type { Command } from '../services';
import { RunPanel } from '../webviews/runPanel';

/** Stop Run: stops the side-by-side run of the comparison on screen (or the only one running) and removes its containers. */
export const stopRun: Command = {
  id: 'containerCompare.stopRun',
  async run(s) {
    const cur = s.session.current;
    const active = RunPanel.panels().filter((p) => p.active);
    const panel = (cur && RunPanel.forPair(cur.refs)) ?? (active.length === 1 ? active[0] : undefined);
    if (!panel?.active) {
      vscode.window.setStatusBarMessage('No side-by-side run is going.', 3000);
      return false;
    }
    await panel.stop();
    return true;
  },
};
