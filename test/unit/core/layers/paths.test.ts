import { strict as assert } from 'node:assert';
import { layerPath, safeRelativeName } from '../../../../src/core/layers/paths';
import { CompareError } from '../../../../src/core/util/errors';

/** What safeRelativeName must give: every name split into segments, empty and "." ones dropped, ".." refused. */
function reference(name: string): string | 'refused' {
  if (name.includes('\0') || name.startsWith('/')) return 'refused';
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? 'refused' : parts.join('/');
}

function actual(name: string): string | 'refused' {
  try {
    return safeRelativeName(name, 'layer 0');
  } catch (e) {
    assert.ok(e instanceof CompareError && e.reason === 'hostileArchive', String(e));
    return 'refused';
  }
}

describe('layer entry names (paths.ts)', () => {
  it('gives canonical names as they are, a directory without its slash', () => {
    assert.equal(safeRelativeName('etc/passwd', 'l'), 'etc/passwd');
    assert.equal(safeRelativeName('usr/lib/', 'l'), 'usr/lib');
    assert.equal(layerPath('usr/lib/x86_64-linux-gnu/libc.so.6', 'l'), '/usr/lib/x86_64-linux-gnu/libc.so.6');
    assert.equal(layerPath('./', 'l'), '/');
  });

  it('agrees with splitting into segments on every name built from the parts that matter', () => {
    // Every name of up to four parts from these: dots, empty segments, slashes at either end, a NUL.
    const parts = ['a', '.', '..', '...', '.a', 'a.', '', 'b c', '\0', 'é'];
    const names = new Set<string>(['', '/', '//', './', '../']);
    const grow = (prefix: string[], depth: number): void => {
      if (prefix.length) for (const lead of ['', '/', './']) for (const trail of ['', '/', '//']) names.add(lead + prefix.join('/') + trail);
      if (depth === 0) return;
      for (const p of parts) grow([...prefix, p], depth - 1);
    };
    grow([], 4);
    assert.ok(names.size > 10000, `${names.size} names`);
    for (const name of names) assert.equal(actual(name), reference(name), JSON.stringify(name));
  });

  it('refuses what climbs out, is absolute or holds a NUL, naming the entry', () => {
    assert.throws(() => safeRelativeName('a/../../etc', 'layer 3'), /layer 3: entry "a\/..\/..\/etc" climbs out with "\.\."/);
    assert.throws(() => safeRelativeName('/etc/passwd', 'layer 3'), /is an absolute path/);
    assert.throws(() => safeRelativeName('a\0b', 'layer 3'), /contains a NUL byte/);
    assert.throws(() => safeRelativeName('..', 'layer 3'), /climbs out/);
  });
});
