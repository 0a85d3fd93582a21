import type { FileEntry } from '../../src/core/image/model';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
export function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

const NAMES = ['a', 'b', 'c'];

/**
 * A random layer as real layer tars look: every entry's parent directories
 * come with it. `sparse`: parents are often left out (as some tools write
 * layers, and as a hostile tar does to write below a lower layer's file or
 * symlink).
 */
export function randomLayer(r: () => number, sparse = false): FileEntry[] {
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
      if (!out.has(dir) && !(sparse && r() < 0.6)) out.set(dir, { path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
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

