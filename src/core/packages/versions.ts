import { compareStrings } from '../util/text';
/**
 * Version ordering, one per package ecosystem, each as its own package
 * manager orders versions. All return <0, 0 or >0 like a sort comparator,
 * and never throw: a string outside the ecosystem's grammar falls back to
 * rpm's segment ordering, which gives a sensible answer for anything.
 */

export type VersionScheme = 'dpkg' | 'apk' | 'rpm' | 'python' | 'node';

export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  if (a === b) return 0;
  switch (scheme) {
    case 'dpkg':
      return compareDebian(a, b);
    case 'apk':
      return compareApk(a, b);
    case 'rpm':
      return compareRpmEvr(a, b);
    case 'python':
      return comparePep440(a, b);
    case 'node':
      return compareSemver(a, b);
  }
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** Compares two digit strings as numbers, of any length. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return compareStrings(x, y);
}

// ---------------------------------------------------------------- Debian

/**
 * Debian policy §5.6.12: [epoch:]upstream[-revision]; within each part,
 * alternating non-digit and digit runs, where `~` sorts before everything
 * (even the end of the string), letters before other characters.
 */
export function compareDebian(a: string, b: string): number {
  const pa = splitDebian(a);
  const pb = splitDebian(b);
  return sign(compareDigits(pa.epoch, pb.epoch) || debianPart(pa.upstream, pb.upstream) || debianPart(pa.revision, pb.revision));
}

function splitDebian(v: string): { epoch: string; upstream: string; revision: string } {
  const m = /^(\d+):(.*)$/s.exec(v);
  const epoch = m ? m[1] : '0';
  const rest = m ? m[2] : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

function debianOrder(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function debianPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const d = debianOrder(a[i]) - debianOrder(b[j]);
      if (d) return d;
      i++;
      j++;
    }
    let x = i;
    let y = j;
    while (isDigit(a[x])) x++;
    while (isDigit(b[y])) y++;
    const d = compareDigits(a.slice(i, x) || '0', b.slice(j, y) || '0');
    if (d) return d;
    i = x;
    j = y;
  }
  return 0;
}

// ---------------------------------------------------------------- rpm

/**
 * rpm's rpmvercmp: alphanumeric segments, separators ignored, numbers
 * beat letters, `~` sorts before everything (pre-releases) and `^` after
 * the base version but before anything else (snapshots).
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const sep = (c: string | undefined) => c !== undefined && !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';
  while (i < a.length || j < b.length) {
    while (sep(a[i])) i++;
    while (sep(b[j])) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const num = isDigit(a[i]);
    const take = num ? isDigit : isAlpha;
    let x = i;
    let y = j;
    while (take(a[x])) x++;
    while (take(b[y])) y++;
    // A numeric segment beats an alphabetic one.
    if (y === j) return num ? 1 : -1;
    const sa = a.slice(i, x);
    const sb = b.slice(j, y);
    const d = num ? compareDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (d) return sign(d);
    i = x;
    j = y;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** [epoch:]version[-release]: epoch, then version, then release when both have one (as rpm does). */
export function compareRpmEvr(a: string, b: string): number {
  const pa = splitEvr(a);
  const pb = splitEvr(b);
  const e = compareDigits(pa.epoch, pb.epoch);
  if (e) return sign(e);
  const v = rpmvercmp(pa.version, pb.version);
  if (v || pa.release === undefined || pb.release === undefined) return v;
  return rpmvercmp(pa.release, pb.release);
}

function splitEvr(v: string): { epoch: string; version: string; release?: string } {
  const m = /^(\d+):(.*)$/.exec(v);
  const epoch = m ? m[1] : '0';
  const rest = m ? m[2] : v;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest };
}

// ---------------------------------------------------------------- apk

/** apk-tools' suffixes in order; "" (no suffix) sits between rc and cvs. */
const APK_SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
const NO_SUFFIX = APK_SUFFIXES.indexOf('');

/** Token kinds in the order apk-tools uses to break ties when one version runs out. */
enum Tok {
  Digit,
  Letter,
  Suffix,
  SuffixNo,
  Hash,
  Revision,
  End,
  Invalid,
}

