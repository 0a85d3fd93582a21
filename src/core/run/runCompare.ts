import { cleanLine, compileRules, normalizeLine, type CompiledRules, type LogLine } from './logNormalize';
import { diffLogMarkers, diffLogs, type LogDiffSummary, type LogRow } from './logDiff';
import type {
  CapturedLine,
  ContainerState,
  FindingSeverity,
  HttpComparison,
  HttpResult,
  ProbeComparison,
  ProbeResult,
  RunFinding,
  RunOptions,
  RunReport,
  Side,
  SideRun,
  StreamName,
} from './runModel';
import { otherSide } from '../util/side';
import { RUN_CODES } from './codes';
import { cut, list } from '../util/text';
import { onPort, portsOf, reachable, socketText, type ListeningSocket } from './listening';

/**
 * Compares two side-by-side runs (src/docker/runner.ts) into the report the
 * CLI prints and the run panel shows: what a developer should look at first
 * (findings), the aligned startup logs, modules seen on one side only, probe
 * outputs and the HTTP answers.
 *
 * Logs are diffed per stream: A's stdout against B's stdout, A's stderr
 * against B's stderr. Within one stream a container's order is its own
 * (one pipe), while the order in which two streams interleave depends on
 * scheduling and would make equal logs look different. The rows of both
 * diffs are then merged back into one list in capture order. A row's
 * `a.line` / `b.line` is the 1-based position of the line in that side's
 * `lines`, so `a.lines[row.a.line - 1]` gives its stream and time. A line
 * that moved from stdout to stderr shows as one line only in A and one only
 * in B.
 */
export function compareRuns(a: SideRun, b: SideRun, options: RunOptions): RunReport {
  const rules = compileRules({ hosts: hostsOf(a, b), ids: idsOf(a, b), rules: options.logRules });
  const logs = diffStreams(a, b, rules);
  const markers = diffLogMarkers(
    a.lines.map((l) => l.text),
    b.lines.map((l) => l.text),
  );
  const probes = compareProbes(a.probes, b.probes, rules);
  const moduleSets = probes.flatMap((p) => probeModuleDiff(p));
  const modules = {
    onlyA: unique([...moduleSets.flatMap((m) => m.onlyA), ...markers.onlyA]),
    onlyB: unique([...moduleSets.flatMap((m) => m.onlyB), ...markers.onlyB]),
  };
  const http = a.http || b.http || options.httpPath !== undefined ? compareHttp(options.httpPath ?? '/', a.http, b.http, rules) : undefined;

  const f = new Findings();
  stateFindings(f, a, b, logs.rows);
  portFindings(f, a, b, http);
  if (http) httpFindings(f, http);
  for (const m of moduleSets) moduleFindings(f, m);
  markerFindings(f, markers, logs.rows);
  probeFindings(f, probes, moduleSets);
  logFindings(f, logs.rows, logs.summary, a, b);

  return {
    schemaVersion: 1,
    a,
    b,
    options,
    findings: f.ranked(),
    logs,
    modules,
    probes,
    http,
    differ: f.differ,
  };
}

// ---------------------------------------------------------------- logs

/** What must not differ between two runs: the containers' own names, hostnames (the short id) and published addresses. */
function hostsOf(...sides: SideRun[]): string[] {
  const out: string[] = [];
  for (const s of sides) {
    if (s.containerName) out.push(s.containerName);
    if (s.containerId) out.push(s.containerId.slice(0, 12));
    if (s.published) out.push(`${s.published.hostIp}:${s.published.hostPort}`, `localhost:${s.published.hostPort}`);
  }
  return out.filter((h) => h.length >= 4);
}

function idsOf(...sides: SideRun[]): string[] {
  return sides.flatMap((s) => (s.containerId ? [s.containerId, s.containerId.slice(0, 12)] : []));
}

function linesOf(side: SideRun, stream: StreamName, rules: CompiledRules): LogLine[] {
  const out: LogLine[] = [];
  side.lines.forEach((l, i) => {
    if (l.stream === stream) out.push({ line: i + 1, raw: l.text, normalized: normalizeLine(l.text, rules) });
  });
  return out;
}

function diffStreams(a: SideRun, b: SideRun, rules: CompiledRules): { summary: LogDiffSummary; rows: LogRow[] } {
  const summary: LogDiffSummary = { linesA: a.lines.length, linesB: b.lines.length, same: 0, changed: 0, onlyA: 0, onlyB: 0 };
  const perStream = (['stdout', 'stderr'] as const).map((stream) => {
    const d = diffLogs(linesOf(a, stream, rules), linesOf(b, stream, rules), { rules });
    summary.same += d.summary.same;
    summary.changed += d.summary.changed;
    summary.onlyA += d.summary.onlyA;
    summary.onlyB += d.summary.onlyB;
    return d.rows;
  });
  return { summary, rows: mergeRows(perStream[0], perStream[1], a.lines, b.lines) };
}

