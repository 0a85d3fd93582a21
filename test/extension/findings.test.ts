import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { CurrentComparison } from '../../src/extension/comparisonSession';
import { ImageUri } from '../../src/extension/fs/imageUri';
import type { Services } from '../../src/extension/services';
import type { ComparisonNode } from '../../src/extension/views/comparisonTree';
import type { EvidenceNode, FindingsNode } from '../../src/extension/views/findingsTree';
import type { RunPanel } from '../../src/extension/webviews/runPanel';
import { activeDiff, api, children, closeEditors, description, label, PHP_A, PHP_B, waitFor, withSetting } from './helpers';

describe('Findings: the likely cause first, and its evidence one click away', () => {
  let s: Services;
  before(async () => {
    s = await api();
  });
  after(closeEditors);

  it('names the CRLF install script as the most likely cause of the example pair, in both views', async () => {
    const r = await vscode.commands.executeCommand<CurrentComparison>('containerCompare.compareImages', PHP_A, PHP_B);
    const top = r.report.findings?.[0];
    assert.ok(top, 'no findings');
    assert.equal(top.kind, 'crlfScript');
    assert.match(top.title, /install-fcgid\.sh/);
    // The Findings view lists them ranked, the first one open on its evidence.
    const nodes = await children<FindingsNode>(s.findings);
    assert.equal(await label(s.findings, nodes[0]), top.title);
    assert.match(await description(s.findings, nodes[0]), /^most likely/);
    // The Comparison view starts with the same list.
    const roots = await children<ComparisonNode>(s.comparison);
    assert.equal(roots[0].kind === 'section' && roots[0].section, 'findings');
    assert.equal(await label(s.comparison, (await children(s.comparison, roots[0]))[0]), top.title);
  });

  it('opens a finding\'s file as a diff and its layer pair in the multi-file diff editor', async () => {
    const first = (await children<FindingsNode>(s.findings))[0];
    const evidence = (await children(s.findings, first)) as EvidenceNode[];
    const file = evidence.find((e) => e.target.type === 'file' && e.target.evidence.path === '/usr/local/bin/install-fcgid.sh');
    assert.ok(file, `evidence: ${evidence.map((e) => e.label).join(', ')}`);
    await vscode.commands.executeCommand('containerCompare.openEvidence', file);
    await waitFor('the diff of install-fcgid.sh', () => activeDiff()?.modified.path === '/usr/local/bin/install-fcgid.sh');
    const row = evidence.find((e) => e.target.type === 'layerRow');
    assert.ok(row, 'no layer evidence');
    await vscode.commands.executeCommand('containerCompare.openEvidence', row);
    await waitFor('the layer pair', () => /^Layer \d\d: laptop ↔ ci/.test(vscode.window.tabGroups.activeTabGroup.activeTab?.label ?? ''));
  });

  it('lists the package the CI image is missing, read from the dpkg database', async () => {
    const roots = await children<ComparisonNode>(s.comparison);
    const packages = roots.find((n) => n.kind === 'section' && n.section === 'packages');
    assert.ok(packages, 'no Packages section');
    const dpkg = (await children(s.comparison, packages))[0];
    assert.equal(await label(s.comparison, dpkg), 'Debian packages (dpkg)');
    const fcgid = (await children(s.comparison, dpkg)).find((n) => n.kind === 'package' && n.change.name === 'libapache2-mod-fcgid');
    assert.ok(fcgid, 'libapache2-mod-fcgid is not listed');
    assert.match(await description(s.comparison, fcgid), /^only in laptop: 1:2\.3\.9/);
  });

  it('shows what should not ship, and opens a deleted key in the layer that still carries it', async () => {
    await vscode.commands.executeCommand('containerCompare.compareImages', 'cc-fixture/leftovers:b', 'cc-fixture/leftovers:a');
    const cur = s.session.current!;
    assert.equal(cur.report.findings?.[0].kind, 'secret');
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

  it('a run of the same pair adds its findings (source served, fcgid missing) without displacing the cause', async () => {
    const undo = [await withSetting('run.quietSeconds', 1.5), await withSetting('run.maxSeconds', 15)];
    await vscode.commands.executeCommand('containerCompare.compareImages', PHP_A, PHP_B);
    const panel = await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', PHP_A, PHP_B);
    try {
      await panel.ready();
      const findings = await waitFor('the run\'s findings to join', () => s.session.current?.run && s.session.current.report.findings);
      assert.equal(findings[0].kind, 'crlfScript');
      assert.ok(findings.some((f) => f.kind === 'servedAsSource'), findings.map((f) => f.kind).join(', '));
      const served = (await children<FindingsNode>(s.findings)).find((n) => n.kind === 'finding' && n.finding.kind === 'servedAsSource')!;
      const http = (await children(s.findings, served)).find((e) => e.kind === 'evidence' && e.target.type === 'run');
      assert.ok(http, 'the served-as-source finding has no run evidence');
      await vscode.commands.executeCommand('containerCompare.openEvidence', http);
      assert.ok(panel.panel.active, 'the run panel did not come forward');
    } finally {
      panel.dispose();
      await panel.settled();
      for (const u of undo) await u();
    }
  });
});
