import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './helpers';

interface Binding {
  key: string;
  command: string;
  mac?: string;
  when?: string;
}

describe('Keybindings', () => {
  it('next/previous finding, Stop Run and Compare Images have keys that VS Code does not use itself', async () => {
    const ours = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { keybindings: Binding[] } }).contributes.keybindings;
    assert.deepEqual(ours.map((k) => k.command).sort(), ['containerCompare.compareImages', 'containerCompare.nextFinding', 'containerCompare.previousFinding', 'containerCompare.stopRun']);
    // The defaults of this very workbench (code-server is VS Code 1.100), as "Open Default Keyboard Shortcuts (JSON)" shows them.
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const doc = await waitFor('the default keybindings', () => {
      const d = vscode.window.activeTextEditor?.document;
      return d && /"command":/.test(d.getText()) && d;
    });
    // Contributed keybindings are listed there too: ours are not VS Code's.
    const defaults = new Set([...doc.getText().matchAll(/"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)].filter((m) => !m[2].startsWith('containerCompare.')).map((m) => m[1]));
    assert.ok(defaults.size > 200, `only ${defaults.size} default keys read`);
    for (const k of ours) assert.ok(!defaults.has(k.key), `${k.key} (${k.command}) is one of VS Code's own keys`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