/**
 * Two row lists, each in its own order, merged into capture order: rows that
 * both have an A line by A's order, both a B line by B's, otherwise by time
 * since start.
 */
function mergeRows(x: LogRow[], y: LogRow[], la: readonly CapturedLine[], lb: readonly CapturedLine[]): LogRow[] {
  const at = (r: LogRow): number => (r.a ? la[r.a.line - 1].at : lb[r.b!.line - 1].at);
  const before = (p: LogRow, q: LogRow): boolean => {
    if (p.a && q.a) return p.a.line < q.a.line;
    if (p.b && q.b) return p.b.line < q.b.line;
    return at(p) <= at(q);
  };
  const out: LogRow[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (j >= y.length || (i < x.length && before(x[i], y[j]))) out.push(x[i++]);
    else out.push(y[j++]);
  }
  return out;
}

// ---------------------------------------------------------------- probes

function notRun(name: string, command: string[]): ProbeResult {
  return { name, command, exitCode: null, stdout: '', stderr: '', error: 'not run', durationMs: 0 };
}

/** Output lines of a probe (stdout, then stderr), normalised like log lines, without blanks. */
function probeLines(p: ProbeResult, rules: CompiledRules): string[] {
  const lines = `${p.stdout}\n${p.stderr}`.split('\n').map((l) => normalizeLine(l.replace(/\r$/, ''), rules));
  return lines.filter((l) => l.trim() !== '');
}

function compareProbes(pa: readonly ProbeResult[], pb: readonly ProbeResult[], rules: CompiledRules): ProbeComparison[] {
  const names = unique([...pa.map((p) => p.name), ...pb.map((p) => p.name)]);
  return names.map((name) => {
    const x = pa.find((p) => p.name === name);
    const y = pb.find((p) => p.name === name);
    const a = x ?? notRun(name, y!.command);
    const b = y ?? notRun(name, x!.command);
    const la = new Set(probeLines(a, rules));
    const lb = new Set(probeLines(b, rules));
    return { name, command: a.command, a, b, onlyA: [...la].filter((l) => !lb.has(l)), onlyB: [...lb].filter((l) => !la.has(l)) };
  });
}

/** Whether the probe ran at all (a missing command counts as run: that is what it shows). */
function ran(p: ProbeResult): boolean {
  return !(p.exitCode === null && (p.error === undefined || p.error.startsWith('not run') || p.error.startsWith('timed out')));
}

function probeDiffers(p: ProbeComparison): boolean {
  return p.onlyA.length > 0 || p.onlyB.length > 0 || p.a.exitCode !== p.b.exitCode || !!p.a.error !== !!p.b.error;
}

export type ModuleSource = 'apache' | 'php' | 'python' | 'nginx';

/**
 * The modules a probe's output lists: Apache's `apache2ctl -M`
 * (`fcgid_module (shared)`), PHP's `php -m` / `php-cgi -m` (`[PHP Modules]`),
 * `pip freeze` (`name==1.0`, names in PEP 503 form) and `nginx -V`
 * (`--with-http_ssl_module`, `--add-module=.../name`). Undefined for other
 * probes. Recognised by the output, and for pip by the command.
 */
export function probeModules(p: ProbeResult): { source: ModuleSource; modules: string[] } | undefined {
  const out = p.stdout;
  const cmd = p.command.join(' ');
  const apache = [...out.matchAll(/^\s*([A-Za-z0-9_]+_module)\s+\((?:static|shared)\)\s*$/gm)].map((m) => m[1]);
  if (apache.length || /^Loaded Modules:/m.test(out)) return { source: 'apache', modules: unique(apache) };
  if (/^\[PHP Modules\]/m.test(out)) {
    const names = out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^\[.*\]$/.test(l));
    return { source: 'php', modules: unique(names) };
  }
  if (/\bpip[\d.]*\s+freeze\b|-m\s+pip\s+freeze\b/.test(cmd)) {
    const names = [...out.matchAll(/^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:===?|@)/gm)].map((m) => m[1].toLowerCase().replace(/[-_.]+/g, '-'));
    return { source: 'python', modules: unique(names) };
  }
  const all = `${out}\n${p.stderr}`;
  if (/configure arguments:/.test(all)) {
    const names = [
      ...[...all.matchAll(/--with-([A-Za-z0-9_]+_module)\b/g)].map((m) => m[1]),
      ...[...all.matchAll(/--add(?:-dynamic)?-module=(\S+)/g)].map((m) => m[1].replace(/\/+$/, '').split('/').pop()!),
    ];
    return { source: 'nginx', modules: unique(names) };
  }
  return undefined;
}

