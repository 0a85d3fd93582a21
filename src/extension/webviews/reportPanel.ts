import * as vscode from 'vscode';
import type { EvidenceTarget, HostMessage, PanelMessage, ReportView } from '../../protocol/report';
import { REPORT_VIEW_TYPE } from '../../protocol/report';
import type { CurrentComparison } from '../comparisonSession';
import type { Services } from '../services';
import { pairTitle } from '../views/labels';
import { RunPanel } from './runPanel';
import { anchorOf, reportView } from './reportView';
import { webviewPage } from './page';

/** How long a reveal waits for the page to say where it scrolled (a page that was hidden loads first). */
const REVEAL_WAIT_MS = 15_000;
/** How often an unanswered reveal is sent again. */
const REVEAL_RETRY_MS = 1_000;
/** After how many unanswered sends a silent page is loaded again, and after how many it is given up on. */
const RELOAD_AFTER_TRIES = 3;
const SILENT_AFTER_TRIES = 6;
/** How many editors a reveal opens before it gives up on a workbench that loads none of them. */
const SHOW_ATTEMPTS = 3;

type RevealOutcome = 'found' | 'missing' | 'silent';

/**
 * The Comparison Report: one editor, reused, showing the comparison on
 * screen in full (the findings with their whole text, codes and evidence,
 * then layers, files by reason, packages, config). It opens with every
 * comparison and closes with it; the sidebar keeps the navigation. Every
 * link goes back to the host as a message, and the host opens it
 * (containerCompare.openEvidence), so the report and the trees open the
 * same things.
 */
export class ReportPanel implements vscode.Disposable {
  private static current: ReportPanel | undefined;
  private ready = false;
  private shown: string | undefined;
  private revealId = 0;
  private readonly waiting = new Map<number, (outcome: RevealOutcome) => void>();
  private readonly subscriptions: vscode.Disposable[] = [];

