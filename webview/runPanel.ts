// The Run Side by Side panel: two containers' startup logs in aligned
// columns, the findings above them. The extension host does all the work
// (runs, diffs); this page only renders what it is sent. Every piece of text
// that comes from a container or an image is inserted as text (textContent,
// text nodes), never as markup: logs carry HTML, ANSI codes and control
// characters, and none of it may become markup or script here.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { LogRow, WordPart } from '../src/core/run/logDiff';
import type { CapturedLine, ContainerState, ListeningPorts, RunFinding, RunReport, Side } from '../src/core/run/runModel';
import type { HostMessage, LiveSide, PanelMessage, RunPhase } from '../src/protocol/runPanel';
import { $, el } from './dom';
import { vsCodeApi } from './vscodeApi';

/** What the page keeps of itself when VS Code hides it: the data comes again from the host. */
interface UiState {
  diffOnly: boolean;
  normalized: boolean;
  scrollTop: number;
  open: Record<string, boolean>;
}

const vscode = vsCodeApi<PanelMessage, UiState>();
const ui: UiState = { diffOnly: false, normalized: false, scrollTop: 0, open: { findings: true }, ...vscode.getState() };
const saveUi = (): void => vscode.setState(ui);

let refs: [string, string] = ['A', 'B'];
let phase: RunPhase = 'loading';
let phaseMessage = '';
let live: Record<Side, LiveSide> = { a: { ref: '', lines: [] }, b: { ref: '', lines: [] } };
let report: RunReport | undefined;
/** The rows the log view shows, after the "differences only" filter. */
let visible: DisplayRow[] = [];
let current = -1;

interface DisplayRow {
  kind: LogRow['kind'] | 'live';
  a?: { line: number; raw: string; normalized: string; stream?: string };
  b?: { line: number; raw: string; normalized: string; stream?: string };
  words?: WordPart[];
  /** Index in report.logs.rows (for evidence links). */
  index: number;
}

/**
 * Control characters in caret notation (ESC is ^[, BEL ^G, DEL ^?), so that
 * an ANSI sequence reads as what it is and cannot do anything; C1 controls
 * and the bidirectional overrides that can reorder what a line seems to say
 * ("Trojan Source") as <U+202E>. Plain ASCII: every font shows it. Tabs stay.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const caret = (c: string): string => {
  const code = c.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 64)}`;
  if (code === 0x7f) return '^?';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
};

export function visibleText(s: string): string {
  return s.replace(CONTROL, caret);
}

/** Appends `text` to `parent` as text nodes, control characters as dimmed caret notation (never markup). */
function appendText(parent: HTMLElement, text: string, cls?: string): void {
  const host = cls ? parent.appendChild(el('span', cls)) : parent;
  let at = 0;
  for (const m of text.matchAll(CONTROL)) {
    if (m.index > at) host.append(document.createTextNode(text.slice(at, m.index)));
    host.append(el('span', 'ctl', caret(m[0])));
    at = m.index + 1;
  }
  if (at < text.length) host.append(document.createTextNode(text.slice(at)));
}

// ---------------------------------------------------------------- messages

window.addEventListener('message', (ev: MessageEvent<HostMessage>) => {
  const m = ev.data;
  switch (m.type) {
    case 'snapshot':
      refs = m.refs;
      phase = m.phase;
      phaseMessage = m.message;
      live = m.live;
      report = m.report;
      renderAll(m.message, m.error);
      break;
    case 'phase':
      phase = m.phase;
      phaseMessage = m.message;
      renderPhase(m.message);
      renderSides();
      break;
    case 'lines':
      live[m.side].lines.push(...m.lines);
      if (!report) scheduleRows();
      break;
    case 'side':
      Object.assign(live[m.side], {
        ...(m.containerName ? { containerName: m.containerName } : {}),
        ...(m.published ? { published: m.published } : {}),
        ...(m.state ? { state: m.state } : {}),
        ...(m.listening ? { listening: m.listening } : {}),
      });
      renderSides();
      break;
    case 'report':
      report = m.report;
      renderAll('');
      break;
    case 'error':
      renderError(m.message);
      break;
    case 'reveal':
      showEvidence({
        evidence: { ...(m.logRow !== undefined ? { logRows: [m.logRow] } : {}), ...(m.probe ? { probe: m.probe } : {}), ...(m.http ? { http: [m.http] } : {}), ...(m.listening ? { listening: [m.listening] } : {}) },
      });
      break;
  }
});

// ---------------------------------------------------------------- header, sides, findings

