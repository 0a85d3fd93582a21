/**
 * Findings: the few things to read first about two images, "this is
 * probably why" rather than four thousand changed files. They are derived
 * from the static comparison (the report's layer rows, merged files and
 * config), the package diff, each image's leftovers and, when the images
 * were also run side by side, the run's own findings, and ranked together.
 *
 * Ranking: every finding gets a score (SCORES below) and the list is sorted
 * by score, then severity, then side (A first), then the order found. The
 * scores order kinds of explanation, from "a cause with its effect seen"
 * down to "this differs":
 *
 * | score | finding | why there |
 * |---:|---|---|
 * | 100 | crlfScript | a cause and its effect: a script with CRLF line endings that a later RUN executes, and that RUN (same Dockerfile line on both sides) produced a different layer |
 * |  95 | config: Platform | another OS or CPU: every other difference follows from it |
 * |  92 | startFailed (run) | the image does not start at all: what a user hits first |
 * |  90 | exited (run) | the container stopped while the other kept running |
 * |  88 | entrypoint | the start command cannot run on one side (CRLF shebang, execute bit lost, file missing): predicts the two above, which rank first when a run saw them |
 * |  85 | servedAsSource (run) | a visible, dangerous symptom (source code sent to clients) |
 * |  82 | secret, new in B | a leak the new build introduced: a regression (secrets: +1 for a key or cloud credential, +1 when a later layer hides it but its bytes still ship) |
 * |  78 | secret in both | still a leak, not new |
 * |  76 | sameStepDifferentResult | the same Dockerfile line did different work (files, modules, packages missing): a cause one level down |
 * |  75 | moduleOnlyOne (run) | a symptom: a module loaded on one side only |
 * |  72 | base | the FROM image moved: explains most of what differs after it (same-step findings above it then drop to 50) |
 * |  70 | package: security-relevant downgrade | fixes lost in TLS, libc, ssh... |
 * |  68 | mode: execute bit lost on a script or program, setuid/setgid gained | breaks running it directly, or widens privileges |
 * |  66 | httpStatus (run) | a symptom |
 * |  64 | config: User, Entrypoint, Cmd | changes how the container starts and what it may touch |
 * |  62 | package downgrades (others) | older than the reference |
 * |  60 | secret in A only | fixed in B, but A still leaks it |
 * |  58 / 56 | package: security-relevant upgrade or removal / addition | expected drift, but it matters |
 * |  55 | lineEndings | text equal except CRLF: breaks scripts and some config parsers |
 * |  54 | symlink | what the link resolves to changed |
 * |  52 | mode: world-writable gained | anyone in the container can change it |
 * |  50 | owner | another user may no longer read or write it |
 * |  48 | type | a file became a directory, a link... |
 * |  46 / 44 | health / restarts (run) | symptoms |
 * |  45 | instruction | the Dockerfile line itself differs: the difference is intended |
 * |  42 | packages: upgrades, additions, removals (grouped) | drift |
 * |  40 | layerOnlyOne; config: WorkingDir, ExposedPorts, Env, Volumes... | intended or minor |
 * |  38 | leftover new in B (no secret) | should not ship, no credential seen |
 * |  35 | builder | BuildKit vs classic: can explain small differences |
 * |  30 | mode: other (0755 vs 0644) | usually harmless: a Windows build context |
 * |  28 | probeDiffers, httpHeader (run) | details |
 * |  25 | content, files | what differs without a better explanation (10 when only logs and caches) |
 * |  20 | httpBody (run); sameStepDifferentResult in logs and caches only | noise-like |
 * |  18 | config: Labels | metadata |
 * |  15 | leftovers kept or gone; library fixtures | known, not new |
 * |  10 | logOnlyOne, logChanged (run) | details behind the symptoms above |
 *
 * Run findings that are facts of both sides (both exited the same way) lose
 * 30. A run finding whose side matches a static cause gets that cause in its
 * detail and evidence ("B exited ... The likely cause: entrypoint.sh has CRLF
 * line endings in B").
 */
import { posix } from 'node:path';
import { sameInstruction } from '../diff/compare';
import { baseLayerCount, historySteps } from '../image/history';
import type { Leftover } from './leftovers';
import { isSecret } from './leftovers';
import type { ImageConfig, LineEndings } from '../image/model';
import { packageDbKind, type Ecosystem, type PackageChange, type SecurityCategory } from '../packages/packages';
import type { DiffReport, ReportFile, ReportFileSide, ReportLayer, ReportLayerSide } from '../report/report';
import type { FindingSeverity, RunFinding, RunReport, Side } from '../run/runModel';
import type { SecretKind } from '../image/model';
import { humanSize } from '../util/units';

export type StaticFindingKind =
  | 'crlfScript'
  | 'entrypoint'
  | 'sameStepDifferentResult'
  | 'base'
  | 'instruction'
  | 'layerOnlyOne'
  | 'lineEndings'
  | 'mode'
  | 'owner'
  | 'symlink'
  | 'type'
  | 'content'
  | 'files'
  | 'package'
  | 'config'
  | 'builder'
  | 'secret'
  | 'leftover';

export type FindingKind = StaticFindingKind | RunFinding['kind'];

/** A file to open: its path, on one side or (no side) as a diff of both, and where it changes. */
export interface FileEvidence {
  path: string;
  side?: Side;
  /** Row of the report's layer alignment where it changes. */
  layerRow?: number;
  /** Each image's own layer that wrote it. */
  layer?: { a?: number; b?: number };
}

export interface PackageEvidence {
  ecosystem: Ecosystem;
  name: string;
}

export interface LeftoverEvidence {
  side: Side;
  path: string;
  /** The image's own layer whose tar holds it. */
  layer: number;
}

/** What shows a finding, typed so that a click can open it. */
export interface FindingEvidence {
  files?: FileEvidence[];
  /** Rows of the report's layer alignment (DiffReport.layers[i].index). */
  layerRows?: number[];
  packages?: PackageEvidence[];
  /** Fields as in DiffReport.config (User, Env.PATH, ...). */
  config?: string[];
  /** Indexes into RunReport.logs.rows. */
  logRows?: number[];
  /** A probe's name (RunReport.probes[].name). */
  probe?: string;
  /** HTTP fields: status, header NAME, body. */
  http?: string[];
  leftovers?: LeftoverEvidence[];
}

/** One ranked finding. Run findings keep their RunFinding shape, with a score. */
export interface Finding {
  kind: FindingKind;
  severity: FindingSeverity;
  /** The side it is about (the broken one, the one that holds the secret...), when there is one. */
  side?: Side;
  title: string;
  /** One sentence a developer understands: what it breaks, why, what to do. */
  detail: string;
  evidence: FindingEvidence;
  /** The ranking score (see the table above); higher first. */
  score: number;
}

export interface FindingInput {
  /** The comparison's report; its `packages` and `leftovers` are used when present. */
  report: DiffReport;
  /** Both images' configs: start command, PATH, WORKDIR, history. */
  configs: { a: ImageConfig; b: ImageConfig };
  run?: RunReport;
}

export const SCORES = {
  crlfScript: 100,
  platform: 95,
  entrypoint: 88,
  secretNew: 82,
  secretKept: 78,
  sameStep: 76,
  sameStepAfterBase: 50,
  sameStepNoise: 20,
  base: 72,
  securityDowngrade: 70,
  execLost: 68,
  setuid: 68,
  configStart: 64,
  downgrade: 62,
  secretGone: 60,
  securityChange: 58,
  securityAdded: 56,
  lineEndings: 55,
  symlink: 54,
  worldWritable: 52,
  owner: 50,
  type: 48,
  instruction: 45,
  packages: 42,
  layerOnlyOne: 40,
  config: 40,
  leftoverNew: 38,
  builder: 35,
  modeOther: 30,
  content: 25,
  labels: 18,
  leftoverKnown: 15,
  thirdParty: 15,
  noise: 10,
} as const;

