// The Comparison Report: a comparison in full, in the editor area. The
// extension host builds every word (src/extension/webviews/reportView.ts);
// this page only lays it out and sends back what was clicked. Every piece
// of text, much of it from images (paths, instructions, config values),
// is inserted as text (textContent), never as markup.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import type { EvidenceTarget, HostMessage, PanelMessage, ReportAction, ReportFindingView, ReportLink, ReportView } from '../src/protocol/report';
import { $, el } from './dom';
import { vsCodeApi } from './vscodeApi';

/** What the page keeps of itself while VS Code hides it: where it was, per comparison. */
interface UiState {
  key?: string;
  scrollY: number;
}

const vscode = vsCodeApi<PanelMessage, UiState>();
const ui: UiState = { scrollY: 0, ...vscode.getState() };
const saveUi = (): void => vscode.setState(ui);
let view: ReportView | undefined;
/** Evidence links shown under a finding before "Show N more". */
const FIRST_EVIDENCE = 8;

/** A link that opens evidence (a diff, a layer pair, a row): a real link, so Tab and Enter reach it. */
function link(l: ReportLink, cls = 'link'): HTMLElement {
  const a = el('a', cls, l.label);
  a.href = '#';
  a.title = l.hint ? `${l.label}\n${l.hint}` : l.label;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    open(l.target);
  });
  return a;
}

function open(target: EvidenceTarget): void {
  vscode.postMessage({ type: 'open', target });
}

function action(label: string, handler: () => void, title?: string): HTMLElement {
  const a = el('a', 'action', label);
  a.href = '#';
  if (title) a.title = title;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    handler();
  });
  return a;
}

// ---------------------------------------------------------------- messages

window.addEventListener('message', (ev: MessageEvent<HostMessage>) => {
  const m = ev.data;
  switch (m.type) {
    case 'show': {
      const again = view?.key === m.view.key || ui.key === m.view.key;
      const y = view ? window.scrollY : ui.scrollY;
      view = m.view;
      render(m.view);
      window.scrollTo(0, again ? y : 0);
      ui.key = m.view.key;
      saveUi();
      break;
    }
    case 'reveal': {
      const target = document.querySelector<HTMLElement>(`[data-anchor="${CSS.escape(m.anchor)}"]`);
      if (target) select(target);
      vscode.postMessage({ type: 'revealed', id: m.id, found: !!target });
      break;
    }
  }
});

/** Scrolls to a row and marks it as the one shown, as a tree selects what it reveals. */
function select(target: HTMLElement): void {
  for (const x of document.querySelectorAll('.selected')) x.classList.remove('selected');
  const box = target.closest('vscode-collapsible');
  if (box) box.setAttribute('open', '');
  for (let e: HTMLElement | null = target; e; e = e.parentElement) e.hidden = false;
  target.classList.add('selected');
  target.scrollIntoView({ block: 'center' });
  target.focus({ preventScroll: true });
}

// ---------------------------------------------------------------- rendering

/** A row a reveal can land on: found by its anchor, and focusable (not in the Tab order) once selected. */
function revealable<K extends 'li' | 'tr'>(tag: K, anchor: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = el(tag, cls);
  e.dataset.anchor = anchor;
  e.tabIndex = -1;
  return e;
}

function render(v: ReportView): void {
  $('title').textContent = v.title;
  document.title = v.title;
  renderSides(v);
  $('summary').textContent = v.summary;
  const run = $('run-line');
  run.hidden = !v.run;
  run.replaceChildren();
  if (v.run) {
    run.append(el('span', '', v.run.text), ' ', action('Show the run panel', () => post('openRun')));
    if (v.run.running) run.append(' ', action('Stop', () => post('stopRun'), 'Stop both containers and remove them (Stop Run)'));
  }
  $('findings-head').textContent = v.findings.length ? `Findings (${v.findings.length})` : 'Findings';
  $('findings-note').textContent = v.findingsNote;
  $('findings').replaceChildren(...v.findings.map(renderFinding));
  renderLayers(v);
  renderFiles(v);
  renderPackages(v);
  renderLeftovers(v);
  renderConfig(v);
  const ignored = $('ignored');
  ignored.hidden = !v.ignoredPaths.length;
  ignored.textContent = v.ignoredPaths.length ? `Paths left out of this comparison (containerCompare.ignore): ${v.ignoredPaths.join(', ')}` : '';
}