interface ModuleDiff {
  probe: ProbeComparison;
  source: ModuleSource;
  onlyA: string[];
  onlyB: string[];
}

/** Modules one side's probe lists and the other's does not; nothing when a side could not run it (stopped container, timeout). */
function probeModuleDiff(p: ProbeComparison): ModuleDiff[] {
  if (!ran(p.a) || !ran(p.b)) return [];
  // A command that ran and failed on one side (a configuration error) lists nothing: that failure is the finding.
  const failed = (r: ProbeResult) => r.exitCode !== null && r.exitCode !== 0;
  if (p.a.exitCode !== p.b.exitCode && (failed(p.a) || failed(p.b))) return [];
  const ma = probeModules(p.a);
  const mb = probeModules(p.b);
  const source = ma?.source ?? mb?.source;
  if (!source) return [];
  const sa = new Set(ma?.source === source ? ma.modules : []);
  const sb = new Set(mb?.source === source ? mb.modules : []);
  const onlyA = [...sa].filter((m) => !sb.has(m));
  const onlyB = [...sb].filter((m) => !sa.has(m));
  return onlyA.length || onlyB.length ? [{ probe: p, source, onlyA, onlyB }] : [];
}

// ---------------------------------------------------------------- HTTP

/** Server-side source a server should have executed, not sent: the marker found, or undefined. */
export function sourceMarker(body: string): string | undefined {
  // A CGI script sent whole starts with its interpreter line.
  const shebang = /^#![ \t]*\/[^\r\n]*/.exec(body);
  if (shebang && /\b(?:python[\d.]*|perl|ruby|php|node|bash|sh|env)\b/.test(shebang[0])) return shebang[0].trim().slice(0, 80);
  if (/<\?php\b/i.test(body)) return '<?php';
  if (body.includes('<?=')) return '<?=';
  const asp = /<%[@=!-]|<%\s/.exec(body);
  if (asp) return asp[0].trim() || '<%';
  return undefined;
}

function bodyLines(r: HttpResult, rules: CompiledRules): string {
  return r.body
    .split('\n')
    .map((l) => normalizeLine(l.replace(/\r$/, ''), rules))
    .join('\n');
}

/** What differs between the two answers to GET path, and which side (if any) sent source the other executed. */
export function compareHttp(path: string, a: HttpResult | undefined, b: HttpResult | undefined, rules: CompiledRules = compileRules()): HttpComparison {
  const differences: string[] = [];
  const out: HttpComparison = { path, a, b, differences };
  if (!a || !b) {
    if (a || b) differences.push('status');
    return out;
  }
  if (!!a.error !== !!b.error || a.status !== b.status) differences.push('status');
  // Headers only between two answers: "no content-type" from a side that never answered says nothing.
  const keys = a.status !== undefined && b.status !== undefined ? unique([...Object.keys(a.headers), ...Object.keys(b.headers)]).sort() : [];
  for (const k of keys) if (a.headers[k] !== b.headers[k]) differences.push(`header ${k}`);
  if (a.status !== undefined && b.status !== undefined && bodyLines(a, rules) !== bodyLines(b, rules)) differences.push('body');
  for (const [side, self, other] of [['a', a, b] as const, ['b', b, a] as const]) {
    const marker = self.status !== undefined && self.status < 400 ? sourceMarker(self.body) : undefined;
    // Only a leak when the other side answered the same path without it: it ran the code.
    if (marker && other.status !== undefined && other.status < 400 && sourceMarker(other.body) === undefined) out.servedAsSource = { side, marker };
  }
  return out;
}

// ---------------------------------------------------------------- findings

const RANK: Record<RunFinding['kind'], number> = {
  startFailed: 0,
  exited: 1,
  servedAsSource: 2,
  moduleOnlyOne: 3,
  httpStatus: 4,
  port: 4,
  health: 5,
  restarts: 6,
  probeDiffers: 7,
  httpHeader: 8,
  httpBody: 9,
  logOnlyOne: 10,
  logChanged: 11,
};
const SEVERITY: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };
const SIDE_ORDER = (s: Side | undefined): number => (s === 'a' ? 0 : s === 'b' ? 1 : 2);
const NAME = (s: Side): string => s.toUpperCase();
const MAX_EVIDENCE_ROWS = 50;

class Findings {
  private readonly list: RunFinding[] = [];
  differ = false;

