/**
 * What a finding is: the shape every rule produces, the report carries
 * (DiffReport.findings) and the CLI and the extension show.
 */
import type { Ecosystem } from '../packages/ecosystem';
import type { FindingSeverity, RunFinding, Side } from '../run/runModel';

export type StaticFindingKind =
  | 'stepDidNothing'
  | 'contextFile'
  | 'unreadable'
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
  /** Sides whose listening sockets (RunReport's a/b.listening) show it. */
  listening?: Side[];
  leftovers?: LeftoverEvidence[];
}

/** One ranked finding. Run findings keep their RunFinding shape, with a score. */
export interface Finding {
  /** Stable code (codes.ts, run/codes.ts), as linters have: shown everywhere, and what --ignore-finding takes. */
  code: string;
  kind: FindingKind;
  severity: FindingSeverity;
  /** The side it is about (the broken one, the one that holds the secret...), when there is one. */
  side?: Side;
  title: string;
  /** One sentence a developer understands: what it breaks, why, what to do. */
  detail: string;
  evidence: FindingEvidence;
  /** The ranking score (scores.ts); higher first. */
  score: number;
}
