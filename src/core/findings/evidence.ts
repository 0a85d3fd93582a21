/** What a finding cites, and how much a changed file tells. */
import type { FileChange, FileSide } from '../diff/fileDiff';
import { packageDbKind } from '../packages/packages';
import type { Side } from '../run/runModel';
import { byPath } from '../util/text';
import type { FileEvidence } from './finding';
import { BIN_DIR } from './commands';

/** Files named in one finding's evidence: enough to click through, not a file list. */
export const MAX_EVIDENCE_FILES = 25;

/** Paths a build writes differently every time (logs, caches, compiled bytecode): what differs there explains nothing. */
export const NOISE = /^\/(var\/log|var\/cache|var\/tmp|tmp|root\/\.cache|var\/lib\/apt\/lists)\/|\/__pycache__\/|\.pyc$|^\/var\/lib\/dpkg\/[^/]+-old$|^\/etc\/ld\.so\.cache$|^\/var\/lib\/dpkg\/triggers\//;

export const isCrlf = (s: FileSide | undefined) => s?.lineEndings === 'crlf' || s?.lineEndings === 'mixed';
export const isFileType = (s: FileSide | undefined) => s?.type === 'file' || s?.type === 'hardlink';
export const owner = (s: FileSide) => `${s.uid}:${s.gid}`;

export function fileEvidence(f: FileChange, side?: Side): FileEvidence {
  const e: FileEvidence = { path: f.path, layerRow: f.layer, layer: {} };
  if (side) e.side = side;
  if (f.a) e.layer!.a = f.a.layer;
  if (f.b) e.layer!.b = f.b.layer;
  return e;
}

/** The side whose copy has CRLF where the other's has LF, for a file that differs only that way (and maybe in mode/owner). */
export function crlfSide(f: FileChange): Side | undefined {
  if (f.change !== 'modified' || !f.reasons.includes('lineEndings')) return undefined;
  if (isCrlf(f.b) && !isCrlf(f.a)) return 'b';
  if (isCrlf(f.a) && !isCrlf(f.b)) return 'a';
  return undefined;
}

/** How much a changed file tells about what a step did: a module or program more than a log. */
export function notability(f: FileChange): number {
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

/** The files in the order that tells most first (then by path). */
export function mostNotable(files: readonly FileChange[]): FileChange[] {
  return files
    .map((f) => ({ f, n: notability(f) }))
    .sort((x, y) => y.n - x.n || byPath(x.f, y.f))
    .map((x) => x.f);
}
