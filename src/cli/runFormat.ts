import type { LogRow } from '../core/run/logDiff';
import type { ContainerState, HttpResult, ListeningPorts, RunReport, SideRun } from '../core/run/runModel';
import { socketText } from '../core/run/listening';
import { findingLines, type ShownFinding } from './findingFormat';
import { cut, plural, shortId } from '../core/util/text';
import { inert } from '../core/util/inert';

/**
 * Text output of `container-compare run`. Everything a container wrote (log
 * lines, probe output, headers, bodies, even engine messages quoting a path)
 * goes through inert() (core/util/inert.ts) before it reaches the terminal: a container must not
 * be able to move the cursor, retitle the window, ring the bell or reorder
 * text with bidi overrides on the user's screen.
 */

/** Differing log rows printed; --json has them all. */
const MAX_LOG_ROWS = 200;
/** Characters of one log line printed. */
const MAX_LINE = 300;
const MAX_PROBE_LINES = 20;

/** A container line cut for a terminal, saying how much was left out. */
const cutNoting = (s: string, n: number) => (s.length > n ? `${cut(s, n)} (${s.length - n + 1} more characters)` : s);

export function describeState(s: ContainerState): string {
  let text: string;
  switch (s.status) {
    case 'failedToStart':
      text = `did not start: ${s.error ?? 'no error given'}`;
      break;
    case 'exited':
      text = `exited with code ${s.exitCode}${s.oomKilled ? ' (OOM-killed)' : ''}`;
      break;
    default:
      text = s.status;
  }
  if (s.health) text += ` (${s.health})`;
  if (s.restarts) text += `, ${plural(s.restarts, 'restart')}`;
  if (s.error && s.status !== 'failedToStart') text += ` — ${s.error}`;
  return text;
}

function sideLine(label: string, s: SideRun, width: number): string {
  const where = s.published ? `${s.published.hostIp}:${s.published.hostPort} → ${s.published.containerPort}` : 'no port published';
  return `${label}  ${s.ref.padEnd(width)}  ${shortId(s.imageId)}  ${describeState(s.state)}  ${where}${s.containerName ? `  (${s.containerName})` : ''}`;
}

/** "A listens on [::]:8080 (at 2.1 s)": what /proc/net/tcp showed in the container, or why it could not be read. */
export function listeningLine(label: string, l: ListeningPorts): string {
  if (l.error) return `${label}: ${l.error}`;
  const at = `at ${(l.at / 1000).toFixed(1)} s`;
  return l.sockets.length ? `${label} listens on ${l.sockets.map(socketText).join(', ')} (${at})` : `${label} listens on no TCP port (${at})`;
}

function streamOf(run: SideRun, line: number | undefined): string {
  const l = line !== undefined ? run.lines[line - 1] : undefined;
  return l ? (l.stream === 'stderr' ? 'err' : 'out') : '   ';
}

function rowText(r: LogRow, a: SideRun, b: SideRun): string {
  switch (r.kind) {
    case 'onlyA':
      return `- A ${streamOf(a, r.a!.line)}  ${cutNoting(r.a!.raw, MAX_LINE)}`;
    case 'onlyB':
      return `+ B ${streamOf(b, r.b!.line)}  ${cutNoting(r.b!.raw, MAX_LINE)}`;
    case 'changed': {
      const words = (r.words ?? [])
        .map((w) => (w.kind === 'same' ? (w.a ?? '') : w.kind === 'onlyA' ? `[-${w.a ?? ''}-]` : `{+${w.b ?? ''}+}`))
        .join('');
      return `~   ${streamOf(a, r.a!.line)}  ${cutNoting(words, MAX_LINE)}`;
    }
    default:
      return `    ${streamOf(a, r.a!.line)}  ${cutNoting(r.a!.raw, MAX_LINE)}`;
  }
}

function httpLine(label: string, r: HttpResult | undefined): string {
  if (!r) return `  ${label}  not requested`;
  if (r.error) return `  ${label}  ${r.url ? `${r.url}  ` : ''}${r.error}`;
  const h = r.headers;
  const size = `${r.bodyBytes} bytes${r.truncated ? ' (first 64 KiB kept)' : ''}`;
  return `  ${label}  ${r.status}  ${[h['content-type'], h.server, h['x-powered-by'], h.location && `→ ${h.location}`].filter(Boolean).join('  ')}  ${size}`;
}

