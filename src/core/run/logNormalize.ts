import { CompareError, messageOf } from '../util/errors';

/**
 * Normalisation of container log lines before two logs are compared: what
 * changes from one run to the next (timestamps, pids, addresses, container
 * ids, durations...) is replaced by a stable placeholder, so that only what
 * differs between the two images is left to differ. What identifies software
 * (`Apache/2.4.68`, `mod_fcgid/2.3.9`, `PHP 8.2.29`) is never masked: it is
 * exactly what a log comparison is for.
 */

/** One log line: its 1-based number in its log, the text as read, and the text compared. */
export interface LogLine {
  line: number;
  raw: string;
  normalized: string;
}

/** A user's own mask, from settings: every match of `pattern` becomes `replacement` (default `<masked>`; `$1`, `$<name>`, `$&` refer to the match). */
export interface UserRule {
  pattern: string;
  replacement?: string;
  /** RegExp flags besides `g` (`i`, `m`, `s`, `u`). */
  flags?: string;
}

/** The built-in masks, by the name a caller uses to turn one off. */
export type BuiltinMask = 'time' | 'uuid' | 'mac' | 'ip' | 'id' | 'addr' | 'pid' | 'dur';

export const BUILTIN_MASKS: readonly BuiltinMask[] = ['time', 'uuid', 'mac', 'ip', 'id', 'addr', 'pid', 'dur'];

export interface NormalizeOptions {
  /** Hostnames (and names) of the compared containers, masked exactly as `<host>`. */
  hosts?: readonly string[];
  /** Ids of the compared containers (full or short), masked exactly as `<id>`. */
  ids?: readonly string[];
  /** Users' rules, applied in order before the built-in masks; what they mask is not looked at again. */
  rules?: readonly UserRule[];
  /** Built-in masks to leave out. */
  disable?: readonly BuiltinMask[];
}

interface CompiledUserRule {
  re: RegExp;
  replacement: string;
}

/** What happens to one alternative of the built-in expression when it matches. */
type Handler =
  | { kind: 'mask'; placeholder: string }
  | { kind: 'ip' }
  | { kind: 'pid' | 'tid' };

/** The result of compileRules: validated user rules and the built-in masks as one expression. */
export interface CompiledRules {
  /** The containers' exact hostnames and ids, then users' rules, in order. */
  readonly user: readonly CompiledUserRule[];
  /** When there are no users' rules: the hostnames and ids, so that a line mentioning none takes the fast path. */
  readonly literals: readonly string[] | null;
  /** All built-in masks as one expression (null when all are disabled); see combine(). */
  readonly builtin: RegExp | null;
  readonly handlers: readonly Handler[];
}

// Building blocks. Every alternative below is written with non-capturing
// groups only: the index of the capture group that matched in the combined
// expression says which alternative it was.
const MON = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const DOW = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const HMS = '\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d{1,9})?';
// Named zones are listed rather than matched as "capital letters": a log level (`INFO`, `WARN`) follows many timestamps.
const ZONE_NAME = '(?:UTC|GMT|Z|[ECMP][SD]T|CES?T|EES?T|WES?T|BST|IST|JST|KST|AE[SD]T|MSK)';
const ZONE = `(?:Z|\\s?[+-]\\d{2}:?\\d{2}|\\s${ZONE_NAME})?`;
const E = '(?![\\w])';
const HEX = '[0-9a-fA-F]';
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H16 = `${HEX}{1,4}`;
// Full form, or compressed with "::" somewhere; an IPv4 tail (::ffff:1.2.3.4, how a
// dual-stack server logs an IPv4 client) is tried first, or `ffff:172` would match alone.
const IPV6 = `(?:(?:${H16}:){7}${H16}|(?:${H16}(?::${H16}){0,6})?::(?:(?:${H16}:){0,5}${IPV4}|${H16}(?::${H16}){0,6})?)(?:%[\\w.]+)?`;
const DUR_UNIT = '(?:ns|us|µs|μs|ms|s|m|h)';
const DUR_WORD = '(?:nanoseconds?|microseconds?|milliseconds?|seconds?|secs?|minutes?|mins?|hours?)';

