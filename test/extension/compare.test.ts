import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CurrentComparison } from '../../src/extension/comparisonSession';
import { humanSize } from '../../src/core/util/units';
import { ImageUri } from '../../src/extension/fs/imageUri';
import type { Services } from '../../src/extension/services';
import type { ComparisonNode, FileNode } from '../../src/extension/views/comparisonTree';
import { activeDiff, api, archive, children, cli, closeEditors, description, label, PHP_A, PHP_B, waitFor } from './helpers';

/** The Comparison view's node for `path` under the Files section. */
async function fileNode(s: Services, path: string): Promise<FileNode> {
  const roots = await children<ComparisonNode>(s.comparison);
  const files = roots.find((r) => r.kind === 'section' && r.section === 'files')!;
  for (const g of await children(s.comparison, files)) {
    const hit = (await children(s.comparison, g)).find((n): n is FileNode => n.kind === 'change' && n.file.path === path);
    if (hit) return hit;
  }
  throw new Error(`${path} is not listed under Files`);
}

function section(roots: ComparisonNode[], name: string): ComparisonNode {
  const found = roots.find((r) => r.kind === 'section' && r.section === name);
  assert.ok(found, `no ${name} section`);
  return found;
}

async function documentText(uri: vscode.Uri): Promise<string> {
  return (await vscode.workspace.openTextDocument(uri)).getText();
}

