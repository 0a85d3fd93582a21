import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { CurrentComparison } from '../../src/extension/comparisonSession';
import { ImageUri } from '../../src/extension/fs/imageUri';
import type { Services } from '../../src/extension/services';
import type { ComparisonNode } from '../../src/extension/views/comparisonTree';
import type { EvidenceNode, FindingNode, FindingsNode } from '../../src/extension/views/findingsTree';
import type { RunPanel } from '../../src/extension/webviews/runPanel';
import { activeDiff, api, children, closeEditors, description, label, PHP_A, PHP_B, waitFor, withSetting } from './helpers';

/** Words that are the engine's, not the user's: rule kinds, scores, array indexes. */
const INTERNAL = /\b(sameStepDifferentResult|layerOnlyOne|logOnlyOne|httpHeader|crlfScript|lineEndings|stepDidNothing|moduleOnlyOne|servedAsSource|score \d+|History\[\d+\])\b/;

async function tooltipText(item: vscode.TreeItem): Promise<string> {
  const t = item.tooltip;
  return typeof t === 'string' ? t : t?.value ?? '';
}

describe('Findings: the likely cause first, and its evidence one click away', () => {
  let s: Services;
  before(async () => {
    s = await api();
  });
  after(closeEditors);

  it('lists the CRLF install script first, by its code, summarised in the Findings view and in full in the report', async () => {
    const r = await vscode.commands.executeCommand<CurrentComparison>('containerCompare.compareImages', PHP_A, PHP_B);
    const top = r.report.findings?.[0];
    assert.ok(top, 'no findings');
    assert.equal(top.code, 'CC102');
    assert.match(top.title, /install-fcgid\.sh/);
    const nodes = await children<FindingsNode>(s.findings);
    assert.equal(await label(s.findings, nodes[0]), top.title);
    assert.equal(await description(s.findings, nodes[0]), 'CC102 · most likely');
    // The Comparison view navigates; it no longer repeats the findings.
    const roots = await children<ComparisonNode>(s.comparison);
    assert.ok(!roots.some((n) => n.kind === 'section' && (n.section as string) === 'findings'));
    // The report shows each finding whole: its code, title, detail and what the code means.
    const report = await waitFor('the report editor', () => s.panels.report());
    const view = report.view()!;
    assert.equal(view.findings[0].code, 'CC102');
    assert.equal(view.findings[0].title, top.title);
    assert.equal(view.findings[0].detail, top.detail);
    assert.match(view.findings[0].about?.fix ?? '', /eol=lf/);
    assert.deepEqual(view.sides.map((x) => x.ref), [PHP_A, PHP_B]);
  });

  it('says everything in words: no rule kinds, scores or indexes in labels, descriptions or tooltips', async () => {
    for (const n of await children<FindingsNode>(s.findings)) {
      for (const x of [n, ...(await children(s.findings, n))]) {
        const item = await s.findings.getTreeItem(x);
        const text = `${await label(s.findings, x)} ${await description(s.findings, x)} ${await tooltipText(item)}`;
        assert.doesNotMatch(text, INTERNAL, text);
      }
    }
    const view = s.panels.report()!.view()!;
    assert.doesNotMatch(JSON.stringify(view.findings.map(({ title, detail, tags, evidence }) => ({ title, detail, tags, evidence: evidence.map((e) => [e.label, e.hint]) }))), INTERNAL);
    // The debug setting shows them, for bug reports.
    const undo = await withSetting('debug.showInternals', true);
    try {
      await waitFor('the report to show internals', () => s.panels.report()!.view()!.findings[0].debug?.startsWith('crlfScript · score '));
    } finally {
      await undo();
    }
  });

  it('opens a finding\'s file as a diff and its layer pair in the multi-file diff editor', async () => {
    const first = (await children<FindingsNode>(s.findings))[0];
    const evidence = (await children(s.findings, first)) as EvidenceNode[];
    const file = evidence.find((e) => e.target.type === 'file' && e.target.evidence.path === '/usr/local/bin/install-fcgid.sh');
    assert.ok(file, `evidence: ${evidence.map((e) => e.label).join(', ')}`);
    assert.equal(await vscode.commands.executeCommand('containerCompare.openEvidence', file), 'diff');
    await waitFor('the diff of install-fcgid.sh', () => activeDiff()?.modified.path === '/usr/local/bin/install-fcgid.sh');
    const row = evidence.find((e) => e.target.type === 'layerRow');
    assert.ok(row, 'no layer evidence');
    assert.match(row.label, /^Layer 0\d · (RUN|COPY)/);
    assert.equal(await vscode.commands.executeCommand('containerCompare.openEvidence', row), 'changes');
    await waitFor('the layer pair', () => /^Layer \d\d: laptop ↔ ci/.test(vscode.window.tabGroups.activeTabGroup.activeTab?.label ?? ''));
  });

  it('shows the package the CI image is missing in the report, and lists it in the Comparison view', async () => {
    const finding = (await children<FindingsNode>(s.findings)).find((n): n is FindingNode => n.kind === 'finding' && n.finding.code === 'CC404');
    assert.ok(finding);
    const pkg = ((await children(s.findings, finding)) as EvidenceNode[]).find((e) => e.target.type === 'package');
    assert.ok(pkg);
    assert.equal(pkg.description, 'Debian package (dpkg)');
    assert.equal(await vscode.commands.executeCommand('containerCompare.openEvidence', pkg), 'report');
    const roots = await children<ComparisonNode>(s.comparison);
    const packages = roots.find((n) => n.kind === 'section' && n.section === 'packages');
    assert.ok(packages, 'no Packages section');
    const dpkg = (await children(s.comparison, packages))[0];
    assert.equal(await label(s.comparison, dpkg), 'Debian packages (dpkg)');
    const fcgid = (await children(s.comparison, dpkg)).find((n) => n.kind === 'package' && n.change.name === 'libapache2-mod-fcgid');
    assert.ok(fcgid, 'libapache2-mod-fcgid is not listed');
    assert.match(await description(s.comparison, fcgid), /^only in laptop: 1:2\.3\.9/);
  });

  it('Next Finding and Previous Finding step through the findings and show each in the report', async () => {
    await s.findingsView.reveal((await children<FindingsNode>(s.findings))[0], { select: true });
    const next = await vscode.commands.executeCommand<{ code: string }>('containerCompare.nextFinding');
    assert.equal(next.code, s.session.current!.report.findings![1].code);
    const back = await vscode.commands.executeCommand<{ code: string }>('containerCompare.previousFinding');
    assert.equal(back.code, 'CC102');
    const wrapped = await vscode.commands.executeCommand<{ code: string }>('containerCompare.previousFinding');
    assert.equal(wrapped.code, s.session.current!.report.findings!.at(-1)!.code);
  });

  it('ignores a code, and a code for one path, through containerCompare.findings.ignore', async () => {
    const before = s.session.current!.report.findings!.map((f) => f.code);
    assert.ok(before.includes('CC206') && before.includes('CC210'), before.join(' '));
    const c = vscode.workspace.getConfiguration('containerCompare');
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    try {
      const lineEndings = (await children<FindingsNode>(s.findings)).find((n): n is FindingNode => n.kind === 'finding' && n.finding.code === 'CC206')!;
      assert.equal((await s.findings.getTreeItem(lineEndings)).contextValue, 'finding withPaths');
      await vscode.commands.executeCommand('containerCompare.ignoreFinding', lineEndings);
      await waitFor('CC206 to leave the findings', () => !s.session.current!.report.findings!.some((f) => f.code === 'CC206'));
      assert.equal(s.session.current!.ignoredFindings, 1);
      assert.match(s.panels.report()!.view()!.findingsNote, /1 more ignored by containerCompare\.findings\.ignore/);
      // For a path: the mode finding cites three files; ignored for one of them, a finding that cites others stays.
      await vscode.commands.executeCommand('containerCompare.ignoreFinding', { code: 'CC210', path: '/etc/apache2/conf-available/php-fcgid.conf' });
      assert.deepEqual(c.inspect<string[]>('findings.ignore')?.[target === vscode.ConfigurationTarget.Workspace ? 'workspaceValue' : 'globalValue'], ['CC206', 'CC210:/etc/apache2/conf-available/php-fcgid.conf']);
      await waitFor('the ranking to follow', () => s.session.current!.ignoredFindings === 2);
      assert.ok(!s.session.current!.report.findings!.some((f) => f.code === 'CC210'));
    } finally {
      await c.update('findings.ignore', undefined, target);
    }
    await waitFor('the findings to come back', () => s.session.current!.report.findings!.some((f) => f.code === 'CC206'));
    assert.equal(s.session.current!.ignoredFindings, 0);
  });

  it('shows what should not ship, and opens a deleted key in the layer that still carries it', async () => {
    await vscode.commands.executeCommand('containerCompare.compareImages', 'cc-fixture/leftovers:b', 'cc-fixture/leftovers:a');
    const cur = s.session.current!;
    assert.equal(cur.report.findings?.[0].code, 'CC501');
    const roots = await children<ComparisonNode>(s.comparison);
    const section = roots.find((n) => n.kind === 'section' && n.section === 'leftovers')!;
    const key = (await children(s.comparison, section)).find((n) => n.kind === 'leftover' && n.leftover.path === '/root/.ssh/id_ed25519');
    assert.ok(key && key.kind === 'leftover');
    assert.match(await description(s.comparison, key), /layer 02 .*deleted in 03, still shipped/);
    const item = await s.comparison.getTreeItem(key);
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    const opened = await waitFor('the key to open', () => vscode.window.activeTextEditor?.document.uri.path === '/root/.ssh/id_ed25519' && vscode.window.activeTextEditor);
    const u = ImageUri.parse(opened.document.uri);
    assert.equal(u.layer, 2);
    assert.equal(u.imageId, cur.comparison.b.id);
    assert.match(opened.document.getText(), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });

  it('a run of the same pair adds its findings; Swap Sides swaps the run too; Stop leaves no card saying running', async () => {
    const undo = [await withSetting('run.quietSeconds', 1.5), await withSetting('run.maxSeconds', 15)];
    await vscode.commands.executeCommand('containerCompare.compareImages', PHP_A, PHP_B);
    const panel = await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', PHP_A, PHP_B);
    try {
      await panel.ready();
      const findings = await waitFor('the run\'s findings to join', () => s.session.current?.run && s.session.current.report.findings);
      assert.equal(findings[0].code, 'CC102');
      assert.ok(findings.some((f) => f.code === 'CC603'), findings.map((f) => f.code).join(', '));
      const served = (await children<FindingsNode>(s.findings)).find((n): n is FindingNode => n.kind === 'finding' && n.finding.code === 'CC603')!;
      const http = ((await children(s.findings, served)) as EvidenceNode[]).find((e) => e.target.type === 'run');
      assert.ok(http, 'the served-as-source finding has no run evidence');
      assert.equal(await vscode.commands.executeCommand('containerCompare.openEvidence', http), 'run');
      assert.ok(panel.panel.active, 'the run panel did not come forward');
      // Running the same pair again reuses its panel.
      assert.equal(await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', PHP_A, PHP_B), panel);
      // Swap Sides: the run's findings stay, seen from the other side, and the panel follows.
      const count = findings.length;
      const errors = s.findingsView.badge?.value;
      await vscode.commands.executeCommand('containerCompare.swapSides');
      assert.equal(s.session.current!.report.a.name, PHP_B);
      assert.ok(s.session.current!.run, 'the swap dropped the run');
      assert.equal(s.session.current!.report.findings!.length, count);
      assert.equal(s.findingsView.badge?.value, errors);
      assert.deepEqual(panel.refs, [PHP_B, PHP_A]);
      assert.equal(panel.currentReport()?.http?.servedAsSource?.side, 'a');
      await vscode.commands.executeCommand('containerCompare.swapSides');
      assert.deepEqual(panel.refs, [PHP_A, PHP_B]);
      assert.equal(panel.currentReport()?.http?.servedAsSource?.side, 'b');
      // Stop Run: the containers go, and the report says the run is over.
      assert.equal(await vscode.commands.executeCommand('containerCompare.stopRun'), true);
      assert.equal(panel.phaseKind(), 'done');
      assert.doesNotMatch(s.panels.report()!.view()!.run?.text ?? '', /still up/);
    } finally {
      panel.dispose();
      await panel.settled();
      for (const u of undo) await u();
    }
  });

  it('a comparison of another pair closes the run panel of the old one (no orphan tabs)', async () => {
    const undo = [await withSetting('run.quietSeconds', 1.5), await withSetting('run.maxSeconds', 15)];
    try {
      const panel = await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', 'cc-fixture/crlf:a', 'cc-fixture/crlf:b');
      assert.deepEqual(s.session.current!.refs, ['cc-fixture/crlf:a', 'cc-fixture/crlf:b'], 'the run did not bring its comparison');
      await panel.ready();
      await vscode.commands.executeCommand('containerCompare.compareImages', 'cc-fixture/modes:a', 'cc-fixture/modes:b');
      await panel.settled();
      assert.ok(!vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label.startsWith('Run: crlf'))), 'the old run tab is still open');
      assert.equal(s.panels.report()?.panel.title, 'Report: modes: a ↔ b');
    } finally {
      for (const u of undo) await u();
    }
  });
});