interface ApkToken {
  tok: Tok;
  text: string;
  suffix?: number;
}

/** digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}, tokenised as apk-tools does. */
function apkTokens(v: string): ApkToken[] {
  const out: ApkToken[] = [];
  const first = /^\d+/.exec(v);
  if (!first) return [{ tok: Tok.Invalid, text: v }];
  out.push({ tok: Tok.Digit, text: first[0] });
  let rest = v.slice(first[0].length);
  let last: Tok = Tok.Digit as Tok;
  const push = (t: ApkToken, len: number) => {
    out.push(t);
    last = t.tok;
    rest = rest.slice(len);
  };
  while (rest.length) {
    const c = rest[0];
    let m: RegExpExecArray | null;
    if (c >= 'a' && c <= 'z' && last <= Tok.Digit) push({ tok: Tok.Letter, text: c }, 1);
    else if (c === '.' && last <= Tok.Digit && (m = /^\.(\d+)/.exec(rest))) push({ tok: Tok.Digit, text: m[1] }, m[0].length);
    else if (c === '_' && last <= Tok.SuffixNo && (m = /^_([a-z]+)/.exec(rest)) && APK_SUFFIXES.includes(m[1])) {
      push({ tok: Tok.Suffix, text: m[1], suffix: APK_SUFFIXES.indexOf(m[1]) }, m[0].length);
    } else if (isDigit(c) && last === Tok.Suffix && (m = /^\d+/.exec(rest))) push({ tok: Tok.SuffixNo, text: m[0] }, m[0].length);
    else if (c === '~' && last < Tok.Hash && (m = /^~([0-9a-f]+)/.exec(rest))) push({ tok: Tok.Hash, text: m[1] }, m[0].length);
    else if (c === '-' && last < Tok.Revision && (m = /^-r(\d+)/.exec(rest))) push({ tok: Tok.Revision, text: m[1] }, m[0].length);
    else {
      out.push({ tok: Tok.Invalid, text: rest });
      return out;
    }
  }
  out.push({ tok: Tok.End, text: '' });
  return out;
}

/** Alpine's apk version ordering (apk-tools version.c semantics). */
export function compareApk(a: string, b: string): number {
  const ta = apkTokens(a);
  const tb = apkTokens(b);
  if (ta[0].tok === Tok.Invalid || tb[0].tok === Tok.Invalid) return rpmvercmp(a, b);
  let k = 0;
  for (; k < ta.length && k < tb.length && ta[k].tok === tb[k].tok && ta[k].tok < Tok.End; k++) {
    const x = ta[k];
    const y = tb[k];
    let d: number;
    if (x.tok === Tok.Digit && k > 0 && (x.text[0] === '0' || y.text[0] === '0')) {
      // A component with a leading zero compares as a string (as in Gentoo): 1.01 < 1.1.
      d = x.text < y.text ? -1 : x.text > y.text ? 1 : 0;
    } else if (x.tok === Tok.Digit || x.tok === Tok.SuffixNo || x.tok === Tok.Revision) d = compareDigits(x.text, y.text);
    else if (x.tok === Tok.Suffix) d = x.suffix! - y.suffix!;
    else d = x.text < y.text ? -1 : x.text > y.text ? 1 : 0;
    if (d) return sign(d);
  }
  const x = ta[k];
  const y = tb[k];
  if (x.tok === y.tok) return 0;
  // Equal so far: the longer one is newer, unless what it goes on with is a pre-release suffix.
  if (x.tok === Tok.Suffix && x.suffix! < NO_SUFFIX) return -1;
  if (y.tok === Tok.Suffix && y.suffix! < NO_SUFFIX) return 1;
  return x.tok > y.tok ? -1 : 1;
}

// ---------------------------------------------------------------- PEP 440

