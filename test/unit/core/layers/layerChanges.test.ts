import { strict as assert } from 'node:assert';
import { layerChanges } from '../../../../src/core/layers/layerChanges';
import type { FileEntry } from '../../../../src/core/image/model';

const dir = (path: string, mode = 0o755, uid = 0): FileEntry => ({ path, type: 'dir', mode, uid, gid: 0, size: 0 });
const file = (path: string, sha256 = 'x', mode = 0o644): FileEntry => ({ path, type: 'file', mode, uid: 0, gid: 0, size: 1, sha256 });
const marker = (path: string, type: 'whiteout' | 'opaque'): FileEntry => ({ path, type, mode: 0, uid: 0, gid: 0, size: 0 });

describe('layerChanges', () => {
  const base = [dir('/usr'), dir('/usr/local'), dir('/usr/local/bin'), file('/usr/local/bin/old'), dir('/etc'), file('/etc/conf'), dir('/var'), file('/var/a')];

  it('lists what a layer adds, modifies and deletes, without restated parent directories', () => {
    const top = [dir('/usr'), dir('/usr/local'), dir('/usr/local/bin'), file('/usr/local/bin/new'), file('/etc/conf', 'y'), marker('/usr/local/bin/old', 'whiteout')];
    const changes = layerChanges([base, top], 1);
    assert.deepEqual(
      changes.map((c) => [c.path, c.kind]),
      [
        ['/etc/conf', 'modified'],
        ['/usr/local/bin/new', 'added'],
        ['/usr/local/bin/old', 'deleted'],
      ],
    );
    assert.equal(changes[0].before?.sha256, 'x');
    assert.equal(changes[2].before?.path, '/usr/local/bin/old');
    assert.equal(changes[2].beforeLayer, 0);
  });

  it('keeps a directory whose mode or owner changes, and a new directory', () => {
    const top = [dir('/etc', 0o700), dir('/srv'), dir('/var', 0o755, 33)];
    assert.deepEqual(
      layerChanges([base, top], 1).map((c) => [c.path, c.kind]),
      [
        ['/etc', 'modified'],
        ['/srv', 'added'],
        ['/var', 'modified'],
      ],
    );
  });

  it('shows an opaque directory as modified and a file replacing a directory as modified', () => {
    const top = [dir('/var'), marker('/var', 'opaque'), file('/etc')];
    const changes = layerChanges([base, top], 1);
    assert.deepEqual(
      changes.map((c) => [c.path, c.kind, c.entry.type]),
      [
        ['/etc', 'modified', 'file'],
        ['/var', 'modified', 'opaque'],
      ],
    );
  });

  it('treats everything in the first layer as added and an unknown layer as empty', () => {
    assert.ok(layerChanges([base], 0).every((c) => c.kind === 'added'));
    assert.equal(layerChanges([base], 0).length, base.length);
    assert.deepEqual(layerChanges([base], 3), []);
  });
});
