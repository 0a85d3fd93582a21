/**
 * Small text helpers every output shares (findings, run findings, the CLI's
 * text and Markdown, the views): counts, lists, cutting, and the one order
 * of paths.
 */

/** "1 file", "3 files" (`many` for irregular plurals). */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** `s` cut to at most `n` characters, an ellipsis marking the cut. */
export const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** "a, b, c and 2 more": the first `max` items, then how many were left out. */
export function list(items: readonly string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function upperFirst(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Lower-cases a sentence's first letter, but not an acronym's or a name's ("CRLF", "PATH"). */
export function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

/** Layer numbers as every output shows them: 00, 01, ... */
export const two = (n: number): string => String(n).padStart(2, '0');

/** An image or config id as people read it: the first 12 hex digits. */
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** Permission bits as people write them: "0755". */
export const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/** Code-unit order (not locale order): the same on every machine, and what sorted indexes use. */
export const compareStrings = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** Sorts anything with a path in path order. */
export const byPath = (x: { path: string }, y: { path: string }): number => compareStrings(x.path, y.path);

/** "repo:tag" → ["repo", "tag"]; a name without a tag (or a registry port only) → [name, ""]. */
export function splitTag(name: string): [string, string] {
  const i = name.lastIndexOf(':');
  return i > 0 && i > name.lastIndexOf('/') ? [name.slice(0, i), name.slice(i + 1)] : [name, ''];
}
