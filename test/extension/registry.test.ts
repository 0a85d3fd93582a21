import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CurrentComparison } from '../../src/extension/comparisonSession';
import { ImageUri } from '../../src/extension/fs/imageUri';
import type { Services } from '../../src/extension/services';
import type { ImagesNode } from '../../src/extension/views/imagesTree';
import { pushImage, RegistryServer, requireRegistryTools } from '../helpers/registry';
import { api, children, description, label, waitFor } from './helpers';

/** A real registry (Debian's Distribution 2.8) on loopback, holding the crlf pair. */
describe('Registries in the Images view, and registry images compared without pulling', () => {
  let s: Services;
  let dir: string;
  let registry: RegistryServer;

  before(async () => {
    requireRegistryTools();
    s = await api();
    dir = mkdtempSync(join(tmpdir(), 'cc-ext-registry-'));
    registry = await RegistryServer.start({ storage: join(dir, 'storage'), dir });
    pushImage('cc-fixture/crlf:a', `${registry.host}/crlf:a`);
    pushImage('cc-fixture/crlf:b', `${registry.host}/crlf:b`);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('containerCompare').update('registries.repositories', undefined, vscode.ConfigurationTarget.Global);
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const registriesRoot = async () => (await children<ImagesNode>(s.images)).find((n) => n.kind === 'registries');

  it('Add Remote Repository lists the registry, its repositories and their tags', async () => {
    const entry = await vscode.commands.executeCommand<string>('containerCompare.addRemoteRepository', `${registry.host}/crlf`);
    assert.equal(entry, `${registry.host}/crlf`);
    const root = await waitFor('the Registries section', registriesRoot);
    const host = (await children(s.images, root)).find((n) => n.kind === 'registry' && n.host === registry.host);
    assert.ok(host, 'the registry is not listed');
    const repo = (await children(s.images, host)).find((n) => n.kind === 'remoteRepo' && n.repository === 'crlf');
    assert.ok(repo && repo.kind === 'remoteRepo' && repo.added);
    const tags = await children(s.images, repo);
    assert.deepEqual(await Promise.all(tags.map((t) => label(s.images, t))), ['a', 'b']);
    assert.equal(await description(s.images, tags[0]), 'not downloaded');
    assert.equal((await s.images.getTreeItem(tags[0])).contextValue, 'remoteImage');
    // Expanding a tag downloads what is not indexed yet and shows its layers like a local image's.
    const layers = await children(s.images, tags[0]);
    assert.ok(layers.some((n) => n.kind === 'layer') && layers.some((n) => n.kind === 'fsRoot'), JSON.stringify(layers.map((n) => n.kind)));
    await waitFor('the tag to show its image id', async () => /^[0-9a-f]{12}$/.test(await description(s.images, tags[0])));
  });

  it('compares a registry image with a local one, and reads its files', async () => {
    const r = await vscode.commands.executeCommand<CurrentComparison>('containerCompare.compareImages', `registry://${registry.host}/crlf:a`, 'cc-fixture/crlf:b');
    assert.ok(r, 'no comparison');
    assert.equal(r.report.a.source, 'registry');
    assert.deepEqual(r.report.files.map((f) => [f.path, f.reasons]), [['/app/config.ini', ['lineEndings']]]);
    const text = Buffer.from(await vscode.workspace.fs.readFile(ImageUri.of(r.comparison.a.id, '/app/config.ini').toUri())).toString();
    assert.ok(text.includes('[server]') && !text.includes('\r\n'));
  });

  it('a tag that does not exist is an error naming it, and Remove from Registries takes the repository away', async () => {
    const s2 = await api();
    await assert.rejects(s2.session.compare(`registry://${registry.host}/crlf:nope`, 'cc-fixture/crlf:b'), (e: Error & { reason?: string }) => {
      assert.equal(e.reason, 'unknownImage');
      assert.match(e.message, /crlf:nope/);
      return true;
    });
    const root = (await registriesRoot())!;
    const host = (await children(s.images, root)).find((n) => n.kind === 'registry' && n.host === registry.host)!;
    const repo = (await children(s.images, host)).find((n) => n.kind === 'remoteRepo' && n.repository === 'crlf')!;
    await vscode.commands.executeCommand('containerCompare.removeRemoteRepository', repo);
    assert.deepEqual(vscode.workspace.getConfiguration('containerCompare').get('registries.repositories'), []);
    await waitFor('the registry to leave the view', async () => {
      const r = await registriesRoot();
      return !r || !(await children(s.images, r)).some((n) => n.kind === 'registry' && n.host === registry.host);
    });
  });
});
