/** How findings quote what they name: commands, paths, sides. */
import { posix } from 'node:path';
import type { ImageModel, LayerInfo } from '../image/model';
import type { Side } from '../run/runModel';
import { cut, plural, splitTag } from '../util/text';
import { humanSize } from '../util/units';

/**
 * Values in a command line that look like credentials (`TOKEN=…`, `--password …`, ghp_…, AKIA…): a
 * finding quotes Dockerfile lines from the history, and should not be the place that repeats them.
 */
const SECRET_ASSIGNMENT = /((?:^|[\s'"])[\w./:-]*?(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key)\w*=)(?!\$|%s)('[^']*'|"[^"]*"|[^\s'";&|]+)/gi;
const SECRET_FLAG = /(\s--?[\w-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key)[\w-]*\s+)(?!\$|-)('[^']*'|"[^"]*"|[^\s'";&|]+)/gi;
const TOKEN = /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{40,}|AKIA[A-Z0-9]{16}|npm_[A-Za-z0-9]{36}|xox[bpars]-[A-Za-z0-9-]{10,})\b/g;
export const redact = (s: string) => s.replace(SECRET_ASSIGNMENT, '$1***').replace(SECRET_FLAG, '$1***').replace(TOKEN, '***');

/** A command or path quoted for a title: backticks inside become quotes so the quoting holds (Markdown renders it as code). */
export const code = (s: string, max = 90) => '`' + cut(redact(s.replace(/\s+/g, ' ')).replace(/`/g, "'"), max) + '`';

/** A path's last part, as titles name files. */
export const base = (p: string) => posix.basename(p) || p;

/** `s` cut to show where it starts to differ from `other` (two long RUN lines that differ at the end). */
export function around(s: string, other: string, max = 70): string {
  let p = 0;
  while (p < s.length && s[p] === other[p]) p++;
  if (s.length <= max || p < max - 20) return s;
  const start = Math.max(0, p - 25);
  return `…${s.slice(start, start + max - 2)}`;
}

/** "12 files, 3.4 MB", or "none" for a side without the layer. */
export function layerSize(l: LayerInfo | undefined): string {
  return l ? `${plural(l.fileCount, 'file')}, ${humanSize(l.size)}` : 'none';
}

/**
 * What to call each side in a sentence: the tags when both images are tags
 * of one repository (laptop, ci), else their names; A and B when the names
 * are the same (and "the baseline" and "the new build" for a snapshot).
 */
export function sideNames(r: Record<Side, Pick<ImageModel, 'name' | 'source'>>): Record<Side, string> {
  const a = r.a.name;
  const b = r.b.name;
  if (a === b) return r.a.source === 'snapshot' ? { a: 'the baseline', b: 'the new build' } : { a: 'A', b: 'B' };
  const [ra, ta] = splitTag(a);
  const [rb, tb] = splitTag(b);
  return ra === rb && ta && tb && ta !== tb ? { a: ta, b: tb } : { a, b };
}
