import * as vscode from 'vscode';
import { compareImages, type Comparison } from '../core/compare';
import type { ImageModel } from '../core/model';
import { evaluateGate, toReport, type DiffReport, type GateResult } from '../core/report';
import type { EngineService } from './engineService';
import { withProgress } from './progress';

/** The comparison on screen: the engine's result and its report (the CLI's JSON document). */
export interface CurrentComparison {
  comparison: Comparison;
  report: DiffReport;
  gate: GateResult;
  /** A and B as the user chose them. */
  refs: [string, string];
}

/** The current comparison of A and B, shared by the Comparison view and the commands. */
export class ComparisonSession implements vscode.Disposable {
  private currentValue: CurrentComparison | undefined;
  private readonly changed = new vscode.EventEmitter<CurrentComparison | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly engine: EngineService,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get current(): CurrentComparison | undefined {
    return this.currentValue;
  }

  /** Loads (exporting once, or from the cache) and compares two images, with a cancellable progress. */
  async compare(refA: string, refB: string, signal?: AbortSignal): Promise<CurrentComparison> {
    const [a, b] = await withProgress(
      `Comparing ${refA} and ${refB}`,
      (s, report) => this.engine.load([refA, refB], { signal: s, onProgress: report }),
      signal,
    );
    return this.show(a, b, [refA, refB]);
  }

  /** Compares two loaded images and makes the result current. */
  show(a: ImageModel, b: ImageModel, refs: [string, string]): CurrentComparison {
    const started = Date.now();
    const comparison = compareImages(a, b, { ignore: this.engine.settings().ignore });
    const report = toReport(comparison);
    const gate = evaluateGate(report);
    const s = report.summary;
    this.log.info(
      `Compared ${refs[0]} and ${refs[1]} in ${Date.now() - started} ms: ${s.layers.different + s.layers.onlyA + s.layers.onlyB} layer rows differ, ` +
        `${s.files.modified} modified, ${s.files.added} added, ${s.files.removed} removed files, ${s.config} config differences`,
    );
    this.currentValue = { comparison, report, gate, refs };
    void vscode.commands.executeCommand('setContext', 'containerCompare.hasComparison', true);
    this.changed.fire(this.currentValue);
    return this.currentValue;
  }

  swap(): CurrentComparison | undefined {
    const c = this.currentValue;
    return c && this.show(c.comparison.b, c.comparison.a, [c.refs[1], c.refs[0]]);
  }

  /** Compares again with the current settings (ignore globs changed). */
  recompute(): void {
    const c = this.currentValue;
    if (c) this.show(c.comparison.a, c.comparison.b, c.refs);
  }

  close(): void {
    this.currentValue = undefined;
    void vscode.commands.executeCommand('setContext', 'containerCompare.hasComparison', false);
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