const RUN_SCORES: Record<RunFinding['kind'], number> = {
  startFailed: 92,
  exited: 90,
  servedAsSource: 85,
  moduleOnlyOne: 75,
  httpStatus: 66,
  health: 46,
  restarts: 44,
  probeDiffers: 28,
  httpHeader: 28,
  httpBody: 20,
  logOnlyOne: 10,
  logChanged: 10,
};
/** Run kinds that are details by nature: an 'info' severity says nothing more about them. */
const RUN_DETAIL_KINDS = new Set<RunFinding['kind']>(['probeDiffers', 'httpHeader', 'httpBody', 'logOnlyOne', 'logChanged']);

const SEVERITY_ORDER: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };
const SIDE_ORDER = (s: Side | undefined): number => (s === 'a' ? 0 : s === 'b' ? 1 : 2);
const OTHER = (s: Side): Side => (s === 'a' ? 'b' : 'a');
/** Files named in one finding's evidence: enough to click through, not a file list. */
const MAX_EVIDENCE_FILES = 25;
/** Security-relevant packages reported one by one (per ecosystem); the rest are grouped. */
const MAX_SECURITY_PACKAGES = 8;
const MAX_SECRETS = 10;

/** Paths a build writes differently every time (logs, caches, compiled bytecode): what differs there explains nothing. */
const NOISE = /^\/(var\/log|var\/cache|var\/tmp|tmp|root\/\.cache|var\/lib\/apt\/lists)\/|\/__pycache__\/|\.pyc$|^\/var\/lib\/dpkg\/[^/]+-old$|^\/etc\/ld\.so\.cache$|^\/var\/lib\/dpkg\/triggers\//;
/** Scripts usually started through their #! line. */
const SCRIPT_EXT = /\.(sh|bash|ksh|zsh|py|pl|rb)$/;
const CONFIG_EXT = /\.(conf|cnf|cfg|ini|ya?ml|json|toml|properties|env|xml|htaccess|htpasswd|service|rules)$/;
const BIN_DIR = /^\/(usr\/)?(local\/)?s?bin\//;
const SHELL = /^(\/usr)?(\/bin\/)?(sh|bash|dash|ash|zsh|ksh)$/;
const INTERPRETER = /^(\/usr)?(\/(local\/)?bin\/)?(sh|bash|dash|ash|zsh|ksh|python[\d.]*|perl|php[\d.]*|php-cgi|node|ruby|source|\.)$/;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const SECURITY_LABEL: Record<SecurityCategory, string> = {
  tls: 'TLS and crypto',
  ssh: 'SSH',
  libc: 'the C library',
  compression: 'compression, parses untrusted input',
  http: 'HTTP client',
  privilege: 'privileges',
  trust: 'certificates and signatures',
  kernel: 'kernel',
  runtime: 'language runtime',
};

const SECRET_LABEL: Record<SecretKind, string> = {
  privateKey: 'a private key',
  awsAccessKey: 'an AWS access key',
  awsSecretKey: 'an AWS secret key',
  githubToken: 'a GitHub token',
  npmToken: 'an npm token',
  slackToken: 'a Slack token',
  password: 'a password',
  dockerAuth: 'a registry login',
};

const LEFTOVER_LABEL: Record<Leftover['kind'], string> = {
  shellHistory: 'shell history',
  vcs: 'version control',
  envFile: 'environment file',
  packageManagerConfig: 'package manager config',
  netrc: '.netrc',
  gitCredentials: 'git credentials',
  dockerConfig: 'docker config',
  cloudCredentials: 'cloud credentials',
  privateKey: 'private key',
  ssh: 'SSH files',
  secret: 'a file with a secret',
};

// ---------------------------------------------------------------- small helpers

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/**
 * Values in a command line that look like credentials (`TOKEN=…`, `--password …`, ghp_…, AKIA…): a
 * finding quotes Dockerfile lines from the history, and should not be the place that repeats them.
 */
