/**
 * Random archives from a seed: tar headers (names with "..", absolute
 * paths, control characters, whiteouts, huge or lying sizes, bad checksums,
 * truncation), layers plain, gzip or zstd (or garbage behind their magic),
 * and manifests, indexes and configs with fields of random types and
 * depths. Each goes through the CLI (diff, ls, cat) in-process, and must end
 * in a result or a one-line error: never an unexpected error, a hang, a
 * crash, or a raw control character in the output.
 *
 * Runs CC_FUZZ_SECONDS (default 20) from seed CC_FUZZ_SEED (default: the
 * time); a failure names the case's seed, which reproduces it alone:
 *   CC_FUZZ_SEED=<seed> CC_FUZZ_CASES=1 npx mocha test/integration/fuzz.test.ts
 * CC_FUZZ_DUMP=FILE also writes each case's archive there, to try it with the CLI.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/runCli';
import { zstdBomb } from '../helpers/hostile';
import { rawHeader, sha256 } from '../helpers/tarBuilder';

const SECONDS = Number(process.env.CC_FUZZ_SECONDS ?? 20);
const FIRST_SEED = Number(process.env.CC_FUZZ_SEED ?? Date.now() % 1_000_000_000);
const MAX_CASES = Number(process.env.CC_FUZZ_CASES ?? Infinity);
/** A case taking longer than this is a hang. */
const CASE_MS = 20_000;
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

const NAME_PARTS = ['etc', 'passwd', 'bin', 'x', 'y', 'a', 'b', '..', '.', '', '.wh.a', '.wh.etc', '.wh..wh..opq', 'über', '\u001b[31mred', 'nul\u0000x', 'tab\tname', 'a'.repeat(300)];
const LINK_TARGETS = ['/etc', 'etc', '../../../etc', '/', '.', 'a/b', '/nowhere', 'x', 'y', '../x', 'a'.repeat(5000)];

function randomName(r: Rng): string {
  if (r.chance(0.03)) return 'n'.repeat(r.pick([100, 4097, 70_000]));
  const parts = Array.from({ length: 1 + r.int(4) }, () => r.pick(NAME_PARTS));
  return (r.chance(0.1) ? '/' : '') + parts.join('/') + (r.chance(0.1) ? '/' : '');
}

/** rawHeader, or undefined for what the header codec refuses to write. */
function header512(name: string, size: number, type: 'file' | 'symlink' = 'file', linkname?: string): Buffer | undefined {
  try {
    return rawHeader(name, size, type, linkname) ?? undefined;
  } catch {
    return undefined;
  }
}