  /** `differs: false` for facts true of both sides (both exited with code 1): worth saying, not a difference. */
  add(f: Omit<RunFinding, 'code'>, differs = true): void {
    this.list.push({ code: RUN_CODES[f.kind].code, ...f });
    if (differs) this.differ = true;
  }

  ranked(): RunFinding[] {
    return this.list
      .map((f, i) => ({ f, i }))
      .sort((x, y) => RANK[x.f.kind] - RANK[y.f.kind] || SEVERITY[x.f.severity] - SEVERITY[y.f.severity] || SIDE_ORDER(x.f.side) - SIDE_ORDER(y.f.side) || x.i - y.i)
      .map((x) => x.f);
  }
}

/** A display-safe excerpt of container text for a finding: no control characters, bounded. */
function quote(text: string, max = 160): string {
  return cut(cleanLine(text).trim(), max);
}

/** What an exec failure ("exec /entrypoint.sh: no such file or directory") usually means. */
export function explainExecFailure(message: string): string | undefined {
  if (/exec format error/i.test(message)) {
    return 'the file is not a program this machine can run: a script without a #! line, or a binary built for another CPU architecture.';
  }
  if (/executable file not found in \$PATH/.test(message)) return 'the command is not installed in this image, or not on its PATH.';
  const missing = /exec:? "?([^":\s]+)"?:? (?:stat \S+: )?no such file or directory/.exec(message);
  if (missing) {
    return `${missing[1]} is missing from the image, or it is a script whose #! line names an interpreter the image does not have; a script saved with CRLF line endings asks for "/bin/sh\\r", which never exists.`;
  }
  // Only a failure to execute says something about the execute bit; "Permission denied" from a program reading its files does not.
  if (/\bexec\b.*permission denied|permission denied.*\bexec/i.test(message)) return 'the file is not executable (its mode lacks x) or a mount forbids running it.';
  return undefined;
}

/** "is running", "exited with code 1", "did not start": a container's state in a sentence. */
export function describeState(state: ContainerState): string {
  switch (state.status) {
    case 'running':
      return 'is running';
    case 'exited':
      return `exited with code ${state.exitCode}`;
    case 'failedToStart':
      return 'did not start';
    default:
      return `is ${state.status}`;
  }
}

/** Indexes of rows holding the last lines a side wrote (its "last words"), stderr preferred. */
function lastWords(side: Side, run: SideRun, rows: readonly LogRow[]): { text?: string; rows: number[] } {
  const pick = [...run.lines.keys()].filter((i) => run.lines[i].stream === 'stderr' && cleanLine(run.lines[i].text).trim() !== '').slice(-3);
  const idx = pick.length ? pick : [...run.lines.keys()].filter((i) => cleanLine(run.lines[i].text).trim() !== '').slice(-3);
  const wanted = new Set(idx.map((i) => i + 1));
  const rowIdx = rows.flatMap((r, k) => (wanted.has((side === 'a' ? r.a : r.b)?.line ?? -1) ? [k] : []));
  return { text: idx.length ? run.lines[idx[idx.length - 1]].text : undefined, rows: rowIdx };
}

