/**
 * What every rule reads (the comparison, packages, leftovers, a run) and
 * what the rules share while they run: the findings so far, and what
 * earlier rules already explain, so that a later, vaguer rule does not
 * say it again ("N files differ in content" leaves out the files a
 * CRLF-script finding names).
 */
import type { Comparison } from '../diff/compare';
import type { FileChange } from '../diff/fileDiff';
import type { LayerPair } from '../diff/align';
import type { ImageModel } from '../image/model';
import type { PackageComparison } from '../packages/packages';
import type { RunReport, Side } from '../run/runModel';
import type { FindingCode, FindingFilter } from '../util/codes';
import type { Finding } from './finding';
import type { LeftoverComparison } from './leftovers';
import type { FileText } from './portCause';
import { sideNames } from './phrasing';
import type { ResolvedUser } from './users';

export interface FindingInput {
  comparison: Comparison;
  /** The package diff, when the analysis read the package databases. */
  packages?: PackageComparison;
  /** Each image's leftovers, when the analysis looked for them. */
  leftovers?: LeftoverComparison;
  /** A side-by-side run of the two images: its findings are linked to the static causes and ranked with them. */
  run?: RunReport;
  /** Small text files that differ between the images, read when the run has a port finding (portCause.ts). */
  texts?: readonly FileText[];
  /** Who each image runs as, resolved through its own /etc/passwd (undefined: unknown). */
  users?: Partial<Record<Side, ResolvedUser>>;
  /** Findings the user silenced (--ignore-finding CODE[:GLOB], the extension's setting): left out of the result. */
  ignore?: readonly FindingFilter[];
}

export class FindingContext {
  readonly images: Record<Side, ImageModel>;
  readonly names: Record<Side, string>;
  readonly rows: readonly LayerPair[];
  /** Differences of the merged filesystems. */
  readonly files: readonly FileChange[];
  /** Merged-filesystem differences by the alignment row where they happen. */
  readonly mergedByRow = new Map<number, FileChange[]>();
  /** Whether the base image (the FROM) differs: it alone changes what later steps do. */
  readonly baseChanged: boolean;

  readonly list: Finding[] = [];
  /** Rows a finding explains, so that "N files differ in content" does not repeat them. */
  readonly coveredRows = new Set<number>();
  /** Files a finding explains. */
  readonly coveredFiles = new Set<string>();
  /** Files whose mode a finding already explains (a start program, an input of a failed step, an unreadable file): the mode rule leaves them out. */
  readonly modeExplained = new Set<string>();
  /** A short phrase for a cause, for the run findings it explains. */
  readonly causes = new Map<Finding, string>();

  constructor(readonly input: FindingInput) {
    const c = input.comparison;
    this.images = { a: c.a, b: c.b };
    this.names = sideNames(this.images);
    this.rows = c.layers;
    this.files = c.files;
    for (const f of c.files) {
      const list = this.mergedByRow.get(f.layer);
      if (list) list.push(f);
      else this.mergedByRow.set(f.layer, [f]);
    }
    this.baseChanged = c.layers.some((l) => l.base && l.status !== 'identical');
  }

  /** Adds a finding under its code. */
  add(code: FindingCode, f: Omit<Finding, 'code'>): Finding {
    const finding = { code: code.code, ...f };
    this.list.push(finding);
    return finding;
  }
}

/**
 * A rule: looks at the comparison (and what earlier rules explain) and adds
 * its findings. Rules run in the order of RULES (rules.ts).
 */
export interface Rule {
  /** What it looks for, in a few words. */
  name: string;
  check(ctx: FindingContext): void;
}