function post(a: ReportAction): void {
  vscode.postMessage({ type: 'action', action: a });
}

function renderSides(v: ReportView): void {
  const box = $('sides');
  box.replaceChildren();
  for (const s of v.sides) {
    const card = el('div', 'side');
    const head = el('div', 'side-ref');
    head.append(el('span', 'letter', s.letter), el('span', 'ref', s.ref));
    head.title = s.ref;
    card.append(head);
    const facts = el('div', 'side-facts');
    const size = el('span', 'size', s.size);
    size.title = `${s.size}: ${s.sizeNote}`;
    const id = el('code', 'id', s.shortId);
    id.title = s.id;
    facts.append(id, ' · ', `${s.layers} layers`, ' · ', size, ' · ', s.platform, ' · from ', s.source);
    card.append(facts);
    box.append(card);
  }
}

function renderFinding(f: ReportFindingView): HTMLElement {
  const li = revealable('li', f.anchor, `finding ${f.severity}`);
  const head = el('div', 'finding-head');
  const sev = el('span', `sev ${f.severity}`, f.severity === 'error' ? 'Error' : f.severity === 'warning' ? 'Warning' : 'Info');
  const code = el('vscode-badge', 'code', f.code);
  code.title = f.about ? `${f.code}: ${f.about.name}` : f.code;
  head.append(sev, code);
  for (const t of f.tags) head.append(el('span', 'tag', t));
  li.append(head, el('div', 'finding-title', f.title), el('p', 'finding-detail', f.detail));
  if (f.evidence.length) {
    const list = el('ul', 'evidence');
    const items = f.evidence.map((e) => {
      const item = el('li');
      item.append(link(e));
      if (e.hint) item.append(el('span', 'hint', e.hint));
      return item;
    });
    list.append(...items);
    // A finding about forty files shows its first few; the rest are one click away, not a wall of links.
    if (items.length > FIRST_EVIDENCE) {
      for (const item of items.slice(FIRST_EVIDENCE)) item.hidden = true;
      const more = el('li', 'more');
      more.append(action(`Show ${items.length - FIRST_EVIDENCE} more`, () => {
        for (const item of items) item.hidden = false;
        more.remove();
      }));
      list.append(more);
    }
    if (f.moreEvidence) list.append(el('li', 'muted', `and ${f.moreEvidence} more (the Comparison view lists every file)`));
    li.append(list);
  }
  const actions = el('div', 'finding-actions');
  if (f.about) {
    const about = el('vscode-collapsible', 'about');
    about.setAttribute('heading', `About ${f.code}: ${f.about.name}`);
    const body = el('dl', 'about-body');
    for (const [term, text] of [['What it means', f.about.means], ['Why it ranks here', f.about.ranks], ['How to fix it', f.about.fix]] as const) body.append(el('dt', '', term), el('dd', '', text));
    about.append(body);
    li.append(about);
  }
  actions.append(action(`Ignore this finding (${f.code})`, () => vscode.postMessage({ type: 'ignore', code: f.code }), `Adds ${f.code} to containerCompare.findings.ignore`));
  if (f.paths.length === 1) actions.append(action(`Ignore ${f.code} for ${f.paths[0]}`, () => vscode.postMessage({ type: 'ignore', code: f.code, path: f.paths[0] }), `Adds ${f.code}:${f.paths[0]} to containerCompare.findings.ignore`));
  else if (f.paths.length > 1) actions.append(action(`Ignore ${f.code} for one of its ${f.paths.length} paths…`, () => vscode.postMessage({ type: 'ignore', code: f.code, choose: f.paths }), `Adds ${f.code}:PATH to containerCompare.findings.ignore`));
  if (f.debug) actions.append(el('code', 'debug', f.debug));
  li.append(actions);
  return li;
}

