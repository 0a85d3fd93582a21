#!/usr/bin/env node
// Benchmark of the log comparison (src/core/run/logNormalize.ts + logDiff.ts), not
// a test: it prints figures and exits 0 whatever they are.
//
//   node --import tsx scripts/bench-logs.mjs [--lines N] [--runs N]
//
// Two startup-and-traffic logs of N lines each (default 100k) are generated
// from one sequence of events, rendered once per "container": every line
// carries that run's own timestamps, pids, thread ids, client addresses and
// ports, request ids and durations, so almost no raw line is equal between
// the two sides. Then, per scenario, a share of the events differ between A
// and B (changed, missing or extra lines):
//
//   similar    3% of events differ    (the usual case: same app, other build)
//   heavy     30% of events differ    (Myers' O(N·D) would explode here)
//   unrelated  two logs of the same kind with nothing but repeated lines in
//              common (the worst case: almost everything is a gap to pair)
//
// Measured, median of --runs (default 5), interleaved:
//   work  = split both texts into lines, normalise them, diffLogs()
//   floor = split both texts into lines and copy them (JSON round trip)
// and their ratio; the machine is shared and noisy, the ratio less so.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { compileRules, normalizeLines, splitLogLines } from '../src/core/run/logNormalize.ts';
import { diffLogs } from '../src/core/run/logDiff.ts';

const { values: opts } = parseArgs({
  options: { lines: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' } },
});
const LINES = Number(opts.lines);
const RUNS = Number(opts.runs);
if (!Number.isInteger(LINES) || LINES < 1 || !Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write('bench-logs: --lines and --runs expect positive whole numbers\n');
  process.exit(2);
}

/** A small deterministic PRNG (mulberry32), so every run benchmarks the same logs. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ['/', '/index.php', '/favicon.ico', '/api/v1/users', '/api/v1/orders', '/static/app.js', '/static/app.css', '/health', '/login', '/logout'];
const AGENTS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'kube-probe/1.31', 'Go-http-client/1.1'];
const MODULES = ['core:notice', 'mpm_event:info', 'fcgid:info', 'ssl:warn', 'proxy_fcgi:error', 'authz_core:debug'];
const MESSAGES = [
  'AH00489: Apache/2.4.68 (Debian) mod_fcgid/2.3.9 configured -- resuming normal operations',
  "AH00094: Command line: '/usr/sbin/apache2 -D FOREGROUND'",
  'mod_fcgid: Process manager %PID% started',
  'AH01630: client denied by server configuration: /var/www/html/.env',
  'mod_fcgid: server /var/www/html/index.php(%PID%) started',
  'AH01071: Got error \'PHP message: PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 12\'',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n, w = 2) => String(n).padStart(w, '0');

/** The events of the log: what happened, without any run-specific value. */
function events(count, seed) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  return Array.from({ length: count }, () => {
    const k = r();
    if (k < 0.55) return { kind: 'access', path: pick(PATHS), status: pick([200, 200, 200, 304, 404, 500]), size: Math.floor(r() * 20000), agent: pick(AGENTS) };
    if (k < 0.8) return { kind: 'apache', module: pick(MODULES), message: pick(MESSAGES) };
    if (k < 0.92) return { kind: 'nginx', path: pick(PATHS), code: pick([110, 111, 104]) };
    return { kind: 'app', level: pick(['INFO', 'WARN', 'DEBUG']), route: pick(PATHS), status: pick([200, 201, 400, 500]) };
  });
}