/** What the first character of a match can be; the combined expression tries an alternative only where its lead fits. */
type Lead = 'digit' | 'hexLetter' | 'upper' | 'punct';

interface Alternative {
  mask: BuiltinMask;
  leads: readonly Lead[];
  /** Matched only where the previous character is neither a word character nor a dot (a boundary all masks share). */
  source: string;
  /** A lookaround shared by neighbouring alternatives, tested once for all of them. */
  gate?: string;
  handler: Handler;
}

const time: Handler = { kind: 'mask', placeholder: '<time>' };
const ip: Handler = { kind: 'ip' };
const pid: Handler = { kind: 'pid' };

// Gates: cheap lookarounds in front of a run of alternatives that all need
// them, so that a number like `200` or `19943` is turned away after a few
// characters rather than tried against every digit-led alternative.
const HEXISH = '(?=[0-9a-fA-F]*[a-fA-F:-])'; // a hex letter, a colon or a hyphen comes
const TIMEISH = '(?=\\d{4}[-/]|\\d{1,2}[-/ :][\\dA-Z])'; // 2026-, 2026/, 22/Nov, 22 Nov, 22:52
const PIDISH = '(?<![^\\s=:#\\[])'; // after a blank, =, :, # or [

/**
 * The built-in masks. Order matters where two alternatives can match at the
 * same position (the first wins): a UUID before container ids (its last group
 * is 12 hex digits), a MAC address before a time of day (`02:42:ac:11:00:02`
 * holds `02:42:ac`), full timestamps before a bare time of day... Where they
 * start at different positions the leftmost wins, which is what keeps an ISO
 * date from being read as an epoch and `fe80::1` from being read as a time.
 * Nothing starts inside a word or after a dot, so the parts of a version
 * (`mod_fcgid/2.3.9`, `PHP 8.2.29`) are never taken for a number to mask.
 */