describe('Compare Images (the example PHP pair)', () => {
  let s: Services;
  let result: CurrentComparison;

  before(async () => {
    s = await api();
    const r = await vscode.commands.executeCommand<CurrentComparison | undefined>('containerCompare.compareImages', PHP_A, PHP_B);
    assert.ok(r, 'Compare Images returned no comparison (see the notification / output channel)');
    result = r;
  });
  after(closeEditors);

  it('lists the shared base collapsed and the four differing layers', async () => {
    const roots = await children<ComparisonNode>(s.comparison);
    assert.deepEqual(
      roots.map((r) => r.kind === 'section' ? r.section : r.kind === 'side' ? `side ${r.which}` : r.kind),
      ['side A', 'side B', 'layers', 'files', 'packages'],
    );
    assert.match(await label(s.comparison, roots[0]), /^A {2}cc-example\/php-fcgid:laptop$/);
    // One size, the engine's: what `docker images` says, in its units.
    const size = execFileSync('docker', ['image', 'inspect', PHP_A, '--format', '{{.Size}}'], { encoding: 'utf8' }).trim();
    assert.equal(result.report.a.size, Number(size));
    assert.match(await description(s.comparison, roots[0]), new RegExp(` · ${humanSize(Number(size))} · linux/amd64$`));
    const layers = await children(s.comparison, section(roots, 'layers'));
    const labels = await Promise.all(layers.map((n) => label(s.comparison, n)));
    assert.equal(labels[0], '00–02 · 3 shared layers');
    assert.deepEqual(
      labels.slice(1).map((l) => l.slice(0, 9)),
      ['03 · COPY', '04 · COPY', '05 · RUN ', '06 · COPY'],
    );
    assert.match(await description(s.comparison, layers[3]), /MB → .* · 39 files differ/);
    assert.deepEqual(layers.slice(1).map((n) => n.kind === 'row' && n.row.status), ['different', 'different', 'different', 'different']);
    // The shared run expands into its three identical layers.
    assert.equal((await children(s.comparison, layers[0])).length, 3);
  });

  it('groups the changed files by reason and says so in a summary line', async () => {
    const roots = await children<ComparisonNode>(s.comparison);
    const groups = await children(s.comparison, section(roots, 'files'));
    const titles = await Promise.all(groups.map(async (g) => `${await label(s.comparison, g)} (${await description(s.comparison, g)})`));
    assert.deepEqual(titles, ['Line endings and mode/owner (3)', 'Content (8)', 'Removed (only in A) (31)']);
    assert.equal(s.comparisonView.message, '4 of 7 layers differ · 42 files differ (11 modified, 31 removed)');
    assert.equal(s.comparisonView.description, 'php-fcgid: laptop ↔ ci');
  });

  it('marks changed files A/M/D through the decoration provider', async () => {
    const removed = await fileNode(s, '/etc/apache2/mods-available/fcgid.load');
    const item = await s.comparison.getTreeItem(removed);
    assert.ok(item.resourceUri && ImageUri.is(item.resourceUri));
    assert.match(String(item.description), /only in laptop/);
    // Ask the decoration provider what VS Code asks it: the mark of the item's resourceUri.
    assert.equal((await s.decorations.provideFileDecoration(item.resourceUri))?.badge, 'D');
    const modified = await s.comparison.getTreeItem(await fileNode(s, '/usr/local/bin/install-fcgid.sh'));
    assert.match(String(modified.description), /line endings LF → CRLF, mode 0644 → 0755/);
    assert.equal((await s.decorations.provideFileDecoration(modified.resourceUri!))?.badge, 'M');
  });

  it('Open Changes on a file present only in A diffs it against an empty document', async () => {
    await vscode.commands.executeCommand('containerCompare.openChanges', await fileNode(s, '/etc/apache2/mods-available/fcgid.load'));
    const diff = await waitFor('the diff editor', activeDiff);
    assert.equal(diff.original.scheme, 'container-image');
    assert.match(await documentText(diff.original), /^LoadModule fcgid_module \/usr\/lib\/apache2\/modules\/mod_fcgid\.so\n?$/m);
    assert.equal(await documentText(diff.modified), '');
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab!.label, /fcgid\.load \(laptop ↔ ci\) · only in laptop/);
  });

  it('Open Changes on a line-endings change puts the reason in the title, and the bytes really differ', async () => {
    await vscode.commands.executeCommand('containerCompare.openChanges', await fileNode(s, '/usr/local/bin/install-fcgid.sh'));
    const diff = await waitFor('the diff editor', () => activeDiff()?.original.path.endsWith('install-fcgid.sh') && activeDiff());
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab!.label, /install-fcgid\.sh \(laptop ↔ ci\) · line endings LF → CRLF, mode 0644 → 0755/);
    const a = await vscode.workspace.fs.readFile(diff.original);
    const b = await vscode.workspace.fs.readFile(diff.modified);
    assert.ok(!Buffer.from(a).includes('\r\n'));
    assert.equal(Buffer.from(b).toString('utf8'), Buffer.from(a).toString('utf8').replace(/\n/g, '\r\n'));
    assert.equal((await vscode.workspace.openTextDocument(diff.modified)).eol, vscode.EndOfLine.CRLF);
  });

  it('Open Changes on a layer pair opens the two layers side by side in the multi-file diff editor', async () => {
    const roots = await children<ComparisonNode>(s.comparison);
    const row = (await children(s.comparison, section(roots, 'layers'))).find((n) => n.kind === 'row' && n.row.index === 4)!;
    await vscode.commands.executeCommand('containerCompare.openChanges', row);
    // The multi-diff editor's tab input is not in the stable API of 1.100; its label and resources are.
    const tab = await waitFor('the multi-diff editor', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.label === 'Layer 04: laptop ↔ ci (1 file)' && t;
    });
    assert.ok(!(tab.input instanceof vscode.TabInputTextDiff), 'a single diff opened instead of the multi-file diff');
    const diffs = (tab.input as { textDiffs?: Array<{ original: vscode.Uri }> } | undefined)?.textDiffs;
    if (diffs) {
      const paths = diffs.map((d) => `${ImageUri.parse(d.original).path}?layer=${ImageUri.parse(d.original).layer}`);
      assert.ok(paths.includes('/usr/local/bin/install-fcgid.sh?layer=4'), paths.join(', '));
    }
  });

  it('Open File opens B\'s file read-only', async () => {
    await vscode.commands.executeCommand('containerCompare.openFile', await fileNode(s, '/var/www/html/index.php'));
    const editor = await waitFor('an editor of index.php', () => vscode.window.activeTextEditor?.document.uri.path === '/var/www/html/index.php' && vscode.window.activeTextEditor);
    assert.equal(editor.document.uri.authority, result.comparison.b.id.slice(7));
    assert.match(editor.document.getText(), /<\?php phpinfo\(\); \?>/);
    await assert.rejects(
      Promise.resolve(vscode.workspace.fs.writeFile(editor.document.uri, Buffer.from('x'))),
      (e: vscode.FileSystemError) => e.code === 'NoPermissions',
    );
  });

  it('Reveal in Images View selects the file in the merged filesystem of its image', async () => {
    await vscode.commands.executeCommand('containerCompare.revealInImages', await fileNode(s, '/var/www/html/index.php'));
    const selected = await waitFor('a selection in the Images view', () => s.imagesView.selection[0]);
    assert.equal(selected.kind, 'fsEntry');
    assert.equal(selected.kind === 'fsEntry' && selected.entry.path, '/var/www/html/index.php');
    assert.equal(selected.kind === 'fsEntry' && selected.root.image.id, result.comparison.b.id);
  });

  it('Export Report writes the same JSON and Markdown as the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-report-'));
    const jsonUri = vscode.Uri.file(join(dir, 'report.json'));
    const mdUri = vscode.Uri.file(join(dir, 'report.md'));
    await vscode.commands.executeCommand('containerCompare.exportReport', jsonUri);
    await vscode.commands.executeCommand('containerCompare.exportReport', mdUri);
    const json = await cli(['diff', PHP_A, PHP_B, '--json']);
    assert.equal(json.code, 1, json.stderr);
    assert.deepEqual(JSON.parse(readFileSync(jsonUri.fsPath, 'utf8')), JSON.parse(json.stdout));
    const md = await cli(['diff', PHP_A, PHP_B, '--markdown']);
    assert.equal(readFileSync(mdUri.fsPath, 'utf8'), md.stdout);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Swap Sides makes B the reference: removed files become added', async () => {
    const swapped = await vscode.commands.executeCommand<CurrentComparison>('containerCompare.swapSides');
    try {
      assert.equal(swapped.report.a.name, PHP_B);
      assert.equal(swapped.report.summary.files.added, 31);
      assert.equal(swapped.report.summary.files.removed, 0);
      assert.equal(s.comparisonView.description, 'php-fcgid: ci ↔ laptop');
    } finally {
      await vscode.commands.executeCommand('containerCompare.swapSides');
    }
    assert.equal(s.session.current!.report.a.name, PHP_A);
  });
});

describe('Compare Images (archives and layouts)', () => {
  it('compares a containerd-store zstd archive with a skopeo OCI layout', async () => {
    const s = await api();
    const a = `docker-archive:${archive('crlf-a.docker25-containerd-zstd.tar')}`;
    const b = `oci:${archive('crlf-b.oci')}`;
    const r = await vscode.commands.executeCommand<CurrentComparison>('containerCompare.compareImages', a, b);
    assert.ok(r);
    assert.deepEqual(
      r.report.files.map((f) => [f.path, f.reasons]),
      [['/app/config.ini', ['lineEndings']]],
    );
    // Images from files appear in the Images view, to browse like local ones.
    const opened = (await children(s.images)).find((n) => n.kind === 'repo' && n.label === 'Opened in this session');
    assert.ok(opened && opened.kind === 'repo' && opened.images.length >= 2);
  });

  it('reports an unknown image by name', async () => {
    const s = await api();
    await assert.rejects(s.session.compare(PHP_A, 'cc-example/no-such-image:1'), (e: Error & { reason?: string }) => {
      assert.equal(e.reason, 'unknownImage');
      assert.match(e.message, /cc-example\/no-such-image:1/);
      return true;
    });
  });
});
