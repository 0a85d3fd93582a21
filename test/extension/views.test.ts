import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { humanSize } from '../../src/core/util/units';
import type { CurrentComparison } from '../../src/extension/comparisonSession';
import type { Services } from '../../src/extension/services';
import type { ImageNode, ImagesNode, LayerNode, RepoNode } from '../../src/extension/views/imagesTree';
import { activeDiff, api, children, closeEditors, description, label, PHP_A, PHP_B, repoRoot, waitFor, withSetting } from './helpers';

async function imageNode(s: Services, repo: string, tag: string): Promise<ImageNode> {
  const r = (await children<ImagesNode>(s.images)).find((n): n is RepoNode => n.kind === 'repo' && n.label === repo);
  assert.ok(r, `repository ${repo} is not in the Images view`);
  const img = r.images.find((i) => i.label === tag);
  assert.ok(img, `${repo}:${tag} is not in the Images view`);
  return img;
}

/** All leaf nodes below a node (files of a layer, through its folders). */
async function leaves(s: Services, n: ImagesNode): Promise<ImagesNode[]> {
  const out: ImagesNode[] = [];
  for (const c of await children(s.images, n)) {
    if (c.kind === 'changeFolder') out.push(c, ...(await leaves(s, c)));
    else out.push(c);
  }
  return out;
}