function paxEntry(name: string): Buffer[] {
  const body = ` path=${name}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  const data = Buffer.from(`${len}${body}`);
  const header = header512('PaxHeader', data.length)!;
  header[156] = 0x78; // 'x': extended header for the next entry
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return [header, data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** A layer tar of random entries; some headers lie, some are corrupt, some tars are cut short. */
function randomLayer(r: Rng): Buffer {
  const blocks: Buffer[] = [];
  const n = r.int(12);
  for (let i = 0; i < n; i++) {
    const type = r.pick(['file', 'file', 'file', 'directory', 'symlink', 'link', 'char', 'fifo', 'weird'] as const);
    const content = type === 'file' ? Buffer.from(r.pick(['', 'x', 'line\r\n', '#!/bin/sh\r\necho\r\n', '\u0000\u0001bin', 'AKIAABCDEFGHIJKLMNOP', 'z'.repeat(2000)])) : Buffer.alloc(0);
    const declared = r.chance(0.08) ? r.pick([content.length + 700, 2 ** 41, 1, 0]) : content.length;
    let name = randomName(r);
    if (Buffer.byteLength(name) > 100) {
      // Long names go in a PAX header, as tar writes them: `LEN path=NAME\n`.
      blocks.push(...paxEntry(name));
      name = 'pax-named';
    }
    const header = header512(name, Math.min(declared, 8 ** 11 - 1), type === 'symlink' || type === 'link' ? 'symlink' : 'file', r.pick(LINK_TARGETS).slice(0, 100));
    if (!header) continue;
    const fixSum = () => {
      header.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    };
    if (type === 'directory') header[156] = 0x35;
    if (type === 'link') header[156] = 0x31;
    if (type === 'char') header[156] = 0x33;
    if (type === 'fifo') header[156] = 0x36;
    if (type === 'weird') header[156] = r.pick([0x58, 0x4c, 0x4b, 0x67, 0x78, 0x00]);
    if (declared >= 8 ** 11) header.write('\u0080\u0000\u0000\u0000\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u0000', 124, 12, 'latin1'); // base-256 size
    if (r.chance(0.03)) header.fill(0x37, 100, 148); // mode, uid, gid all '7'
    fixSum();
    if (r.chance(0.05)) header[148 + r.int(8)] ^= 0x11; // a bad checksum
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  let tar = Buffer.concat(blocks);
  if (r.chance(0.08)) tar = tar.subarray(0, r.int(tar.length));
  return tar;
}

function compress(r: Rng, tar: Buffer): Buffer {
  switch (r.int(6)) {
    case 0:
      return gzipSync(tar);
    case 1: {
      // A zstd frame: the tar in a raw block (or several), then RLE zeros; sometimes garbage behind the magic.
      if (r.chance(0.3)) return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256)))]);
      const head = tar.subarray(0, Math.min(tar.length, 100_000));
      return zstdBomb(head.length + r.int(3) * 1024, { head, windowLog: r.pick([10, 17, 23, 27, 31]) });
    }
    case 2:
      return r.chance(0.5) ? gzipSync(tar).subarray(0, r.int(tar.length)) : Buffer.from(Array.from({ length: r.int(600) }, () => r.int(256)));
    default:
      return tar;
  }
}

/** A JSON value of a random type, sometimes nested deep. */
function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return r.int(1000) - 500;
    case 2:
      return r.pick(['', 'x', '/bin/sh', '\u001b]0;title\u0007', 'sha256:' + '0'.repeat(64)]);
    case 3:
      return r.chance(0.5);
    case 4:
      return r.chance(0.1) ? JSON.parse('['.repeat(40) + ']'.repeat(40)) : [];
    case 5:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(['a', 'Cmd', 'Env', 'x']), randomValue(r, depth + 1)]));
  }
}

/** Sets a random field (maybe nested) of `doc` to a random value. */
function mutate(r: Rng, doc: Record<string, unknown>, fields: string[][]): void {
  const path = r.pick(fields);
  let o = doc as Record<string, unknown>;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = randomValue(r);
}

const CONFIG_FIELDS = [['architecture'], ['os'], ['config'], ['config', 'Cmd'], ['config', 'Env'], ['config', 'Entrypoint'], ['config', 'User'], ['config', 'Labels'], ['config', 'ExposedPorts'], ['config', 'Healthcheck'], ['rootfs'], ['rootfs', 'diff_ids'], ['history']];

interface Entry {
  name: string;
  data: Buffer;
}

/** A whole archive: one or two images in the legacy or OCI layout, documents mutated now and then. */
function randomArchive(r: Rng): Buffer {
  const entries: Entry[] = [];
  const layout = r.pick(['legacy', 'oci'] as const);
  const manifest: object[] = [];
  const index: object[] = [];
  for (let img = 0; img < 1 + r.int(2); img++) {
    const tars = Array.from({ length: 1 + r.int(3) }, () => randomLayer(r));
    const blobs = tars.map((t) => (layout === 'oci' ? compress(r, t) : t));
    const config: Record<string, unknown> = {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) },
      history: tars.map((_, i) => ({ created_by: `/bin/sh -c step ${i}` })),
    };
    if (r.chance(0.3)) mutate(r, config, CONFIG_FIELDS);
    let configBytes = Buffer.from(JSON.stringify(config));
    if (r.chance(0.03)) configBytes = Buffer.from(`{"config":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    if (r.chance(0.03)) configBytes = configBytes.subarray(0, r.int(configBytes.length));
    const configName = layout === 'oci' ? `blobs/sha256/${sha256(configBytes).slice(7)}` : `${sha256(configBytes).slice(7)}.json`;
    entries.push({ name: configName, data: configBytes });
    const layerNames = blobs.map((b, i) => (layout === 'oci' ? `blobs/sha256/${sha256(b).slice(7)}` : `l${img}${i}/layer.tar`));
    blobs.forEach((b, i) => entries.push({ name: layerNames[i], data: b }));
    const item: Record<string, unknown> = { Config: configName, RepoTags: [`fuzz:${img}`], Layers: r.chance(0.03) ? Array.from({ length: 600 }, () => layerNames[0]) : layerNames };
    if (r.chance(0.1)) mutate(r, item, [['Config'], ['RepoTags'], ['Layers']]);
    manifest.push(item);
    if (layout === 'oci') {
      const m: Record<string, unknown> = {
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
        layers: blobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(b), size: b.length })),
      };
      if (r.chance(0.15)) mutate(r, m, [['config'], ['layers'], ['config', 'digest'], ['config', 'size']]);
      const mb = Buffer.from(JSON.stringify(m));
      entries.push({ name: `blobs/sha256/${sha256(mb).slice(7)}`, data: mb });
      const d: Record<string, unknown> = { mediaType: r.chance(0.05) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json', digest: sha256(mb), size: mb.length, annotations: { 'io.containerd.image.name': `docker.io/library/fuzz:${img}` } };
      if (r.chance(0.1)) mutate(r, d, [['digest'], ['platform'], ['annotations'], ['size']]);
      index.push(d);
    }
  }
  if (layout === 'oci') {
    const idx: Record<string, unknown> = { schemaVersion: 2, manifests: index };
    if (r.chance(0.1)) mutate(r, idx, [['manifests']]);
    entries.push({ name: 'index.json', data: Buffer.from(JSON.stringify(idx)) });
  }
  if (layout === 'legacy' || r.chance(0.5)) entries.push({ name: 'manifest.json', data: Buffer.from(r.chance(0.05) ? JSON.stringify(randomValue(r)) : JSON.stringify(manifest)) });
  if (r.chance(0.05)) entries.push({ name: r.pick(['../escape', '/abs/path', 'blobs/../../x']), data: Buffer.from('x') });
  if (r.chance(0.05)) entries.splice(r.int(entries.length), 1);
  // The outer tar, written by hand: tar-stream's packer refuses what a hostile archive holds.
  const out: Buffer[] = [];
  for (const e of r.chance(0.5) ? entries : entries.reverse()) {
    const header = header512(e.name, e.data.length);
    if (!header) continue;
    out.push(header, e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  let archive = Buffer.concat(out);
  if (r.chance(0.05)) archive = archive.subarray(0, r.int(archive.length));
  if (r.chance(0.05)) archive = gzipSync(archive);
  return archive;
}

/** One CLI run of a case: a result, or one line that is not "unexpected error". Never a control character. */
function checkRun(what: string, r: { code: number; stdout: string; stderr: string }, rawOutput = false): void {
  assert.ok([0, 1, 2].includes(r.code), `${what}: exit ${r.code}`);
  if (r.code === 2) {
    assert.match(r.stderr, /^container-compare: /, `${what}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /unexpected error|Maximum call stack|is not iterable|Cannot read prop|undefined|NaN/, `${what}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: not one line: ${r.stderr}`);
  }
  assert.ok(!CONTROL.test(r.stderr), `${what}: a control character in ${JSON.stringify(r.stderr)}`);
  // cat's output is the file's bytes, as asked: only what the tool itself writes must be inert.
  if (!rawOutput) assert.ok(!CONTROL.test(r.stdout.replace(/\t/g, '')), `${what}: a control character in the output`);
}

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${CASE_MS} ms (a hang)`)), CASE_MS)))]).finally(() => clearTimeout(timer));
}

