/**
 * Messages between the extension host and the Comparison Report editor.
 * Both sides import these types (the webview type-only). The host builds
 * the whole view in words (src/extension/webviews/reportView.ts); the page
 * only renders it, and sends back what the user clicked. The page sends
 * `ready` first; the host answers with the view, so a report that was
 * hidden (its page discarded) comes back as it was.
 */
import type { FileEvidence, LeftoverEvidence } from '../core/findings/finding';
import type { FindingSeverity } from '../core/run/runModel';

/** What activating a piece of evidence opens (containerCompare.openEvidence does it, for the trees and the report alike). */
export type EvidenceTarget =
  | { type: 'file'; evidence: FileEvidence }
  /** A changed file of the report: of the merged filesystems, or of one layer pair (`row`). */
  | { type: 'change'; path: string; row?: number }
  | { type: 'layerRow'; row: number }
  | { type: 'package'; ecosystem: string; name: string }
  | { type: 'config'; field: string }
  | { type: 'leftover'; evidence: LeftoverEvidence }
  | { type: 'run'; logRow?: number; probe?: string; http?: string; listening?: 'a' | 'b' }
  /** A finding itself, by rank: the report shows it in full. */
  | { type: 'finding'; index: number };

/** A link the report shows: its words, and what it opens. */
export interface ReportLink {
  label: string;
  hint?: string;
  target: EvidenceTarget;
}

export interface ReportSideView {
  letter: 'A' | 'B';
  /** The reference in full, as the user gave it. */
  ref: string;
  id: string;
  shortId: string;
  /** "455 MB", and where that number comes from. */
  size: string;
  sizeNote: string;
  layers: number;
  platform: string;
  source: string;
}

/** What a finding code says of itself (core/util/codes.ts). */
export interface CodeDoc {
  name: string;
  means: string;
  ranks: string;
  fix: string;
}

export interface ReportFindingView {
  anchor: string;
  code: string;
  severity: FindingSeverity;
  /** "most likely", "in ci", "from the run": short words beside the code. */
  tags: string[];
  title: string;
  detail: string;
  about?: CodeDoc;
  evidence: ReportLink[];
  /** Evidence left out of the list (it names thousands of files). */
  moreEvidence: number;
  /** Paths the finding cites, for "Ignore CODE for this path". */
  paths: string[];
  /** With containerCompare.debug.showInternals: the rule's kind and score. */
  debug?: string;
}

export interface ReportLayerView {
  anchor: string;
  index: string;
  /** The engine's status of the row (identical, sameContent, different, onlyA, onlyB), as a class to style it by. */
  status: string;
  statusText: string;
  a?: { instruction: string; size: string };
  b?: { instruction: string; size: string };
  /** "72 files differ", "3 shared layers". */
  detail: string;
  /** Opens both layers (when the row has files that differ). */
  open?: EvidenceTarget;
}

export interface ReportFileView {
  anchor: string;
  path: string;
  detail: string;
  target: EvidenceTarget;
}

export interface ReportGroupView {
  title: string;
  count: number;
  files: ReportFileView[];
  /** Files not listed here (the Comparison view lists them all). */
  more: number;
}

export interface ReportPackageView {
  anchor: string;
  name: string;
  change: string;
  security: boolean;
}

export interface ReportEcosystemView {
  title: string;
  rows: ReportPackageView[];
}

export interface ReportLeftoverView {
  anchor: string;
  where: string;
  path: string;
  reason: string;
  secret: boolean;
  target: EvidenceTarget;
}

export interface ReportConfigView {
  anchor: string;
  name: string;
  a: string;
  b: string;
  /** Not a difference: the same in both, listed because a finding cites it. */
  same?: true;
}

export interface ReportView {
  /** The pair, to keep the page's scroll position per comparison. */
  key: string;
  title: string;
  sides: [ReportSideView, ReportSideView];
  summary: string;
  findings: ReportFindingView[];
  /** "4 findings, most likely first · 1 ignored by your settings". */
  findingsNote: string;
  layers: ReportLayerView[];
  fileGroups: ReportGroupView[];
  packages: ReportEcosystemView[];
  leftovers: ReportLeftoverView[];
  config: ReportConfigView[];
  /** The side-by-side run of this pair: open, and what it found. */
  run?: { text: string; running: boolean };
  ignoredPaths: string[];
}

export type ReportAction = 'swapSides' | 'runSideBySide' | 'exportReport' | 'stopRun' | 'openRun';

export type HostMessage =
  | { type: 'show'; view: ReportView }
  /** Scroll to and select the element of this anchor; the page answers `revealed`. */
  | { type: 'reveal'; anchor: string; id: number };

export type PanelMessage =
  | { type: 'ready' }
  | { type: 'open'; target: EvidenceTarget }
  /** Ignore a code, or a code for a path; `choose`: ask which of these paths. */
  | { type: 'ignore'; code: string; path?: string; choose?: string[] }
  | { type: 'action'; action: ReportAction }
  | { type: 'revealed'; id: number; found: boolean };

export const REPORT_VIEW_TYPE = 'containerCompare.report';