describe('The Images view', () => {
  let s: Services;
  before(async () => {
    s = await api();
    s.images.refresh();
  });
  after(closeEditors);

  it('groups local images by repository, then tag, with id, size and age', async () => {
    const img = await imageNode(s, 'cc-example/php-fcgid', 'laptop');
    assert.match(await description(s.images, img), /^[0-9a-f]{12} · \d+(\.\d+)? MB · .+ ago$/);
    // The size `docker images` shows, in its units: one definition of an image's size everywhere.
    const size = Number((await promisify(execFile)('docker', ['image', 'inspect', 'cc-example/php-fcgid:laptop', '--format', '{{.Size}}'])).stdout.trim());
    assert.equal((await description(s.images, img)).split(' · ')[1], humanSize(size));
    const item = await s.images.getTreeItem(img);
    assert.equal(item.contextValue, 'image');
    assert.match((item.tooltip as vscode.MarkdownString).value, /sha256:[0-9a-f]{64}/);
  });

  it('expands an image into numbered layers with their instructions, then the merged filesystem', async () => {
    const img = await imageNode(s, 'cc-example/php-fcgid', 'laptop');
    const kids = await children(s.images, img);
    const labels = await Promise.all(kids.map((k) => label(s.images, k)));
    assert.equal(kids.length, 8);
    assert.match(labels[0], /^00 · /);
    assert.equal(labels[3], '03 · COPY → /etc/apache2/conf-available/php-fcgid.conf');
    assert.equal(labels[5], '05 · RUN sh /usr/local/bin/install-fcgid.sh');
    assert.equal(labels[7], 'Filesystem');
    assert.match(await description(s.images, kids[4]), /^[\d.]+ (B|kB) · 1 file$/);
    const tip = (await s.images.getTreeItem(kids[5])).tooltip as vscode.MarkdownString;
    assert.match(tip.value, /install-fcgid\.sh/);
    assert.match(tip.value, /diffID `sha256:[0-9a-f]{64}`/);
  });

  it('shows what a layer adds and changes, marked A/M, and opens a changed file as a diff with the layer below', async () => {
    const img = await imageNode(s, 'cc-example/php-fcgid', 'laptop');
    const run = (await children(s.images, img))[5] as LayerNode;
    const all = await leaves(s, run);
    const byPath = new Map(all.filter((n) => n.kind === 'layerChange').map((n) => [n.kind === 'layerChange' ? n.change.path : '', n]));
    const load = byPath.get('/etc/apache2/mods-enabled/fcgid.load');
    assert.ok(load, 'mods-enabled/fcgid.load is not among the files layer 05 adds');
    const loadItem = await s.images.getTreeItem(load);
    assert.equal((await s.decorations.provideFileDecoration(loadItem.resourceUri!))?.badge, 'A');
    const status = byPath.get('/var/lib/dpkg/status');
    assert.ok(status, '/var/lib/dpkg/status is not among the files layer 05 changes');
    const statusItem = await s.images.getTreeItem(status);
    assert.equal((await s.decorations.provideFileDecoration(statusItem.resourceUri!))?.badge, 'M');
    // Clicking a modified file shows what the layer did to it.
    await vscode.commands.executeCommand(statusItem.command!.command, ...(statusItem.command!.arguments ?? []));
    const diff = await waitFor('the diff of /var/lib/dpkg/status', () => activeDiff()?.modified.path === '/var/lib/dpkg/status' && activeDiff());
    const before = (await vscode.workspace.openTextDocument(diff.original)).getText();
    const after = (await vscode.workspace.openTextDocument(diff.modified)).getText();
    assert.ok(!before.includes('Package: libapache2-mod-fcgid'));
    assert.ok(after.includes('Package: libapache2-mod-fcgid'));
  });

  it('marks what should not ship: a private key deleted by a later layer still shows in the layer that ships it', async () => {
    const img = await imageNode(s, 'cc-fixture/leftovers', 'a');
    const kids = await children(s.images, img);
    await waitFor('the image row to count its leftovers', async () => /⚠ \d+ leftovers/.test(await description(s.images, img)));
    const keyLayer = kids[2] as LayerNode;
    assert.match(await description(s.images, keyLayer), /⚠ 1 leftover, 1 with secrets/);
    const key = (await leaves(s, keyLayer)).find((n) => n.kind === 'layerChange' && n.change.path === '/root/.ssh/id_ed25519');
    assert.ok(key, 'the key is not among what layer 02 adds');
    const deco = await s.decorations.provideFileDecoration((await s.images.getTreeItem(key)).resourceUri!);
    assert.equal(deco?.badge, '!');
    assert.match(String(deco?.tooltip), /Should not ship: .*privateKey/s);
    // The layer that deletes it shows a deletion, not a leak.
    assert.doesNotMatch(await description(s.images, kids[3]), /leftover/);
    assert.match(await description(s.images, kids[4]), /⚠ 2 leftovers, 1 with secrets/);
    // A clean side has none of it.
    const clean = await imageNode(s, 'cc-fixture/leftovers', 'b');
    await children(s.images, clean);
    assert.doesNotMatch(await description(s.images, (await children(s.images, clean))[1]), /with secrets/);
  });

  it('browses the merged filesystem', async () => {
    const img = await imageNode(s, 'cc-example/php-fcgid', 'ci');
    const fs = (await children(s.images, img)).find((k) => k.kind === 'fsRoot')!;
    const top = await Promise.all((await children(s.images, fs)).map((k) => label(s.images, k)));
    for (const d of ['etc', 'usr', 'var']) assert.ok(top.includes(d), `${d} missing from / (${top.join(', ')})`);
    const found = await s.images.findPath(img.imageId, '/var/www/html/index.php');
    assert.equal(found?.kind === 'fsEntry' && found.entry.size, readFileSync(join(repoRoot(), 'test/fixtures/examples/php-fcgid/docker/index.php')).length + 8);
  });

  it('Select for Compare, then Compare with Selected, compares the two images', async () => {
    const a = await imageNode(s, 'cc-fixture/modes', 'a');
    const b = await imageNode(s, 'cc-fixture/modes', 'b');
    await vscode.commands.executeCommand('containerCompare.selectForCompare', a);
    const r = await vscode.commands.executeCommand<CurrentComparison>('containerCompare.compareWithSelected', b);
    assert.equal(r.report.a.name, 'cc-fixture/modes:a');
    assert.equal(r.report.b.name, 'cc-fixture/modes:b');
    assert.deepEqual(r.report.files.map((f) => [f.path, f.reasons]), [['/app/run.sh', ['mode']]]);
    // Back to the example pair for the tests that follow.
    await vscode.commands.executeCommand('containerCompare.compareImages', PHP_A, PHP_B);
  });

  it('follows the engine: a new tag appears and disappears without a refresh', async () => {
    const tag = `follow-${process.pid}`;
    const hasTag = async () => (await children<ImagesNode>(s.images)).some((n) => n.kind === 'repo' && n.label === 'cc-fixture/modes' && n.images.some((i) => i.label === tag));
    await promisify(execFile)('docker', ['tag', 'cc-fixture/modes:a', `cc-fixture/modes:${tag}`]);
    try {
      await waitFor(`${tag} to appear`, hasTag);
    } finally {
      await promisify(execFile)('docker', ['rmi', `cc-fixture/modes:${tag}`]);
    }
    await waitFor(`${tag} to disappear`, async () => !(await hasTag()));
  });

  it('shows an empty state naming the endpoint when no engine answers, and recovers', async () => {
    const undo = await withSetting('dockerHost', 'unix:///tmp/cc-no-engine-here.sock');
    try {
      const roots = await waitFor('the empty state', async () => {
        const r = await children(s.images);
        return r.every((n) => n.kind !== 'repo' || n.label === 'Opened in this session') && r;
      });
      assert.ok(roots.every((n) => n.kind === 'repo' && n.label === 'Opened in this session'));
      assert.match(s.imagesView.message ?? '', /No Docker engine answered at unix:\/\/\/tmp\/cc-no-engine-here\.sock .*ENOENT/);
    } finally {
      await undo();
    }
    await waitFor('the images to come back', async () => (await children(s.images)).some((n) => n.kind === 'repo' && n.label === 'cc-example/php-fcgid'));
    assert.equal(s.imagesView.message, undefined);
  });
});