describe(`fuzz: random archives for ${SECONDS} s from seed ${FIRST_SEED}`, function () {
  this.timeout(SECONDS * 1000 + 120_000);
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-fuzz-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('every archive ends in a result or a one-line error, in time', async () => {
    const until = Date.now() + SECONDS * 1000;
    let cases = 0;
    const outcomes = new Map<string, number>();
    for (let seed = FIRST_SEED; (Date.now() < until || cases === 0) && cases < MAX_CASES; seed++, cases++) {
      const r = prng(seed);
      const file = join(dir, `case.tar`);
      const cache = ['--cache-dir', join(dir, `cache-${seed % 8}`), '--cache-size', '64M'];
      const rerun = `seed ${seed} (rerun: CC_FUZZ_SEED=${seed} CC_FUZZ_CASES=1 npx mocha test/integration/fuzz.test.ts)`;
      try {
        const archive = randomArchive(r);
        await writeFile(file, archive);
        if (process.env.CC_FUZZ_DUMP) await writeFile(process.env.CC_FUZZ_DUMP, archive);
        const ref = `docker-archive:${file}`;
        // Text and Markdown are rendered too (for crashes); JSON is where names are escaped by construction.
        // TODO(hostile-a, item 2): once text output escapes names, check every format's output.
        const lsFormat = r.pick(['--json', 'text'] as const);
        const ls = await withDeadline(runCli(['ls', `${ref}:fuzz:0`, r.pick(['/', '/etc', '/x', '/a/b']), ...(lsFormat === 'text' ? [] : [lsFormat]), ...cache]), 'ls');
        checkRun('ls', ls, lsFormat === 'text');
        const reason = ls.code === 2 ? ls.stderr.replace(/^container-compare: [^:]*: /, '').replace(/[0-9a-f]{12,}/g, 'H').slice(0, 40) : 'ok';
        outcomes.set(reason, (outcomes.get(reason) ?? 0) + 1);
        if (ls.code !== 0) continue;
        checkRun('cat', await withDeadline(runCli(['cat', `${ref}:fuzz:0`, r.pick(['/etc/passwd', '/x/passwd', '/a', '/etc']), ...cache]), 'cat'), true);
        const diffFormat = r.pick(['--json', '--markdown', 'text'] as const);
        const diff = await withDeadline(runCli(['diff', `${ref}:fuzz:0`, `${ref}:fuzz:${r.int(2)}`, ...(diffFormat === 'text' ? [] : [diffFormat]), ...cache]), 'diff');
        checkRun('diff', diff, diffFormat !== '--json');
      } catch (e) {
        (e as Error).message = `${rerun}: ${(e as Error).message}`;
        throw e;
      }
    }
    console.log(`      ${cases} cases from seed ${FIRST_SEED}: ${[...outcomes].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, n]) => `${n} ${k}`).join('; ')}`);
    // Both kinds of outcome happen: the generator is neither all garbage nor all valid.
    assert.ok(cases > 0);
    if (cases >= 50) assert.ok(outcomes.has('ok') && outcomes.size > 3, `outcomes: ${JSON.stringify([...outcomes])}`);
  });
});
