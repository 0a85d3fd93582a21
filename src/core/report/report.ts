import type { ChangeKind, FileChange, FileSide, Reason } from '../diff/fileDiff';
import type { Comparison } from '../diff/compare';
import type { ConfigChange } from '../diff/configDiff';
import { differs, type EmptyStep, type LayerPair, type LayerStatus } from '../diff/align';
import { REASONS } from '../diff/fileDiff';
import { CompareError } from '../util/errors';
import type { Finding } from '../findings/finding';
import { newLeftovers, type LeftoverComparison } from '../findings/leftovers';
import { imageSize, type ImageModel, type LayerInfo } from '../image/model';
import type { PackageComparison } from '../packages/packages';
import { octal } from '../util/text';
import { humanSize, parseSize } from '../util/units';
import { runSync, STEP, type Steps } from '../util/turns';

/**
 * The JSON document of `container-compare diff --json` and of the extension's
 * exported report. Documented in README. `findings`, `packages` and
 * `leftovers` are there once the comparison was analysed (analysis.ts): they
 * were added without changing what any other field means, so the schema
 * stays at version 1.
 */
export interface DiffReport {
  schemaVersion: 1;
  a: ImageSummary;
  b: ImageSummary;
  /** Ranked: the probable causes first (findings.ts). */
  findings?: Finding[];
  summary: Summary;
  layers: ReportLayer[];
  files: ReportFile[];
  config: ConfigChange[];
  packages?: ReportPackages;
  leftovers?: ReportLeftovers;
  ignored: string[];
}

export type ReportPackages = PackageComparison;
export type ReportLeftovers = LeftoverComparison;

/**
 * An image as the report names it: the model's identity, its platform, layer
 * count and size (imageSize: the engine's Size for a local image, what
 * `docker images` shows; the sum of the uncompressed layers otherwise).
 */
export interface ImageSummary extends Pick<ImageModel, 'ref' | 'name' | 'id' | 'source'> {
  platform: string;
  layers: number;
  size: number;
}

export interface Summary {
  layers: Record<LayerStatus, number>;
  files: Record<ChangeKind, number>;
  reasons: Record<Reason, number>;
  config: number;
}

/** A layer as the JSON documents (report, snapshot) show it: what identifies it and the step that made it. */
export type ReportLayerSide = Pick<LayerInfo, 'index' | 'diffId' | 'digest' | 'size' | 'fileCount' | 'createdBy' | 'instruction' | 'builder'>;

export interface ReportLayer {
  index: number;
  status: LayerStatus;
  /** A layer of the base image (the FROM) on either side, as far as the history tells (history.ts baseLayerCount). */
  base?: true;
  /** A one-sided row whose other side ran the same step and wrote nothing (an empty layer in its history). */
  emptyStep?: EmptyStep;
  a?: ReportLayerSide;
  b?: ReportLayerSide;
  files?: ReportFile[];
}

/** A file side as the JSON shows it: the mode in octal ("0755"). */
export interface ReportFileSide extends Omit<FileSide, 'mode'> {
  mode: string;
}

/** A changed file as the JSON shows it. */
export interface ReportFile extends Omit<FileChange, 'a' | 'b'> {
  a?: ReportFileSide;
  b?: ReportFileSide;
}


function imageSummary(m: ImageModel): ImageSummary {
  const platform = [m.config.os, m.config.architecture, m.config.variant].filter(Boolean).join('/');
  return { ref: m.ref, name: m.name, id: m.id, source: m.source, platform, layers: m.layers.length, size: imageSize(m) };
}

/** The one mapping of a layer to the JSON documents (the snapshot adds the history comment). */
export function layerJson(l: LayerInfo): ReportLayerSide {
  const s: ReportLayerSide = { index: l.index, diffId: l.diffId, size: l.size, fileCount: l.fileCount, createdBy: l.createdBy, instruction: l.instruction, builder: l.builder };
  if (l.digest) s.digest = l.digest;
  return s;
}

function fileSide(s: FileSide): ReportFileSide {
  const out: ReportFileSide = { type: s.type, mode: octal(s.mode), uid: s.uid, gid: s.gid, size: s.size, layer: s.layer };
  if (s.sha256) out.sha256 = s.sha256;
  if (s.lineEndings) out.lineEndings = s.lineEndings;
  if (s.linkTarget !== undefined) out.linkTarget = s.linkTarget;
  return out;
}

function reportFile(f: FileChange): ReportFile {
  return { path: f.path, change: f.change, reasons: f.reasons, layer: f.layer, ...(f.a ? { a: fileSide(f.a) } : {}), ...(f.b ? { b: fileSide(f.b) } : {}) };
}