function renderAll(message: string, error?: string): void {
  $('title').textContent = `${refs[0]}  ↔  ${refs[1]}`;
  $('head-a').textContent = `A  ${refs[0]}`;
  $('head-b').textContent = `B  ${refs[1]}`;
  renderPhase(message);
  renderSides();
  renderFindings();
  renderModules();
  renderProbes();
  renderHttp();
  renderError(error);
  rebuildRows();
  const viewport = $('viewport');
  viewport.scrollTop = ui.scrollTop;
  renderWindow();
}

function renderPhase(message: string): void {
  if (message) phaseMessage = message;
  const busy = !['up', 'done', 'failed', 'stopped'].includes(phase);
  const containersUp = busy || phase === 'up';
  $('spinner').hidden = !busy;
  $('phase').textContent = phaseMessage || phaseText(phase);
  ($('stop') as HTMLElement & { disabled: boolean }).disabled = !containersUp;
  ($('rerun') as HTMLElement & { disabled: boolean }).disabled = busy;
}

function phaseText(p: RunPhase): string {
  return { loading: 'Loading images…', preparing: 'Preparing…', starting: 'Starting containers…', capturing: 'Capturing startup logs…', probing: 'Running probes…', requesting: 'Requesting over HTTP…', stopping: 'Stopping containers…', done: 'Done', up: 'Done; the containers are up', failed: 'Failed', stopped: 'Stopped' }[p];
}

function renderError(message: string | undefined): void {
  const box = $('error');
  box.hidden = !message;
  box.textContent = message ?? '';
}

function stateText(s: ContainerState | undefined): string {
  if (!s) return 'not started';
  const parts: string[] = [];
  if (s.status === 'failedToStart') parts.push('failed to start');
  else if (s.status === 'exited') parts.push(`exited with code ${s.exitCode ?? '?'}`);
  else parts.push(s.status);
  if (s.health) parts.push(`health: ${s.health}`);
  if (s.restarts) parts.push(`${s.restarts} restart${s.restarts === 1 ? '' : 's'}`);
  if (s.oomKilled) parts.push('OOM-killed');
  return parts.join(' · ');
}

function renderSides(): void {
  for (const side of ['a', 'b'] as const) {
    const box = $(`side-${side}`);
    box.replaceChildren();
    const r = report?.[side];
    const state = r?.state ?? live[side].state;
    const published = r?.published ?? live[side].published;
    const name = r?.containerName ?? live[side].containerName;
    // Stopped or failed, the containers are gone: what they did stays, where they were does not.
    const removed = (phase === 'stopped' || phase === 'failed') && !!name;
    const ok = !removed && state?.status === 'running' && (state.health === undefined || state.health === 'healthy');
    box.className = `side ${removed ? 'removed' : state ? (ok ? 'ok' : state.status === 'running' ? 'warn' : 'bad') : ''}`;
    box.append(el('div', 'side-title', `${side.toUpperCase()}  ${refs[side === 'a' ? 0 : 1]}`));
    box.append(el('div', 'side-state', removed ? `removed${state ? ` (was ${stateText(state)})` : ''}` : stateText(state)));
    if (state?.error) box.append(el('div', 'side-error', visibleText(state.error)));
    const where = removed ? name : [name, published ? `${published.hostIp}:${published.hostPort} → ${published.containerPort}` : undefined].filter(Boolean).join(' · ');
    if (where) box.append(el('div', 'side-where', where));
    const listening = r?.listening ?? live[side].listening;
    if (listening) {
      const line = el('div', `side-listening${listening.error ? ' muted' : ''}`, visibleText(listeningText(listening)));
      line.id = `listening-${side}`;
      box.append(line);
    }
  }
}

