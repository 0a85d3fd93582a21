import { posix } from 'node:path';
import { CompareError } from '../util/errors';
import { inert } from '../util/inert';

/**
 * Turns a tar entry name into a normalised relative path ("etc/passwd"),
 * rejecting the names a hostile archive uses to escape: absolute paths,
 * `..` components and NUL bytes. "" is the archive root.
 */
export function safeRelativeName(name: string, where: string): string {
  if (name.includes('\0')) throw hostile(where, name, 'contains a NUL byte');
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
  return new CompareError('hostileArchive', `${where}: entry "${inert(shown)}" ${why}; refusing to read this archive`);
}
