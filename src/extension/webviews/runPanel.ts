import * as vscode from 'vscode';
import { isCompareError, messageOf } from '../../core/util/errors';
import type { ImageModel } from '../../core/image/model';
import type { CapturedLine, RunEvent, RunReport, Side } from '../../core/run/runModel';
import type { HostMessage, LiveSide, PanelMessage, RunPhase } from '../../protocol/runPanel';
import { RUN_PANEL_VIEW_TYPE } from '../../protocol/runPanel';
import { swapRun } from '../comparisonSession';
import { reportError } from '../notify';
import type { Services } from '../services';
import { runPair } from '../../docker/runPair';
import { RunOwnership } from '../../docker/run/ownership';
import { runOptionsFromSettings } from '../settings';
import { pairTitle } from '../views/labels';
import { webviewPage } from './page';

/** Captured lines are sent in batches: a chatty container must not flood the message channel. */
const BATCH_MS = 100;
/** How long closing VS Code waits for containers to be removed. */
const DISPOSE_WAIT_MS = 15_000;

/**
 * The Run Side by Side panel: runs both images the same way, streams their
 * startup logs, then shows the report (findings, log diff, probes, HTTP).
 * Closing the panel, Stop, a failure and deactivation all stop and remove
 * the containers; only the webview's own state (filters, scroll) lives in
 * the page, the rest is sent again when the page comes back.
 *
 * One panel per comparison: running the same pair again reuses its panel,
 * Swap Sides swaps it, and a comparison of another pair (or closing the
 * comparison) closes it, so no tab is left that no longer matches.
 */