const PEP440 =
  /^\s*v?(?:(?<epoch>\d+)!)?(?<release>\d+(?:\.\d+)*)(?:[-_.]?(?<preL>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?<preN>\d+)?)?(?:-(?<postN1>\d+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>\d+)?)?(?:[-_.]?(?<devL>dev)[-_.]?(?<devN>\d+)?)?(?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

interface Pep440 {
  epoch: number;
  release: number[];
  /** [rank, n]: rank 0 a, 1 b, 2 rc. */
  pre?: [number, number];
  post?: number;
  dev?: number;
  local?: Array<number | string>;
}

function parsePep440(v: string): Pep440 | undefined {
  const g = PEP440.exec(v)?.groups;
  if (!g) return undefined;
  const p: Pep440 = { epoch: Number(g.epoch ?? 0), release: g.release.split('.').map(Number) };
  // 1.0 == 1.0.0
  while (p.release.length > 1 && p.release[p.release.length - 1] === 0) p.release.pop();
  const pre = g.preL?.toLowerCase();
  if (pre) p.pre = [pre === 'a' || pre === 'alpha' ? 0 : pre === 'b' || pre === 'beta' ? 1 : 2, Number(g.preN ?? 0)];
  if (g.postN1 !== undefined) p.post = Number(g.postN1);
  else if (g.postL) p.post = Number(g.postN2 ?? 0);
  if (g.devL) p.dev = Number(g.devN ?? 0);
  if (g.local) p.local = g.local.toLowerCase().split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return p;
}

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PEP 440 ordering: epoch, release, pre (a < b < rc), post, dev, local. */
export function comparePep440(a: string, b: string): number {
  const x = parsePep440(a);
  const y = parsePep440(b);
  if (!x || !y) return rpmvercmp(a, b);
  let d = cmpNum(x.epoch, y.epoch);
  if (d) return d;
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    d = cmpNum(x.release[i] ?? 0, y.release[i] ?? 0);
    if (d) return d;
  }
  // 1.0.dev1 < 1.0a1 < 1.0 < 1.0.post1: a dev release with no pre/post sorts before any pre-release.
  const preKey = (p: Pep440): [number, number, number] => (p.pre ? [0, p.pre[0], p.pre[1]] : p.post === undefined && p.dev !== undefined ? [-1, 0, 0] : [1, 0, 0]);
  const [pa, pb] = [preKey(x), preKey(y)];
  for (let i = 0; i < 3; i++) if ((d = cmpNum(pa[i], pb[i]))) return d;
  d = cmpNum(x.post ?? -1, y.post ?? -1);
  if (d) return d;
  d = cmpNum(x.dev ?? Infinity, y.dev ?? Infinity);
  if (d) return d;
  if (!x.local || !y.local) return x.local ? 1 : y.local ? -1 : 0;
  for (let i = 0; i < Math.max(x.local.length, y.local.length); i++) {
    const s = x.local[i];
    const t = y.local[i];
    if (s === undefined || t === undefined) return s === undefined ? -1 : 1;
    if (typeof s !== typeof t) return typeof s === 'number' ? 1 : -1;
    d = typeof s === 'number' ? cmpNum(s, t as number) : s < t ? -1 : s > t ? 1 : 0;
    if (d) return d;
  }
  return 0;
}

// ---------------------------------------------------------------- semver

const SEMVER = /^\s*[v=]?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$/;

/** Semantic Versioning 2.0.0 precedence (build metadata ignored). */
export function compareSemver(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return rpmvercmp(a, b);
  for (let i = 1; i <= 3; i++) {
    const d = compareDigits(x[i], y[i]);
    if (d) return sign(d);
  }
  if (!x[4] || !y[4]) return x[4] ? -1 : y[4] ? 1 : 0;
  const p = x[4].split('.');
  const q = y[4].split('.');
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    if (p[i] === undefined || q[i] === undefined) return p[i] === undefined ? -1 : 1;
    const pn = /^\d+$/.test(p[i]);
    const qn = /^\d+$/.test(q[i]);
    if (pn !== qn) return pn ? -1 : 1;
    const d = pn ? compareDigits(p[i], q[i]) : p[i] < q[i] ? -1 : p[i] > q[i] ? 1 : 0;
    if (d) return sign(d);
  }
  return 0;
}
