#!/usr/bin/env node
// `npm run bench`: measures `container-compare diff` on a pair of ~1 GB images
// against floors measured in the same run (these machines are shared and
// noisy, so only ratios mean something):
//
//   floor1 = docker save A B > /dev/null           cold  = diff A B, empty cache dir
//   floor2 = node -e 0  +  docker image inspect A B  warm  = diff A B, same cache dir again
//
// Targets: cold/floor1 <= 1.15, warm/floor2 <= 3, peak RSS of the cold run <= 200 MB.
// Each timing is the median of --runs (default 3) runs, interleaved so a slow
// phase of the machine hits every measure alike. Results go to stdout and to
// .cache/bench.json. Exits 0 when targets are missed (it is a measurement, not
// a test; MISSED is printed), non-zero only when the measurement itself failed.
//
// Options: --runs N   --no-build (use dist/cli.js as is)
//          --profile  one more cold run under --cpu-prof; prints the top self-time functions
//
// The images are built when missing (classic builder, from the base image made
// by scripts/setup-host.sh) from test/fixtures/bench/{a,b}.Dockerfile:
//   cc-bench/app:a  Debian + gcc/g++/perl/python3 + Boost headers + ~220 MB of random data
//   cc-bench/app:b  A + a vendored Python tree + one more blob, and one changed file
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const PROBE = join(ROOT, 'scripts', 'rss-probe.cjs');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'bench');
const OUT_DIR = join(ROOT, '.cache');
const OUT_JSON = join(OUT_DIR, 'bench.json');
const BASE_IMAGE = 'container-compare/debian:bookworm';
const A = 'cc-bench/app:a';
const B = 'cc-bench/app:b';
const TARGETS = { coldOverFloor1: 1.15, warmOverFloor2: 3, peakRssMB: 200 };

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs expects a positive whole number, got "${opts.runs}"`);

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`bench: error: ${msg}\n`);
  process.exit(2);
}

/** Runs to completion, output captured; throws with stderr on a non-zero exit unless `ok` accepts the code. */
function sh(cmd, args, { input, env, ok = (c) => c === 0, inherit = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    input,
    env: env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: inherit ? ['ignore', 'inherit', 'inherit'] : undefined,
  });
  if (r.error) throw r.error;
  if (!ok(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}${r.stderr ? `:\n${r.stderr.trim()}` : ''}`);
  return r;
}

/**
 * Wall time of one process, stdout to /dev/null (stdio 'ignore' opens /dev/null,
 * as `> /dev/null` does); stderr is kept for error messages.
 */
function timed(cmd, args, { env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (stderr.length < 65536 ? (stderr += d) : undefined));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ms: performance.now() - t0, code: code ?? (signal ? 128 : -1), stderr }));
  });
}

/** Bytes on stdout of a process, read and dropped (untimed: counting costs a pipe). */
function countBytes(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    let stderr = '';
    child.stdout.on('data', (d) => (n += d.length));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
  });
}

function dockerUp() {
  return spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
}