function renderLayers(v: ReportView): void {
  const body = $('layers');
  body.replaceChildren();
  for (const l of v.layers) {
    const tr = revealable('tr', l.anchor, `layer ${l.status}`);
    const step = l.a?.instruction ?? l.b?.instruction ?? '';
    const other = l.a && l.b && l.a.instruction !== l.b.instruction ? l.b.instruction : undefined;
    const stepCell = el('td', 'step');
    stepCell.append(el('div', '', step));
    if (other) stepCell.append(el('div', 'other-step', `B: ${other}`));
    const status = el('td', 'status');
    if (l.open) status.append(link({ label: l.detail, target: l.open, hint: 'open both layers' }));
    else status.append(el('span', '', l.detail));
    status.append(el('div', 'status-text', l.statusText));
    tr.append(el('td', 'index', l.index), stepCell, el('td', 'size', l.a?.size ?? '—'), el('td', 'size', l.b?.size ?? '—'), status);
    body.append(tr);
  }
}

function renderFiles(v: ReportView): void {
  const box = $('files');
  box.replaceChildren();
  if (!v.fileGroups.length) box.append(el('p', 'muted', 'No file differs.'));
  for (const g of v.fileGroups) {
    const section = el('vscode-collapsible', 'group');
    section.setAttribute('heading', g.title);
    section.setAttribute('description', String(g.count));
    if (g.count <= 20) section.setAttribute('open', '');
    const ul = el('ul', 'files');
    for (const f of g.files) {
      const li = revealable('li', f.anchor);
      li.append(link({ label: f.path, target: f.target }), el('span', 'hint', f.detail));
      ul.append(li);
    }
    if (g.more) ul.append(el('li', 'muted', `and ${g.more} more (the Comparison view lists them all)`));
    section.append(ul);
    box.append(section);
  }
}

function renderPackages(v: ReportView): void {
  $('packages-section').hidden = !v.packages.length;
  const box = $('packages');
  box.replaceChildren();
  for (const e of v.packages) {
    box.append(el('h3', '', e.title));
    const ul = el('ul', 'plain');
    for (const p of e.rows) {
      const li = revealable('li', p.anchor, p.security ? 'security' : '');
      li.append(el('span', 'name', p.name), el('span', 'hint', p.change));
      if (p.security) li.append(el('span', 'tag', 'security-relevant'));
      ul.append(li);
    }
    box.append(ul);
  }
}

function renderLeftovers(v: ReportView): void {
  $('leftovers-section').hidden = !v.leftovers.length;
  $('leftovers').replaceChildren(
    ...v.leftovers.map((l) => {
      const li = revealable('li', l.anchor, l.secret ? 'secret' : '');
      li.append(link({ label: l.path, target: l.target }), el('span', 'hint', l.where), el('div', 'reason', l.reason));
      return li;
    }),
  );
}

function renderConfig(v: ReportView): void {
  $('config-section').hidden = !v.config.length;
  $('config').replaceChildren(
    ...v.config.map((c) => {
      const tr = revealable('tr', c.anchor, c.same ? 'same' : '');
      const name = el('td', 'name', c.name);
      if (c.same) name.append(el('div', 'status-text', 'the same in both, cited by a finding'));
      tr.append(name, el('td', 'value', c.a), el('td', 'value', c.b));
      return tr;
    }),
  );
}

// ---------------------------------------------------------------- wiring

function init(): void {
  $('swap').addEventListener('click', () => post('swapSides'));
  $('run').addEventListener('click', () => post('runSideBySide'));
  $('export').addEventListener('click', () => post('exportReport'));
  let timer: number | undefined;
  window.addEventListener('scroll', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      ui.scrollY = window.scrollY;
      saveUi();
    }, 200);
  });
  vscode.postMessage({ type: 'ready' });
}

init();
