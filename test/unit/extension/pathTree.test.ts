import { strict as assert } from 'node:assert';
import { buildPathTree, type PathFolder } from '../../../src/extension/views/pathTree';

/** The tree as indented text: folders end in "/", folder items are marked with "*". */
function render<T>(f: PathFolder<T>, depth = 0): string[] {
  const out: string[] = [];
  for (const c of f.folders) {
    out.push(`${'  '.repeat(depth)}${c.label}/${c.item !== undefined ? '*' : ''}`);
    out.push(...render(c, depth + 1));
  }
  for (const i of f.items) out.push(`${'  '.repeat(depth)}${i.path.slice(i.path.lastIndexOf('/') + 1)}`);
  return out;
}

const tree = (paths: string[]) => render(buildPathTree(paths.map((path) => ({ path, item: path }))));

describe('buildPathTree', () => {
  it('groups paths into folders, folders first, compacting single-folder chains', () => {
    assert.deepEqual(tree(['/usr/local/bin/tool', '/etc/b.conf', '/etc/a.conf', '/top']), ['etc/', '  a.conf', '  b.conf', 'usr/local/bin/', '  tool', 'top']);
  });

  it('does not compact a folder that holds items of its own', () => {
    assert.deepEqual(tree(['/usr/x', '/usr/lib/y/z']), ['usr/', '  lib/y/', '    z', '  x']);
  });

  it('makes a listed directory the item of its folder', () => {
    assert.deepEqual(tree(['/srv', '/srv/app/main.py', '/srv/app']), ['srv/*', '  app/*', '    main.py']);
    const root = buildPathTree([{ path: '/srv', item: 1 }, { path: '/srv/a', item: 2 }]);
    assert.equal(root.folders[0].item, 1);
    assert.equal(root.folders[0].path, '/srv');
  });

  it('keeps the full path of a compacted folder', () => {
    const root = buildPathTree([{ path: '/a/b/c/file', item: 0 }]);
    assert.equal(root.folders[0].label, 'a/b/c');
    assert.equal(root.folders[0].path, '/a/b/c');
  });

  it('handles no entries', () => {
    assert.deepEqual(tree([]), []);
  });
});
