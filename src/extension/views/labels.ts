/** Small text helpers shared by the views. */

/** Layer numbers as the views show them: 00, 01, ... */
export const two = (n: number): string => String(n).padStart(2, '0');

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1) || '/';
}

/** A Dockerfile instruction on one line, cut to what a tree row can show. */
export function oneLine(s: string, max = 120): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Text from images (names, comments) inside Markdown tooltips: no markup of its own. */
export function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
