#!/usr/bin/env node
// `npm run bench`: measures `container-compare diff` on a pair of ~1 GB images
// against floors measured in the same run (these machines are shared and
// noisy, so only ratios mean something):
//
//   floor1 = docker save A B > /dev/null            cold export = diff A B --no-fast-path, empty cache dir
//                                                   cold fast   = diff A B (the engine's layer store), empty cache dir
//   floor2 = node -e 0  +  docker image inspect A B  warm        = diff A B --json, same cache dir again
//                                                   warm text   = diff A B (text output), same cache dir
//
// Targets (issue 14): cold export / floor1 <= 1.15, cold fast / floor1 <= 0.8,
// peak RSS of a cold run <= 150 MB, warm / floor2 <= 3, warm text / floor2 <= 2.5.
// Each timing is the median of --runs (default 3) runs, interleaved so a slow
// phase of the machine hits every measure alike (the two warm measures take
// turns at coming first after the cold export); the machine's load average
// is printed with them. Then, unless --no-profile, one more cold run of each
// path and one warm run under --cpu-prof: where the main thread's time goes
// after the first byte (scripts/bench-profile.mjs maps the minified bundle
// back to source files). Then, unless --no-scale, the same figures for pairs
// of 10k, 100k and 300k small files (built from busybox when missing), to
// show how each cost grows with the file count.
// Results go to stdout and to .cache/bench.json. Exits 0 when targets are
// missed (it is a measurement, not a test; MISSED is printed), non-zero only
// when the measurement itself failed.
//
// Options: --runs N   --scale-runs N (default 1)   --no-build (use dist/ as is)
//          --no-profile   --no-scale   --scale-only
//
// The images are built when missing (classic builder, from the base image made
// by scripts/setup-host.sh) from test/fixtures/bench/{a,b}.Dockerfile:
//   cc-bench/app:a  Debian + gcc/g++/perl/python3 + Boost headers + ~220 MB of random data
//   cc-bench/app:b  A + a vendored Python tree + one more blob, and one changed file
// and, for the scale pairs, cc-bench/files:Nk-base (busybox + N small files in
// one layer), cc-bench/files:Nk-a and :Nk-b (each one small layer on it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { profileBreakdown } from './bench-profile.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const PROBE = join(ROOT, 'scripts', 'rss-probe.cjs');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'bench');
const OUT_DIR = join(ROOT, '.cache');
const OUT_JSON = join(OUT_DIR, 'bench.json');
const BASE_IMAGE = 'container-compare/debian:bookworm';
const BUSYBOX = 'container-compare/busybox:latest';
const A = 'cc-bench/app:a';
const B = 'cc-bench/app:b';
const TARGETS = { coldExportOverFloor1: 1.15, coldFastOverFloor1: 0.8, peakRssMB: 150, warmOverFloor2: 3, warmTextOverFloor2: 2.5 };
const SCALES = [10, 100, 300];

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'scale-runs': { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'no-scale': { type: 'boolean', default: false },
    'scale-only': { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const SCALE_RUNS = Number(opts['scale-runs']);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs expects a positive whole number, got "${opts.runs}"`);
if (!Number.isInteger(SCALE_RUNS) || SCALE_RUNS < 1) fail(`--scale-runs expects a positive whole number, got "${opts['scale-runs']}"`);

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

/** Engine and base images: scripts/setup-host.sh is idempotent, so run it when any is missing. */
function ensureEngine() {
  if (dockerUp() && imagePresent(BASE_IMAGE) && imagePresent(BUSYBOX)) return;
  const setup = join(ROOT, 'scripts', 'setup-host.sh');
  if (!existsSync(setup)) fail(`no Docker engine or no ${BASE_IMAGE}, and no scripts/setup-host.sh to make them`);
  log(`Docker engine, ${BASE_IMAGE} or ${BUSYBOX} missing: running scripts/setup-host.sh`);
  sh('bash', [setup], { inherit: true });
  if (!dockerUp() || !imagePresent(BASE_IMAGE)) fail(`scripts/setup-host.sh finished but the engine or ${BASE_IMAGE} is still missing`);
}

/** Builds `tag` from a Dockerfile given as text (no build context: the files COPY nothing). */
function build(tag, dockerfile, what) {
  log(`building ${tag} from ${what} (classic builder)`);
  const t0 = performance.now();
  sh('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  log(`built ${tag} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Builds what is missing; B is rebuilt whenever A is (B must stay a superset of the A being measured). */
function ensureImages() {
  const haveA = imagePresent(A);
  if (!haveA) build(A, readFileSync(join(FIXTURES, 'a.Dockerfile')), 'test/fixtures/bench/a.Dockerfile');
  if (!haveA || !imagePresent(B)) build(B, readFileSync(join(FIXTURES, 'b.Dockerfile')), 'test/fixtures/bench/b.Dockerfile');
  const a = inspect(A);
  const b = inspect(B);
  const superset = a.diffIds.every((d, i) => b.diffIds[i] === d) && b.diffIds.length > a.diffIds.length;
  if (!superset) log(`warning: ${B} is not ${A} plus layers (rebuild: docker rmi ${A} ${B} && npm run bench)`);
  return { a, b, superset };
}

/**
 * A scale pair: K thousand small files in a shared base layer (1000 per
 * directory), and on it A changes one file, deletes a directory of 1000 and
 * changes a mode, B rewrites 100 files with CRLF and adds a directory. Made
 * with busybox's shell: a few seconds for 10k, about a minute for 300k.
 */
function ensureScalePair(k) {
  const base = `cc-bench/files:${k}k-base`;
  const a = `cc-bench/files:${k}k-a`;
  const b = `cc-bench/files:${k}k-b`;
  const haveBase = imagePresent(base);
  if (!haveBase) {
    build(
      base,
      `FROM ${BUSYBOX}\nRUN mkdir /data && cd /data && d=0 && while [ $d -lt ${k} ]; do mkdir $d && f=0 && while [ $f -lt 1000 ]; do echo "file $d/$f of a ${k}k-file pair" > $d/$f.txt; f=$((f+1)); done; d=$((d+1)); done\n`,
      `busybox + ${k * 1000} files`,
    );
  }
  if (!haveBase || !imagePresent(a)) build(a, `FROM ${base}\nRUN echo changed > /data/0/0.txt && rm -rf /data/1 && chmod 600 /data/2/5.txt\n`, `${base} + a small change`);
  if (!haveBase || !imagePresent(b)) build(b, `FROM ${base}\nRUN i=0; while [ $i -lt 100 ]; do printf 'crlf\\r\\n' > /data/3/$i.txt; i=$((i+1)); done && mkdir /data/new && echo new > /data/new/n.txt\n`, `${base} + another small change`);
  return { files: k * 1000, a, b };
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const sec = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const mb = (bytes) => (bytes / 1e6).toFixed(0);
const pad = (s, n) => String(s).padStart(n);
const load = () => loadavg()[0].toFixed(1);

function readProbe(file) {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  if (!Number.isFinite(doc.maxRSSKB) || doc.maxRSSKB <= 0) throw new Error(`${file}: no RSS figure`);
  return doc;
}

/** Dirty pages of the previous step (a 1 GB layer store) must not be written back during the next timing. */
function sync() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** The engine's folder for staging exports (DockerRootDir/tmp), if this process can read it. */
let stagingDir;
function engineStaging() {
  if (stagingDir === undefined) {
    const root = spawnSync('docker', ['info', '-f', '{{.DockerRootDir}}'], { encoding: 'utf8' }).stdout?.trim();
    stagingDir = root ? join(root, 'tmp') : null;
    try {
      readdirSync(stagingDir);
    } catch {
      stagingDir = null;
    }
  }
  return stagingDir;
}

/**
 * Waits until the engine has removed what it staged for an export. A cold
 * export ends at its archive's end, while the engine still removes its
 * staging folder (~0.2 s for the bench pair): the next measure must not pay
 * for that, as a user's next compare would not. Where the folder cannot be
 * read (another user's engine), waits half a second.
 */
async function engineSettled() {
  const dir = engineStaging();
  if (!dir) return new Promise((r) => setTimeout(r, 500));
  for (let waited = 0; waited < 5000; waited += 20) {
    if (!readdirSync(dir).some((n) => n.startsWith('docker-export-'))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One run of the CLI with the probe: wall time, peak RSS, the probe's phase times. `expect`: the exit code (1: "different"). */
async function cli(args, { cacheDir, env = {}, profileDir, expect = 1 } = {}) {
  const probeFile = `${cacheDir}.probe-${Math.random().toString(36).slice(2)}`;
  const nodeArgs = ['--require', PROBE, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), CLI, ...args, '--cache-dir', cacheDir];
  try {
    const r = await timed(process.execPath, nodeArgs, { env: { ...process.env, ...env, CC_RSS_FILE: probeFile } });
    if (r.code !== expect) throw new Error(`container-compare ${args.join(' ')} exited ${r.code} (expected ${expect}):\n${r.stderr.trim()}`);
    const probe = readProbe(probeFile);
    return { ms: r.ms, rssKB: probe.maxRSSKB, probe };
  } finally {
    rmSync(probeFile, { force: true });
  }
}

const newCacheDir = () => mkdtempSync(join(tmpdir(), 'cc-bench-cache-'));

/** One interleaved round of every measure for a pair. */
async function round(a, b, i, label) {
  const out = { load: load() };
  log(`${label} run ${i}: load average ${out.load}`);
  sync();
  const floor1 = await timed('docker', ['save', a, b]);
  if (floor1.code !== 0) throw new Error(`docker save exited ${floor1.code}: ${floor1.stderr.trim()}`);
  out.floor1 = floor1.ms;
  sync();
  const exportDir = newCacheDir();
  const fastDir = newCacheDir();
  try {
    const coldExport = await cli(['diff', a, b, '--json', '--no-fast-path'], { cacheDir: exportDir });
    if (!coldExport.probe.export) throw new Error('the cold export run did not export');
    await engineSettled();
    sync();
    // The first run after a cold export still pays for the kernel writing the byte store back: the two
    // warm measures take turns at going first.
    const warmJson = () => cli(['diff', a, b, '--json'], { cacheDir: exportDir });
    const warmTxt = () => cli(['diff', a, b], { cacheDir: exportDir });
    let warm, warmText;
    if (i % 2) {
      warm = await warmJson();
      warmText = await warmTxt();
    } else {
      warmText = await warmTxt();
      warm = await warmJson();
    }
    for (const w of [warm, warmText]) if (w.probe.export || w.probe.marks['first-byte'] !== undefined) log(`warning: a warm run read layers (the cache did not serve it)`);
    sync();
    const coldFast = await cli(['diff', a, b, '--json'], { cacheDir: fastDir });
    const fastPath = coldFast.probe.export ? 'none (exported)' : coldFast.probe.archives ? 'helper container' : 'direct';
    Object.assign(out, {
      coldExport: coldExport.ms,
      coldFast: coldFast.ms,
      fastPath,
      warm: warm.ms,
      warmText: warmText.ms,
      coldExportRssKB: coldExport.rssKB,
      coldFastRssKB: coldFast.rssKB,
      warmRssKB: warm.rssKB,
      exportFirstByte: coldExport.probe.export.responseMs,
      exportEnd: coldExport.probe.export.endMs,
      exportLoaded: coldExport.probe.marks.loaded,
      fastLoaded: coldFast.probe.marks.loaded,
    });
  } finally {
    rmSync(exportDir, { recursive: true, force: true });
    rmSync(fastDir, { recursive: true, force: true });
    sync();
  }
  out.nodeStart = (await timed(process.execPath, ['-e', '0'])).ms;
  const insp = await timed('docker', ['image', 'inspect', a, b]);
  if (insp.code !== 0) throw new Error(`docker image inspect exited ${insp.code}: ${insp.stderr.trim()}`);
  out.inspect = insp.ms;
  out.floor2 = out.nodeStart + out.inspect;
  return out;
}

function medians(runs, keys) {
  return Object.fromEntries(keys.filter((k) => runs.every((r) => typeof r[k] === 'number')).map((k) => [k, median(runs.map((r) => r[k]))]));
}

/**
 * One profiled run: wall-clock phases from the probe, and the main thread's
 * time by category after the first byte (before it, a cold export only waits).
 */
async function profiled(label, args, { warmFrom } = {}) {
  const cacheDir = warmFrom ?? newCacheDir();
  const profileDir = join(OUT_DIR, 'bench-profile', label.replace(/\W+/g, '-'));
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  try {
    const r = await cli(args, { cacheDir, profileDir });
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const { t0Us, marks, export: exp } = r.probe;
    const firstByte = exp?.responseMs ?? marks['first-byte'];
    const all = profileBreakdown(join(profileDir, file), { root: ROOT });
    const after = firstByte === undefined ? all : profileBreakdown(join(profileDir, file), { root: ROOT, fromUs: t0Us + firstByte * 1000 });
    return { label, wallMs: r.ms, rssKB: r.rssKB, marks, export: exp, firstByteMs: firstByte, all, after, profile: join(profileDir, file).replace(ROOT, '') };
  } finally {
    if (!warmFrom) rmSync(cacheDir, { recursive: true, force: true });
  }
}

function printProfile(out, p) {
  const m = p.marks;
  const phases = [
    p.firstByteMs !== undefined ? `first byte ${sec(p.firstByteMs)} s` : undefined,
    p.export?.endMs !== undefined ? `export's last byte ${sec(p.export.endMs)} s (stream ${sec(p.export.endMs - p.export.responseMs)} s)` : undefined,
    m.loaded !== undefined ? `images indexed ${sec(m.loaded)} s` : undefined,
    m.analysed !== undefined ? `compared and analysed ${sec(m.analysed)} s` : undefined,
    m.written !== undefined ? `report written ${sec(m.written)} s` : undefined,
    `exit ${sec(p.wallMs)} s`,
  ].filter(Boolean);
  out.push(`  ${p.label}: ${phases.join(', ')}; peak RSS ${(p.rssKB / 1024).toFixed(0)} MB (${p.profile})`);
  const cats = p.after;
  out.push(`    main thread${p.firstByteMs !== undefined ? ' after the first byte' : ''}: ${sec(cats.totalMs)} s sampled`);
  for (const c of cats.categories.filter((x) => x.ms >= 5)) out.push(`    ${pad(c.ms.toFixed(0), 7)} ms ${pad((100 * c.share).toFixed(1), 5)}%  ${c.name}`);
  out.push('    top self time:');
  for (const t of cats.top.slice(0, 6)) out.push(`    ${pad(t.ms.toFixed(0), 7)} ms ${pad((100 * t.share).toFixed(1), 5)}%  ${t.fn}`);
}

async function main() {
  ensureEngine();
  const images = opts['scale-only'] ? undefined : ensureImages();
  const scalePairs = opts['no-scale'] ? [] : SCALES.map(ensureScalePair);
  if (!opts['no-build'] || !existsSync(CLI)) {
    log('npm run build');
    sh(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--dist']);
  }
  const engine = sh('docker', ['version', '--format', '{{.Server.Version}}']).stdout.trim();
  const driver = sh('docker', ['info', '--format', '{{.Driver}}']).stdout.trim();
  const machine = { cores: cpus().length, memBytes: totalmem(), node: process.versions.node, engine, storageDriver: driver, loadAtStart: load() };
  const out = [''];
  const doc = { date: new Date().toISOString(), machine, targets: TARGETS };

  if (images) {
    // Untimed warm-up: fills the page cache for the engine's layer files (so the
    // first floor1 is not the only one paying for disk reads) and counts the export.
    log(`warm-up: docker save ${A} ${B} (counting bytes)`);
    const exportedBytes = await countBytes('docker', ['save', A, B]);
    const runs = [];
    for (let i = 1; i <= RUNS; i++) runs.push(await round(A, B, i, 'main pair'));
    const med = medians(runs, ['floor1', 'coldExport', 'coldFast', 'warm', 'warmText', 'nodeStart', 'inspect', 'floor2', 'exportFirstByte', 'exportEnd', 'exportLoaded', 'fastLoaded']);
    const peakRssKB = Math.max(...runs.flatMap((r) => [r.coldExportRssKB, r.coldFastRssKB]));
    const figures = {
      coldExportOverFloor1: med.coldExport / med.floor1,
      coldFastOverFloor1: med.coldFast / med.floor1,
      peakRssMB: peakRssKB / 1024,
      warmOverFloor2: med.warm / med.floor2,
      warmTextOverFloor2: med.warmText / med.floor2,
    };
    const met = Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, figures[k] <= t]));
    const fastPaths = [...new Set(runs.map((r) => r.fastPath))];

    out.push(`Container Compare benchmark: diff ${A} ${B}`);
    out.push(`  images: ${A} ${mb(images.a.size)} MB (${images.a.diffIds.length} layers), ${B} ${mb(images.b.size)} MB (${images.b.diffIds.length} layers)${images.superset ? `, B = A + ${images.b.diffIds.length - images.a.diffIds.length} layers` : ', B is NOT a superset of A'}`);
    out.push(`  bytes exported by docker save A B: ${mb(exportedBytes)} MB (${exportedBytes} bytes)`);
    out.push(`  machine: ${machine.cores} cores, ${(machine.memBytes / 2 ** 30).toFixed(0)} GiB, node ${machine.node}, engine ${engine} (${driver}); load average ${runs.map((r) => r.load).join(' / ')} at each run's start`);
    out.push(`  fast path taken: ${fastPaths.join(', ')}`);
    out.push('');
    out.push(`  ${'run'.padEnd(7)}${pad('floor1', 8)}${pad('cold exp', 9)}${pad('cold fast', 10)}${pad('warm', 7)}${pad('warm txt', 9)}${pad('floor2', 8)}${pad('RSS exp', 9)}${pad('RSS fast', 9)}${pad('RSS warm', 9)}`);
    const row = (label, r, rss) => `  ${label.padEnd(7)}${pad(sec(r.floor1), 8)}${pad(sec(r.coldExport), 9)}${pad(sec(r.coldFast), 10)}${pad(sec(r.warm), 7)}${pad(sec(r.warmText), 9)}${pad(sec(r.floor2), 8)}${rss}`;
    const mbKB = (kb) => pad(`${(kb / 1024).toFixed(0)} MB`, 9);
    runs.forEach((r, i) => out.push(row(String(i + 1), r, `${mbKB(r.coldExportRssKB)}${mbKB(r.coldFastRssKB)}${mbKB(r.warmRssKB)}`)));
    out.push(row('median', med, ''));
    out.push(`  (seconds, wall clock; floor2 = node -e 0 ${sec(med.nodeStart)} + docker image inspect ${sec(med.inspect)})`);
    out.push(`  cold export: the engine's first byte after ${runs.map((r) => sec(r.exportFirstByte)).join(' / ')} s (it stages the whole export first, as in floor1),`);
    out.push(`               its last byte after ${runs.map((r) => sec(r.exportEnd)).join(' / ')} s, images indexed after ${runs.map((r) => sec(r.exportLoaded)).join(' / ')} s`);
    out.push(`  cold fast:   images indexed after ${runs.map((r) => sec(r.fastLoaded)).join(' / ')} s`);
    out.push('');
    const line = (label, value, target, ok) => `  ${label.padEnd(24)}${value.padStart(7)}   target <= ${String(target).padEnd(5)} ${ok ? 'ok' : 'MISSED'}`;
    out.push(line('cold export / floor1', figures.coldExportOverFloor1.toFixed(2), TARGETS.coldExportOverFloor1, met.coldExportOverFloor1));
    out.push(line('cold fast / floor1', figures.coldFastOverFloor1.toFixed(2), TARGETS.coldFastOverFloor1, met.coldFastOverFloor1));
    out.push(line('peak RSS (cold), MB', figures.peakRssMB.toFixed(0), TARGETS.peakRssMB, met.peakRssMB));
    out.push(line('warm / floor2', figures.warmOverFloor2.toFixed(2), TARGETS.warmOverFloor2, met.warmOverFloor2));
    out.push(line('warm text / floor2', figures.warmTextOverFloor2.toFixed(2), TARGETS.warmTextOverFloor2, met.warmTextOverFloor2));
    const missed = Object.entries(met).filter(([, ok]) => !ok).map(([k]) => k);
    out.push('');
    out.push(missed.length ? `  MISSED: ${missed.join(', ')}` : '  all targets met');
    Object.assign(doc, {
      images: {
        a: { ref: A, id: images.a.id, sizeBytes: images.a.size, layers: images.a.diffIds.length },
        b: { ref: B, id: images.b.id, sizeBytes: images.b.size, layers: images.b.diffIds.length },
        bIsSupersetOfA: images.superset,
      },
      exportedBytes,
      runs: runs.map((r) => ({ ...r, coldExportOverFloor1: r.coldExport / r.floor1, coldFastOverFloor1: r.coldFast / r.floor1, warmOverFloor2: r.warm / r.floor2, warmTextOverFloor2: r.warmText / r.floor2 })),
      medians: med,
      figures,
      met,
      missed,
    });

    if (!opts['no-profile']) {
      log('profiling: one more cold run of each path and one warm run (--cpu-prof)');
      const profiles = [await profiled('cold export', ['diff', A, B, '--json', '--no-fast-path'])];
      await engineSettled();
      const warmDir = newCacheDir();
      try {
        profiles.push(await profiled('cold fast', ['diff', A, B, '--json'], { warmFrom: warmDir }));
        profiles.push(await profiled('warm', ['diff', A, B, '--json'], { warmFrom: warmDir }));
        profiles.push(await profiled('warm text', ['diff', A, B], { warmFrom: warmDir }));
      } finally {
        rmSync(warmDir, { recursive: true, force: true });
      }
      out.push('');
      out.push('Profile (one run each, under --cpu-prof, which slows it a little; times after the probe loaded):');
      for (const p of profiles) printProfile(out, p);
      doc.profiles = profiles.map((p) => ({ label: p.label, wallMs: p.wallMs, rssKB: p.rssKB, marks: p.marks, export: p.export, firstByteMs: p.firstByteMs, categoriesAfterFirstByte: p.after.categories, top: p.after.top, categoriesWholeRun: p.all.categories }));
    }
  }

  if (scalePairs.length) {
    const rows = [];
    for (const pair of scalePairs) {
      const runs = [];
      for (let i = 1; i <= SCALE_RUNS; i++) runs.push(await round(pair.a, pair.b, i, `${pair.files / 1000}k files`));
      const med = medians(runs, ['floor1', 'coldExport', 'coldFast', 'warm', 'warmText', 'floor2']);
      rows.push({ files: pair.files, a: pair.a, b: pair.b, ...med, coldExportRssKB: Math.max(...runs.map((r) => r.coldExportRssKB)), coldFastRssKB: Math.max(...runs.map((r) => r.coldFastRssKB)), warmRssKB: Math.max(...runs.map((r) => r.warmRssKB)), load: runs.map((r) => r.load) });
    }
    out.push('');
    out.push(`Scale: pairs of small files (busybox; one shared layer of N files, one small layer each), median of ${SCALE_RUNS}`);
    out.push(`  ${'files'.padEnd(8)}${pad('floor1', 8)}${pad('cold exp', 9)}${pad('cold fast', 10)}${pad('warm', 7)}${pad('warm txt', 9)}${pad('floor2', 8)}${pad('exp/f1', 8)}${pad('fast/f1', 8)}${pad('warm/f2', 8)}${pad('RSS exp', 9)}${pad('RSS fast', 9)}${pad('RSS warm', 9)}  load`);
    const mbKB = (kb) => pad(`${(kb / 1024).toFixed(0)} MB`, 9);
    for (const r of rows) {
      out.push(`  ${`${r.files / 1000}k`.padEnd(8)}${pad(sec(r.floor1), 8)}${pad(sec(r.coldExport), 9)}${pad(sec(r.coldFast), 10)}${pad(sec(r.warm), 7)}${pad(sec(r.warmText), 9)}${pad(sec(r.floor2), 8)}${pad((r.coldExport / r.floor1).toFixed(2), 8)}${pad((r.coldFast / r.floor1).toFixed(2), 8)}${pad((r.warm / r.floor2).toFixed(2), 8)}${mbKB(r.coldExportRssKB)}${mbKB(r.coldFastRssKB)}${mbKB(r.warmRssKB)}  ${r.load.join('/')}`);
    }
    // Growth: the cost of each measure per thousand files, after the smallest pair's fixed cost.
    const first = rows[0];
    out.push('  growth from the smallest pair, per 1000 more files (a flat column is linear):');
    for (const r of rows.slice(1)) {
      const per = (k) => (((r[k] - first[k]) / (r.files - first.files)) * 1000).toFixed(1).padStart(7);
      out.push(`  ${`${first.files / 1000}k→${r.files / 1000}k`.padEnd(12)} floor1 ${per('floor1')} ms   cold export ${per('coldExport')} ms   cold fast ${per('coldFast')} ms   warm ${per('warm')} ms   warm text ${per('warmText')} ms`);
    }
    doc.scale = rows;
  }

  process.stdout.write(out.join('\n') + '\n');
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(OUT_JSON, JSON.stringify(doc, null, 2) + '\n');
  log(`wrote ${OUT_JSON.replace(ROOT, '')}`);
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
