import { strict as assert } from 'node:assert';
import { compareImages, diffEntries, mergedMap } from '../../../src/core/compare';
import { FileTree } from '../../../src/core/fileTree';
import type { FileEntry, ImageModel, LayerInfo } from '../../../src/core/model';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

const NAMES = ['a', 'b', 'c'];

/** A random layer as real layer tars look: every entry's parent directories come with it. */
function randomLayer(r: () => number): FileEntry[] {
  const out = new Map<string, FileEntry>();
  const parents = new Set<string>();
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const depth = 1 + Math.floor(r() * 3);
    const parts = Array.from({ length: depth }, () => NAMES[Math.floor(r() * NAMES.length)]);
    const path = '/' + parts.join('/');
    // A tar cannot hold both a file "c" and "c/a": parents are directories, and stay so.
    const parentDirs = Array.from({ length: depth - 1 }, (_, d) => '/' + parts.slice(0, d + 1).join('/'));
    if (parents.has(path) || parentDirs.some((d) => out.get(d) && out.get(d)!.type !== 'dir')) continue;
    for (const dir of parentDirs) {
      parents.add(dir);
      if (!out.has(dir)) out.set(dir, { path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
    }
    const k = r();
    const e: FileEntry =
      k < 0.35
        ? { path, type: 'file', mode: r() < 0.2 ? 0o755 : 0o644, uid: 0, gid: 0, size: 1, sha256: String(Math.floor(r() * 3)) }
        : k < 0.55
          ? { path, type: 'dir', mode: 0o755, uid: r() < 0.2 ? 1 : 0, gid: 0, size: 0 }
          : k < 0.65
            ? { path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkTarget: NAMES[Math.floor(r() * 3)] }
            : k < 0.85
              ? { path, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0 }
              : { path, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0 };
    // A marker and an entry at the same path both stay (a directory and its opaque marker).
    out.set(e.type === 'whiteout' || e.type === 'opaque' ? `${path}\0${e.type}` : path, e);
  }
  return [...out.values()];
}

function image(name: string, layers: FileEntry[][], ids: string[]): ImageModel {
  const infos: LayerInfo[] = layers.map((_, index) => ({ index, diffId: ids[index], size: 0, createdBy: '', instruction: `L${ids[index]}`, builder: 'unknown', fileCount: 0 }));
  return { ref: name, name, id: name, source: 'docker-archive', repoTags: [], config: {}, layers: infos, history: [], indexes: layers };
}

describe('merged diff (looking only where differing layers touch)', () => {
  it('agrees with a full merge of both images on 1000 random image pairs', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const r = rng(seed);
      const shared = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomLayer(r));
      const sharedIds = shared.map((_, i) => `s${i}`);
      const onlyA = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r));
      const onlyB = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r));
      const top = r() < 0.5 ? [randomLayer(r)] : [];
      const A = image('A', [...shared, ...onlyA, ...top], [...sharedIds, ...onlyA.map((_, i) => `a${i}`), ...top.map(() => 'top')]);
      const B = image('B', [...shared, ...onlyB, ...top], [...sharedIds, ...onlyB.map((_, i) => `b${i}`), ...top.map(() => 'top')]);
      const fast = compareImages(A, B).files.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.a?.layer} ${f.b?.layer}`);
      const full = diffEntries(mergedMap(FileTree.merge(A.indexes)), mergedMap(FileTree.merge(B.indexes)), () => false, () => 0).map(
        (f) => `${f.change} ${f.path} ${f.reasons} ${f.a?.layer} ${f.b?.layer}`,
      );
      assert.deepEqual(fast, full, `seed ${seed}`);
    }
  });
});