function stateFindings(f: Findings, a: SideRun, b: SideRun, rows: readonly LogRow[]): void {
  const runs = { a, b };
  const failed = (s: SideRun) => s.state.status === 'failedToStart';
  const stopped = (s: SideRun) => s.state.status === 'exited' || s.state.status === 'dead';

  if (failed(a) && failed(b) && a.state.error === b.state.error) {
    f.add({ kind: 'startFailed', severity: 'error', title: `Neither container started: ${quote(a.state.error ?? 'no error given')}`, detail: `The engine refused to start both containers the same way${hint(a.state.error)}`, evidence: {} }, false);
  } else {
    for (const side of ['a', 'b'] as const) {
      const s = runs[side];
      if (!failed(s)) continue;
      const other = runs[otherSide(side)];
      f.add({
        kind: 'startFailed',
        severity: 'error',
        side,
        title: `${NAME(side)} did not start: ${quote(s.state.error ?? 'no error given')}`,
        detail: `The engine refused to start ${NAME(side)} (${NAME(otherSide(side))} ${describeState(other.state)})${hint(s.state.error)}`,
        evidence: {},
      });
    }
  }

  if (stopped(a) && stopped(b) && a.state.exitCode === b.state.exitCode) {
    if (a.state.exitCode !== 0) {
      f.add({ kind: 'exited', severity: 'info', title: `Both containers exited with code ${a.state.exitCode}`, detail: 'Both stopped the same way during the startup window.', evidence: {} }, false);
    }
  } else {
    for (const side of ['a', 'b'] as const) {
      const s = runs[side];
      const other = runs[otherSide(side)];
      if (!stopped(s) || (stopped(other) && s.state.exitCode === 0)) continue;
      const words = lastWords(side, s, rows);
      const said = words.text !== undefined ? ` Its last output: "${quote(words.text)}".` : ' It wrote nothing.';
      const why = words.text !== undefined ? explainExecFailure(words.text) : undefined;
      const oom = s.state.oomKilled ? ' The kernel killed it for lack of memory (OOMKilled).' : '';
      f.add({
        kind: 'exited',
        severity: other.state.status === 'running' || s.state.exitCode !== 0 ? 'error' : 'warning',
        side,
        title: `${NAME(side)} exited with code ${s.state.exitCode}${s.state.status === 'dead' ? ' (dead)' : ''} while ${NAME(otherSide(side))} ${describeState(other.state)}`,
        detail: `${NAME(side)} stopped during the startup window.${said}${why ? ` That usually means ${why}` : ''}${oom}${s.state.error ? ` The engine says: ${quote(s.state.error)}.` : ''}`,
        evidence: { logRows: words.rows },
      });
    }
  }

  if (a.state.health !== b.state.health) {
    const bad = (h?: string) => (h === 'unhealthy' ? 2 : h === 'starting' ? 1 : 0);
    const side: Side = bad(a.state.health) >= bad(b.state.health) ? 'a' : 'b';
    f.add({
      kind: 'health',
      severity: a.state.health === 'unhealthy' || b.state.health === 'unhealthy' ? 'error' : a.state.health && b.state.health ? 'warning' : 'info',
      side,
      title: `Health: ${a.state.health ?? 'no health check'} in A, ${b.state.health ?? 'no health check'} in B`,
      detail: !a.state.health || !b.state.health ? 'Only one image defines a HEALTHCHECK.' : `The images' health checks do not agree at the end of the startup window: ${NAME(side)} is ${runs[side].state.health}.`,
      evidence: {},
    });
  }

  if (a.state.restarts !== b.state.restarts) {
    const side: Side = a.state.restarts > b.state.restarts ? 'a' : 'b';
    f.add({
      kind: 'restarts',
      severity: 'warning',
      side,
      title: `${NAME(side)} restarted ${runs[side].state.restarts} time${runs[side].state.restarts === 1 ? '' : 's'} (${NAME(otherSide(side))}: ${runs[otherSide(side)].state.restarts})`,
      detail: `The engine restarted ${NAME(side)} after it stopped: it keeps failing where the other does not.`,
      evidence: {},
    });
  }
}

function hint(message: string | undefined): string {
  const why = message ? explainExecFailure(message) : undefined;
  return why ? `: ${why}` : '.';
}

function httpFindings(f: Findings, h: HttpComparison): void {
  const { a, b, path } = h;
  if (h.servedAsSource) {
    const side = h.servedAsSource.side;
    const self = side === 'a' ? a! : b!;
    const other = side === 'a' ? b! : a!;
    f.add({
      kind: 'servedAsSource',
      severity: 'error',
      side,
      title: `${NAME(side)} serves ${path} as source code (${h.servedAsSource.marker}) where ${NAME(otherSide(side))} runs it`,
      detail: `${NAME(side)} answered ${self.status}${self.headers['content-type'] ? ` ${self.headers['content-type']}` : ''} with the script itself, while ${NAME(otherSide(side))} answered ${other.status} with its output: ${NAME(side)} has no handler for it (a module or FastCGI setup missing), and anyone can read the source, secrets included.`,
      evidence: { http: ['body', ...h.differences.filter((d) => d !== 'body')] },
    });
  }
  const answer = (r?: HttpResult) => (r?.error ? `no answer (${r.error})` : r?.status !== undefined ? String(r.status) : 'no request');
  if (h.differences.includes('status')) {
    const failing = (r?: HttpResult) => (r?.error || r?.status === undefined ? 3 : r.status >= 500 ? 2 : r.status >= 400 ? 1 : 0);
    const side: Side = failing(a) >= failing(b) ? 'a' : 'b';
    // "not requested: the container exited": the state findings already say the important part.
    const notAsked = (side === 'a' ? a : b)?.error?.startsWith('not requested');
    f.add({
      kind: 'httpStatus',
      severity: notAsked ? 'info' : Math.max(failing(a), failing(b)) >= 2 ? 'error' : 'warning',
      side,
      title: `GET ${path}: ${answer(a)} in A, ${answer(b)} in B`,
      detail: `The same request gets a different answer: ${NAME(side)} ${failing(side === 'a' ? a : b) === 3 ? 'did not answer it' : 'answers worse'}.`,
      evidence: { http: ['status'] },
    });
  }
  const headers = h.differences.filter((d) => d.startsWith('header '));
  if (headers.length && a && b) {
    const parts = headers.map((d) => {
      const k = d.slice('header '.length);
      return `${k}: ${quote(a.headers[k] ?? '(none)', 80)} → ${quote(b.headers[k] ?? '(none)', 80)}`;
    });
    f.add({
      kind: 'httpHeader',
      severity: headers.includes('header content-type') ? 'warning' : 'info',
      title: `GET ${path}: ${headers.length === 1 ? `header ${parts[0].split(':')[0]} differs` : `${headers.length} headers differ`}`,
      detail: `A → B: ${parts.join('; ')}.`,
      evidence: { http: headers },
    });
  }
  if (h.differences.includes('body') && !h.servedAsSource && a && b) {
    f.add({
      kind: 'httpBody',
      severity: 'info',
      title: `GET ${path}: the bodies differ`,
      detail: `A sent ${a.bodyBytes} bytes, B ${b.bodyBytes}; they differ beyond what changes per run (times, ids, addresses).`,
      evidence: { http: ['body'] },
    });
  }
}