const ALTERNATIVES: readonly Alternative[] = [
  { mask: 'uuid', leads: ['digit', 'hexLetter'], gate: HEXISH, source: `(?<!-)${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}(?![\\w-])`, handler: { kind: 'mask', placeholder: '<uuid>' } },
  // Docker's MAC addresses differ per container.
  { mask: 'mac', leads: ['digit', 'hexLetter'], gate: HEXISH, source: `(?<!:)${HEX}{2}(?::${HEX}{2}){5}(?![\\w:])`, handler: { kind: 'mask', placeholder: '<mac>' } },
  // A real IPv6 address has a digit somewhere (fe80::, 2001:, fd00:); `a::b` and `std::string` are code.
  { mask: 'ip', leads: ['digit', 'hexLetter', 'punct'], gate: HEXISH, source: `(?<!:)(?=[0-9a-fA-F:]*\\d)${IPV6}(?![\\w:])`, handler: ip },
  // Container ids: 64 hex digits, or the 12 of a short id with at least one letter (12 digits are a number).
  { mask: 'id', leads: ['digit', 'hexLetter'], gate: HEXISH, source: `(?<!-)(?:[0-9a-f]{64}|(?=[0-9]{0,11}[a-f])[0-9a-f]{12})(?![\\w-])`, handler: { kind: 'mask', placeholder: '<id>' } },
  // ISO 8601 / RFC 3339, and the space-separated form of Python, Postgres, MySQL.
  { mask: 'time', leads: ['digit'], gate: TIMEISH, source: `\\d{4}-\\d{2}-\\d{2}[T ]${HMS}${ZONE}${E}`, handler: time },
  // nginx, Go's log package: 2026/11/22 22:52:11
  { mask: 'time', leads: ['digit'], gate: TIMEISH, source: `\\d{4}/\\d{2}/\\d{2}[ T]${HMS}${E}`, handler: time },
  // Common Log Format: 22/Nov/2026:22:52:11 +0000
  { mask: 'time', leads: ['digit'], gate: TIMEISH, source: `\\d{1,2}/${MON}/\\d{4}:${HMS}(?: [+-]\\d{4})?${E}`, handler: time },
  // RFC 2822 / HTTP dates, Redis, Tomcat: 22 Nov 2026 22:52:11.594; 22-Nov-2026 22:52:11.594 (with a day name: below)
  { mask: 'time', leads: ['digit'], gate: TIMEISH, source: `\\d{1,2}[ -]${MON}[ -]\\d{4}[ :]${HMS}${ZONE}${E}`, handler: time },
  // A time of day alone, after the fuller forms that hold one.
  { mask: 'time', leads: ['digit'], gate: TIMEISH, source: `(?<!:)${HMS}(?![\\w:])`, handler: time },
  // Apache's error log and ctime(3): Sun Nov 22 22:52:11.594461 2026, `date`: Sun Nov 22 22:52:11 UTC 2026
  { mask: 'time', leads: ['upper'], source: `${DOW} ${MON} {1,2}\\d{1,2} ${HMS}(?: ${ZONE_NAME})? \\d{4}${E}`, handler: time },
  // RFC 2822 / HTTP dates: Sun, 22 Nov 2026 22:52:11 GMT
  { mask: 'time', leads: ['upper'], source: `${DOW}, \\d{1,2} ${MON} \\d{4} ${HMS}${ZONE}${E}`, handler: time },
  // syslog (RFC 3164) and Java: Nov 22 22:52:11; Sun Nov 22 22:52:11; Nov 22, 2026 10:52:11 PM
  { mask: 'time', leads: ['upper'], source: `(?:${DOW},? )?${MON} {1,2}\\d{1,2},?(?: \\d{4})? ${HMS}(?: [AP]M)?${ZONE}${E}`, handler: time },
  { mask: 'ip', leads: ['punct'], source: `\\[(?=[0-9a-fA-F:]*\\d)${IPV6}\\](?::\\d{1,5})?${E}`, handler: ip },
  // Not after "name/" (a four-part version such as mod_foo/1.2.3.4); `using 172.17.0.2.` ends a sentence.
  { mask: 'ip', leads: ['digit'], gate: '(?=\\d{1,3}\\.\\d)', source: `(?<!\\w/)${IPV4}(?::\\d{1,5})?(?![\\w]|\\.\\d)`, handler: ip },
  // Pointers; short values (0x1, 0x3f) are flags and modes, which are worth comparing.
  { mask: 'addr', leads: ['digit'], gate: '(?=0x)', source: `0x${HEX}{6,16}(?!\\w)`, handler: { kind: 'mask', placeholder: '<addr>' } },
  // A number that a word names as a process or thread id: `pid 35`, `[pid 35:tid 1404...]`, `PID=7`, `process 29`.
  { mask: 'pid', leads: ['digit'], gate: PIDISH, source: `(?<=\\b(?:[Tt]id|TID|[Ll]wp|LWP|[Tt]hread|THREAD)(?:[ _][Ii][Dd])?[ =:#]{1,2})\\d+(?![\\w.])`, handler: { kind: 'tid' } },
  { mask: 'pid', leads: ['digit'], gate: PIDISH, source: `(?<=\\b(?:[Pp]p?g?id|PP?G?ID|[Pp]rocess|PROCESS)(?:[ _][Ii][Dd])?[ =:#]{1,2})\\d+(?![\\w.])`, handler: pid },
  // syslog: sshd[1234]: ...
  { mask: 'pid', leads: ['digit'], gate: PIDISH, source: `(?<=[A-Za-z][\\w./-]*\\[)\\d+(?=\\]:)`, handler: pid },
  // nginx's error log: "[notice] 1#1: start worker process 29" (pid#tid), "[error] 7#7: *1234 upstream..." (and the connection's serial)
  { mask: 'pid', leads: ['digit'], gate: PIDISH, source: `(?<=\\] )\\d+#\\d+: \\*\\d+(?= )`, handler: { kind: 'mask', placeholder: '<pid>#<tid>: *<conn>' } },
  { mask: 'pid', leads: ['digit'], gate: PIDISH, source: `(?<=\\] )\\d+#\\d+(?=: )`, handler: { kind: 'mask', placeholder: '<pid>#<tid>' } },
  // Redis: "1:C 22 Nov 2026 ..." (pid:role)
  { mask: 'pid', leads: ['digit'], gate: PIDISH, source: `(?<!\\S)\\d+(?=:[XCSM] \\d)`, handler: pid },
  // Epoch seconds (2001..2039) with an optional fraction, or in ms/µs/ns: 10, 13, 16 or 19 digits.
  { mask: 'time', leads: ['digit'], gate: '(?=\\d{10})', source: `(?<![:/-])(?:1\\d|2[0-1])\\d{8}(?:\\d{3}){0,3}(?:\\.\\d{1,9})?(?![\\w.])`, handler: time },
  // 12ms, 1.5s, 3m20s, 250µs, 0.003 seconds
  { mask: 'dur', leads: ['digit'], gate: '(?=\\d+(?:\\.\\d+)? ?[nuµμmsh])', source: `\\d+(?:\\.\\d+)?(?:${DUR_UNIT}(?:\\d+(?:\\.\\d+)?${DUR_UNIT})*| ?${DUR_WORD})${E}`, handler: { kind: 'mask', placeholder: '<dur>' } },
];