/** One event as one container would log it: its own clock, pids, addresses, ids. */
function render(events, seed) {
  const r = rng(seed);
  const start = Date.UTC(2026, 10, 22, 22, 52, 11) + Math.floor(r() * 86_400_000);
  const pid = 10 + Math.floor(r() * 90);
  const worker = pid + 1 + Math.floor(r() * 20);
  const tid = 140_000_000_000_000 + Math.floor(r() * 9_000_000_000_000);
  const host = `172.17.0.${2 + Math.floor(r() * 200)}`;
  const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const out = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const t = new Date(start + i * 37 + Math.floor(r() * 30));
    const client = `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${1 + Math.floor(r() * 250)}`;
    switch (e.kind) {
      case 'access':
        out[i] = `${client} - - [${pad(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000] "GET ${e.path} HTTP/1.1" ${e.status} ${e.size} "-" "${e.agent}"`;
        break;
      case 'apache':
        out[i] =
          `[${DAYS[t.getUTCDay()]} ${MONTHS[t.getUTCMonth()]} ${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${pad(t.getUTCMilliseconds(), 3)}${pad(Math.floor(r() * 1000), 3)} ${t.getUTCFullYear()}] ` +
          `[${e.module}] [pid ${worker}:tid ${tid}] ${e.message.replace('%PID%', String(worker))}`;
        break;
      case 'nginx':
        out[i] =
          `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} [error] ${pid}#${pid}: *${i} upstream timed out (${e.code}: Connection timed out) ` +
          `while reading response header from upstream, client: ${client}, server: localhost, request: "GET ${e.path} HTTP/1.1", upstream: "fastcgi://${host}:9000", host: "localhost"`;
        break;
      default:
        out[i] = `${t.toISOString()} ${e.level} request_id=${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)} route=${e.route} status=${e.status} took ${(r() * 250).toFixed(1)}ms remote=${client}:${1024 + Math.floor(r() * 60000)}`;
    }
  }
  return out.join('\n') + '\n';
}

/** B's events: A's, with `share` of them changed, dropped, or joined by an extra one. */
function mutate(eventsA, share, seed) {
  const r = rng(seed);
  const other = events(Math.ceil(eventsA.length * share) + 1, seed + 1);
  let o = 0;
  const out = [];
  for (const e of eventsA) {
    const k = r();
    if (k >= share) out.push(e);
    else if (k < share / 3) out.push({ ...e, ...(e.kind === 'access' ? { status: 502, size: 0 } : e.kind === 'apache' ? { message: e.message.replace(' mod_fcgid/2.3.9', '') } : { path: '/changed' }) });
    else if (k < (2 * share) / 3) continue;
    else out.push(e, other[o++ % other.length]);
  }
  return out;
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

const rules = compileRules();
const base = events(LINES, 1);
const scenarios = [
  { name: 'similar (3% of events differ)', textA: render(base, 11), textB: render(mutate(base, 0.03, 5), 22) },
  { name: 'heavy (30% of events differ)', textA: render(base, 11), textB: render(mutate(base, 0.3, 6), 22) },
  { name: 'unrelated (same kind of log, other events)', textA: render(base, 11), textB: render(events(LINES, 99), 22) },
];

const fmt = (ms) => `${ms.toFixed(0)} ms`;
process.stdout.write(`bench-logs: ${LINES} lines per side, median of ${RUNS} runs, Node ${process.version}\n\n`);
for (const sc of scenarios) {
  const work = [];
  const norm = [];
  const floor = [];
  let result;
  for (let run = 0; run < RUNS; run++) {
    let t0 = performance.now();
    const a = splitLogLines(sc.textA);
    const b = splitLogLines(sc.textB);
    const copies = JSON.parse(JSON.stringify([a, b]));
    floor.push(performance.now() - t0);
    if (copies.length !== 2) throw new Error('unreachable');

    t0 = performance.now();
    const la = normalizeLines(splitLogLines(sc.textA), rules);
    const lb = normalizeLines(splitLogLines(sc.textB), rules);
    const t1 = performance.now();
    result = diffLogs(la, lb, { rules });
    const t2 = performance.now();
    work.push(t2 - t0);
    norm.push(t1 - t0);
  }
  const s = result.summary;
  const w = median(work);
  const f = median(floor);
  process.stdout.write(
    `${sc.name}: ${s.linesA} vs ${s.linesB} lines -> same ${s.same}, changed ${s.changed}, onlyA ${s.onlyA}, onlyB ${s.onlyB}\n` +
      `  work  (split + normalise + diff) ${fmt(w)}  (normalise ${fmt(median(norm))}, diff ${fmt(w - median(norm))})  ${Math.round((s.linesA + s.linesB) / (w / 1000)).toLocaleString('en')} lines/s\n` +
      `  floor (split + copy)             ${fmt(f)}\n` +
      `  ratio work/floor                 ${(w / f).toFixed(1)}\n\n`,
  );
}