function reportLayer(p: LayerPair): ReportLayer {
  const r: ReportLayer = { index: p.index, status: p.status };
  if (p.base) r.base = true;
  if (p.emptyStep) r.emptyStep = p.emptyStep;
  if (p.a) r.a = layerJson(p.a);
  if (p.b) r.b = layerJson(p.b);
  if (p.status !== 'identical') r.files = p.files.map(reportFile);
  return r;
}

export function toReport(c: Comparison): DiffReport {
  return runSync(toReportSteps(c));
}

/** toReport a step at a time (util/turns.ts): a pair of huge images has a million file changes to convert. */
export function* toReportSteps(c: Comparison): Steps<DiffReport> {
  const layers: Record<LayerStatus, number> = { identical: 0, sameContent: 0, different: 0, onlyA: 0, onlyB: 0 };
  for (const l of c.layers) layers[l.status]++;
  const files = { added: 0, removed: 0, modified: 0 } as Record<ChangeKind, number>;
  const reasons = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
  for (const f of c.files) {
    files[f.change]++;
    for (const r of f.reasons) reasons[r]++;
  }
  return {
    schemaVersion: 1,
    a: imageSummary(c.a),
    b: imageSummary(c.b),
    summary: { layers, files, reasons, config: c.config.length },
    layers: yield* mapSteps(c.layers, reportLayer),
    files: yield* mapSteps(c.files, reportFile),
    config: c.config,
    ignored: c.ignored,
  };
}

function* mapSteps<T, U>(items: readonly T[], f: (x: T) => U): Steps<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i % STEP === STEP - 1) yield;
    out.push(f(items[i]));
  }
  return out;
}

/**
 * What `--fail-on` may name: broad kinds, a change or reason of a file, and
 * (counted only when named, so `any` keeps its meaning) packages, base-image
 * layers, secrets and leftovers new in B, and layers that differ only in
 * timestamps (`timestamps`: the same files rebuilt later are no difference
 * unless asked for).
 */
export const GATE_KINDS = ['any', 'layers', 'files', 'config', 'added', 'removed', 'modified', ...REASONS, 'packages', 'base', 'secrets', 'leftovers', 'timestamps'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/** `--max-size-change`: bytes ("10M") or a percentage of A's size ("5%"). */
export interface SizeLimit {
  bytes?: number;
  percent?: number;
  /** As written, for messages. */
  text: string;
}

export interface GateOptions {
  maxSizeChange?: SizeLimit;
  /** False: only the size is gated (--max-size-change alone); the counts are still reported. */
  countChanges?: boolean;
}

export interface GateResult {
  fail: boolean;
  /** How many differences the gate counted. */
  counted: number;
  explanation: string;
  /** With a size limit: the uncompressed sizes of A and B, B − A, and that as a percentage of A. */
  size?: { a: number; b: number; change: number; percent: number; limit: string; fail: boolean };
}

export function parseGateKinds(spec: string): GateKind[] {
  const kinds = spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(GATE_KINDS as readonly string[]).includes(k)) {
      throw new CompareError('badArgument', `--fail-on: unknown kind "${k}" (expected a comma-separated list of ${GATE_KINDS.join(', ')})`);
    }
  }
  return kinds as GateKind[];
}

export function parseSizeLimit(s: string, flag = '--max-size-change'): SizeLimit {
  const t = s.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) return { percent: Number(pct[1]), text: `${pct[1]}%` };
  try {
    return { bytes: parseSize(t, flag), text: t };
  } catch {
    throw new CompareError('badArgument', `${flag} expects a size like 10M or a percentage like 5%, got "${s}"`);
  }
}

/**
 * The CI gate: counts the differences of the chosen kinds (all by default)
 * and fails when there are more than `maxChanges` (0 by default), or when
 * the image size moved by more than `maxSizeChange` either way.
 */