// What a position must look like for its branch to be tried at all. A word
// of letters rarely passes: hex-led masks need a digit, a colon or a hyphen
// after the hex letters (`fe80::`, `deadbeef-`, `3f2a...`), dates a month or
// day name.
const LEAD_CLASS: Record<Lead, string> = {
  digit: '\\d',
  hexLetter: '[a-fA-F][0-9a-fA-F]*[\\d:-]',
  upper: `(?:${DOW}|${MON})[ ,]`,
  punct: '[\\[:]',
};

/**
 * One expression for all enabled alternatives, grouped by lead character:
 * V8 then rejects most positions of a line after one or two character tests
 * instead of trying every alternative there (with the gates, about five
 * times faster than a plain alternation on the bench logs).
 * `handlers[g - 1]` says what capture group g does.
 */
function combine(alternatives: readonly Alternative[]): { re: RegExp; handlers: Handler[] } | null {
  const handlers: Handler[] = [];
  const branches: string[] = [];
  for (const lead of ['digit', 'hexLetter', 'upper', 'punct'] as const) {
    // Runs of neighbours with the same gate, (?=gate)(?:(a)|(b)), keep their order; neighbours
    // with the same handler share a group, (a|b): fewer groups, smaller match arrays.
    const runs: Array<{ gate: string; groups: string[][] }> = [];
    let previous: Handler | undefined;
    for (const alt of alternatives) {
      if (!alt.leads.includes(lead)) continue;
      const gate = alt.gate ?? '';
      let run = runs[runs.length - 1];
      if (!run || run.gate !== gate) {
        runs.push((run = { gate, groups: [] }));
        previous = undefined;
      }
      if (alt.handler === previous) run.groups[run.groups.length - 1].push(alt.source);
      else {
        run.groups.push([alt.source]);
        handlers.push(alt.handler);
        previous = alt.handler;
      }
    }
    if (runs.length === 0) continue;
    const body = runs
      .map((r) => {
        const groups = r.groups.map((g) => `(${g.join('|')})`).join('|');
        return r.gate ? `${r.gate}(?:${groups})` : groups;
      })
      .join('|');
    branches.push(`(?=${LEAD_CLASS[lead]})(?:${body})`);
  }
  if (branches.length === 0) return null;
  return { re: new RegExp(`(?<![\\w.])(?:${branches.join('|')})`, 'g'), handlers };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function exactAlternative(values: readonly string[] | undefined): string | undefined {
  const list = [...new Set((values ?? []).filter((v) => v.length > 0))].sort((x, y) => y.length - x.length);
  if (list.length === 0) return undefined;
  // Longest first, so a full id wins over its short prefix; a trailing dot may end a sentence.
  return `(?<![\\w.-])(?:${list.map(escapeRegExp).join('|')})(?![\\w-])`;
}

function compileUserRule(rule: UserRule, index: number): CompiledUserRule {
  const name = `Log normalisation rule ${index + 1} ("${rule.pattern}")`;
  if (typeof rule.pattern !== 'string' || rule.pattern.length === 0) {
    throw new CompareError('badArgument', `${name}: the pattern is empty.`);
  }
  const flags = rule.flags ?? '';
  if (/[^imsu]/.test(flags)) {
    throw new CompareError('badArgument', `${name}: unsupported flags "${flags}" (use i, m, s, u).`);
  }
  let re: RegExp;
  try {
    re = new RegExp(rule.pattern, `${flags}g`);
  } catch (e) {
    throw new CompareError('badArgument', `${name} is not a valid regular expression: ${messageOf(e)}`, { cause: e });
  }
  // A pattern that can match nothing would mask the gaps between characters, then loop on them.
  if (new RegExp(`^(?:${rule.pattern})$`, flags).test('')) {
    throw new CompareError('badArgument', `${name} matches the empty string; it must match at least one character.`);
  }
  return { re, replacement: rule.replacement ?? '<masked>' };
}

/** Validates users' rules and builds the built-in masks; throws CompareError('badArgument') naming a bad pattern. */
export function compileRules(opts: NormalizeOptions = {}): CompiledRules {
  const disabled = new Set(opts.disable ?? []);
  for (const d of disabled) {
    if (!BUILTIN_MASKS.includes(d)) throw new CompareError('badArgument', `Unknown built-in log mask "${d}" (known: ${BUILTIN_MASKS.join(', ')}).`);
  }
  // The containers' own names come first: they are known exactly, the patterns only guess.
  const exact: CompiledUserRule[] = [];
  const ids = exactAlternative(opts.ids);
  if (ids) exact.push({ re: new RegExp(ids, 'g'), replacement: '<id>' });
  const hosts = exactAlternative(opts.hosts);
  if (hosts) exact.push({ re: new RegExp(hosts, 'g'), replacement: '<host>' });
  const own = (opts.rules ?? []).map(compileUserRule);
  const user = [...exact, ...own];
  const literals = own.length ? null : [...(opts.ids ?? []), ...(opts.hosts ?? [])].filter((v) => v.length > 0);
  const combined = combine(ALTERNATIVES.filter((a) => !disabled.has(a.mask)));
  return { user, literals, builtin: combined?.re ?? null, handlers: combined?.handlers ?? [] };
}

let defaultRules: CompiledRules | undefined;

/** The built-in masks alone (compiled once). */
export function defaultLogRules(): CompiledRules {
  return (defaultRules ??= compileRules());
}

// ANSI escape sequences (CSI, OSC, two-character escapes, 8-bit CSI), then
// any other control character but the tab. Built from a string so the source
// stays readable ASCII.
const CONTROL_SOURCE =
  '\\x1b\\[[0-?]*[ -/]*[@-~]' + // CSI: colours, cursor moves
  '|\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)?' + // OSC: titles, hyperlinks
  '|\\x1b[()*+][ -~]' + // character set selection
  '|\\x1b[@-_]' + // other two-character escapes
  '|\\x9b[0-?]*[ -/]*[@-~]' + // 8-bit CSI
  '|[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f]';
const CONTROL = new RegExp(CONTROL_SOURCE, 'g');
const HAS_CONTROL = new RegExp('[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f]');

/** The line without ANSI escape sequences and control characters (tabs stay): what a terminal would show. */
export function cleanLine(raw: string): string {
  return HAS_CONTROL.test(raw) ? raw.replace(CONTROL, '') : raw;
}

/** cleanLine, and `map[k]`: the raw offset of the k-th character kept (`map[text.length]` is raw.length); no map when nothing was removed. */
function cleanWithMap(raw: string): { text: string; map?: Int32Array } {
  if (!HAS_CONTROL.test(raw)) return { text: raw };
  const map = new Int32Array(raw.length + 1);
  let text = '';
  let n = 0;
  let last = 0;
  const keep = (to: number): void => {
    text += raw.slice(last, to);
    for (let k = last; k < to; k++) map[n++] = k;
  };
  CONTROL.lastIndex = 0;
  for (let m = CONTROL.exec(raw); m; m = CONTROL.exec(raw)) {
    keep(m.index);
    last = m.index + m[0].length;
  }
  keep(raw.length);
  map[n] = raw.length;
  return { text, map: map.subarray(0, n + 1) };
}

/**
 * A line cut into parts: `starts[k]` is where part k begins in the cleaned
 * line, `texts[k]` its normalised text, `masked[k]` whether a rule replaced it.
 */
interface Parts {
  starts: number[];
  texts: string[];
  masked: boolean[];
}

/** `$$`, `$&`, `$1`..`$99`, `$<name>` in a user's replacement, as String.prototype.replace reads them. */
function expand(replacement: string, m: RegExpExecArray): string {
  if (!replacement.includes('$')) return replacement;
  return replacement.replace(/\$(\$|&|\d{1,2}|<([^>]*)>)/g, (whole, what: string, name: string | undefined) => {
    if (what === '$') return '$';
    if (what === '&') return m[0];
    if (name !== undefined) return m.groups?.[name] ?? '';
    const n = Number(what);
    return n > 0 && n < m.length ? (m[n] ?? '') : whole;
  });
}

/** The numbers a line names as its process and thread ids, gathered while masking. */
type Ids = Map<string, string> | undefined;

function onBuiltin(m: RegExpExecArray, rules: CompiledRules, ids: { found: Ids }): string | undefined {
  let g = 1;
  while (m[g] === undefined) g++;
  const h = rules.handlers[g - 1];
  const text = m[0];
  switch (h.kind) {
    case 'mask':
      return h.placeholder;
    case 'pid':
    case 'tid': {
      const placeholder = h.kind === 'pid' ? '<pid>' : '<tid>';
      // Apache and others print the same pid again in the message ("Process manager 35 started").
      // Not single digits: too common in text to be read as the pid (and pid 1, the container's init, is the same on both sides anyway).
      if (text.length > 1) (ids.found ??= new Map()).set(text, ids.found.get(text) ?? placeholder);
      return placeholder;
    }
    case 'ip':
      return maskIp(text);
  }
}

/**
 * `<ip>`, `<ip>:<port>`, `[<ip>]:<port>`. Loopback and unspecified addresses
 * (and netmasks) are kept with their port: they are configuration, and
 * "listens on 127.0.0.1 instead of 0.0.0.0" is a classic difference between
 * two images.
 */
function maskIp(text: string): string | undefined {
  const bracketed = text.charCodeAt(0) === 91; // [
  const close = bracketed ? text.indexOf(']') : -1;
  const addr = bracketed ? text.slice(1, close) : text;
  if (addr === '::' || addr === '::1' || addr.startsWith('::%') || addr.startsWith('::1%')) return undefined;
  if (bracketed) return close + 1 < text.length ? '[<ip>]:<port>' : '[<ip>]';
  // An IPv6 address has several colons; an IPv4 one at most one, before the port.
  const colon = text.indexOf(':');
  if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) return '<ip>';
  if (text.startsWith('127.') || text.startsWith('255.') || text === '0.0.0.0' || text.startsWith('0.0.0.0:')) return undefined;
  return colon >= 0 ? '<ip>:<port>' : '<ip>';
}

