#!/usr/bin/env node
// `node --import tsx scripts/bench-index.mjs CACHE_DIR...`: how fast the file
// indexes of a cache folder are read back in each candidate on-disk form, the
// choice behind the cache's index format (src/core/layers/indexCodec.ts):
//
//   json-rows   index-v2: JSON of one array per entry (JSON.parse, then objects)
//   v8          node:v8's serializer (structured clone) of the same entries
//   ccx3        index-v3: a UTF-8 string table cut into the entries' strings, numbers as typed-array columns
//
// For each: bytes on disk, the time to decode every index of the folder into
// entries the first time in a fresh process (what a CLI run pays: the
// decoder's own code is not optimised yet; JSON.parse is native either way),
// the median of 5 later rounds, and the heap the decoded entries hold. Each form is measured in a child process of its own,
// so one's garbage does not slow another. The folders are made by a compare:
//   container-compare diff cc-bench/app:a cc-bench/app:b --cache-dir DIR
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';

const FORMATS = ['json-rows', 'v8', 'ccx3'];

async function codec() {
  return import('../src/core/layers/indexCodec.ts');
}

/** The entries of every index of a cache folder, read through the Cache as the product does. */
async function entriesOf(dir) {
  const { Cache, INDEX_DIR } = await import('../src/core/layers/cache.ts');
  const cache = await Cache.open(dir);
  const out = [];
  for (const name of readdirSync(join(dir, INDEX_DIR))) {
    const m = /^([a-f0-9]{64})\./.exec(name);
    if (m) out.push(await cache.readIndex(`sha256:${m[1]}`));
  }
  return out;
}

function toRowsJson(index) {
  const rows = index.entries.map((e) => {
    const r = [e.path, e.type, e.mode, e.uid, e.gid, e.size, e.linkTarget, e.sha256, e.text === undefined ? undefined : e.text ? 1 : 0, e.lineEndings, e.lfSha256, e.offset];
    if (e.secrets?.length) r[12] = e.secrets;
    return r;
  });
  return Buffer.from(JSON.stringify({ diffId: index.diffId, size: index.size, rows }));
}

function fromRowsJson(buf) {
  const doc = JSON.parse(buf.toString('utf8'));
  return doc.rows.map((r) => {
    const e = { path: r[0], type: r[1], mode: r[2], uid: r[3], gid: r[4], size: r[5] };
    if (r[6] != null) e.linkTarget = r[6];
    if (r[7] != null) e.sha256 = r[7];
    if (r[8] != null) e.text = r[8] === 1;
    if (r[9] != null) e.lineEndings = r[9];
    if (r[10] != null) e.lfSha256 = r[10];
    if (r[11] != null) e.offset = r[11];
    if (r[12] != null) e.secrets = r[12];
    return e;
  });
}

/**
 * One form, in a process of its own. The indexes come as plain JSON from the
 * parent: decoding them here with the codec would optimise its code before
 * the first timed read.
 */
async function child(format, file) {
  const { encodeIndex, decodeIndex } = await codec();
  const indexes = JSON.parse(readFileSync(file, 'utf8'));
  const encode = { 'json-rows': toRowsJson, v8: (i) => v8.serialize(i), ccx3: encodeIndex }[format];
  const decode = { 'json-rows': fromRowsJson, v8: (b) => v8.deserialize(b).entries, ccx3: (b) => decodeIndex(b).entries }[format];
  const blobs = indexes.map(encode);
  const entries = indexes.reduce((n, i) => n + i.entries.length, 0);
  const bytes = blobs.reduce((n, b) => n + b.length, 0);
  const times = [];
  let first = 0;
  // The decoded entries stay referenced here until measured: what they hold is what a compare holds.
  const kept = [];
  for (let round = 0; round < 6; round++) {
    kept.length = 0;
    globalThis.gc?.();
    const t0 = performance.now();
    kept.push(...blobs.map(decode));
    if (round) times.push(performance.now() - t0);
    else first = performance.now() - t0;
  }
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const decoded = kept.reduce((n, x) => n + x.length, 0);
  kept.length = 0;
  globalThis.gc?.();
  const held = heap - process.memoryUsage().heapUsed;
  if (decoded !== entries) throw new Error(`${format}: ${decoded} entries decoded of ${entries}`);
  // The decoded entries must equal what was encoded (spot check: every 97th entry of each index).
  for (const [k, b] of blobs.entries()) {
    const got = decode(b);
    for (let i = 0; i < got.length; i += 97) if (JSON.stringify(got[i]) !== JSON.stringify(indexes[k].entries[i])) throw new Error(`${format}: entry ${i} differs`);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ format, entries, bytes, first, ms: times[times.length >> 1], heldBytes: held }));
}

async function main() {
  const [, , first, ...rest] = process.argv;
  if (first === '--child') return child(rest[0], rest[1]);
  const dirs = [first, ...rest].filter(Boolean);
  if (!dirs.length) throw new Error('usage: node --import tsx scripts/bench-index.mjs CACHE_DIR...');
  const self = fileURLToPath(import.meta.url);
  const tmp = mkdtempSync(join(tmpdir(), 'cc-bench-index-'));
  let results;
  try {
    const file = join(tmp, 'indexes.json');
    writeFileSync(file, JSON.stringify((await Promise.all(dirs.map(entriesOf))).flat()));
    results = FORMATS.map((f) => {
      const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', f, file], { encoding: 'utf8', maxBuffer: 2 ** 20 });
      if (r.status !== 0) throw new Error(`${f}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const base = results[0];
  process.stdout.write(`index forms for ${dirs.join(', ')}: ${base.entries} entries\n`);
  for (const r of results) {
    process.stdout.write(
      `  ${r.format.padEnd(10)} ${(r.bytes / 1e6).toFixed(1).padStart(6)} MB  first read ${r.first.toFixed(0).padStart(5)} ms (${(r.first / base.first).toFixed(2)})  later reads ${r.ms.toFixed(0).padStart(5)} ms (${(r.ms / base.ms).toFixed(2)})  held ${(r.heldBytes / 1e6).toFixed(0).padStart(4)} MB\n`,
    );
  }
}

main().catch((e) => {
  process.stderr.write(`bench-index: ${e instanceof Error ? e.message : e}\n`);
  process.exit(2);
});