/** How a side stands to the published port: reachable there, bound to loopback only, listening elsewhere, or nowhere. */
type PortStand = 'reachable' | 'loopback' | 'elsewhere' | 'none';

function portStand(sockets: readonly ListeningSocket[], port: number): PortStand {
  return reachable(sockets, port) ? 'reachable' : onPort(sockets, port).length ? 'loopback' : sockets.length ? 'elsewhere' : 'none';
}

const socketList = (sockets: readonly ListeningSocket[]): string => (sockets.length ? list(sockets.map(socketText), 6) : 'no TCP port');
const portList = (sockets: readonly ListeningSocket[]): string => list(portsOf(sockets).map(String), 6);
const sameSockets = (x: readonly ListeningSocket[], y: readonly ListeningSocket[]): boolean => socketList(x) === socketList(y);

/**
 * The ports each container listens on (SideRun.listening) against the port
 * published and against each other. Nothing when both listen where the
 * published port leads (other ports besides explain nothing); nothing for a
 * side that stopped (the state findings say why) or whose sockets could not
 * be read.
 */
function portFindings(f: Findings, a: SideRun, b: SideRun, http: HttpComparison | undefined): void {
  const runs = { a, b };
  const known = (s: SideRun): ListeningSocket[] | undefined => (s.state.status === 'running' && s.listening && !s.listening.error ? s.listening.sockets : undefined);
  const sockets = { a: known(a), b: known(b) };
  const published = a.published?.containerPort ?? b.published?.containerPort;
  const port = published?.endsWith('/tcp') ? parseInt(published, 10) : undefined;
  const seconds = (s: SideRun): string => `${((s.listening?.at ?? 0) / 1000).toFixed(1)} s`;

  if (port === undefined) {
    // Nothing published (or not TCP): only a difference between the two says something.
    if (!sockets.a || !sockets.b || sameSockets(sockets.a, sockets.b)) return;
    f.add({
      kind: 'port',
      severity: 'warning',
      title: `A listens on ${sockets.a.length ? portList(sockets.a) : 'no TCP port'}, B on ${sockets.b.length ? portList(sockets.b) : 'no TCP port'}`,
      detail: `Read from /proc/net/tcp in each container: A ${socketList(sockets.a)} (at ${seconds(a)}), B ${socketList(sockets.b)} (at ${seconds(b)}). A client that reaches one on its port finds nothing on the other.`,
      evidence: { listening: ['a', 'b'] },
    });
    return;
  }

  const stand = { a: sockets.a && portStand(sockets.a, port), b: sockets.b && portStand(sockets.b, port) };
  const bad = (['a', 'b'] as const).filter((side) => stand[side] !== undefined && stand[side] !== 'reachable');
  if (!bad.length) return;
  const noAnswer = (side: Side): string | undefined => {
    const e = http?.[side]?.error;
    return e && !e.startsWith('not requested') ? e : undefined;
  };
  const where = (side: Side): string => {
    const p = runs[side].published;
    return p ? `${p.hostIp}:${p.hostPort} → ${published}` : published!;
  };
  const headline = (side: Side): string => {
    const l = sockets[side]!;
    switch (stand[side]) {
      case 'loopback':
        return `listens on ${onPort(l, port).map(socketText).join(' and ')} only, so the published port gets no answer`;
      case 'elsewhere':
        return `listens on ${portList(l)} but ${published} was published`;
      default:
        return `listens on no TCP port (${published} was published)`;
    }
  };
  const consequence = (side: Side): string => {
    const why =
      stand[side] === 'loopback'
        ? `A loopback address takes connections from inside the container only; the engine forwards ${where(side)} to the container's own address, where nothing listens on ${port}`
        : `Connections to the published port (${where(side)}) find nothing listening in ${NAME(side)}`;
    const e = noAnswer(side);
    return `${why}${e && http ? `: that is why GET ${http.path} got no answer (${quote(e, 100)})` : ''}.`;
  };
  const evidence = (sides: Side[]): RunFinding['evidence'] => ({ listening: sides, ...(sides.some((s) => noAnswer(s)) ? { http: ['status'] } : {}) });

  // Both wrong the same way: one finding, a fact of both rather than a difference.
  if (bad.length === 2 && sameSockets(sockets.a!, sockets.b!)) {
    f.add(
      {
        kind: 'port',
        severity: noAnswer('a') || noAnswer('b') ? 'error' : 'warning',
        title:
          stand.a === 'loopback'
            ? `Both containers listen on ${onPort(sockets.a!, port).map(socketText).join(' and ')} only, so the published port gets no answer`
            : stand.a === 'elsewhere'
              ? `Neither container listens on the published ${published}: both listen on ${portList(sockets.a!)}`
              : `Neither container listens on a TCP port (${published} was published)`,
        detail: `Read from /proc/net/tcp in both containers: ${socketList(sockets.a!)}. ${consequence('a')} Publish the port they listen on (--port), or make them listen on ${port}${stand.a === 'loopback' ? ' on every address (0.0.0.0 or ::)' : ''}.`,
        evidence: evidence(['a', 'b']),
      },
      false,
    );
    return;
  }
  for (const side of bad) {
    const other = otherSide(side);
    const theirs = sockets[other];
    const them = theirs ? ` ${NAME(other)} listens on ${socketList(theirs)}${stand[other] === 'reachable' ? ', where the published port leads' : ''}.` : '';
    f.add({
      kind: 'port',
      severity: noAnswer(side) ? 'error' : 'warning',
      side,
      title: `${NAME(side)} ${headline(side)}`,
      detail: `Read from /proc/net/tcp in ${NAME(side)} at ${seconds(runs[side])}: ${socketList(sockets[side]!)}.${them} ${consequence(side)}`,
      evidence: evidence(theirs ? [side, other] : [side]),
    });
  }
}