/** Runs `re` over the unmasked parts, replacing each match it accepts. */
function splitParts(parts: Parts, re: RegExp, replace: (m: RegExpExecArray) => string | undefined): Parts {
  const out: Parts = { starts: [], texts: [], masked: [] };
  for (let k = 0; k < parts.texts.length; k++) {
    const text = parts.texts[k];
    const base = parts.starts[k];
    if (parts.masked[k]) {
      out.starts.push(base);
      out.texts.push(text);
      out.masked.push(true);
      continue;
    }
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].length === 0) {
        // A user's pattern can match nothing in context (`\b`, a lookahead): step over it.
        re.lastIndex++;
        continue;
      }
      const r = replace(m);
      if (r === undefined) continue;
      if (m.index > last) {
        out.starts.push(base + last);
        out.texts.push(text.slice(last, m.index));
        out.masked.push(false);
      }
      out.starts.push(base + m.index);
      out.texts.push(r);
      out.masked.push(true);
      last = m.index + m[0].length;
    }
    if (last < text.length || text.length === 0) {
      out.starts.push(base + last);
      out.texts.push(text.slice(last));
      out.masked.push(false);
    }
  }
  return out;
}

const isIdChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 47 || c === 45 || c === 58;

/**
 * Calls `hit` for each whole number of `text` that is one of the line's own
 * pids/tids: "35 started", "(35)", "35," count; "2.35", "35.1", "/35", "35:"
 * and "35abc" do not.
 */