function imagePresent(ref) {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

function inspect(ref) {
  const [info] = JSON.parse(sh('docker', ['image', 'inspect', ref]).stdout);
  return { id: info.Id, size: info.Size, diffIds: info.RootFS?.Layers ?? [] };
}

/** Engine and base image: scripts/setup-host.sh is idempotent, so run it when either is missing. */
function ensureEngine() {
  if (dockerUp() && imagePresent(BASE_IMAGE)) return;
  const setup = join(ROOT, 'scripts', 'setup-host.sh');
  if (!existsSync(setup)) fail(`no Docker engine or no ${BASE_IMAGE}, and no scripts/setup-host.sh to make them`);
  log(`Docker engine or ${BASE_IMAGE} missing: running scripts/setup-host.sh`);
  sh('bash', [setup], { inherit: true });
  if (!dockerUp() || !imagePresent(BASE_IMAGE)) fail(`scripts/setup-host.sh finished but the engine or ${BASE_IMAGE} is still missing`);
}

function build(tag, dockerfile) {
  log(`building ${tag} from ${join('test/fixtures/bench', dockerfile)} (classic builder)`);
  const t0 = performance.now();
  // No build context: the Dockerfiles COPY nothing, so the file goes in on stdin.
  sh('docker', ['build', '-q', '-t', tag, '-'], {
    input: readFileSync(join(FIXTURES, dockerfile)),
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  log(`built ${tag} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Builds what is missing; B is rebuilt whenever A is (B must stay a superset of the A being measured). */
function ensureImages() {
  const haveA = imagePresent(A);
  if (!haveA) build(A, 'a.Dockerfile');
  if (!haveA || !imagePresent(B)) build(B, 'b.Dockerfile');
  const a = inspect(A);
  const b = inspect(B);
  const superset = a.diffIds.every((d, i) => b.diffIds[i] === d) && b.diffIds.length > a.diffIds.length;
  if (!superset) log(`warning: ${B} is not ${A} plus layers (rebuild: docker rmi ${A} ${B} && npm run bench)`);
  return { a, b, superset };
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const sec = (ms) => (ms / 1000).toFixed(2);
const mb = (bytes) => (bytes / 1e6).toFixed(0);
const pad = (s, n) => String(s).padStart(n);

async function coldAndWarm(i) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cc-bench-cache-'));
  const rssCold = join(cacheDir, '..', `${cacheDir.split('/').pop()}.rss-cold`);
  const rssWarm = join(cacheDir, '..', `${cacheDir.split('/').pop()}.rss-warm`);
  const args = ['--require', PROBE, CLI, 'diff', A, B, '--json', '--cache-dir', cacheDir];
  try {
    const cold = await timed(process.execPath, args, { env: { ...process.env, CC_RSS_FILE: rssCold } });
    if (cold.code !== 1) throw new Error(`cold run ${i} exited ${cold.code} (expected 1, "different"):\n${cold.stderr.trim()}`);
    sync();
    const warm = await timed(process.execPath, args, { env: { ...process.env, CC_RSS_FILE: rssWarm } });
    if (warm.code !== 1) throw new Error(`warm run ${i} exited ${warm.code} (expected 1, "different"):\n${warm.stderr.trim()}`);
    if (readExportTimes(rssWarm)) log(`warning: warm run ${i} exported from the engine (the cache did not serve it)`);
    const exp = readExportTimes(rssCold);
    return {
      cold: cold.ms,
      // The engine sends the first byte only once it has prepared the whole export (docker save does the same).
      coldFirstByte: exp?.response,
      coldAfterFirstByte: exp ? cold.ms - exp.response : undefined,
      warm: warm.ms,
      coldRssKB: readKB(rssCold),
      warmRssKB: readKB(rssWarm),
      warmExported: readExportTimes(rssWarm) !== undefined,
      cacheBytes: duBytes(cacheDir),
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(rssCold, { force: true });
    rmSync(rssWarm, { force: true });
    sync();
  }
}

function readKB(file) {
  const n = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${file}: no RSS figure`);
  return n;
}

/** The probe's "export <responseMs> <endMs>" line, if the run exported from the engine. */
function readExportTimes(file) {
  const m = /^export (\d+) (\d+|NaN)$/m.exec(readFileSync(file, 'utf8'));
  return m ? { response: Number(m[1]), end: Number(m[2]) } : undefined;
}

function duBytes(dir) {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split(/\s/)[0]) : undefined;
}

/** Dirty pages of the previous step (a 1 GB layer store) must not be written back during the next timing. */
function sync() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** One extra cold run under --cpu-prof: the top functions by self time. */
async function profileCold() {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cc-bench-cache-'));
  const profDir = join(OUT_DIR, 'bench-profile');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  try {
    const r = await timed(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, CLI, 'diff', A, B, '--json', '--cache-dir', cacheDir]);
    if (r.code !== 1) throw new Error(`profiled cold run exited ${r.code}:\n${r.stderr.trim()}`);
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map();
    let total = 0;
    prof.samples.forEach((id, k) => {
      const dt = prof.timeDeltas[k] ?? 0;
      total += dt;
      const f = byId.get(id).callFrame;
      const where = f.url ? `${f.url.replace(/^file:\/\//, '').replace(ROOT, '')}:${f.lineNumber + 1}` : '';
      const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + dt);
    });
    const top = [...self.entries()].sort((x, y) => y[1] - x[1]).slice(0, 20);
    return { wallMs: r.ms, profile: join(profDir, file), sampledMs: total / 1000, top: top.map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total })) };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main() {
  ensureEngine();
  const images = ensureImages();
  if (!opts['no-build'] || !existsSync(CLI)) {
    log('npm run build');
    sh(process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);
  }
  const engine = sh('docker', ['version', '--format', '{{.Server.Version}}']).stdout.trim();
  const driver = sh('docker', ['info', '--format', '{{.Driver}}']).stdout.trim();

  // Untimed warm-up: fills the page cache for the engine's layer files (so the
  // first floor1 is not the only one paying for disk reads) and counts the export.
  log(`warm-up: docker save ${A} ${B} (counting bytes)`);
  const exportedBytes = await countBytes('docker', ['save', A, B]);

  const runs = [];
  for (let i = 1; i <= RUNS; i++) {
    log(`run ${i}/${RUNS}`);
    sync();
    const floor1 = await timed('docker', ['save', A, B]);
    if (floor1.code !== 0) throw new Error(`docker save exited ${floor1.code}: ${floor1.stderr.trim()}`);
    sync();
    const cw = await coldAndWarm(i);
    const nodeStart = await timed(process.execPath, ['-e', '0']);
    const insp = await timed('docker', ['image', 'inspect', A, B]);
    if (insp.code !== 0) throw new Error(`docker image inspect exited ${insp.code}: ${insp.stderr.trim()}`);
    runs.push({ floor1: floor1.ms, ...cw, nodeStart: nodeStart.ms, inspect: insp.ms, floor2: nodeStart.ms + insp.ms });
  }

  const med = Object.fromEntries(['floor1', 'cold', 'warm', 'nodeStart', 'inspect', 'floor2', 'coldFirstByte', 'coldAfterFirstByte'].filter((k) => runs.every((r) => r[k] !== undefined)).map((k) => [k, median(runs.map((r) => r[k]))]));
  const peakRssKB = Math.max(...runs.map((r) => r.coldRssKB));
  const figures = {
    coldOverFloor1: med.cold / med.floor1,
    warmOverFloor2: med.warm / med.floor2,
    peakRssMB: peakRssKB / 1024,
  };
  const met = Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, figures[k] <= t]));

  let profile;
  if (opts.profile) {
    log('profiling one more cold run (--cpu-prof)');
    profile = await profileCold();
  }

  // Report
  const out = [];
  out.push('');
  out.push(`Container Compare benchmark: diff ${A} ${B}`);
  out.push(`  images: ${A} ${mb(images.a.size)} MB (${images.a.diffIds.length} layers), ${B} ${mb(images.b.size)} MB (${images.b.diffIds.length} layers)${images.superset ? `, B = A + ${images.b.diffIds.length - images.a.diffIds.length} layers` : ', B is NOT a superset of A'}`);
  out.push(`  bytes exported by docker save A B: ${mb(exportedBytes)} MB (${exportedBytes} bytes)`);
  out.push(`  machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.versions.node}, engine ${engine} (${driver})`);
  out.push('');
  out.push(`  ${'run'.padEnd(6)}${pad('floor1', 9)}${pad('cold', 9)}${pad('warm', 9)}${pad('node -e 0', 11)}${pad('inspect', 9)}${pad('floor2', 9)}${pad('cold RSS', 10)}${pad('warm RSS', 10)}`);
  const row = (label, r, rss) =>
    `  ${label.padEnd(6)}${pad(sec(r.floor1), 9)}${pad(sec(r.cold), 9)}${pad(sec(r.warm), 9)}${pad(sec(r.nodeStart), 11)}${pad(sec(r.inspect), 9)}${pad(sec(r.floor2), 9)}${rss}`;
  runs.forEach((r, i) => out.push(row(String(i + 1), r, `${pad(`${(r.coldRssKB / 1024).toFixed(0)} MB`, 10)}${pad(`${(r.warmRssKB / 1024).toFixed(0)} MB`, 10)}`)));
  out.push(row('median', med, ''));
  out.push('  (seconds, wall clock)');
  const fb = runs.map((r) => r.coldFirstByte);
  if (fb.every((x) => x !== undefined)) {
    out.push(`  cold split: the engine's first export byte after ${fb.map(sec).join(' / ')} s (preparing the export, as in floor1);`);
    out.push(`              reading + indexing after it: ${runs.map((r) => sec(r.coldAfterFirstByte)).join(' / ')} s`);
  }
  out.push('');
  const line = (label, value, target, ok) => `  ${label.padEnd(22)}${value.padStart(9)}   target <= ${String(target).padEnd(5)} ${ok ? 'ok' : 'MISSED'}`;
  out.push(line('cold / floor1', figures.coldOverFloor1.toFixed(2), TARGETS.coldOverFloor1, met.coldOverFloor1));
  out.push(line('warm / floor2', figures.warmOverFloor2.toFixed(2), TARGETS.warmOverFloor2, met.warmOverFloor2));
  out.push(line('peak RSS (cold), MB', figures.peakRssMB.toFixed(0), TARGETS.peakRssMB, met.peakRssMB));
  const missed = Object.entries(met).filter(([, ok]) => !ok).map(([k]) => k);
  out.push('');
  out.push(missed.length ? `  MISSED: ${missed.join(', ')}` : '  all targets met');
  if (profile) {
    out.push('');
    out.push(`  profiled cold run: ${sec(profile.wallMs)} s wall, ${sec(profile.sampledMs)} s sampled on the main thread (${profile.profile.replace(ROOT, '')})`);
    out.push('  top self time:');
    for (const t of profile.top.slice(0, 15)) out.push(`    ${pad(t.ms.toFixed(0), 7)} ms ${pad((100 * t.share).toFixed(1), 5)}%  ${t.fn}`);
  }
  process.stdout.write(out.join('\n') + '\n');

  mkdirSync(OUT_DIR, { recursive: true });
  const doc = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, memBytes: totalmem(), node: process.versions.node, engine, storageDriver: driver },
    images: {
      a: { ref: A, id: images.a.id, sizeBytes: images.a.size, layers: images.a.diffIds.length },
      b: { ref: B, id: images.b.id, sizeBytes: images.b.size, layers: images.b.diffIds.length },
      bIsSupersetOfA: images.superset,
    },
    exportedBytes,
    runs: runs.map((r) => ({ ...r, coldOverFloor1: r.cold / r.floor1, warmOverFloor2: r.warm / r.floor2 })),
    medians: med,
    figures,
    targets: TARGETS,
    met,
    missed,
    ...(profile ? { profile: { wallMs: profile.wallMs, sampledMs: profile.sampledMs, top: profile.top } } : {}),
  };
  writeFileSync(OUT_JSON, JSON.stringify(doc, null, 2) + '\n');
  log(`wrote ${OUT_JSON.replace(ROOT, '')}`);
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