const SOURCE_NAMES: Record<ModuleSource, { what: string; verb: string }> = {
  apache: { what: 'Apache module', verb: 'loaded' },
  php: { what: 'PHP module', verb: 'loaded' },
  python: { what: 'Python package', verb: 'installed' },
  nginx: { what: 'nginx module', verb: 'built in' },
};

function moduleFindings(f: Findings, m: ModuleDiff): void {
  const { what, verb } = SOURCE_NAMES[m.source];
  for (const side of ['a', 'b'] as const) {
    const only = side === 'a' ? m.onlyA : m.onlyB;
    if (!only.length) continue;
    const otherProbe = side === 'a' ? m.probe.b : m.probe.a;
    const missing = otherProbe.exitCode === null && otherProbe.error ? ` (${m.probe.command.join(' ')} could not run in ${NAME(otherSide(side))}: ${quote(otherProbe.error, 120)})` : '';
    f.add({
      kind: 'moduleOnlyOne',
      severity: 'warning',
      side,
      title: `${only.length === 1 ? `${what} ${only[0]} is` : `${only.length} ${what}s are`} ${verb} only in ${NAME(side)}${only.length > 1 ? `: ${list(only, 6)}` : ''}`,
      detail: `${m.probe.command.join(' ')} lists ${list(only, 6)} in ${NAME(side)} but not in ${NAME(otherSide(side))}${missing}: whatever ${only.length === 1 ? 'it provides' : 'they provide'} is missing in ${NAME(otherSide(side))}.`,
      evidence: { probe: m.probe.name },
    });
  }
}

function markerFindings(f: Findings, markers: { onlyA: string[]; onlyB: string[] }, rows: readonly LogRow[]): void {
  for (const side of ['a', 'b'] as const) {
    const only = side === 'a' ? markers.onlyA : markers.onlyB;
    if (!only.length) continue;
    const evidence = rows.flatMap((r, k) => {
      if (r.kind === 'same') return [];
      const line = side === 'a' ? r.a : r.b;
      return line && only.some((m) => line.raw.includes(m) || line.raw.includes(`[${m}:`)) ? [k] : [];
    });
    f.add({
      kind: 'moduleOnlyOne',
      severity: 'warning',
      side,
      title: `Only ${NAME(side)}'s log mentions ${list(only, 6)}`,
      detail: `${NAME(side)}'s startup log names ${list(only, 6)}${markerWhere(only)} and ${NAME(otherSide(side))}'s never does: ${NAME(otherSide(side))} most likely did not load ${only.length === 1 ? 'it' : 'them'}.`,
      evidence: { logRows: evidence.slice(0, MAX_EVIDENCE_ROWS) },
    });
  }
}