function scanKnownIds(text: string, found: Map<string, string>, hit: (from: number, to: number, placeholder: string) => void): void {
  // Usually the id is not mentioned again: one native search per id settles it.
  let mentioned = false;
  for (const id of found.keys()) mentioned ||= text.includes(id);
  if (!mentioned) return;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57 || (i > 0 && isIdChar(text.charCodeAt(i - 1)))) continue;
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    const placeholder = j === text.length || !isIdChar(text.charCodeAt(j)) ? found.get(text.slice(i, j)) : undefined;
    if (placeholder !== undefined) hit(i, j, placeholder);
    i = j - 1;
  }
}

/** Masks the line's own pids/tids where its unmasked parts mention them again. */
function maskKnownIds(parts: Parts, found: Map<string, string>): Parts {
  const out: Parts = { starts: [], texts: [], masked: [] };
  const push = (start: number, text: string, masked: boolean): void => {
    out.starts.push(start);
    out.texts.push(text);
    out.masked.push(masked);
  };
  for (let k = 0; k < parts.texts.length; k++) {
    const text = parts.texts[k];
    const base = parts.starts[k];
    if (parts.masked[k]) {
      push(base, text, true);
      continue;
    }
    let last = 0;
    scanKnownIds(text, found, (from, to, placeholder) => {
      if (from > last) push(base + last, text.slice(last, from), false);
      push(base + from, placeholder, true);
      last = to;
    });
    if (last < text.length || text.length === 0) push(base + last, text.slice(last), false);
  }
  return out;
}

