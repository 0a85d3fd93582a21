import { strict as assert } from 'node:assert';
import { findFile } from '../../../../src/core/layers/files';
import { FileTree } from '../../../../src/core/layers/fileTree';
import type { FileEntry } from '../../../../src/core/image/model';
import { imageOf } from '../../../helpers/images';

const dir = (path: string): FileEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
const file = (path: string, offset: number): FileEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 5, sha256: 'ab', text: true, offset });
// A hard link in a later layer to a file of a lower one: its tar entry has no bytes of its own.
const link = (path: string, target: string): FileEntry => ({ path, type: 'hardlink', mode: 0o644, uid: 0, gid: 0, size: 0, linkTarget: target });

describe('findFile', () => {
  const image = imageOf([[dir('/usr'), dir('/usr/bin'), file('/usr/bin/tool', 1024)], [dir('/usr/bin'), link('/usr/bin/alias', '/usr/bin/tool')]]);

  it('reads a hard link to a lower layer from the layer that holds the bytes', () => {
    for (const layer of [undefined, 1]) {
      const f = findFile(image, '/usr/bin/alias', layer);
      assert.equal(f.path, '/usr/bin/alias');
      assert.equal(f.layer, 0, `layer ${layer}`);
      assert.equal(f.entry.offset, 1024);
      assert.equal(f.entry.size, 5);
    }
  });

  it('uses a merged tree it is given instead of building one', () => {
    const tree = FileTree.merge(image.indexes);
    assert.equal(findFile(image, '/usr/bin/tool', undefined, { tree }).entry.offset, 1024);
    // A tree of another image answers for it: proof that it was used.
    const other = FileTree.merge([[dir('/usr'), dir('/usr/bin'), file('/usr/bin/tool', 4096)]]);
    assert.equal(findFile(image, '/usr/bin/tool', undefined, { tree: other }).entry.offset, 4096);
  });

  it('names what is missing', () => {
    assert.throws(() => findFile(imageOf([[link('/x', '/nowhere')]]), '/x', 0), /hard link to \/nowhere, which no lower layer has/);
    assert.throws(() => findFile(image, '/usr/bin/none'), /no such file/);
  });
});
