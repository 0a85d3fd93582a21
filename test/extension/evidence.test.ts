import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { EvidenceOutcome } from '../../src/extension/commands/openEvidence';
import type { CurrentComparison } from '../../src/extension/comparisonSession';
import type { Services } from '../../src/extension/services';
import type { EvidenceNode, FindingNode, FindingsNode } from '../../src/extension/views/findingsTree';
import { api, children, closeEditors, extensionLogTail, PHP_A, PHP_B, waitFor } from './helpers';

/** Every fixture pair the build scripts make (scripts/build-fixtures.sh, scripts/build-diagnosis-pairs.sh), and the example. */
function fixturePairs(): Array<[string, string]> {
  const tags = new Set(execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).split('\n'));
  const pairs: Array<[string, string]> = [[PHP_A, PHP_B]];
  for (const t of [...tags].sort()) {
    const m = /^(cc-(?:fixture|diag)\/[\w.-]+):a$/.exec(t);
    if (m && tags.has(`${m[1]}:b`)) pairs.push([t, `${m[1]}:b`]);
  }
  return pairs;
}

/** What the workbench shows after an outcome: the editor it claims to have opened must be the active one. */
function landed(s: Services, outcome: EvidenceOutcome): boolean {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  switch (outcome) {
    case 'diff':
      return tab?.input instanceof vscode.TabInputTextDiff;
    case 'changes':
      return !!tab && !(tab.input instanceof vscode.TabInputTextDiff) && /^(Layer \d\d: |.*↔)/.test(tab.label);
    case 'file':
      return tab?.input instanceof vscode.TabInputText && tab.input.uri.scheme === 'container-image';
    case 'report':
      // The page answered that it found the row and selected it (openEvidence waits for that).
      return !!s.panels.report();
    default:
      return false;
  }
}

describe('Every piece of evidence opens something (every finding of every fixture pair)', function () {
  let s: Services;
  const pairs = fixturePairs();
  before(async () => {
    s = await api();
    // The fixtures must be there: a walk over nothing would prove nothing.
    for (const need of ['cc-fixture/crlf:a', 'cc-fixture/leftovers:a', 'cc-diag/execbit:a', 'cc-diag/timestamps:a']) {
      assert.ok(pairs.some(([a]) => a === need), `${need} is missing: run scripts/build-fixtures.sh and scripts/build-diagnosis-pairs.sh`);
    }
    // The workbench (code-server in Chromium) can take half a minute to load its first webview page
    // after start-up; what is tested below is what each piece of evidence opens, not that first load.
    assert.ok(await vscode.commands.executeCommand('containerCompare.compareImages', PHP_A, PHP_B));
    await waitFor('the report page to load', () => !!s.panels.report()?.loaded, 90_000);
  });
  after(closeEditors);

  for (const [a, b] of pairs) {
    it(`${a} ↔ ${b}`, async () => {
      const r = await vscode.commands.executeCommand<CurrentComparison | undefined>('containerCompare.compareImages', a, b);
      assert.ok(r, `comparing ${a} and ${b} failed`);
      const findings = await waitFor('the Findings view', async () => {
        const n = await children<FindingsNode>(s.findings);
        return n.length === (r.report.findings?.length ?? 0) && n;
      });
      const failed: string[] = [];
      let walked = 0;
      for (const f of findings as FindingNode[]) {
        // The finding itself shows in full in the report.
        const shown = await vscode.commands.executeCommand<EvidenceOutcome>('containerCompare.openEvidence', { target: { type: 'finding', index: f.rank } });
        if (shown !== 'report') failed.push(`${f.finding.code} ${f.finding.title}: ${shown}`);
        for (const e of (await children(s.findings, f)) as EvidenceNode[]) {
          walked++;
          const item = await s.findings.getTreeItem(e);
          assert.equal(item.command?.command, 'containerCompare.openEvidence', `${e.label} has no command`);
          const outcome = await vscode.commands.executeCommand<EvidenceOutcome>(item.command.command, ...(item.command.arguments ?? []));
          if (outcome === 'none' || !(await waitFor(`${e.label} to land`, () => landed(s, outcome), 10_000).catch(() => false))) failed.push(`${f.finding.code} → ${e.label} (${e.description ?? ''}): ${outcome}`);
        }
      }
      if (failed.length) assert.deepEqual(failed, [], `of ${walked} evidence rows; the extension's log ends:\n${await extensionLogTail(s)}\n`);
      await closeEditors();
    });
  }
});