/** "Listens on [::]:8080 (at 2.1 s)": what /proc/net/tcp showed in the container, or why it could not be read. */
function listeningText(l: ListeningPorts): string {
  if (l.error) return l.error;
  const at = `at ${(l.at / 1000).toFixed(1)} s`;
  const sockets = l.sockets.map((s) => (s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`));
  return sockets.length ? `Listens on ${sockets.join(', ')} (${at})` : `Listens on no TCP port (${at})`;
}

const SEVERITY_LABEL: Record<RunFinding['severity'], string> = { error: 'error', warning: 'warning', info: 'info' };

function renderFindings(): void {
  const list = $('findings');
  list.replaceChildren();
  const findings = report?.findings ?? [];
  $('findings-box').setAttribute('description', report ? `${findings.length}` : '');
  if (!report) {
    list.append(el('li', 'muted', 'Findings appear when the startup window ends.'));
    return;
  }
  if (!findings.length) list.append(el('li', 'muted', 'The two runs behave the same.'));
  for (const f of findings) {
    const li = el('li', `finding ${f.severity}`);
    li.tabIndex = 0;
    const badge = el('vscode-badge', `sev ${f.severity}`, SEVERITY_LABEL[f.severity]);
    li.append(badge, el('span', 'finding-title', visibleText(f.title)), el('div', 'finding-detail', visibleText(f.detail)));
    li.addEventListener('click', () => showEvidence(f));
    li.addEventListener('keydown', (e) => e.key === 'Enter' && showEvidence(f));
    list.append(li);
  }
}

function showEvidence(f: Pick<RunFinding, 'evidence'>): void {
  if (f.evidence.logRows?.length) {
    if (ui.diffOnly === false && !visible.some((r) => r.index === f.evidence.logRows![0])) rebuildRows();
    const at = visible.findIndex((r) => r.index === f.evidence.logRows![0]);
    if (at >= 0) goTo(at);
  } else if (f.evidence.probe) open('probes', `probe-${f.evidence.probe}`);
  else if (f.evidence.http && !f.evidence.listening) open('http', 'http');
  else if (f.evidence.listening?.length) flash(`listening-${f.evidence.listening[0]}`);
}

/** Scrolls to a line of a side's box and highlights it for a moment. */
function flash(id: string): void {
  const target = document.getElementById(id);
  if (!target) return;
  target.scrollIntoView({ block: 'nearest' });
  target.classList.add('flash');
  setTimeout(() => target.classList.remove('flash'), 1500);
}

function open(section: string, anchor: string): void {
  const box = $(`${section}-box`);
  box.setAttribute('open', '');
  ui.open[section] = true;
  saveUi();
  document.getElementById(anchor)?.scrollIntoView({ block: 'start' });
}

function renderModules(): void {
  const m = report?.modules;
  const box = $('modules-box');
  box.hidden = !m || (!m.onlyA.length && !m.onlyB.length);
  if (!m) return;
  box.setAttribute('description', `${m.onlyA.length + m.onlyB.length}`);
  for (const [side, items] of [['a', m.onlyA], ['b', m.onlyB]] as const) {
    const ul = $(`modules-${side}`);
    ul.replaceChildren(...(items.length ? items.map((x) => el('li', side === 'a' ? 'only-a' : 'only-b', visibleText(x))) : [el('li', 'muted', 'none')]));
  }
}

function renderProbes(): void {
  const box = $('probes-box');
  const list = $('probes');
  list.replaceChildren();
  const probes = report?.probes ?? [];
  box.hidden = !probes.length;
  box.setAttribute('description', `${probes.filter((p) => p.onlyA.length || p.onlyB.length).length} differ`);
  for (const p of probes) {
    const differs = p.onlyA.length > 0 || p.onlyB.length > 0;
    const item = el('div', `probe ${differs ? 'differs' : 'same'}`);
    item.id = `probe-${p.name}`;
    const head = el('div', 'probe-head');
    head.append(el('span', 'probe-name', p.name), el('code', 'probe-cmd', p.command.join(' ')));
    head.append(el('span', 'probe-status', differs ? `${p.onlyA.length} only in A, ${p.onlyB.length} only in B` : 'same output'));
    item.append(head);
    for (const [side, r] of [['A', p.a], ['B', p.b]] as const) {
      if (r.exitCode === null || r.exitCode !== 0) item.append(el('div', 'probe-error', `${side}: ${r.error ?? `exit code ${r.exitCode}`}${r.stderr ? ` — ${visibleText(r.stderr.trim().split('\n').slice(-1)[0] ?? '')}` : ''}`));
    }
    if (differs) {
      const grid = el('div', 'probe-diff');
      for (const x of p.onlyA) grid.append(el('div', 'only-a', `− ${visibleText(x)}`));
      for (const x of p.onlyB) grid.append(el('div', 'only-b', `+ ${visibleText(x)}`));
      item.append(grid);
    }
    list.append(item);
  }
}

function renderHttp(): void {
  const h = report?.http;
  const box = $('http-box');
  const body = $('http');
  body.replaceChildren();
  box.hidden = !h;
  if (!h) return;
  box.setAttribute('description', h.servedAsSource ? 'serves source!' : h.differences.length ? `${h.differences.length} differ` : 'same');
  if (h.servedAsSource) {
    const side = h.servedAsSource.side.toUpperCase();
    body.append(el('div', 'callout error', `${side} serves server-side source as plain text (${visibleText(h.servedAsSource.marker)} in the body): the code leaks, and it never ran.`));
  }
  const table = el('table', 'http-table');
  const head = el('tr');
  head.append(el('th', '', `GET ${h.path}`), el('th', '', 'A'), el('th', '', 'B'));
  table.append(head);
  const row = (name: string, a: string, b: string) => {
    const tr = el('tr', a === b ? '' : 'differs');
    tr.append(el('td', '', name), el('td', '', visibleText(a)), el('td', '', visibleText(b)));
    table.append(tr);
  };
  row('status', h.a?.error ?? String(h.a?.status ?? ''), h.b?.error ?? String(h.b?.status ?? ''));
  const names = [...new Set([...Object.keys(h.a?.headers ?? {}), ...Object.keys(h.b?.headers ?? {})])].sort();
  for (const n of names) row(n, h.a?.headers[n] ?? '', h.b?.headers[n] ?? '');
  row('body', `${h.a?.bodyBytes ?? 0} bytes`, `${h.b?.bodyBytes ?? 0} bytes`);
  body.append(table);
  const bodies = el('div', 'http-bodies');
  for (const r of [h.a, h.b]) {
    const pre = el('pre', 'http-body');
    pre.textContent = visibleText((r?.body ?? '').slice(0, 4000));
    bodies.append(pre);
  }
  body.append(bodies);
}

// ---------------------------------------------------------------- the log columns

const ROW_HEIGHT = 20;
const OVERSCAN = 30;
let rowsScheduled = false;

function scheduleRows(): void {
  if (rowsScheduled) return;
  rowsScheduled = true;
  requestAnimationFrame(() => {
    rowsScheduled = false;
    const viewport = $('viewport');
    const atEnd = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - ROW_HEIGHT * 2;
    rebuildRows();
    if (atEnd) viewport.scrollTop = viewport.scrollHeight;
    renderWindow();
  });
}

const lineOf = (l: CapturedLine, i: number) => ({ line: i + 1, raw: l.text, normalized: l.text, stream: l.stream });

function rebuildRows(): void {
  let rows: DisplayRow[];
  if (report) {
    rows = report.logs.rows.map((r, index) => ({ ...r, index }));
  } else {
    // Before the report: the two logs as they come, side by side, not aligned yet.
    const n = Math.max(live.a.lines.length, live.b.lines.length);
    rows = Array.from({ length: n }, (_, i) => ({
      kind: 'live' as const,
      index: i,
      ...(live.a.lines[i] ? { a: lineOf(live.a.lines[i], i) } : {}),
      ...(live.b.lines[i] ? { b: lineOf(live.b.lines[i], i) } : {}),
    }));
  }
  visible = ui.diffOnly && report ? rows.filter((r) => r.kind !== 'same') : rows;
  renderDetail();
  $('spacer').style.height = `${visible.length * ROW_HEIGHT}px`;
  const s = report?.logs.summary;
  $('log-summary').textContent = s
    ? `${s.linesA} lines in A, ${s.linesB} in B: ${s.onlyA} only in A, ${s.onlyB} only in B, ${s.changed} changed`
    : `${live.a.lines.length} lines in A, ${live.b.lines.length} in B (aligned when the startup window ends)`;
  $('rows').replaceChildren();
  renderWindow();
}

function renderWindow(): void {
  const viewport = $('viewport');
  const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  const out: HTMLElement[] = [];
  for (let i = first; i < last; i++) out.push(renderRow(visible[i], i));
  $('rows').replaceChildren(...out);
}

function renderRow(r: DisplayRow, i: number): HTMLElement {
  const row = el('div', `row ${r.kind}${i === current ? ' current' : ''}`);
  row.style.top = `${i * ROW_HEIGHT}px`;
  row.dataset.index = String(r.index);
  row.addEventListener('click', () => {
    current = i;
    renderWindow();
    renderDetail();
  });
  row.append(el('span', 'ln', r.a ? String(r.a.line) : ''), cell(r, 'a'), el('span', 'ln', r.b ? String(r.b.line) : ''), cell(r, 'b'));
  return row;
}

function cell(r: DisplayRow, side: Side): HTMLElement {
  const c = el('span', `text ${side}`);
  const line = r[side];
  if (!line) {
    c.classList.add('empty');
    return c;
  }
  if (line.stream === 'stderr') c.classList.add('stderr');
  if (r.kind === 'changed' || r.kind === 'onlyA' || r.kind === 'onlyB') c.classList.add('changed');
  fillLine(c, r, side);
  c.title = `${side.toUpperCase()} line ${line.line}${line.stream ? `, ${line.stream}` : ''} (click for the whole line)`;
  return c;
}

/** One side of a row as text: the word diff of a changed row, or the raw / normalised line. */
function fillLine(into: HTMLElement, r: DisplayRow, side: Side): void {
  const line = r[side];
  if (!line) return;
  if (r.kind === 'changed' && r.words && !ui.normalized) {
    for (const w of r.words) {
      const text = side === 'a' ? w.a : w.b;
      if (text) appendText(into, text, w.kind === 'same' ? undefined : side === 'a' ? 'word-a' : 'word-b');
    }
  } else appendText(into, ui.normalized ? line.normalized : line.raw);
}

/** The selected row's two lines in full (rows cut long lines to the column width). */
function renderDetail(): void {
  const box = $('detail');
  const r = visible[current];
  box.hidden = !r;
  if (!r) return;
  for (const side of ['a', 'b'] as const) {
    const pre = $(`detail-${side}`);
    pre.replaceChildren();
    const line = r[side];
    pre.append(el('span', 'detail-label', line ? `${side.toUpperCase()} ${line.line}${line.stream === 'stderr' ? ' stderr' : ''}  ` : `${side.toUpperCase()} —`));
    fillLine(pre, r, side);
  }
}

/** Indexes (in `visible`) of the first row of each run of differing rows. */
function differences(): number[] {
  const out: number[] = [];
  for (let i = 0; i < visible.length; i++) if (visible[i].kind !== 'same' && visible[i].kind !== 'live' && (i === 0 || visible[i - 1].kind === 'same')) out.push(i);
  return out;
}

function goTo(i: number): void {
  current = i;
  const viewport = $('viewport');
  viewport.scrollTop = Math.max(0, i * ROW_HEIGHT - viewport.clientHeight / 3);
  renderWindow();
  renderDetail();
  const d = differences();
  const k = d.indexOf(i);
  $('counter').textContent = k >= 0 ? `${k + 1} of ${d.length}` : `${d.length} differences`;
}

function step(dir: 1 | -1): void {
  const d = differences();
  if (!d.length) return;
  const next = dir === 1 ? d.find((i) => i > current) ?? d[0] : [...d].reverse().find((i) => i < current) ?? d[d.length - 1];
  goTo(next);
}

function copy(side: Side): void {
  const lines = visible.map((r) => r[side]).filter((l): l is NonNullable<DisplayRow['a']> => !!l).map((l) => (ui.normalized ? l.normalized : l.raw));
  vscode.postMessage({ type: 'copy', text: lines.join('\n') + '\n', what: `${lines.length} lines of ${side.toUpperCase()}` });
}

// ---------------------------------------------------------------- wiring

function checkbox(id: string, key: 'diffOnly' | 'normalized'): void {
  const box = $<HTMLElement & { checked: boolean }>(id);
  box.checked = ui[key];
  box.addEventListener('change', () => {
    ui[key] = box.checked;
    saveUi();
    current = -1;
    rebuildRows();
  });
}

function init(): void {
  checkbox('diffOnly', 'diffOnly');
  checkbox('normalized', 'normalized');
  $('prev').addEventListener('click', () => step(-1));
  $('next').addEventListener('click', () => step(1));
  $('copy-a').addEventListener('click', () => copy('a'));
  $('copy-b').addEventListener('click', () => copy('b'));
  $('stop').addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  $('rerun').addEventListener('click', () => vscode.postMessage({ type: 'rerun' }));
  $('compare').addEventListener('click', () => vscode.postMessage({ type: 'compare' }));
  const viewport = $('viewport');
  viewport.addEventListener('scroll', () => {
    ui.scrollTop = viewport.scrollTop;
    saveUi();
    renderWindow();
  });
  window.addEventListener('resize', () => renderWindow());
  document.addEventListener('keydown', (e) => {
    if (e.altKey && e.key === 'ArrowDown') step(1);
    if (e.altKey && e.key === 'ArrowUp') step(-1);
  });
  for (const section of ['findings', 'modules', 'probes', 'http']) {
    const box = $(`${section}-box`);
    if (ui.open[section]) box.setAttribute('open', '');
    else box.removeAttribute('open');
    box.addEventListener('vsc-collapsible-toggle', (e) => {
      ui.open[section] = (e as CustomEvent<{ open: boolean }>).detail.open;
      saveUi();
    });
  }
  vscode.postMessage({ type: 'ready' });
}

init();
