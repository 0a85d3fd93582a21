import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { RunPanel } from '../../src/extension/webviews/runPanel';
import { api, PHP_A, PHP_B, waitFor, withSetting } from './helpers';

// This extension host's own containers: other runs on a shared engine have theirs.
const ours = async (): Promise<string[]> =>
  (await promisify(execFile)('docker', ['ps', '-aq', '--filter', 'label=dev.container-compare.run', '--filter', `label=dev.container-compare.owner=${hostname()}:${process.pid}`])).stdout.split('\n').filter(Boolean);

describe('Run Side by Side', () => {
  const undo: Array<() => Promise<void>> = [];
  before(async () => {
    await api();
    undo.push(await withSetting('run.quietSeconds', 1.5), await withSetting('run.maxSeconds', 15));
  });
  after(async () => {
    for (const u of undo.reverse()) await u();
  });

  it('runs the example pair and reports fcgid on one side, the missing module and the PHP source served', async () => {
    const panel = await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', PHP_A, PHP_B);
    try {
      await checkPhpReport(panel);
    } finally {
      panel.dispose();
      await panel.settled();
    }
  });

  async function checkPhpReport(panel: RunPanel): Promise<void> {
    const report = await panel.ready();
    assert.ok(report, 'the run produced no report');
    assert.equal(report.a.state.status, 'running');
    assert.equal(report.b.state.status, 'running');
    assert.ok(report.modules.onlyA.some((m) => /fcgid/.test(m)), `modules only in A: ${report.modules.onlyA.join(', ')}`);
    assert.deepEqual(report.modules.onlyB, []);
    assert.equal(report.http?.servedAsSource?.side, 'b');
    const fcgidRows = report.logs.rows.filter((r) => /mod_fcgid: Process manager/.test(r.a?.raw ?? r.b?.raw ?? ''));
    assert.ok(fcgidRows.length > 0 && fcgidRows.every((r) => r.kind === 'onlyA'));
    assert.ok(report.findings.length > 0 && report.differ);
    // Published on loopback only; both stay up while the panel is open (to try them in a browser), and Stop removes them.
    assert.equal(report.a.published?.hostIp, '127.0.0.1');
    assert.equal((await ours()).length, 2);
    await panel.stop();
    assert.equal((await ours()).length, 0, 'Stop left containers behind');
  }

  it('closing the panel mid-run stops and removes both containers', async () => {
    const panel = await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', PHP_A, PHP_B);
    await waitFor('both containers to exist', async () => (await ours()).length === 2, 60_000);
    panel.dispose();
    assert.equal(await panel.settled(), undefined);
    await waitFor('the containers to be removed', async () => (await ours()).length === 0, 30_000);
  });

  it('shows the exit code and the engine\'s error of an image that fails to start (a CRLF shebang)', async () => {
    const panel = await vscode.commands.executeCommand<RunPanel>('containerCompare.runSideBySide', 'cc-fixture/startfail:a', 'cc-fixture/startfail:b');
    try {
      const report = await panel.ready();
      assert.ok(report);
      assert.equal(report.a.state.status, 'running');
      const b = report.b.state;
      // Engines differ: some refuse the start, runc 1.1 starts it and the exec fails at once.
      assert.ok(b.status === 'failedToStart' || (b.status === 'exited' && b.exitCode === 1), JSON.stringify(b));
      const said = `${b.error ?? ''}\n${report.b.lines.map((l) => l.text).join('\n')}`;
      assert.match(said, /exec \/entrypoint\.sh: no such file or directory|no such file or directory/);
      assert.equal(report.findings[0].side, 'b');
      assert.match(report.findings[0].kind, /startFailed|exited/);
    } finally {
      panel.dispose();
      await panel.settled();
    }
  });

  it('refuses an image that is not in the engine, before starting anything', async () => {
    const panel = await vscode.commands.executeCommand<RunPanel | undefined>('containerCompare.runSideBySide', 'oci:/nonexistent/layout', PHP_B);
    assert.equal(panel, undefined);
    assert.equal((await ours()).length, 0);
  });

  it('is disabled in restricted workspaces by its manifest (this test profile trusts every folder)', async () => {
    {
      const pkg = vscode.extensions.getExtension('container-compare.container-compare')!.packageJSON as {
        contributes: { commands: Array<{ command: string; enablement?: string }> };
        capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
      };
      assert.equal(pkg.contributes.commands.find((c) => c.command === 'containerCompare.runSideBySide')?.enablement, 'isWorkspaceTrusted');
      assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
      assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('containerCompare.run.bindAddress'));
    }
  });
});