export function evaluateGate(r: DiffReport, failOn: readonly GateKind[] = ['any'], maxChanges = 0, opts: GateOptions = {}): GateResult {
  const all = failOn.includes('any');
  const has = (k: GateKind) => all || failOn.includes(k);
  const named = (k: GateKind) => failOn.includes(k);
  let counted = 0;
  if (has('layers')) counted += r.layers.filter((l) => differs(l.status)).length;
  if (has('config')) counted += r.config.length;
  for (const f of r.files) {
    if (has('files') || has(f.change) || f.reasons.some((x) => has(x))) counted++;
  }
  if (named('packages') && r.packages) for (const e of r.packages.ecosystems) counted += e.added.length + e.removed.length + e.changed.length;
  if (named('base') && !has('layers')) counted += r.layers.filter((l) => l.base && differs(l.status)).length;
  if (named('timestamps')) counted += r.layers.filter((l) => l.status === 'sameContent').length;
  if (named('secrets') && r.leftovers) counted += newLeftovers(r.leftovers.a, r.leftovers.b, { secretsOnly: true }).length;
  if (named('leftovers') && r.leftovers) counted += newLeftovers(r.leftovers.a, r.leftovers.b).length;
  const countChanges = opts.countChanges !== false;
  const countFail = countChanges && counted > maxChanges;
  const what = (n: number) => `${n === 1 ? 'difference' : 'differences'}${all ? '' : ` of kind ${failOn.join(', ')}`}`;
  const parts: string[] = [];
  if (countChanges) {
    parts.push(countFail ? `${counted} ${what(counted)} (more than ${maxChanges} allowed)` : counted === 0 ? `no ${what(0)}` : `${counted} ${what(counted)}, within the ${maxChanges} allowed`);
  }
  const result: GateResult = { fail: countFail, counted, explanation: '' };
  if (opts.maxSizeChange) {
    const change = r.b.size - r.a.size;
    const percent = r.a.size ? (change / r.a.size) * 100 : change ? Infinity : 0;
    const limit = opts.maxSizeChange;
    const fail = (limit.bytes !== undefined && Math.abs(change) > limit.bytes) || (limit.percent !== undefined && Math.abs(percent) > limit.percent);
    result.size = { a: r.a.size, b: r.b.size, change, percent: Math.round(percent * 100) / 100, limit: limit.text, fail };
    const sign = change < 0 ? '-' : '+';
    parts.push(
      `size ${humanSize(r.a.size)} → ${humanSize(r.b.size)} (${sign}${humanSize(Math.abs(change))}, ${sign}${Number.isFinite(percent) ? Math.abs(percent).toFixed(1) : '∞'}%), ${fail ? 'more than' : 'within'} the ${limit.text} allowed`,
    );
    result.fail ||= fail;
  }
  result.explanation = parts.join('; ');
  return result;
}

/** The groups a person reads changed files by, in the order that usually explains most. */
const GROUPS: Array<{ key: string; title: string; test: (f: ReportFile) => boolean }> = [
  { key: 'lineEndings', title: 'line endings only', test: (f) => f.change === 'modified' && f.reasons.length === 1 && f.reasons[0] === 'lineEndings' },
  { key: 'lineEndingsAndMore', title: 'line endings and mode/owner', test: (f) => f.change === 'modified' && f.reasons.includes('lineEndings') },
  { key: 'mode', title: 'mode only', test: (f) => f.change === 'modified' && f.reasons.length === 1 && f.reasons[0] === 'mode' },
  { key: 'owner', title: 'owner only', test: (f) => f.change === 'modified' && f.reasons.length === 1 && f.reasons[0] === 'owner' },
  { key: 'symlink', title: 'symlink target', test: (f) => f.change === 'modified' && f.reasons.includes('symlink') },
  { key: 'type', title: 'type', test: (f) => f.change === 'modified' && f.reasons.includes('type') },
  { key: 'content', title: 'content', test: (f) => f.change === 'modified' && f.reasons.includes('content') },
  { key: 'modeAndOwner', title: 'mode and owner', test: (f) => f.change === 'modified' },
  { key: 'added', title: 'added (only in B)', test: (f) => f.change === 'added' },
  { key: 'removed', title: 'removed (only in A)', test: (f) => f.change === 'removed' },
];

export function groupFiles(files: readonly ReportFile[]): Array<{ key: string; title: string; files: ReportFile[] }> {
  const left = new Set(files);
  return GROUPS.map((g) => {
    const picked = [...left].filter(g.test);
    for (const f of picked) left.delete(f);
    return { key: g.key, title: g.title, files: picked };
  }).filter((g) => g.files.length);
}

/** "0644 → 0755", "LF → CRLF", "-> v1 → -> v2": what changed, in a few words. */
export function describeChange(f: ReportFile): string {
  const { a, b } = f;
  if (f.change === 'added') return `${b!.type}, ${humanSize(b!.size)}`;
  if (f.change === 'removed') return `${a!.type}, ${humanSize(a!.size)}`;
  const parts: string[] = [];
  for (const r of f.reasons) {
    if (r === 'mode') parts.push(`mode ${a!.mode} → ${b!.mode}`);
    if (r === 'owner') parts.push(`owner ${a!.uid}:${a!.gid} → ${b!.uid}:${b!.gid}`);
    if (r === 'lineEndings') parts.push(`line endings ${(a!.lineEndings ?? '?').toUpperCase()} → ${(b!.lineEndings ?? '?').toUpperCase()}`);
    if (r === 'content') parts.push(`content ${humanSize(a!.size)} → ${humanSize(b!.size)}`);
    if (r === 'symlink') parts.push(`-> ${a!.linkTarget} → -> ${b!.linkTarget}`);
    if (r === 'type') parts.push(`${a!.type} → ${b!.type}`);
  }
  return parts.join(', ');
}