const SECRET_ASSIGNMENT = /((?:^|[\s'"])[\w./:-]*?(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key)\w*=)(?!\$|%s)('[^']*'|"[^"]*"|[^\s'";&|]+)/gi;
const SECRET_FLAG = /(\s--?[\w-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key)[\w-]*\s+)(?!\$|-)('[^']*'|"[^"]*"|[^\s'";&|]+)/gi;
const TOKEN = /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{40,}|AKIA[A-Z0-9]{16}|npm_[A-Za-z0-9]{36}|xox[bpars]-[A-Za-z0-9-]{10,})\b/g;
export const redact = (s: string) => s.replace(SECRET_ASSIGNMENT, '$1***').replace(SECRET_FLAG, '$1***').replace(TOKEN, '***');
/** A command or path quoted for a title: backticks inside become quotes so the quoting holds (Markdown renders it as code). */
const code = (s: string, max = 90) => '`' + cut(redact(s.replace(/\s+/g, ' ')).replace(/`/g, "'"), max) + '`';
const base = (p: string) => posix.basename(p) || p;
const modeOf = (s: ReportFileSide | undefined) => (s ? parseInt(s.mode, 8) : 0);
const isCrlf = (le?: LineEndings) => le === 'crlf' || le === 'mixed';
const isFileType = (s: ReportFileSide | undefined) => s?.type === 'file' || s?.type === 'hardlink';
const owner = (s: ReportFileSide) => `${s.uid}:${s.gid}`;

function list(items: readonly string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `s` cut to show where it starts to differ from `other` (two long RUN lines that differ at the end). */
function around(s: string, other: string, max = 70): string {
  let p = 0;
  while (p < s.length && s[p] === other[p]) p++;
  if (s.length <= max || p < max - 20) return s;
  const start = Math.max(0, p - 25);
  return `…${s.slice(start, start + max - 2)}`;
}

function upperFirst(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

/**
 * What to call each side in a sentence: the tags when both images are tags
 * of one repository (laptop, ci), else their names; A and B when the names
 * are the same (and "the baseline" and "the new build" for a snapshot).
 */
export function sideNames(r: Pick<DiffReport, 'a' | 'b'>): Record<Side, string> {
  const a = r.a.name;
  const b = r.b.name;
  if (a === b) return r.a.source === 'snapshot' ? { a: 'the baseline', b: 'the new build' } : { a: 'A', b: 'B' };
  const split = (n: string): [string, string] => {
    const i = n.lastIndexOf(':');
    return i > 0 && i > n.lastIndexOf('/') ? [n.slice(0, i), n.slice(i + 1)] : [n, ''];
  };
  const [ra, ta] = split(a);
  const [rb, tb] = split(b);
  return ra === rb && ta && tb && ta !== tb ? { a: ta, b: tb } : { a, b };
}

function fileEvidence(f: ReportFile, side?: Side): FileEvidence {
  const e: FileEvidence = { path: f.path, layerRow: f.layer, layer: {} };
  if (side) e.side = side;
  if (f.a) e.layer!.a = f.a.layer;
  if (f.b) e.layer!.b = f.b.layer;
  return e;
}

/** The side whose copy has CRLF where the other's has LF, for a file that differs only that way (and maybe in mode/owner). */
export function crlfSide(f: ReportFile): Side | undefined {
  if (f.change !== 'modified' || !f.reasons.includes('lineEndings')) return undefined;
  if (isCrlf(f.b?.lineEndings) && !isCrlf(f.a?.lineEndings)) return 'b';
  if (isCrlf(f.a?.lineEndings) && !isCrlf(f.b?.lineEndings)) return 'a';
  return undefined;
}

/** How much a changed file tells about what a step did: a module or program more than a log. */
function notability(f: ReportFile): number {
  const p = f.path;
  const s = f.a ?? f.b!;
  if (NOISE.test(p)) return 0;
  if (s.type === 'dir') return 1;
  if (/\.so(\.\d+)*$/.test(p)) return 10;
  if (BIN_DIR.test(p)) return 8;
  if (/^\/etc\/.*\/(mods|conf|sites)-enabled\//.test(p)) return 6;
  if (p.startsWith('/etc/')) return 4;
  if (packageDbKind(p)) return 3;
  return 2;
}

function mostNotable(files: readonly ReportFile[]): ReportFile[] {
  return files
    .map((f) => ({ f, n: notability(f) }))
    .sort((x, y) => y.n - x.n || (x.f.path < y.f.path ? -1 : x.f.path > y.f.path ? 1 : 0))
    .map((x) => x.f);
}

/** The words of a shell command line, for "does this command mention that file". */
const words = (cmd: string) => cmd.split(/[\s;&|()'"`<>]+/).filter(Boolean);

/** Whether a RUN's command line names the file at `path` (absolutely, or by its name as `./name` or `name`). */
function mentions(cmd: string, path: string): boolean {
  const name = base(path);
  return words(cmd).some((w) => w === path || (name.length >= 3 && (w === name || w === `./${name}`)) || (!w.startsWith('/') && w.includes('/') && path.endsWith(`/${w.replace(/^\.\//, '')}`)));
}

/** Whether a command line runs the file through an interpreter (`sh x.sh`, `. x.sh`): then its execute bit and #! line do not matter. */
function interprets(cmd: string, path: string): boolean {
  const w = words(cmd);
  return w.some((x, i) => i > 0 && INTERPRETER.test(w[i - 1]) && mentions(x, path));
}

// ---------------------------------------------------------------- the layer rows

interface RowEffect {
  row: ReportLayer;
  /** Merged-filesystem changes placed at this row (or the layers' own differences when none are). */
  files: ReportFile[];
  onlyIn: Record<Side, ReportFile[]>;
  changed: ReportFile[];
  noiseOnly: boolean;
  /** Ecosystems whose package database changes at this row. */
  dbKinds: Set<Ecosystem>;
}

function rowEffect(row: ReportLayer, merged: readonly ReportFile[]): RowEffect {
  const files = merged.length ? [...merged] : [...(row.files ?? [])];
  const onlyIn = { a: files.filter((f) => f.change === 'removed'), b: files.filter((f) => f.change === 'added') };
  const changed = files.filter((f) => f.change === 'modified');
  const dbKinds = new Set<Ecosystem>();
  for (const f of files) {
    const k = packageDbKind(f.path);
    if (k) dbKinds.add(k);
  }
  return { row, files, onlyIn, changed, noiseOnly: files.length > 0 && files.every((f) => NOISE.test(f.path)), dbKinds };
}

/**
 * What a step did differently, seen from side `s`: the title part ("31 files
 * missing, among them /usr/lib/apache2/modules/mod_fcgid.so") and the rest
 * ("8 files changed") for the detail.
 */
function effectText(e: RowEffect, s: Side): { text: string; rest: string; notable: ReportFile[] } {
  const missing = e.onlyIn[OTHER(s)];
  const extra = e.onlyIn[s];
  const parts: Array<[string, ReportFile[]]> = [];
  if (missing.length) parts.push([`${plural(missing.length, 'file')} missing`, missing]);
  if (extra.length) parts.push([`${plural(extra.length, 'file')} more`, extra]);
  if (e.changed.length) parts.push([`${plural(e.changed.length, 'file')} changed`, e.changed]);
  if (!parts.length) return { text: 'the same files, other bytes', rest: '', notable: [] };
  const [[first, pool], ...others] = parts;
  const notable = mostNotable(pool).filter((f) => notability(f) >= 2);
  return { text: `${first}${notable.length ? `, among them ${notable[0].path}` : ''}`, rest: others.map(([t]) => t).join(', '), notable };
}

/** Which side a step "did less" on: the one missing files the other has. */
function lesserSide(e: RowEffect): Side {
  return e.onlyIn.b.length > e.onlyIn.a.length ? 'a' : 'b';
}

function layerSize(l: ReportLayerSide | undefined): string {
  return l ? `${plural(l.fileCount, 'file')}, ${humanSize(l.size)}` : 'none';
}

// ---------------------------------------------------------------- the analysis

class Collector {
  readonly list: Finding[] = [];
  /** Rows a finding explains, so that "N files differ in content" does not repeat them. */
  readonly coveredRows = new Set<number>();
  /** Files a finding explains. */
  readonly coveredFiles = new Set<string>();
  /** Files an entrypoint finding explains: their mode says nothing more. */
  readonly startFiles = new Set<string>();
  /** A short phrase for a cause, for the run findings it explains. */
  readonly causes = new Map<Finding, string>();

  add(f: Finding): Finding {
    this.list.push(f);
    return f;
  }
}

/**
 * The findings of a comparison, ranked (see the table at the top): the
 * static ones from the report and configs, plus those of a run when given.
 */
export function rankFindings(input: FindingInput): Finding[] {
  const { report: r, configs } = input;
  const names = sideNames(r);
  const out = new Collector();
  const mergedByRow = new Map<number, ReportFile[]>();
  for (const f of r.files) {
    const list = mergedByRow.get(f.layer);
    if (list) list.push(f);
    else mergedByRow.set(f.layer, [f]);
  }
  const rows = r.layers;
  const baseChanged = rows.some((l) => l.base && l.status !== 'identical');

  platformFinding(out, r, names);
  entrypointFindings(out, r, configs, names);
  stepFindings(out, r, mergedByRow, names, baseChanged);
  baseFinding(out, r, mergedByRow, baseChanged);
  lineEndingFindings(out, r, names);
  modeFindings(out, r, configs, names);
  simpleFileFindings(out, r, names);
  packageFindings(out, r, names);
  configFindings(out, r, names);
  builderFinding(out, r, configs, names);
  leftoverFindings(out, r, names);
  contentFindings(out, r, names);

  if (input.run) runFindings(out, input.run);
  return sortFindings(out.list);
}

/** Sorted by score, then severity, then side (A first), then the order found. */
export function sortFindings(list: readonly Finding[]): Finding[] {
  return list
    .map((f, i) => ({ f, i }))
    .sort((x, y) => y.f.score - x.f.score || SEVERITY_ORDER[x.f.severity] - SEVERITY_ORDER[y.f.severity] || SIDE_ORDER(x.f.side) - SIDE_ORDER(y.f.side) || x.i - y.i)
    .map((x) => x.f);
}

function platformFinding(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  const c = r.config.find((x) => x.field === 'Platform');
  if (!c) return;
  out.add({
    kind: 'config',
    severity: 'error',
    title: `${upperFirst(names.b)} is built for ${c.b ?? 'an unknown platform'}, ${names.a} for ${c.a ?? 'an unknown platform'}`,
    detail: 'Images for another OS or CPU architecture differ in every binary, so the other differences follow from this one; build or pull both for the same --platform.',
    evidence: { config: ['Platform'] },
    score: SCORES.platform,
  });
}

/** The start command of an image, as the engine runs it: ENTRYPOINT followed by CMD as its arguments. */
function startCommand(config: ImageConfig): string[] {
  const c = config.config ?? {};
  return [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
}

/** The programs a start command executes directly (their #! line and execute bit matter) and the scripts it hands to an interpreter. */
function startTargets(argv: readonly string[]): { direct: string[]; interpreted: string[] } {
  if (!argv.length) return { direct: [], interpreted: [] };
  const [p, ...rest] = argv;
  if (SHELL.test(p) && rest[0] === '-c' && rest[1] !== undefined) {
    const w = words(rest[1]);
    const first = w[0] === 'exec' ? w[1] : w[0];
    return { direct: first ? [first] : [], interpreted: w.filter((_, i) => i > 0 && INTERPRETER.test(w[i - 1])) };
  }
  if (INTERPRETER.test(p)) {
    const script = rest.find((x) => !x.startsWith('-'));
    return { direct: [], interpreted: script ? [script] : [] };
  }
  return { direct: [p], interpreted: [] };
}

/** The paths a command word may name: absolute, relative to WORKDIR, or looked up in PATH. */
function candidatePaths(word: string, config: ImageConfig): string[] {
  if (word.startsWith('/')) return [posix.normalize(word)];
  if (word.includes('/')) return [posix.join(config.config?.WorkingDir || '/', word)];
  const env = (config.config?.Env ?? []).find((e) => e.startsWith('PATH='));
  const dirs = (env ? env.slice(5) : DEFAULT_PATH).split(':').filter((d) => d.startsWith('/'));
  return dirs.map((d) => posix.join(d, word));
}

function entrypointFindings(out: Collector, r: DiffReport, configs: FindingInput['configs'], names: Record<Side, string>): void {
  const byPath = new Map(r.files.map((f) => [f.path, f]));
  for (const side of ['a', 'b'] as const) {
    const config = configs[side];
    const argv = startCommand(config);
    const { direct, interpreted } = startTargets(argv);
    const what = config.config?.Entrypoint?.length ? 'ENTRYPOINT' : 'CMD';
    const check = (word: string, directly: boolean) => {
      for (const path of candidatePaths(word, config)) {
        const f = byPath.get(path);
        if (!f) continue;
        const self = side === 'a' ? f.a : f.b;
        const peer = side === 'a' ? f.b : f.a;
        let title: string | undefined;
        let detail = '';
        if (!self && peer) {
          title = `${word} is missing in ${names[side]}: its ${what} cannot start`;
          detail = `${upperFirst(names[side])}'s start command ${code(argv.join(' '))} names a file only ${names[OTHER(side)]} has, so the container fails with "no such file or directory".`;
        } else if (self && peer && crlfSide(f) === side && directly) {
          title = `${base(path)} has CRLF line endings in ${names[side]}: its ${what} cannot start`;
          detail = `The kernel reads the #! line up to the line feed, so it looks for an interpreter named "/bin/sh\\r", which does not exist, and the container fails with "exec ${path}: no such file or directory"; store the script with LF (\`*.sh text eol=lf\` in .gitattributes).`;
        } else if (self && peer && crlfSide(f) === side) {
          title = `${base(path)}, which the ${what} runs, has CRLF line endings in ${names[side]}`;
          detail = `${code(argv.join(' '))} hands the script to an interpreter that keeps the \\r at the end of every line, so commands fail or get arguments ending in \\r; store it with LF.`;
        } else if (self && peer && directly && isFileType(self) && (modeOf(self) & 0o111) === 0 && (modeOf(peer) & 0o111) !== 0) {
          title = `${base(path)} is not executable in ${names[side]} (${self.mode}): its ${what} cannot start`;
          detail = `The start command runs ${path} directly, and without an execute bit the container fails with "permission denied" (${names[OTHER(side)]} has it ${peer.mode}); set the mode in the Dockerfile (COPY --chmod=0755 or RUN chmod +x).`;
        }
        if (!title) continue;
        out.coveredFiles.add(path);
        out.startFiles.add(path);
        out.add({
          kind: 'entrypoint',
          severity: directly || !self ? 'error' : 'warning',
          side,
          title,
          detail,
          evidence: { files: [fileEvidence(f, side)], config: [what === 'ENTRYPOINT' ? 'Entrypoint' : 'Cmd'] },
          score: directly || !self ? SCORES.entrypoint : SCORES.entrypoint - 8,
        });
        return;
      }
    };
    for (const w of direct) check(w, true);
    for (const w of interpreted) check(w, false);
  }
}

/** RUN rows whose Dockerfile line is the same on both sides but whose layer differs: crlfScript, sameStepDifferentResult. */
function stepFindings(out: Collector, r: DiffReport, mergedByRow: Map<number, ReportFile[]>, names: Record<Side, string>, baseChanged: boolean): void {
  const crlfFiles = r.files.filter((f) => crlfSide(f) !== undefined);
  for (const row of r.layers) {
    if (row.status !== 'different' || !row.a || !row.b || row.base) continue;
    if (!sameInstruction(row.a, row.b)) {
      instructionFinding(out, row, rowEffect(row, mergedByRow.get(row.index) ?? []), names);
      continue;
    }
    if (!/^RUN\b/.test(row.a.instruction)) continue; // COPY/ADD of other bytes: the file findings say what differs
    const e = rowEffect(row, mergedByRow.get(row.index) ?? []);
    const instr = row.a.instruction;
    const scripts = crlfFiles.filter((f) => f.layer < row.index && mentions((crlfSide(f) === 'a' ? row.a : row.b)!.createdBy, f.path));
    out.coveredRows.add(row.index);
    if (scripts.length) {
      const s = crlfSide(scripts[0])!;
      const { text, rest, notable } = effectText(e, s);
      const pkgs = rowPackages(r, e, s, names);
      for (const f of scripts) out.coveredFiles.add(f.path);
      const also = [rest && `the layer also has ${rest}`, pkgs.text].filter(Boolean).join('; ');
      const f = out.add({
        kind: 'crlfScript',
        severity: 'error',
        side: s,
        title: `${base(scripts[0].path)} has CRLF line endings in ${names[s]}; ${code(instr)} then produced a different layer: ${text}`,
        detail:
          `With CRLF every line of the script ends in \\r, which the shell keeps as part of each command's last word, so its commands fail while the step can still exit 0 and the build goes on` +
          `${also ? `; ${also}` : ''}. Store the script with LF (\`*.sh text eol=lf\` in .gitattributes) and start it with \`set -e\`.`,
        evidence: {
          files: [...scripts.map((f) => fileEvidence(f, s)), ...notable.slice(0, MAX_EVIDENCE_FILES - scripts.length).map((f) => fileEvidence(f))],
          layerRows: [row.index],
          ...(pkgs.evidence.length ? { packages: pkgs.evidence } : {}),
        },
        score: SCORES.crlfScript,
      });
      out.causes.set(f, `${base(scripts[0].path)} has CRLF line endings in ${names[s]}, so ${code(instr)} did different work (${text})`);
      continue;
    }
    const s = lesserSide(e);
    if (e.noiseOnly) {
      out.add({
        kind: 'sameStepDifferentResult',
        severity: 'info',
        title: `${code(instr)} gave a different layer, but only in logs and caches`,
        detail: `The same Dockerfile line wrote other bytes only where every build differs (${list(e.files.map((f) => f.path), 3)}): nothing to worry about.`,
        evidence: { layerRows: [row.index], files: e.files.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
        score: SCORES.sameStepNoise,
      });
      continue;
    }
    const { text, rest, notable } = effectText(e, s);
    const pkgs = rowPackages(r, e, s, names);
    const also = [rest && `it also has ${rest}`, pkgs.text].filter(Boolean).join('; ');
    const f = out.add({
      kind: 'sameStepDifferentResult',
      severity: 'warning',
      side: s,
      title: `${code(instr)} did different work in ${names[s]}: ${text}`,
      detail:
        `${baseChanged ? 'The base image differs too, which alone changes what this step does; otherwise, the' : 'The'} same Dockerfile line produced a different layer (${names.a}: ${layerSize(row.a)}; ${names.b}: ${layerSize(row.b)}): ` +
        `what it ran on differed (files copied before it, the network or a package mirror) or a command in it failed without failing the build${also ? `; ${also}` : ''}.`,
      evidence: {
        files: (notable.length ? notable : e.files).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)),
        layerRows: [row.index],
        ...(pkgs.evidence.length ? { packages: pkgs.evidence } : {}),
      },
      score: baseChanged ? SCORES.sameStepAfterBase : SCORES.sameStep,
    });
    out.causes.set(f, `${code(instr)} did different work in ${names[s]} (${text})`);
  }
  for (const row of r.layers) {
    if ((row.status !== 'onlyA' && row.status !== 'onlyB') || row.base) continue;
    const side: Side = row.status === 'onlyA' ? 'a' : 'b';
    const l = (side === 'a' ? row.a : row.b)!;
    out.coveredRows.add(row.index);
    out.add({
      kind: 'layerOnlyOne',
      severity: 'info',
      side,
      title: `${upperFirst(names[side])} has a step ${names[OTHER(side)]} does not: ${code(l.instruction)}`,
      detail: `The Dockerfiles differ: this layer (${layerSize(l)}) exists only in ${names[side]}.`,
      evidence: { layerRows: [row.index], files: (mergedByRow.get(row.index) ?? []).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
      score: SCORES.layerOnlyOne,
    });
  }
}

function instructionFinding(out: Collector, row: ReportLayer, e: RowEffect, names: Record<Side, string>): void {
  out.coveredRows.add(row.index);
  const n = e.files.length;
  out.add({
    kind: 'instruction',
    severity: 'info',
    title: `Step ${String(row.index).padStart(2, '0')} differs in the Dockerfile: ${code(around(row.a!.instruction, row.b!.instruction), 70)} in ${names.a}, ${code(around(row.b!.instruction, row.a!.instruction), 70)} in ${names.b}`,
    detail: `The Dockerfile line itself changed, so its layer differs by intent${n ? ` (${plural(n, 'file')} of the final filesystem ${n === 1 ? 'differs' : 'differ'} there)` : ''}.`,
    evidence: { layerRows: [row.index], files: mostNotable(e.files).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
    score: SCORES.instruction,
  });
}

/** What a row's package database change says, from side `s`: "the dpkg database in ci lacks libapache2-mod-fcgid". */
function rowPackages(r: DiffReport, e: RowEffect, s: Side, names: Record<Side, string>): { text: string; evidence: PackageEvidence[] } {
  const parts: string[] = [];
  const evidence: PackageEvidence[] = [];
  for (const eco of r.packages?.ecosystems ?? []) {
    if (!e.dbKinds.has(eco.kind)) continue;
    const missing = s === 'b' ? eco.removed : eco.added;
    const extra = s === 'b' ? eco.added : eco.removed;
    const bits: string[] = [];
    if (missing.length) bits.push(`lacks ${list(missing.map((c) => c.name))}`);
    if (extra.length) bits.push(`has ${list(extra.map((c) => c.name))} more`);
    if (eco.changed.length) bits.push(`has other versions of ${list(eco.changed.map((c) => c.name))}`);
    if (bits.length) parts.push(`the ${eco.kind} database in ${names[s]} ${bits.join(' and ')}`);
    for (const c of [...missing, ...extra, ...eco.changed]) evidence.push({ ecosystem: eco.kind, name: c.name });
  }
  return { text: parts.join('; '), evidence };
}

function baseFinding(out: Collector, r: DiffReport, mergedByRow: Map<number, ReportFile[]>, baseChanged: boolean): void {
  if (!baseChanged) return;
  const rows = r.layers.filter((l) => l.base && l.status !== 'identical');
  const total = r.layers.filter((l) => l.base).length;
  for (const l of rows) out.coveredRows.add(l.index);
  const files = rows.flatMap((l) => mergedByRow.get(l.index) ?? []);
  out.add({
    kind: 'base',
    severity: 'warning',
    title: `The base image differs: ${rows.length} of its ${plural(total, 'layer')} ${rows.length === 1 ? 'is' : 'are'} not the same`,
    detail:
      `The FROM image resolved to other layers (the tag moved to a newer build, or another base was used)${files.length ? `, with ${plural(files.length, 'file')} of the final filesystem differing there` : ''}, ` +
      'and everything built on it may differ because of it; pin the base by digest (FROM image@sha256:…) to build the same thing twice.',
    evidence: { layerRows: rows.map((l) => l.index), files: mostNotable(files).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
    score: SCORES.base,
  });
}

function lineEndingFindings(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  for (const s of ['a', 'b'] as const) {
    const files = r.files.filter((f) => crlfSide(f) === s && !out.coveredFiles.has(f.path));
    if (!files.length) continue;
    const configs = files.filter((f) => CONFIG_EXT.test(f.path) || f.path.startsWith('/etc/'));
    // An execute bit alone says little on the CRLF side: a Windows build context makes every file 0755.
    const scripts = files.filter((f) => !configs.includes(f) && (SCRIPT_EXT.test(f.path) || BIN_DIR.test(f.path) || ((modeOf(f.a) & 0o111) !== 0 && (modeOf(f.b) & 0o111) !== 0)));
    const why: string[] = [];
    if (scripts.length) why.push(`a script with CRLF fails when run directly (its #! line asks for "/bin/sh\\r": "no such file or directory") and a shell reads every command with a trailing \\r`);
    if (configs.length) why.push(`in configuration files the \\r stays at the end of values (a port "8080\\r", a path "/srv\\r"), which many programs do not strip`);
    if (!why.length) why.push('the text is otherwise the same');
    out.add({
      kind: 'lineEndings',
      severity: 'warning',
      side: s,
      title:
        files.length === 1
          ? `${base(files[0].path)} has CRLF line endings in ${names[s]} (LF in ${names[OTHER(s)]})`
          : `${files.length} text files have CRLF line endings in ${names[s]} (LF in ${names[OTHER(s)]}): ${list(files.map((f) => base(f.path)))}`,
      detail: `${upperFirst(why.join('; '))}. This is what a Windows checkout with core.autocrlf=true gives; \`* text eol=lf\` in .gitattributes keeps them LF.`,
      evidence: { files: files.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f, s)) },
      score: SCORES.lineEndings,
    });
    for (const f of files) out.coveredFiles.add(f.path);
  }
}

function modeFindings(out: Collector, r: DiffReport, configs: FindingInput['configs'], names: Record<Side, string>): void {
  const files = r.files.filter((f) => f.change === 'modified' && f.reasons.includes('mode') && f.a && f.b && !out.startFiles.has(f.path));
  if (!files.length) return;
  const runCmds = r.layers.flatMap((l) => [l.a, l.b]).filter((l): l is ReportLayerSide => !!l && /^RUN\b/.test(l.instruction)).map((l) => l.createdBy);
  const interpretedTargets = (['a', 'b'] as const).flatMap((s) => startTargets(startCommand(configs[s])).interpreted.flatMap((w) => candidatePaths(w, configs[s])));
  /** Run only through an interpreter (`sh x.sh`) somewhere we can see: its execute bit does not matter there. */
  const interpretedOnly = (p: string) => interpretedTargets.includes(p) || runCmds.some((c) => interprets(c, p));
  const execLost: Array<{ f: ReportFile; side: Side }> = [];
  const setuid: Array<{ f: ReportFile; side: Side }> = [];
  const worldWritable: Array<{ f: ReportFile; side: Side }> = [];
  const other: ReportFile[] = [];
  for (const f of files) {
    const ma = modeOf(f.a);
    const mb = modeOf(f.b);
    const lacking: Side | undefined = (ma & 0o111) && !(mb & 0o111) ? 'b' : (mb & 0o111) && !(ma & 0o111) ? 'a' : undefined;
    const gained = (bits: number): Side | undefined => ((mb & bits) && !(ma & bits) ? 'b' : (ma & bits) && !(mb & bits) ? 'a' : undefined);
    const su = gained(0o6000);
    const ww = f.a!.type !== 'symlink' ? gained(0o002) : undefined;
    if (su) setuid.push({ f, side: su });
    else if (ww) worldWritable.push({ f, side: ww });
    else if (lacking && isFileType(f[lacking]) && (SCRIPT_EXT.test(f.path) || BIN_DIR.test(f.path)) && !interpretedOnly(f.path)) execLost.push({ f, side: lacking });
    else other.push(f);
  }
  const groups: Array<[typeof execLost, string, string, number]> = [
    [execLost, 'is not executable', 'Running it directly fails with "permission denied"; set the mode in the Dockerfile (COPY --chmod=0755 or RUN chmod +x) rather than relying on the checkout', SCORES.execLost],
    [setuid, 'is setuid/setgid', "A setuid or setgid program runs with its owner's privileges, whoever starts it: a privilege change worth a review", SCORES.setuid],
    [worldWritable, 'is world-writable', 'Any user in the container can change it (a script, a config, a directory others trust); typical of a build context from Windows or a permissive umask', SCORES.worldWritable],
  ];
  for (const [items, what, why, score] of groups) {
    for (const s of ['a', 'b'] as const) {
      const mine = items.filter((x) => x.side === s);
      if (!mine.length) continue;
      const f0 = mine[0].f;
      out.add({
        kind: 'mode',
        severity: 'warning',
        side: s,
        title:
          mine.length === 1
            ? `${base(f0.path)} ${what} in ${names[s]} (${f0.a!.mode} in ${names.a}, ${f0.b!.mode} in ${names.b})`
            : `${mine.length} files ${what.replace(/^is /, 'are ')} in ${names[s]}: ${list(mine.map((x) => base(x.f.path)))}`,
        detail: `${why}.`,
        evidence: { files: mine.slice(0, MAX_EVIDENCE_FILES).map((x) => fileEvidence(x.f)) },
        score,
      });
    }
  }
  if (other.length) {
    const f0 = other[0];
    const uniform = other.every((f) => f.a!.mode === f0.a!.mode && f.b!.mode === f0.b!.mode);
    const windowsLike = other.every((f) => /^0?7[57]7$|^0?755$/.test(f.a!.mode) !== /^0?7[57]7$|^0?755$/.test(f.b!.mode));
    const notes: string[] = [];
    const directRisk = other.filter((f) => (modeOf(f.a) & 0o111) !== (modeOf(f.b) & 0o111) && isFileType(f.a));
    const soft = directRisk.filter((f) => interpretedOnly(f.path));
    if (windowsLike) notes.push('0755 on one side and 0644 on the other is what a build context sent from Windows (every file 0755) gives against a git checkout (0644)');
    if (directRisk.length > soft.length) notes.push('running a file directly needs the execute bit ("permission denied" without it)');
    if (soft.length) notes.push(`the build runs ${list(soft.map((f) => base(f.path)), 3)} through an interpreter (sh …), which does not need it`);
    out.add({
      kind: 'mode',
      severity: 'info',
      title:
        other.length === 1
          ? `${base(f0.path)} is ${f0.a!.mode} in ${names.a}, ${f0.b!.mode} in ${names.b}`
          : uniform
            ? `${other.length} files are ${f0.a!.mode} in ${names.a}, ${f0.b!.mode} in ${names.b}: ${list(other.map((f) => base(f.path)))}`
            : `${other.length} files differ in mode: ${list(other.map((f) => base(f.path)))}`,
      detail: `${upperFirst(notes.length ? notes.join('; ') : 'only the permission bits differ')}.`,
      evidence: { files: other.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
      score: SCORES.modeOther,
    });
  }
}

function simpleFileFindings(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  const owners = r.files.filter((f) => f.change === 'modified' && f.reasons.includes('owner') && !f.reasons.includes('type'));
  if (owners.length) {
    const f0 = owners[0];
    out.add({
      kind: 'owner',
      severity: 'warning',
      title:
        owners.length === 1
          ? `${f0.path} is owned by ${owner(f0.b!)} in ${names.b} (${owner(f0.a!)} in ${names.a})`
          : `${owners.length} files have another owner in ${names.b}: ${list(owners.map((f) => `${base(f.path)} ${owner(f.a!)} → ${owner(f.b!)}`))}`,
      detail: `A process running as another user may no longer read or write ${owners.length === 1 ? 'it' : 'them'}, or may now write what it should not; this comes from COPY --chown, a USER change before the step, or files made by another build user.`,
      evidence: { files: owners.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
      score: SCORES.owner,
    });
  }
  for (const f of r.files.filter((x) => x.change === 'modified' && x.reasons.includes('symlink')).slice(0, 10)) {
    out.add({
      kind: 'symlink',
      severity: 'warning',
      title: `${f.path} points to ${f.b!.linkTarget} in ${names.b} (${f.a!.linkTarget} in ${names.a})`,
      detail: 'Whatever follows the link (a current release, a version, a config) reads other files.',
      evidence: { files: [fileEvidence(f)] },
      score: SCORES.symlink,
    });
  }
  for (const f of r.files.filter((x) => x.change === 'modified' && x.reasons.includes('type')).slice(0, 10)) {
    out.add({
      kind: 'type',
      severity: 'warning',
      title: `${f.path} is a ${f.a!.type} in ${names.a}, a ${f.b!.type} in ${names.b}`,
      detail: 'Programs that expect one kind of entry fail on the other (a directory where a file was, a link where a directory was).',
      evidence: { files: [fileEvidence(f)] },
      score: SCORES.type,
    });
  }
}

function packageFindings(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  for (const eco of r.packages?.ecosystems ?? []) {
    const ev = (cs: readonly PackageChange[]): FindingEvidence => ({ packages: cs.map((c) => ({ ecosystem: eco.kind, name: c.name })) });
    const secLabel = (c: PackageChange) => (c.security ? SECURITY_LABEL[c.security] : 'security');
    const security = [...eco.changed.filter((c) => c.direction !== 'same'), ...eco.removed, ...eco.added].filter((c) => c.securityRelevant);
    const one = security.slice(0, MAX_SECURITY_PACKAGES);
    for (const c of one) {
      if (c.change === 'changed') {
        const down = c.direction === 'downgrade';
        out.add({
          kind: 'package',
          severity: down ? 'warning' : 'info',
          title: `${c.name} ${down ? 'downgraded' : 'upgraded'} in ${names.b}: ${c.a} → ${c.b} (${eco.kind}; ${secLabel(c)})`,
          detail: down
            ? `A package that matters for security went back to an older version, so fixes of the newer one are gone: check where ${names.b} gets it from (a stale mirror, a pinned version, a cached layer).`
            : 'A package that matters for security moved to a newer version, usually because the base image or the package mirror moved: expected drift, but it can change behaviour (protocol defaults, certificates).',
          evidence: ev([c]),
          score: down ? SCORES.securityDowngrade : SCORES.securityChange,
        });
      } else {
        const side: Side = c.change === 'removed' ? 'a' : 'b';
        out.add({
          kind: 'package',
          severity: c.change === 'removed' ? 'warning' : 'info',
          side,
          title: `${c.name} ${side === 'a' ? c.a : c.b} is installed only in ${names[side]} (${eco.kind}; ${secLabel(c)})`,
          detail: `A package that matters for security is ${side === 'a' ? `gone from ${names.b}` : `new in ${names.b}`}: ${side === 'a' ? 'whatever needed it (TLS, certificates, logins) may fail' : 'more code that needs updates, or a dependency that came along unasked'}.`,
          evidence: ev([c]),
          score: c.change === 'removed' ? SCORES.securityChange : SCORES.securityAdded,
        });
      }
    }
    const rest = (cs: readonly PackageChange[]) => cs.filter((c) => !one.includes(c));
    const downs = rest(eco.changed.filter((c) => c.direction === 'downgrade'));
    const ups = rest(eco.changed.filter((c) => c.direction === 'upgrade'));
    const removed = rest(eco.removed);
    const added = rest(eco.added);
    const versions = (cs: readonly PackageChange[]) => list(cs.map((c) => `${c.name} ${c.a} → ${c.b}`));
    const names_ = (cs: readonly PackageChange[], side: Side) => list(cs.map((c) => `${c.name} ${side === 'a' ? c.a : c.b}`));
    if (downs.length) {
      out.add({
        kind: 'package',
        severity: 'warning',
        title: `${plural(downs.length, 'package')} downgraded in ${names.b} (${eco.kind}): ${versions(downs)}`,
        detail: `Older versions than ${names.a}'s: a stale mirror, a pin, or a cached layer from an older build.`,
        evidence: ev(downs),
        score: SCORES.downgrade,
      });
    }
    if (removed.length) {
      out.add({
        kind: 'package',
        severity: 'info',
        side: 'a',
        title: `${plural(removed.length, 'package')} installed only in ${names.a} (${eco.kind}): ${names_(removed, 'a')}`,
        detail: `What ${removed.length === 1 ? 'it provides' : 'they provide'} is missing in ${names.b}: an install step that failed quietly, or a changed dependency list.`,
        evidence: ev(removed),
        score: SCORES.packages,
      });
    }
    if (added.length) {
      out.add({
        kind: 'package',
        severity: 'info',
        side: 'b',
        title: `${plural(added.length, 'package')} installed only in ${names.b} (${eco.kind}): ${names_(added, 'b')}`,
        detail: 'New dependencies, asked for or pulled in by others.',
        evidence: ev(added),
        score: SCORES.packages,
      });
    }
    if (ups.length) {
      out.add({
        kind: 'package',
        severity: 'info',
        title: `${plural(ups.length, 'package')} upgraded in ${names.b} (${eco.kind}): ${versions(ups)}`,
        detail: 'Newer versions, usually because the base image or the package mirror moved between the builds; pin versions or the base digest for repeatable builds.',
        evidence: ev(ups),
        score: SCORES.packages,
      });
    }
  }
}

function configFindings(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  const show = (v: unknown) => (v === null || v === undefined ? '(none)' : cut(typeof v === 'string' ? v : JSON.stringify(v), 80));
  const fields = r.config.filter((c) => c.field !== 'Platform' && !c.field.startsWith('History['));
  const start = fields.filter((c) => c.field === 'Entrypoint' || c.field === 'Cmd');
  if (start.length) {
    out.add({
      kind: 'config',
      severity: 'warning',
      title: `The start command differs: ${start.map((c) => `${c.field === 'Cmd' ? 'CMD' : 'ENTRYPOINT'} ${code(show(c.a), 60)} → ${code(show(c.b), 60)}`).join(', ')}`,
      detail: `${upperFirst(names.b)} starts another program or passes other arguments, so it behaves differently even with the same files.`,
      evidence: { config: start.map((c) => c.field) },
      score: SCORES.configStart,
    });
  }
  const user = fields.find((c) => c.field === 'User');
  if (user) {
    out.add({
      kind: 'config',
      severity: 'warning',
      title: `${upperFirst(names.b)} runs as ${show(user.b ?? 'root')} (${names.a}: ${show(user.a ?? 'root')})`,
      detail: 'Another user changes what the process may read and write (files owned by root, ports below 1024) and what an attacker gets if it is compromised.',
      evidence: { config: ['User'] },
      score: SCORES.configStart,
    });
  }
  const WHY: Record<string, string> = {
    WorkingDir: 'relative paths in the start command and the application resolve elsewhere',
    ExposedPorts: 'what the image says it listens on changed (run -P, orchestrators and health checks use it)',
    Volumes: 'data written there lives outside the container, and files the image puts there are hidden by the volume',
    StopSignal: 'the container is asked to stop another way',
    Healthcheck: 'the engine judges the container healthy by another test',
  };
  for (const c of fields) {
    if (!WHY[c.field]) continue;
    out.add({
      kind: 'config',
      severity: 'info',
      title: `${c.field}: ${show(c.a)} in ${names.a}, ${show(c.b)} in ${names.b}`,
      detail: `${upperFirst(WHY[c.field])}.`,
      evidence: { config: [c.field] },
      score: SCORES.config,
    });
  }
  const env = fields.filter((c) => c.field.startsWith('Env.'));
  if (env.length) {
    const key = (c: { field: string }) => c.field.slice(4);
    const added = env.filter((c) => c.a === null).map(key);
    const removed = env.filter((c) => c.b === null).map(key);
    const changed = env.filter((c) => c.a !== null && c.b !== null).map(key);
    const parts = [changed.length && `changed ${list(changed)}`, added.length && `only in ${names.b}: ${list(added)}`, removed.length && `only in ${names.a}: ${list(removed)}`].filter(Boolean);
    out.add({
      kind: 'config',
      severity: 'info',
      // Names only: environment values may be credentials (the JSON's config section has them for those who need them).
      title: `${plural(env.length, 'environment variable')} ${env.length === 1 ? 'differs' : 'differ'}: ${parts.join('; ')}`,
      detail: 'The program starts with other settings (modes, hosts, feature flags), which can change its behaviour with the same files.',
      evidence: { config: env.map((c) => c.field) },
      score: SCORES.config,
    });
  }
  const labels = fields.filter((c) => c.field.startsWith('Labels.'));
  if (labels.length) {
    out.add({
      kind: 'config',
      severity: 'info',
      title: `${plural(labels.length, 'label')} ${labels.length === 1 ? 'differs' : 'differ'}: ${list(labels.map((c) => c.field.slice(7)))}`,
      detail: 'Metadata only (versions, build info, ownership): it does not change what runs.',
      evidence: { config: labels.map((c) => c.field) },
      score: SCORES.labels,
    });
  }
}

function builderFinding(out: Collector, r: DiffReport, configs: FindingInput['configs'], names: Record<Side, string>): void {
  const used = (s: Side): string[] => {
    const steps = historySteps(configs[s], r[s].layers);
    const own = baseLayerCount(steps, r[s].layers);
    return [...new Set(steps.filter((h) => h.layerIndex === undefined || h.layerIndex >= own).map((h) => h.builder).filter((b) => b !== 'unknown'))].sort();
  };
  const ua = used('a');
  const ub = used('b');
  if (!ua.length || !ub.length || ua.join() === ub.join()) return;
  const label = (bs: string[]) => bs.map((b) => (b === 'buildkit' ? 'BuildKit' : 'the classic builder')).join(' and ');
  out.add({
    kind: 'builder',
    severity: 'info',
    title: `${upperFirst(names.a)} was built with ${label(ua)}, ${names.b} with ${label(ub)}`,
    detail: 'The two builders can turn the same Dockerfile into different layers (how COPY sets modes and owners, how RUN is invoked, which cached layers are reused), and they record history differently.',
    evidence: { layerRows: r.layers.filter((l) => !l.base && l.status !== 'identical').map((l) => l.index) },
    score: SCORES.builder,
  });
}

function secretWeight(l: Leftover): number {
  const strong = l.kind === 'privateKey' || l.kind === 'cloudCredentials' || l.secretKinds?.some((k) => k === 'privateKey' || k === 'awsSecretKey' || k === 'awsAccessKey');
  return (strong ? 1 : 0) + (l.deletedInLayer !== undefined || l.replacedInLayer !== undefined ? 1 : 0);
}

function secretWhat(l: Leftover): string {
  const kinds = l.secretKinds?.length ? l.secretKinds : ['privateKey' as SecretKind];
  return list(kinds.map((k) => SECRET_LABEL[k]), 3).replace(/, ([^,]+)$/, ' and $1');
}

function where(l: Leftover): string {
  if (l.deletedInLayer !== undefined) return `It is in layer ${l.layer}'s tar; layer ${l.deletedInLayer} deletes it, but its bytes still ship with the image (docker save, a registry pull)`;
  if (l.replacedInLayer !== undefined) return `It is in layer ${l.layer}'s tar; layer ${l.replacedInLayer} writes the path again, but this version still ships with the image`;
  return `It is in layer ${l.layer}`;
}

function leftoverFindings(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  if (!r.leftovers) return;
  const { a, b } = r.leftovers;
  const key = (l: Leftover) => `${l.kind}\0${l.path}`;
  const secretsA = new Map(a.filter(isSecret).map((l) => [key(l), l]));
  const secretsB = new Map(b.filter(isSecret).map((l) => [key(l), l]));
  const ev = (side: Side, ls: readonly Leftover[]): FindingEvidence => ({ leftovers: ls.map((l) => ({ side, path: l.path, layer: l.layer })) });
  const secretFinding = (side: Side, l: Leftover, status: 'new' | 'kept' | 'gone') => {
    const what = secretWhat(l);
    const title =
      status === 'new'
        ? `${upperFirst(names.b)} ships ${what} that ${names.a} does not: ${l.path}`
        : status === 'kept'
          ? `Both images ship ${what}: ${l.path}`
          : `${upperFirst(names.a)} ships ${what} that ${names.b} no longer does: ${l.path}`;
    const advice = status === 'gone' ? 'fixed in the other image, but whoever can pull this one can read it: rotate it' : 'remove it from the build (a secret mount, a multi-stage build) and rotate it: whoever pulled the image can read it';
    out.add({
      kind: 'secret',
      severity: l.thirdParty ? 'info' : status === 'gone' ? 'warning' : 'error',
      side,
      title: l.thirdParty ? `${title} (probably a library's test fixture)` : title,
      detail: `${where(l)}. ${l.reason.replace(/\.$/, '')}; ${advice} (the value is not shown).`,
      evidence: ev(side, [l]),
      // Within a band: a key or cloud credential before a password, and one hidden by a later layer first of all.
      score: (l.thirdParty ? SCORES.thirdParty : status === 'new' ? SCORES.secretNew : status === 'kept' ? SCORES.secretKept : SCORES.secretGone) + secretWeight(l),
    });
  };
  let n = 0;
  for (const [k, l] of secretsB) if (n++ < MAX_SECRETS) secretFinding('b', l, secretsA.has(k) ? 'kept' : 'new');
  n = 0;
  for (const [k, l] of secretsA) if (!secretsB.has(k) && n++ < MAX_SECRETS) secretFinding('a', l, 'gone');
  const more = [...secretsB.values()].slice(MAX_SECRETS);
  if (more.length) {
    out.add({ kind: 'secret', severity: 'error', side: 'b', title: `${plural(more.length, 'more secret')} in ${names.b}: ${list(more.map((l) => l.path))}`, detail: 'Files with credentials, beyond those listed above (the values are not shown).', evidence: ev('b', more), score: SCORES.secretKept });
  }

  const plain = (ls: readonly Leftover[]) => ls.filter((l) => !isSecret(l) && !l.thirdParty);
  const keysA = new Set(a.map(key));
  const keysB = new Set(b.map(key));
  const groups: Array<[Side, Leftover[], string, string, number, FindingSeverity]> = [
    ['b', plain(b).filter((l) => !keysA.has(key(l))), `${upperFirst(names.b)} ships`, `that ${names.a} does not`, SCORES.leftoverNew, 'warning'],
    ['b', plain(b).filter((l) => keysA.has(key(l))), 'Both images ship', '', SCORES.leftoverKnown, 'info'],
    ['a', plain(a).filter((l) => !keysB.has(key(l))), `${upperFirst(names.a)} ships`, `that ${names.b} no longer does`, SCORES.leftoverKnown, 'info'],
  ];
  for (const [side, ls, lead, tail, score, severity] of groups) {
    if (!ls.length) continue;
    out.add({
      kind: 'leftover',
      severity,
      side,
      title: `${lead} ${plural(ls.length, 'file')} that should not ship${tail ? ` ${tail}` : ''}: ${list(ls.map((l) => `${l.path} (${LEFTOVER_LABEL[l.kind]})`), 3)}`,
      detail: `${ls[0].reason}${ls[0].deletedInLayer !== undefined ? ` A later layer deletes ${ls[0].path}, but its bytes still ship.` : ''}`,
      evidence: ev(side, ls),
      score,
    });
  }
}

/** Content and one-sided files that no finding above explains (rows covered by a step, base or instruction finding are). */
function contentFindings(out: Collector, r: DiffReport, names: Record<Side, string>): void {
  const left = r.files.filter((f) => !out.coveredRows.has(f.layer) && !out.coveredFiles.has(f.path) && !(r.packages && packageDbKind(f.path)));
  const content = left.filter((f) => f.change === 'modified' && f.reasons.includes('content'));
  if (content.length) {
    const top = mostNotable(content);
    const noise = content.every((f) => NOISE.test(f.path));
    out.add({
      kind: 'content',
      severity: 'info',
      title: `${plural(content.length, 'file')} differ${content.length === 1 ? 's' : ''} in content: ${list(top.map((f) => f.path), 3)}`,
      detail: noise ? 'Only logs and caches, which every build writes anew.' : `The bytes differ (not only line endings): the sources copied in, or what a step generated, changed between the builds.`,
      evidence: { files: top.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
      score: noise ? SCORES.noise : SCORES.content,
    });
  }
  for (const [change, side] of [['removed', 'a'], ['added', 'b']] as const) {
    const fs = left.filter((f) => f.change === change);
    if (!fs.length) continue;
    const top = mostNotable(fs);
    out.add({
      kind: 'files',
      severity: 'info',
      side,
      title: `${plural(fs.length, 'file')} only in ${names[side]}: ${list(top.map((f) => f.path), 3)}`,
      detail: `Present in ${names[side]} only: the build context or a generated output differs, or a step of ${names[OTHER(side)]} deleted ${fs.length === 1 ? 'it' : 'them'}.`,
      evidence: { files: top.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f, side)) },
      score: SCORES.content,
    });
  }
}

// ---------------------------------------------------------------- run findings

function runFindings(out: Collector, run: RunReport): void {
  const statics = [...out.list];
  const entry = (s: Side | undefined) => statics.find((f) => f.kind === 'entrypoint' && f.side === s && f.severity === 'error');
  const cause = (s: Side | undefined) => statics.find((f) => (f.kind === 'crlfScript' || (f.kind === 'sameStepDifferentResult' && f.severity === 'warning')) && f.side === s);
  for (const rf of run.findings) {
    const f: Finding = { ...rf, evidence: { ...rf.evidence }, score: RUN_SCORES[rf.kind] - (rf.severity === 'info' && !RUN_DETAIL_KINDS.has(rf.kind) ? 30 : 0) };
    let because: Finding | undefined;
    if (rf.kind === 'startFailed' || rf.kind === 'exited') because = entry(rf.side);
    else if (rf.kind === 'servedAsSource' || rf.kind === 'httpStatus') because = cause(rf.side);
    // "fcgid_module is loaded only in A": B is the one missing it.
    else if (rf.kind === 'moduleOnlyOne' && rf.side) because = cause(OTHER(rf.side));
    if (because) {
      f.detail = `${f.detail} The likely cause: ${lowerFirst(out.causes.get(because) ?? because.title)}.`;
      if (because.evidence.files) f.evidence.files = because.evidence.files.slice(0, 5);
      if (because.evidence.layerRows) f.evidence.layerRows = because.evidence.layerRows;
    }
    out.add(f);
  }
}
