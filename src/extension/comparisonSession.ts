import * as vscode from 'vscode';
import { analyzePair, rankWith, runFileTexts, type Analysis } from '../core/report/analysis';
import { wantsFileTexts } from '../core/findings/portCause';
import type { ImageModel } from '../core/image/model';
import { evaluateGate, type GateResult } from '../core/report/report';
import { compareRuns } from '../core/run/runCompare';
import type { RunReport } from '../core/run/runModel';
import type { EngineService } from './engineService';
import { withProgress } from './progress';

/** The comparison on screen: the engine's result and its report (the CLI's JSON document). */
export interface CurrentComparison extends Analysis {
  gate: GateResult;
  /** A and B as the user chose them. */
  refs: [string, string];
  /** The side-by-side run of these two images whose findings are ranked in, if one ran. */
  run?: RunReport;
  /** How many findings containerCompare.findings.ignore left out. */
  ignoredFindings: number;
}

/** The current comparison of A and B, shared by the Comparison view and the commands. */
export class ComparisonSession implements vscode.Disposable {
  private currentValue: CurrentComparison | undefined;
  /** Runs by pair (A then B), so a comparison made after the run still gets its findings. */
  private readonly runs = new Map<string, RunReport>();
  private readonly changed = new vscode.EventEmitter<CurrentComparison | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly swapped = new vscode.EventEmitter<{ from: [string, string]; to: [string, string] }>();
  /** Swap Sides made B the reference: what shows a run of the pair follows. */
  readonly onDidSwap = this.swapped.event;