  /** Opens the report of the current comparison (or brings it forward); undefined when there is none. */
  static show(s: Services, opts: { preserveFocus?: boolean } = {}): ReportPanel | undefined {
    const c = s.session.current;
    if (!c) return undefined;
    if (ReportPanel.current) {
      ReportPanel.current.panel.reveal(undefined, opts.preserveFocus);
      ReportPanel.current.update();
      return ReportPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      title(c),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus ?? false },
      {
        enableScripts: true,
        enableFindWidget: true,
        localResourceRoots: [vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(s.context.extensionUri, 'media')],
      },
    );
    return (ReportPanel.current = new ReportPanel(s, panel));
  }

  /** The report open now, if any. */
  static get open(): ReportPanel | undefined {
    return ReportPanel.current;
  }

  /**
   * Follows the session: a new comparison shows its report (opening the
   * editor, without taking the focus), a closed one closes it, anything
   * else (a run joined, findings ignored, sides swapped) updates it.
   */
  static follow(s: Services): vscode.Disposable {
    let last: string | undefined;
    return vscode.Disposable.from(
      s.session.onDidChange((c) => {
        if (!c) {
          last = undefined;
          ReportPanel.current?.dispose();
          return;
        }
        const pair = new Set([c.report.a.id, c.report.b.id]);
        const key = [...pair].sort().join('|');
        if (key !== last || !ReportPanel.current) {
          if (key !== last) ReportPanel.show(s, { preserveFocus: true });
          last = key;
        } else ReportPanel.current.update();
      }),
      RunPanel.onDidChangeState(() => ReportPanel.current?.update()),
    );
  }

  private constructor(
    private readonly s: Services,
    readonly panel: vscode.WebviewPanel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(s.context.extensionUri, 'media', 'icon.svg');
    panel.webview.html = this.html();
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: PanelMessage) => void this.onMessage(m)),
      panel.onDidDispose(() => {
        ReportPanel.current = undefined;
        for (const resolve of this.waiting.values()) resolve('missing');
        this.waiting.clear();
        vscode.Disposable.from(...this.subscriptions).dispose();
      }),
      // Hidden, the page is discarded: it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    );
  }

  /** The view the page shows now (for tests: what the report says, in words). */
  view(): ReportView | undefined {
    const c = this.s.session.current;
    if (!c) return undefined;
    const run = RunPanel.forPair(c.refs);
    return reportView(c, {
      debug: this.s.engine.settings().showInternals,
      ignoredCount: c.ignoredFindings,
      ...(run ? { run: { phase: run.phaseKind(), ...(run.currentReport() ? { report: run.currentReport()! } : {}) } } : {}),
    });
  }

  /** Sends the current comparison to the page. */
  update(opts: { force?: boolean } = {}): void {
    const c = this.s.session.current;
    if (!c) return;
    this.panel.title = title(c);
    if (!this.ready && !opts.force) return;
    const view = this.view();
    if (view) this.post({ type: 'show', view });
    this.shown = view?.key;
  }

  /**
   * Opens the report (or brings it forward) at what `target` names (a
   * finding, a layer row, a package, a config field); resolves with whether
   * the page found and selected it. An editor whose page never loads (the
   * workbench showed it but never ran it) is closed and opened anew.
   */
  static async showAt(s: Services, target: EvidenceTarget, opts: { preserveFocus?: boolean } = {}): Promise<boolean> {
    for (let attempt = 0; attempt < SHOW_ATTEMPTS; attempt++) {
      const panel = ReportPanel.show(s, opts);
      if (!panel) return false;
      const outcome = await panel.reveal(target, opts);
      if (outcome !== 'silent') return outcome === 'found';
      s.log.warn('report: the editor never loaded its page; opening a new one');
      panel.dispose();
    }
    return false;
  }

  /**
   * Brings this report forward at `target`: 'found' once the page selected
   * it, 'missing' when the page answers without it, 'silent' when the page
   * never said it is ready.
   */
  private async reveal(target: EvidenceTarget, opts: { preserveFocus?: boolean }): Promise<RevealOutcome> {
    const anchor = anchorOf(target);
    if (!anchor) return 'missing';
    this.panel.reveal(undefined, opts.preserveFocus);
    const id = ++this.revealId;
    // A message to a page that is not listening yet (loading, or shown again after being hidden) is lost:
    // the view and the reveal are sent again every second until it answers, whether or not it said it is
    // ready (a page kept while hidden never says it again). A page silent for a while is loaded anew,
    // and one that stays silent is given up on (showAt opens a new editor).
    let tries = 0;
    const retry = setInterval(() => {
      if (!this.waiting.has(id)) return;
      tries++;
      if (!this.ready && tries >= SILENT_AFTER_TRIES) {
        this.settle(id, 'silent');
        return;
      }
      if (!this.ready && this.panel.visible && tries === RELOAD_AFTER_TRIES) {
        this.s.log.info(`report: the page has not answered for ${tries} s, loading it again`);
        this.panel.webview.html = this.html();
        return;
      }
      this.s.log.debug(`report: reveal ${anchor} not answered yet (page ready: ${this.ready}), sending it again`);
      this.update({ force: true });
      this.post({ type: 'reveal', anchor, id });
    }, REVEAL_RETRY_MS);
    const outcome = new Promise<RevealOutcome>((resolve) => {
      this.waiting.set(id, resolve);
      setTimeout(() => this.settle(id, 'missing'), REVEAL_WAIT_MS);
    }).finally(() => clearInterval(retry));
    this.pendingReveal = { anchor, id };
    if (this.ready) this.flushReveal();
    return outcome;
  }

  private settle(id: number, outcome: RevealOutcome): void {
    const resolve = this.waiting.get(id);
    this.waiting.delete(id);
    resolve?.(outcome);
  }

  private pendingReveal: { anchor: string; id: number } | undefined;

  private flushReveal(): void {
    const r = this.pendingReveal;
    if (!r) return;
    this.pendingReveal = undefined;
    this.post({ type: 'reveal', anchor: r.anchor, id: r.id });
  }

  dispose(): void {
    this.panel.dispose();
  }

  private async onMessage(m: PanelMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.update();
        this.flushReveal();
        break;
      case 'open':
        await vscode.commands.executeCommand('containerCompare.openEvidence', { target: m.target, from: 'report' });
        break;
      case 'ignore':
        if (m.choose) await vscode.commands.executeCommand('containerCompare.ignoreFindingForPath', { code: m.code, paths: m.choose });
        else await vscode.commands.executeCommand('containerCompare.ignoreFinding', { code: m.code, ...(m.path ? { path: m.path } : {}) });
        break;
      case 'action': {
        // The run of this comparison, as it is: showing it never starts it again.
        const run = m.action === 'openRun' && this.s.session.current ? RunPanel.forPair(this.s.session.current.refs) : undefined;
        if (run) {
          run.panel.reveal();
          break;
        }
        const command = {
          swapSides: 'containerCompare.swapSides',
          runSideBySide: 'containerCompare.runSideBySide',
          exportReport: 'containerCompare.exportReport',
          stopRun: 'containerCompare.stopRun',
          openRun: 'containerCompare.runSideBySide',
        }[m.action];
        await vscode.commands.executeCommand(command);
        break;
      }
      case 'revealed': {
        // Not found may be a page still showing the comparison before: the retry sends the view again.
        if (m.found) this.settle(m.id, 'found');
        else this.s.log.debug(`report: the page did not find reveal ${m.id} yet`);
        break;
      }
    }
  }

  private post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  /** Whether the page has loaded and said so (and has not been hidden since), for tests. */
  get loaded(): boolean {
    return this.ready;
  }

  /** The comparison the page shows (its pair key), for tests. */
  get showing(): string | undefined {
    return this.shown;
  }

  private html(): string {
    return webviewPage(this.panel.webview, this.s.context.extensionUri, {
      title: 'Comparison Report',
      script: 'report.js',
      css: 'report.css',
      body: `<header>
  <div class="title-line"><h1 id="title"></h1>
    <div class="actions">
      <vscode-button id="swap" secondary title="Make B the reference (Swap Sides)">Swap Sides</vscode-button>
      <vscode-button id="run" secondary title="Run both images the same way and compare their startup (Run Side by Side)">Run Side by Side</vscode-button>
      <vscode-button id="export" secondary title="Write this report as JSON or Markdown (Export Report)">Export…</vscode-button>
    </div>
  </div>
  <div class="sides" id="sides"></div>
  <p id="summary" class="summary"></p>
  <p id="run-line" class="run-line" hidden></p>
</header>
<main>
  <section><h2 id="findings-head">Findings</h2><p id="findings-note" class="muted"></p><ol id="findings" class="findings"></ol></section>
  <section><h2>Layers</h2><table class="layers"><thead><tr><th></th><th>step</th><th>A</th><th>B</th><th></th></tr></thead><tbody id="layers"></tbody></table></section>
  <section id="files-section"><h2>Files by reason</h2><div id="files"></div></section>
  <section id="packages-section" hidden><h2>Packages</h2><div id="packages"></div></section>
  <section id="leftovers-section" hidden><h2>Should not ship</h2><ul id="leftovers" class="plain"></ul></section>
  <section id="config-section" hidden><h2>Config</h2><table class="config"><thead><tr><th></th><th>A</th><th>B</th></tr></thead><tbody id="config"></tbody></table></section>
  <p id="ignored" class="muted" hidden></p>
</main>`,
    });
  }
}

function title(c: CurrentComparison): string {
  return `Report: ${pairTitle(c.report.a.name, c.report.b.name)}`;
}