/**
 * The readable report: both sides, findings, one-sided modules, the
 * differing log lines, probe and HTTP differences. `findings`: the run's
 * own, or those ranked together with the images' comparison (findings.ts).
 */
export function renderRun(r: RunReport, findings: readonly ShownFinding[] = r.findings): string {
  const { a, b } = r;
  const out: string[] = [];
  const w = Math.max(a.ref.length, b.ref.length);
  out.push(sideLine('A', a, w), sideLine('B', b, w));
  for (const [label, side] of [['A', a], ['B', b]] as const) if (side.listening) out.push(`   ${listeningLine(label, side.listening)}`);
  if (!a.published && !b.published && !r.options.port) out.push('   (neither image exposes a port: nothing was published; --port P publishes one)');

  out.push('', ...findingLines(findings));

  if (r.modules.onlyA.length || r.modules.onlyB.length) {
    out.push('');
    if (r.modules.onlyA.length) out.push(`Only in A: ${r.modules.onlyA.join(', ')}`);
    if (r.modules.onlyB.length) out.push(`Only in B: ${r.modules.onlyB.join(', ')}`);
  }

  const s = r.logs.summary;
  out.push(
    '',
    `Logs (stdout and stderr compared apart): A ${plural(s.linesA, 'line')}, B ${s.linesB}; ${s.same} same, ${s.changed} changed, ${s.onlyA} only in A, ${s.onlyB} only in B`,
  );
  const differing = r.logs.rows.filter((x) => x.kind !== 'same');
  for (const row of differing.slice(0, MAX_LOG_ROWS)) out.push(`  ${rowText(row, a, b)}`);
  if (differing.length > MAX_LOG_ROWS) out.push(`  … and ${differing.length - MAX_LOG_ROWS} more differing lines (--json lists all)`);
  if (differing.length) out.push("  (- only in A, + only in B, ~ changed: [-A's words-]{+B's words+}; out/err: the stream)");

  if (r.probes.length) {
    out.push('', 'Probes');
    for (const p of r.probes) {
      // A --probe is named by its own text: `sh -c` around it says nothing new.
      const own = p.command.length === 3 && p.command[0] === 'sh' && p.command[1] === '-c' && p.name.startsWith(p.command[2]);
      const head = own ? `  sh -c ${p.command[2]}` : `  ${p.name} (${p.command.join(' ')})`;
      const outcome = (x: typeof p.a) => (x.exitCode === null ? (x.error ?? 'not run') : `exit ${x.exitCode}`);
      const sameEnd = p.a.exitCode === p.b.exitCode && (p.a.error ?? '') === (p.b.error ?? '');
      if (sameEnd && !p.onlyA.length && !p.onlyB.length) {
        out.push(`${head}: same${p.a.exitCode === 0 ? '' : ` (${outcome(p.a)})`}`);
        continue;
      }
      out.push(`${head}: ${sameEnd ? 'differs' : `A ${outcome(p.a)}, B ${outcome(p.b)}`}`);
      for (const [mark, lines] of [['-', p.onlyA], ['+', p.onlyB]] as const) {
        for (const l of lines.slice(0, MAX_PROBE_LINES)) out.push(`      ${mark} ${cutNoting(l, MAX_LINE)}`);
        if (lines.length > MAX_PROBE_LINES) out.push(`      ${mark} … and ${lines.length - MAX_PROBE_LINES} more`);
      }
    }
  }

  if (r.http) {
    const h = r.http;
    out.push('', `HTTP GET ${h.path}`, httpLine('A', h.a), httpLine('B', h.b));
    if (h.servedAsSource) out.push(`  ${h.servedAsSource.side.toUpperCase()} sends source code (${h.servedAsSource.marker}) that ${h.servedAsSource.side === 'a' ? 'B' : 'A'} executes`);
    out.push(`  ${h.differences.length ? `differs: ${h.differences.join(', ')}` : 'same'}`);
  }

  const counts = (['error', 'warning', 'info'] as const).map((k) => [k, findings.filter((f) => f.severity === k).length] as const).filter(([, n]) => n > 0);
  const what = counts.map(([k, n]) => (k === 'info' ? `${n} info` : plural(n, k))).join(', ');
  out.push('', r.differ ? `Different: ${plural(findings.length, 'finding')}${what ? ` (${what})` : ''}.` : `Same: the two runs show no difference${r.findings.length ? ` (${plural(r.findings.length, 'shared finding')})` : ''}.`);
  return out.map(inert).join('\n') + '\n';
}
