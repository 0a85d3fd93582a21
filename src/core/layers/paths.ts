import { posix } from 'node:path';
import { CompareError } from '../util/errors';
import { inertName } from '../util/inert';

/**
 * Turns a tar entry name into a normalised relative path ("etc/passwd"),
 * rejecting the names a hostile archive uses to escape: absolute paths,
 * `..` components and NUL bytes. "" is the archive root.
 */
export function safeRelativeName(name: string, where: string): string {
  if (name.includes('\0')) throw hostile(where, name, 'contains a NUL byte');
  // Most names are already canonical ("usr/lib/", "etc/passwd"): with no segment that starts with a dot
  // and no empty one, there is nothing to drop or refuse but a directory's slash (a split and join per
  // entry was ~35 ms of the bench's cold compare).
  if (name.charCodeAt(0) !== 0x2f && name.charCodeAt(0) !== 0x2e && !name.includes('/.') && !name.includes('//')) {
    return name.endsWith('/') ? name.slice(0, -1) : name;
  }
  if (name.startsWith('/')) throw hostile(where, name, 'is an absolute path');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw hostile(where, name, 'climbs out with ".."');
    parts.push(part);
  }
  return parts.join('/');
}

/** A layer entry name as an absolute image path ("/etc/passwd"; "/" for the root). */
export function layerPath(name: string, where: string): string {
  return '/' + safeRelativeName(name, where);
}

/**
 * True when a symlink at `linkPath` pointing to `target` would resolve above
 * the root of its tree. Absolute targets are resolved inside the image (as
 * the kernel does in a container), so only relative ones can escape.
 */
export function symlinkEscapes(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  let depth = posix.dirname(linkPath).split('/').filter(Boolean).length;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      depth--;
      if (depth < 0) return true;
    } else depth++;
  }
  return false;
}

export function hostile(where: string, name: string, why: string): CompareError {
  // Names can be 4 KiB, or longer in a hostile PAX header: the message shows their start.
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return new CompareError('hostileArchive', `${where}: entry "${inertName(shown)}" ${why}; refusing to read this archive`);
}

/** Symlinks followed on one path at most (the kernel's own limit is 40). */
export const MAX_LINK_HOPS = 40;

/**
 * Walks `path` component by component, following symlinks the way the
 * kernel does inside an image: `..` stops at the root, an absolute target
 * starts again at the root, and each link is followed where the walk meets
 * it. `target(p)` gives the target of the symlink at p (undefined: not a
 * link); `plain(p)` may refuse a component that is not a link (the walk
 * gives undefined); `followed(link, target, to)` may refuse where a link led;
 * `loop()` decides what too many hops give (undefined, or a throw). The
 * merged view and the indexer resolve paths with it, so `ls`, `cat` and
 * `diff` agree with each other and with the engine.
 */
export function followSymlinks(
  path: string,
  hooks: { target(p: string): string | undefined; plain?(p: string): boolean; followed?(link: string, target: string, to: string): boolean; loop(): undefined },
): string | undefined {
  let hops = 0;
  const walk = (p: string): string | undefined => {
    let cur = '/';
    for (const part of p.split('/')) {
      if (!part || part === '.') continue;
      if (part === '..') {
        cur = posix.dirname(cur);
        continue;
      }
      const next = cur === '/' ? `/${part}` : `${cur}/${part}`;
      const target = hooks.target(next);
      if (target === undefined) {
        if (hooks.plain && !hooks.plain(next)) return undefined;
        cur = next;
        continue;
      }
      if (++hops > MAX_LINK_HOPS) return hooks.loop();
      const to = walk(target.startsWith('/') ? target : `${cur}/${target}`);
      if (to === undefined || (hooks.followed && !hooks.followed(next, target, to))) return undefined;
      cur = to;
    }
    return cur;
  };
  return walk(path);
}
