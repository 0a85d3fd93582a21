import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ImageModel } from '../../src/core/image/model';
import { ImageUri } from '../../src/extension/fs/imageUri';
import type { Services } from '../../src/extension/services';
import { api, repoRoot } from './helpers';

const fsErrorCode = (code: string) => (e: unknown) => e instanceof vscode.FileSystemError && e.code === code;

describe('The container-image file system', () => {
  let s: Services;
  let a: ImageModel;
  let b: ImageModel;
  const uri = (image: ImageModel, path: string, opts: Parameters<typeof ImageUri.of>[2] = {}) => ImageUri.of(image.id, path, opts).toUri();

  before(async () => {
    s = await api();
    [a, b] = await s.engine.load(['cc-fixture/crlf:a', 'cc-fixture/crlf:b']);
  });

  it('reads a file of the merged filesystem byte for byte', async () => {
    const expected = readFileSync(join(repoRoot(), 'test/fixtures/images/crlf/config.ini'));
    assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(uri(a, '/app/config.ini'))), expected);
    const crlf = Buffer.from(await vscode.workspace.fs.readFile(uri(b, '/app/config.ini')));
    assert.equal(crlf.toString('utf8'), expected.toString('utf8').replace(/\n/g, '\r\n'));
  });

  it('stats files, directories and symlinks the way VS Code expects', async () => {
    const file = await vscode.workspace.fs.stat(uri(a, '/app/config.ini'));
    assert.equal(file.type, vscode.FileType.File);
    assert.equal(file.size, 91);
    assert.equal(file.permissions, vscode.FilePermission.Readonly);
    assert.equal((await vscode.workspace.fs.stat(uri(a, '/app'))).type, vscode.FileType.Directory);
    // busybox applets are relative symlinks to /bin/busybox.
    assert.equal((await vscode.workspace.fs.stat(uri(a, '/bin/sh'))).type, vscode.FileType.SymbolicLink | vscode.FileType.File);
  });

  it('lists directories, following symlinks inside the image', async () => {
    const root = new Map(await vscode.workspace.fs.readDirectory(uri(a, '/')));
    assert.equal(root.get('app'), vscode.FileType.Directory);
    assert.equal(root.get('bin'), vscode.FileType.Directory);
    const app = await vscode.workspace.fs.readDirectory(uri(a, '/app'));
    assert.deepEqual(app.map(([n]) => n).sort(), ['VERSION', 'config.ini']);
    const bin = new Map(await vscode.workspace.fs.readDirectory(uri(a, '/bin')));
    assert.equal(bin.get('sh'), vscode.FileType.SymbolicLink | vscode.FileType.File);
  });

  it('serves one layer on its own with ?layer=N', async () => {
    const top = a.layers.length - 1;
    const entries = await vscode.workspace.fs.readDirectory(uri(a, '/', { layer: top }));
    assert.deepEqual(entries, [['app', vscode.FileType.Directory]]);
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri(a, '/app/VERSION', { layer: top }))).toString(), '1.0.0\n');
    await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri(a, '/bin/busybox', { layer: top }))), fsErrorCode('FileNotFound'));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uri(a, '/app/VERSION', { layer: 99 }))), fsErrorCode('FileNotFound'));
  });

  it('serves an empty document for ?absent and metadata for ?meta', async () => {
    assert.equal((await vscode.workspace.fs.readFile(uri(a, '/nowhere', { absent: true }))).length, 0);
    const meta = Buffer.from(await vscode.workspace.fs.readFile(uri(b, '/app/config.ini', { meta: true }))).toString();
    assert.match(meta, /^path: \/app\/config\.ini\ntype: file\nmode: 0644\nowner: 0:0\nsize: 98 bytes\nsha256: [0-9a-f]{64}\ncontent: text, CRLF line endings\n$/);
    const link = Buffer.from(await vscode.workspace.fs.readFile(uri(a, '/bin/sh', { meta: true }))).toString();
    assert.match(link, /type: symlink\n.*target: busybox/s);
  });

  it('answers with FileSystemErrors: missing paths, directories, writes, unknown images', async () => {
    await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri(a, '/app/missing'))), fsErrorCode('FileNotFound'));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri(a, '/app'))), fsErrorCode('FileIsADirectory'));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri(a, '/app/x'), Buffer.from('x'))), fsErrorCode('NoPermissions'));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(uri(a, '/app/VERSION'))), fsErrorCode('NoPermissions'));
    const unknown = vscode.Uri.from({ scheme: 'container-image', authority: 'f'.repeat(64), path: '/etc/passwd' });
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(unknown)), fsErrorCode('FileNotFound'));
    const malformed = vscode.Uri.from({ scheme: 'container-image', authority: 'not-an-id', path: '/etc/passwd' });
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(malformed)), fsErrorCode('FileNotFound'));
  });

  it('is registered read-only and case sensitive', async () => {
    assert.equal(vscode.workspace.fs.isWritableFileSystem('container-image'), false);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uri(a, '/APP/CONFIG.INI'))), fsErrorCode('FileNotFound'));
  });

  it('reads a file again after its layer bytes left the cache (export on demand)', async () => {
    const cache = await s.engine.cache();
    const diffId = a.layers[a.layers.length - 1].diffId;
    await cache.layers.drop(diffId);
    assert.equal(cache.layers.holds(diffId, { path: '/app/VERSION', size: 0 }), false);
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri(a, '/app/VERSION'))).toString(), '1.0.0\n');
    assert.equal(cache.layers.has(diffId), true);
  });

  it('opens a binary file as VS Code opens any binary: the bytes, unchanged', async () => {
    const bytes = Buffer.from(await vscode.workspace.fs.readFile(uri(a, '/bin/busybox')));
    assert.equal(bytes.subarray(0, 4).toString('latin1'), '\x7fELF');
    assert.equal(bytes.length, (await vscode.workspace.fs.stat(uri(a, '/bin/busybox'))).size);
  });
});