/**
 * Where a log names what it loaded, in the log's own terms: Apache's module
 * tags are shown as the server writes them ([fcgid:…]); a name/version token
 * (nginx/1.25.3, mod_fcgid/2.3.9) needs no explanation.
 */
function markerWhere(markers: readonly string[]): string {
  const tags = markers.filter((m) => !m.includes('/'));
  if (!tags.length) return '';
  return ` (in ${tags.slice(0, 2).map((t) => `[${t}:…]`).join(', ')} log lines)`;
}

function probeFindings(f: Findings, probes: readonly ProbeComparison[], modules: readonly ModuleDiff[]): void {
  for (const p of probes) {
    if (!probeDiffers(p)) continue;
    // Not run on one side because that container stopped: the state findings say so.
    if ((!ran(p.a) && p.a.error?.startsWith('not run')) || (!ran(p.b) && p.b.error?.startsWith('not run'))) continue;
    const explained = modules.some((m) => m.probe === p) && p.a.exitCode === p.b.exitCode && ran(p.a) && ran(p.b);
    if (explained) continue;
    const cmd = p.command.join(' ');
    const said = (r: ProbeResult) => r.stderr.split('\n').find((l) => cleanLine(l).trim() !== '');
    const outcome = (r: ProbeResult) =>
      r.exitCode === null ? `could not run (${quote(r.error ?? 'no reason', 100)})` : `exit ${r.exitCode}${r.exitCode !== 0 && said(r) ? ` ("${quote(said(r)!, 100)}")` : ''}`;
    const sameOutcome = p.a.exitCode === p.b.exitCode && !!p.a.error === !!p.b.error;
    const side: Side | undefined = sameOutcome ? undefined : p.a.exitCode === 0 ? 'b' : p.b.exitCode === 0 ? 'a' : undefined;
    f.add({
      kind: 'probeDiffers',
      severity: sameOutcome ? 'info' : 'warning',
      side,
      title: sameOutcome
        ? `${p.name} differs: ${p.onlyA.length} line${p.onlyA.length === 1 ? '' : 's'} only in A, ${p.onlyB.length} only in B`
        : `${cmd}: ${outcome(p.a)} in A, ${outcome(p.b)} in B`,
      detail: sameOutcome
        ? `\`${cmd}\` prints different things${p.onlyA.length ? `; only A: ${quote(p.onlyA[0], 100)}` : ''}${p.onlyB.length ? `; only B: ${quote(p.onlyB[0], 100)}` : ''}.`
        : `The same command ${side ? `fails in ${NAME(side)} only` : 'ends differently'}: ${NAME('a')} ${outcome(p.a)}, ${NAME('b')} ${outcome(p.b)}.`,
      evidence: { probe: p.name },
    });
  }
}

function logFindings(f: Findings, rows: readonly LogRow[], summary: LogDiffSummary, a: SideRun, b: SideRun): void {
  for (const side of ['a', 'b'] as const) {
    const kind = side === 'a' ? 'onlyA' : 'onlyB';
    const idx = rows.flatMap((r, k) => (r.kind === kind ? [k] : []));
    if (!idx.length) continue;
    const run = side === 'a' ? a : b;
    const first = rows[idx[0]][side]!;
    const stream = run.lines[first.line - 1]?.stream ?? 'stdout';
    f.add({
      kind: 'logOnlyOne',
      severity: 'info',
      side,
      title: `${idx.length} log line${idx.length === 1 ? '' : 's'} only in ${NAME(side)}`,
      detail: `${NAME(otherSide(side))} never wrote anything like them (times, pids, ids and addresses aside), starting with ${stream}: "${quote(first.raw)}".`,
      evidence: { logRows: idx.slice(0, MAX_EVIDENCE_ROWS) },
    });
  }
  if (summary.changed) {
    const idx = rows.flatMap((r, k) => (r.kind === 'changed' ? [k] : []));
    const r = rows[idx[0]];
    f.add({
      kind: 'logChanged',
      severity: 'info',
      title: `${idx.length} log line${idx.length === 1 ? ' differs' : 's differ'} between A and B`,
      detail: `Similar lines with different words, e.g. A "${quote(r.a!.raw, 120)}" and B "${quote(r.b!.raw, 120)}".`,
      evidence: { logRows: idx.slice(0, MAX_EVIDENCE_ROWS) },
    });
  }
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