export class RunPanel implements vscode.Disposable {
  private static readonly open = new Set<RunPanel>();
  private static readonly stateChanged = new vscode.EventEmitter<RunPanel>();
  /** A panel's run started, produced its report, stopped or closed. */
  static readonly onDidChangeState = RunPanel.stateChanged.event;
  private phase: RunPhase = 'loading';
  private message = '';
  private error: string | undefined;
  private live: Record<Side, LiveSide>;
  private report: RunReport | undefined;
  private controller: AbortController | undefined;
  private running: Promise<RunReport | undefined> | undefined;
  private reportReady: Promise<RunReport | undefined> | undefined;
  private pending: Record<Side, CapturedLine[]> = { a: [], b: [] };
  private flushTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  /**
   * The panel of this pair: the open one (brought forward; run again if
   * its run ended), or a new one that starts running.
   */
  static show(s: Services, refs: [string, string], images?: [ImageModel, ImageModel]): RunPanel {
    const existing = RunPanel.forPair(refs);
    if (existing) {
      if (existing.refs[0] !== refs[0]) existing.swap();
      existing.panel.reveal();
      if (existing.phase === 'stopped' || existing.phase === 'failed') void existing.start(images);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RUN_PANEL_VIEW_TYPE, runTitle(refs), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(s.context.extensionUri, 'media')],
    });
    const p = new RunPanel(s, refs, panel);
    void p.start(images);
    return p;
  }

  /** Stops every run and removes its containers (extension deactivation). */
  static async disposeAll(): Promise<void> {
    const all = [...RunPanel.open].map((p) => p.stop());
    await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, DISPOSE_WAIT_MS))]);
  }

  /** The panels open now (for tests). */
  static panels(): readonly RunPanel[] {
    return [...RunPanel.open];
  }

  /** The panel of a pair, whichever side is A. */
  static forPair(refs: readonly [string, string]): RunPanel | undefined {
    return [...RunPanel.open].find((p) => (p.refs[0] === refs[0] && p.refs[1] === refs[1]) || (p.refs[0] === refs[1] && p.refs[1] === refs[0]));
  }

  /**
   * Keeps the panels in step with the comparison: Swap Sides swaps the
   * pair's panel, and a comparison of another pair, or none, closes the
   * panels of other pairs (stopping their containers).
   */
  static follow(s: Services): vscode.Disposable {
    return vscode.Disposable.from(
      // Stop Run (its keybinding, the Comparison view's menu) is there while a run may have containers up.
      RunPanel.onDidChangeState(() => void vscode.commands.executeCommand('setContext', 'containerCompare.runActive', [...RunPanel.open].some((p) => p.active))),
      s.session.onDidSwap(({ from }) => {
        const p = RunPanel.forPair(from);
        if (p && p.refs[0] === from[0]) p.swap();
      }),
      s.session.onDidChange((c) => {
        for (const p of [...RunPanel.open]) {
          if (!c || !RunPanel.samePair(p.refs, c.refs)) {
            s.log.info(`Closing the run of ${p.refs[0]} ↔ ${p.refs[1]}: the comparison on screen is ${c ? `${c.refs[0]} ↔ ${c.refs[1]}` : 'closed'}`);
            p.dispose();
          }
        }
      }),
    );
  }

  private static samePair(x: readonly [string, string], y: readonly [string, string]): boolean {
    return (x[0] === y[0] && x[1] === y[1]) || (x[0] === y[1] && x[1] === y[0]);
  }

  /** Where the run is, in three words: starting or capturing, up (report shown, containers running), or over. */
  phaseKind(): 'running' | 'up' | 'done' {
    return this.phase === 'up' ? 'up' : this.phase === 'stopped' || this.phase === 'failed' || this.phase === 'done' ? 'done' : 'running';
  }

  /** The run's report, once there is one. */
  currentReport(): RunReport | undefined {
    return this.report;
  }

  /** Whether the containers may still be up (so Stop has something to do). */
  get active(): boolean {
    return this.phaseKind() !== 'done';
  }

  private constructor(
    private readonly s: Services,
    public refs: [string, string],
    readonly panel: vscode.WebviewPanel,
  ) {
    this.live = { a: { ref: refs[0], lines: [] }, b: { ref: refs[1], lines: [] } };
    RunPanel.open.add(this);
    panel.iconPath = vscode.Uri.joinPath(s.context.extensionUri, 'media', 'icon.svg');
    panel.webview.html = this.html();
    panel.webview.onDidReceiveMessage((m: PanelMessage) => void this.onMessage(m));
    panel.onDidDispose(() => {
      this.disposed = true;
      RunPanel.open.delete(this);
      void this.stop().then(() => RunPanel.stateChanged.fire(this));
    });
  }

  /**
   * B becomes A: the refs, what was captured and the report (its two sides
   * compared the other way round), as Swap Sides does to the comparison.
   * The containers keep running as they are.
   */
  swap(): void {
    this.refs = [this.refs[1], this.refs[0]];
    this.live = { a: this.live.b, b: this.live.a };
    if (this.report) this.report = swapRun(this.report);
    this.panel.title = runTitle(this.refs);
    this.post(this.snapshot());
    RunPanel.stateChanged.fire(this);
  }

  /** Resolves with the report once the startup window, probes and request are done (undefined if the run failed or stopped first). */
  async ready(): Promise<RunReport | undefined> {
    return this.reportReady;
  }

  /** Resolves when the current run (if any) has ended and its containers are removed. */
  async settled(): Promise<RunReport | undefined> {
    return this.running;
  }

  /** Starts a run (stopping the previous one first); resolves with its report (see ready()). */
  async start(images?: [ImageModel, ImageModel]): Promise<RunReport | undefined> {
    await this.stop();
    const controller = (this.controller = new AbortController());
    this.report = undefined;
    this.error = undefined;
    this.live = { a: { ref: this.refs[0], lines: [] }, b: { ref: this.refs[1], lines: [] } };
    this.setPhase('loading', `Loading ${this.refs[0]} and ${this.refs[1]}…`);
    this.post(this.snapshot());
    RunPanel.stateChanged.fire(this);
    let reportIs: (r: RunReport | undefined) => void = () => undefined;
    this.reportReady = new Promise((r) => (reportIs = r));
    this.running = this.run(controller.signal, reportIs, images);
    void this.running.then(() => reportIs(undefined));
    return this.reportReady;
  }

  /** Stops the run; resolves once both containers are removed. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running?.catch(() => undefined);
  }

  dispose(): void {
    this.panel.dispose();
  }

  /** Brings the panel forward at a finding's evidence (a log row, a probe, the HTTP answer). */
  reveal(at: { logRow?: number; probe?: string; http?: string; listening?: Side }): void {
    this.panel.reveal();
    this.post({ type: 'reveal', ...at });
  }

  private async run(signal: AbortSignal, reportIs: (r: RunReport) => void, given?: [ImageModel, ImageModel]): Promise<RunReport | undefined> {
    // The pair as this run started it: Swap Sides may turn the panel round while it runs.
    const refs: [string, string] = [...this.refs];
    const turned = () => this.refs[0] !== refs[0];
    const mine = (r: RunReport) => (turned() ? swapRun(r) : r);
    try {
      const options = runOptionsFromSettings();
      const images = given && given[0].ref === refs[0] ? given : ((await this.s.engine.load(refs, { signal })) as [ImageModel, ImageModel]);
      const finalRaw = await runPair(this.s.engine.daemon(), images, refs, options, {
        signal,
        ownership: await RunOwnership.load(this.s.engine.settings().cacheDir),
        onEvent: (e) => this.onEvent('side' in e && turned() ? { ...e, side: e.side === 'a' ? 'b' : 'a' } : e),
        // Both containers stay up (to try them in a browser, exec into them) until Stop or close.
        whileUp: (raw) => {
          this.flush();
          const report = mine(raw);
          this.report = report;
          const where = (['a', 'b'] as const).map((side) => report[side].published).filter(Boolean).map((p) => `${p!.hostIp}:${p!.hostPort}`);
          const findings = report.differ ? `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}` : 'the two runs behave the same';
          this.setPhase('up', `Done: ${findings}${where.length ? `. Up at ${where.join(' and ')}; Stop removes them` : ''}`);
          this.post({ type: 'report', report });
          reportIs(report);
          // The comparison of these two images ranks the run's findings with its own.
          this.s.session.attachRun(refs, raw).catch((e: unknown) => this.s.log.warn(`Ranking the run's findings with the comparison: ${messageOf(e)}`));
          return new Promise<void>(() => undefined);
        },
      });
      this.flush();
      const final = mine(finalRaw);
      this.report = final;
      this.post({ type: 'report', report: final });
      this.setPhase('stopped', `Done: ${final.findings.length} finding${final.findings.length === 1 ? '' : 's'}. The containers were removed`);
      return final;
    } catch (e) {
      this.flush();
      if (isCompareError(e) && e.reason === 'cancelled') {
        this.setPhase('stopped', 'Stopped; the containers were removed');
        return undefined;
      }
      this.error = messageOf(e);
      this.setPhase('failed', 'Failed');
      this.post({ type: 'error', message: this.error });
      void reportError(this.s.log, `Running ${this.refs[0]} and ${this.refs[1]}`, e, () => void this.start());
      return undefined;
    }
  }

  private onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'phase':
        this.setPhase(e.phase, e.message);
        break;
      case 'line':
        this.live[e.side].lines.push(e.line);
        this.pending[e.side].push(e.line);
        this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
        break;
      case 'state':
        this.live[e.side].state = e.state;
        this.post({ type: 'side', side: e.side, state: e.state });
        break;
      case 'container':
        Object.assign(this.live[e.side], { containerName: e.containerName, ...(e.published ? { published: e.published } : {}) });
        this.post({ type: 'side', side: e.side, containerName: e.containerName, published: e.published });
        break;
      case 'listening':
        this.live[e.side].listening = e.listening;
        this.post({ type: 'side', side: e.side, listening: e.listening });
        break;
    }
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const side of ['a', 'b'] as const) {
      if (!this.pending[side].length) continue;
      this.post({ type: 'lines', side, lines: this.pending[side] });
      this.pending[side] = [];
    }
  }

  private setPhase(phase: RunPhase, message: string): void {
    const changed = this.phaseKind();
    this.phase = phase;
    this.message = message;
    this.s.log.info(`Run ${this.refs[0]} ↔ ${this.refs[1]}: ${message}`);
    this.post({ type: 'phase', phase, message });
    if (changed !== this.phaseKind()) RunPanel.stateChanged.fire(this);
  }

  private snapshot(): HostMessage {
    return { type: 'snapshot', refs: this.refs, phase: this.phase, message: this.message, live: this.live, ...(this.report ? { report: this.report } : {}), ...(this.error ? { error: this.error } : {}) };
  }

  private async onMessage(m: PanelMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        // A page that comes back (shown again) gets everything; lines still pending are in the snapshot.
        this.pending = { a: [], b: [] };
        this.post(this.snapshot());
        break;
      case 'stop':
        await this.stop();
        break;
      case 'rerun':
        await this.start();
        break;
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        vscode.window.setStatusBarMessage(`Copied ${m.what}`, 3000);
        break;
      case 'compare':
        await vscode.commands.executeCommand('containerCompare.compareImages', this.refs[0], this.refs[1]);
        break;
    }
  }

  private post(m: HostMessage): void {
    if (!this.disposed) void this.panel.webview.postMessage(m);
  }

  private html(): string {
    return webviewPage(this.panel.webview, this.s.context.extensionUri, {
      title: 'Run Side by Side',
      script: 'runPanel.js',
      css: 'runPanel.css',
      body: `<header>
  <div class="title-line"><span id="title"></span><vscode-progress-ring id="spinner"></vscode-progress-ring><span id="phase"></span></div>
  <div class="actions">
    <vscode-button id="stop" secondary>Stop</vscode-button>
    <vscode-button id="rerun">Run Again</vscode-button>
    <vscode-button id="compare" secondary>Compare Files</vscode-button>
  </div>
</header>
<div id="error" class="error-box" hidden></div>
<section class="sides"><div class="side" id="side-a"></div><div class="side" id="side-b"></div></section>
<vscode-collapsible id="findings-box" heading="Findings"><div class="section-body"><ul id="findings"></ul></div></vscode-collapsible>
<vscode-collapsible id="modules-box" heading="Modules on one side only" hidden><div class="section-body modules">
  <div><h4>Only in A</h4><ul id="modules-a"></ul></div><div><h4>Only in B</h4><ul id="modules-b"></ul></div>
</div></vscode-collapsible>
<vscode-collapsible id="probes-box" heading="Probes" hidden><div class="section-body" id="probes"></div></vscode-collapsible>
<vscode-collapsible id="http-box" heading="HTTP" hidden><div class="section-body" id="http"></div></vscode-collapsible>
<section class="logs">
  <div class="toolbar">
    <vscode-checkbox id="diffOnly" label="Differences only"></vscode-checkbox>
    <vscode-checkbox id="normalized" label="Normalised"></vscode-checkbox>
    <vscode-button id="prev" secondary title="Previous difference (Alt+Up)">Previous</vscode-button>
    <vscode-button id="next" secondary title="Next difference (Alt+Down)">Next</vscode-button>
    <span id="counter"></span>
    <vscode-button id="copy-a" secondary>Copy A</vscode-button>
    <vscode-button id="copy-b" secondary>Copy B</vscode-button>
    <span id="log-summary"></span>
  </div>
  <div class="log-head"><div></div><div id="head-a"></div><div></div><div id="head-b"></div></div>
  <div id="viewport" class="viewport"><div id="spacer"><div id="rows"></div></div></div>
  <div id="detail" class="detail" hidden><pre id="detail-a"></pre><pre id="detail-b"></pre></div>
</section>`,
    });
  }
}

function runTitle(refs: readonly [string, string]): string {
  return `Run: ${pairTitle(refs[0], refs[1])}`;
}