function partsOf(text: string, rules: CompiledRules): Parts {
  let parts: Parts = { starts: [0], texts: [text], masked: [false] };
  for (const rule of rules.user) parts = splitParts(parts, rule.re, (m) => expand(rule.replacement, m));
  if (rules.builtin) {
    const ids: { found: Ids } = { found: undefined };
    parts = splitParts(parts, rules.builtin, (m) => onBuiltin(m, rules, ids));
    if (ids.found) parts = maskKnownIds(parts, ids.found);
  }
  return parts;
}

/**
 * normalizeLine without users' rules, the common case, without cutting the
 * line into parts: built-in placeholders hold no digits and no trailing
 * blanks, so the second look for the line's pids and the final trim can run
 * on the output string itself and give the same result as partsOf().
 */
function maskBuiltins(text: string, rules: CompiledRules): string {
  const re = rules.builtin;
  if (!re) return text.trimEnd();
  const ids: { found: Ids } = { found: undefined };
  let out = '';
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const r = onBuiltin(m, rules, ids);
    if (r === undefined) continue;
    out += text.slice(last, m.index) + r;
    last = m.index + m[0].length;
  }
  out = last === 0 ? text : out + text.slice(last);
  if (ids.found) {
    let again = '';
    let from = 0;
    scanKnownIds(out, ids.found, (i, j, placeholder) => {
      again += out.slice(from, i) + placeholder;
      from = j;
    });
    if (from > 0) out = again + out.slice(from);
  }
  return out.trimEnd();
}