  constructor(
    private readonly engine: EngineService,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get current(): CurrentComparison | undefined {
    return this.currentValue;
  }

  /** Loads (exporting once, or from the cache) and compares two images, with a cancellable progress. */
  async compare(refA: string, refB: string, signal?: AbortSignal): Promise<CurrentComparison> {
    return withProgress(
      `Comparing ${refA} and ${refB}`,
      async (s, report) => {
        const [a, b] = await this.engine.load([refA, refB], { signal: s, onProgress: report });
        report({ message: 'Reading packages, looking for leftovers, ranking findings' });
        return this.analyze(a, b, [refA, refB], s);
      },
      signal,
    );
  }

  /**
   * Compares two loaded images and makes the result current: the file and
   * layer comparison, packages, leftovers and the ranked findings (with the
   * run's, when a run of this pair is known), the same analysis as the CLI's.
   */
  async analyze(a: ImageModel, b: ImageModel, refs: [string, string], signal?: AbortSignal): Promise<CurrentComparison> {
    const started = Date.now();
    const run = this.runs.get(pairKey(refs));
    const ignoreFindings = this.engine.settings().findingsIgnore;
    const { comparison, report, users, texts } = await analyzePair({ model: a }, { model: b }, {
      cache: await this.engine.cache(),
      ignore: this.engine.settings().ignore,
      signal,
      ignoreFindings,
      ...(run ? { run } : {}),
      // Package databases whose layer bytes left the cache: fetch just those layers.
      fetchLayers: async (side, diffIds) => void (await this.engine.load([refs[side === 'a' ? 0 : 1]], { signal, needLayerBytes: diffIds })),
    });
    const s = report.summary;
    this.log.info(
      `Compared ${refs[0]} and ${refs[1]} in ${Date.now() - started} ms: ${s.layers.different + s.layers.onlyA + s.layers.onlyB} layer rows differ, ` +
        `${s.files.modified} modified, ${s.files.added} added, ${s.files.removed} removed files, ${s.config} config differences, ${report.findings?.length ?? 0} findings` +
        (report.findings?.[0] ? `; most likely: ${report.findings[0].title}` : ''),
    );
    const analysis = { comparison, report, users, ...(texts ? { texts } : {}) };
    return this.publish({ ...analysis, gate: evaluateGate(report), refs, ...(run ? { run } : {}), ignoredFindings: this.ignoredCount(analysis, run, report) });
  }

  /** How many findings the ignore setting leaves out (ranked again without it: rules are cheap next to the comparison). */
  private ignoredCount(analysis: Analysis, run: RunReport | undefined, ranked: Analysis['report']): number {
    if (!this.engine.settings().findingsIgnore.length) return 0;
    return (rankWith(analysis, run).findings?.length ?? 0) - (ranked.findings?.length ?? 0);
  }

  /** The findings ranked again with the current ignore setting (the comparison itself stands). */
  rerank(): void {
    const c = this.currentValue;
    if (!c) return;
    const report = rankWith(c, c.run, this.engine.settings().findingsIgnore);
    this.publish({ ...c, report, gate: evaluateGate(report), ignoredFindings: this.ignoredCount(c, c.run, report) });
  }

  /**
   * A side-by-side run finished: its findings (fcgid missing, source served)
   * join the comparison of the same two images, if that is the one on screen.
   * Only the ranking is redone: the comparison, packages and leftovers stand.
   */
  async attachRun(refs: [string, string], given: RunReport): Promise<void> {
    this.runs.set(pairKey(refs), given);
    this.runs.set(pairKey([refs[1], refs[0]]), swapRun(given));
    const c = this.currentValue;
    const run = c && this.runs.get(pairKey(c.refs));
    if (!c || !run || (pairKey(c.refs) !== pairKey(refs) && pairKey(c.refs) !== pairKey([refs[1], refs[0]]))) return;
    // A port finding may be explained by a file that differs: those files are read once, when a run first needs them.
    const texts =
      c.texts ??
      (wantsFileTexts(run)
        ? await runFileTexts(c.comparison, {
            cache: await this.engine.cache(),
            fetchLayers: async (side, diffIds) => void (await this.engine.load([c.refs[side === 'a' ? 0 : 1]], { needLayerBytes: diffIds })),
          })
        : undefined);
    // Another comparison may have become current meanwhile.
    if (this.currentValue !== c) return;
    const withTexts = texts ? { ...c, texts } : c;
    const report = rankWith(withTexts, run, this.engine.settings().findingsIgnore);
    this.publish({ ...withTexts, report, gate: evaluateGate(report), run, ignoredFindings: this.ignoredCount(withTexts, run, report) });
  }

  /** The run of a pair known to this session (A then B as given). */
  runOf(refs: readonly [string, string]): RunReport | undefined {
    return this.runs.get(pairKey(refs));
  }

  /**
   * Swap Sides: B becomes A. The run of the pair is swapped with it (its two
   * sides compared the other way round, which needs no new run), so its
   * findings stay ranked in.
   */
  async swap(): Promise<CurrentComparison | undefined> {
    const c = this.currentValue;
    if (!c) return undefined;
    const to: [string, string] = [c.refs[1], c.refs[0]];
    const run = this.runs.get(pairKey(c.refs));
    if (run) this.runs.set(pairKey(to), swapRun(run));
    const result = await this.analyze(c.comparison.b, c.comparison.a, to);
    this.swapped.fire({ from: c.refs, to });
    return result;
  }

  /** Compares again with the current settings (ignore globs changed). */
  async recompute(): Promise<void> {
    const c = this.currentValue;
    if (c) await this.analyze(c.comparison.a, c.comparison.b, c.refs);
  }

  private publish(c: CurrentComparison): CurrentComparison {
    this.currentValue = c;
    void vscode.commands.executeCommand('setContext', 'containerCompare.hasComparison', true);
    this.changed.fire(c);
    return c;
  }

  close(): void {
    this.currentValue = undefined;
    void vscode.commands.executeCommand('setContext', 'containerCompare.hasComparison', false);
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
    this.swapped.dispose();
  }
}

/** A run report with its sides the other way round: the same two runs, compared B against A. */
export function swapRun(run: RunReport): RunReport {
  return compareRuns(run.b, run.a, run.options);
}

const pairKey = (refs: readonly [string, string]) => `${refs[0]}\0${refs[1]}`;