/** Trailing blanks do not count (an editor or a printf pads them); masked parts are the rules' to decide. */
function trimEndParts(parts: Parts): Parts {
  for (let k = parts.texts.length - 1; k >= 0 && !parts.masked[k]; k--) {
    const t = parts.texts[k].trimEnd();
    parts.texts[k] = t;
    if (t.length > 0) break;
  }
  return parts;
}

/** The text compared for one raw log line: escape sequences and control characters removed, volatile values masked, trailing blanks dropped. */
export function normalizeLine(raw: string, rules: CompiledRules = defaultLogRules()): string {
  const text = cleanLine(raw);
  if (rules.literals && !rules.literals.some((l) => text.includes(l))) return maskBuiltins(text, rules);
  const { texts } = trimEndParts(partsOf(text, rules));
  return texts.length === 1 ? texts[0] : texts.join('');
}

/** Normalises a whole log; line numbers are 1-based. */
export function normalizeLines(lines: readonly string[], rules: CompiledRules = defaultLogRules(), signal?: AbortSignal): LogLine[] {
  const out: LogLine[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    if ((i & 0xfff) === 0 && signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
    out[i] = { line: i + 1, raw: lines[i], normalized: normalizeLine(lines[i], rules) };
  }
  return out;
}

/** A log's text as lines: LF or CRLF, and no empty last line for a final newline. */
export function splitLogLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/**
 * A piece of a raw line and what it became: concatenating the `raw` of a
 * line's segments gives the raw line, their `normalized` the normalised line.
 * A masked segment is one placeholder. An unmasked segment's raw text starts
 * with its normalised text (only blanks trimmed from the end of the line
 * follow); escape sequences and control characters removed from the
 * normalised form are segments of their own, normalised to ''.
 */
export interface LineSegment {
  raw: string;
  normalized: string;
  masked: boolean;
}

/** The raw line cut where masks apply, for showing a word diff on the raw text while comparing the normalised one. */
export function normalizeSegments(raw: string, rules: CompiledRules = defaultLogRules()): LineSegment[] {
  const { text, map } = cleanWithMap(raw);
  const parts = trimEndParts(partsOf(text, rules));
  const out: LineSegment[] = [];
  const n = parts.texts.length;
  if (!map) {
    // Nothing removed: the parts are the segments.
    for (let k = 0; k < n; k++) {
      const r = raw.slice(parts.starts[k], k + 1 < n ? parts.starts[k + 1] : raw.length);
      if (r.length > 0 || parts.texts[k].length > 0) out.push({ raw: r, normalized: parts.texts[k], masked: parts.masked[k] });
    }
    return out;
  }
  const push = (r: string, normalized: string, masked: boolean): void => {
    if (r.length > 0 || normalized.length > 0) out.push({ raw: r, normalized, masked });
  };
  // Control sequences before the first character kept.
  push(raw.slice(0, map[0]), '', false);
  for (let k = 0; k < n; k++) {
    const from = parts.starts[k];
    const to = k + 1 < n ? parts.starts[k + 1] : text.length;
    if (from === to) {
      push('', parts.texts[k], parts.masked[k]);
      continue;
    }
    if (parts.masked[k]) {
      // The placeholder stands for the raw text from its first to its last character kept.
      push(raw.slice(map[from], map[to - 1] + 1), parts.texts[k], true);
      push(raw.slice(map[to - 1] + 1, map[to]), '', false);
      continue;
    }
    // Runs of characters kept, each followed by what was removed after it.
    for (let x = from; x < to; ) {
      let y = x + 1;
      while (y < to && map[y] === map[y - 1] + 1) y++;
      push(raw.slice(map[x], map[y - 1] + 1), parts.texts[k].slice(x - from, y - from), false);
      push(raw.slice(map[y - 1] + 1, map[y]), '', false);
      x = y;
    }
  }
  return out;
}
