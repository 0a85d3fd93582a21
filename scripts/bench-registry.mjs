#!/usr/bin/env node
// Benchmark of comparing a registry image with a local one, not a test of
// speed: it prints figures, and fails (exit 1) only when the bytes rule is
// broken, because that one is exact:
//
//   node --import tsx scripts/bench-registry.mjs [--runs N]
//
// A Distribution registry (Debian's docker-registry, scripts/setup-registry.sh)
// is started on loopback with the example pair's CI image pushed to it
// (skopeo, gzip layers). Per run, with a fresh cache in which the laptop image
// was indexed from the local engine:
//
//   compare  = loadImages(registry://…/php-fcgid:ci, cc-example/php-fcgid:laptop) + compareImages
//   floor    = GET of exactly the blobs of the CI layers the laptop image lacks
//              (by diffID, from the config), straight to /dev/null
//
// Bytes: what the client downloaded of layer blobs (its progress, and the
// registry's own access log) must equal the floor's bytes, the size of the
// differing layers alone. Time: medians and their ratio (the compare also
// reads the laptop's indexes and diffs; the floor only moves bytes).
// Then the same cold (nothing cached): every layer downloaded and indexed,
// against GETting every blob, and against GETting and gunzipping every blob
// (on loopback the network costs nothing; decompressing is most of the floor
// a real indexer cannot go under).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Cache } from '../src/core/layers/cache.ts';
import { compareImages } from '../src/core/diff/compare.ts';
import { loadImages } from '../src/core/sources/loader.ts';
import { DaemonClient } from '../src/docker/daemonClient.ts';
import { resolveEndpoint } from '../src/docker/endpoint.ts';
import { pushImage, RegistryServer, requireRegistryTools } from '../test/helpers/registry.ts';

const LAPTOP = 'cc-example/php-fcgid:laptop';
const CI = 'cc-example/php-fcgid:ci';
const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs expects a positive whole number, got "${opts.runs}"`);

function log(msg) {
  process.stderr.write(`bench-registry: ${msg}\n`);
}
function fail(msg) {
  process.stderr.write(`bench-registry: error: ${msg}\n`);
  process.exit(2);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n) => `${(n / 2 ** 20).toFixed(2)} MB`;
const daemon = () => new DaemonClient(resolveEndpoint({}));

/** GET url, keeping the body only with `accept` (a manifest), else discarding it, gunzipped first with `gunzip`; resolves to the bytes received. */
function fetchBytes(url, accept, gunzip = false) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: accept ? { Accept: accept } : {} }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`${url}: ${res.statusCode}`));
        }
        let n = 0;
        const parts = [];
        const count = new Transform({
          transform(c, _e, cb) {
            n += c.length;
            if (accept) parts.push(c);
            cb(null, c);
          },
        });
        const sink = new Writable({ write: (_c, _e, cb) => cb() });
        pipeline(res, count, ...(gunzip ? [createGunzip()] : []), sink).then(() => resolve({ bytes: n, body: Buffer.concat(parts) }), reject);
      })
      .on('error', reject);
  });
}

async function main() {
  requireRegistryTools();
  for (const img of [LAPTOP, CI]) {
    try {
      execFileSync('docker', ['image', 'inspect', img], { stdio: 'ignore' });
    } catch {
      fail(`${img} is missing: run scripts/build-fixtures.sh first`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-registry-'));
  const server = await RegistryServer.start({ storage: join(dir, 'storage'), dir });
  try {
    let t = performance.now();
    pushImage(CI, `${server.host}/php-fcgid:ci`);
    log(`pushed ${CI} to ${server.host} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The layers of CI as the registry has them, and which of them the laptop image lacks (by diffID).
    const manifest = JSON.parse((await fetchBytes(`${server.url}/v2/php-fcgid/manifests/ci`, 'application/vnd.docker.distribution.manifest.v2+json')).body);
    const ciDiffIds = JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', CI], { encoding: 'utf8' }));
    const laptopDiffIds = new Set(JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', LAPTOP], { encoding: 'utf8' })));
    const differing = manifest.layers.filter((_, i) => !laptopDiffIds.has(ciDiffIds[i]));
    const floorBytes = differing.reduce((n, l) => n + l.size, 0);
    const allBytes = manifest.layers.reduce((n, l) => n + l.size, 0);
    log(`${CI}: ${manifest.layers.length} layers (${mb(allBytes)} compressed), ${differing.length} not in ${LAPTOP} (${mb(floorBytes)})`);

    const results = { compare: [], floor: [], cold: [], coldFloor: [], gunzipFloor: [], downloaded: [], served: [] };
    let ok = true;
    for (let run = 1; run <= RUNS; run++) {
      // Floor: only the differing blobs.
      t = performance.now();
      let got = 0;
      for (const l of differing) got += (await fetchBytes(`${server.url}/v2/php-fcgid/blobs/${l.digest}`)).bytes;
      results.floor.push(performance.now() - t);
      if (got !== floorBytes) fail(`the floor read ${got} bytes, expected ${floorBytes}`);

      // Remote vs local, the laptop image indexed beforehand.
      const cacheDir = join(dir, `cache-${run}`);
      const cache = await Cache.open(cacheDir);
      await loadImages([LAPTOP], { cache, daemon });
      const mark = server.access().length;
      let downloaded = 0;
      t = performance.now();
      const [ci, laptop] = await loadImages([`registry://${server.host}/php-fcgid:ci`, LAPTOP], { cache, daemon, onProgress: (p) => p.bytes !== undefined && p.message.startsWith('Downloading') && (downloaded = p.bytes) });
      compareImages(ci, laptop);
      results.compare.push(performance.now() - t);
      const served = server
        .access()
        .slice(mark)
        .filter((l) => l.method === 'GET' && l.status === 200 && l.path.includes('/blobs/') && !l.path.includes(ci.id))
        .reduce((n, l) => n + l.bytes, 0);
      results.downloaded.push(downloaded);
      results.served.push(served);
      if (downloaded !== floorBytes || served !== floorBytes) ok = false;
      rmSync(cacheDir, { recursive: true, force: true });

      // Cold: nothing cached, every layer downloaded and indexed; floor: every blob.
      t = performance.now();
      for (const l of manifest.layers) await fetchBytes(`${server.url}/v2/php-fcgid/blobs/${l.digest}`);
      results.coldFloor.push(performance.now() - t);
      t = performance.now();
      for (const l of manifest.layers) await fetchBytes(`${server.url}/v2/php-fcgid/blobs/${l.digest}`, undefined, true);
      results.gunzipFloor.push(performance.now() - t);
      const coldDir = join(dir, `cold-${run}`);
      const cold = await Cache.open(coldDir);
      t = performance.now();
      await loadImages([`registry://${server.host}/php-fcgid:ci`], { cache: cold });
      results.cold.push(performance.now() - t);
      rmSync(coldDir, { recursive: true, force: true });
      log(`run ${run}/${RUNS}: compare ${(results.compare.at(-1) / 1000).toFixed(2)} s (floor ${(results.floor.at(-1) / 1000).toFixed(3)} s), cold ${(results.cold.at(-1) / 1000).toFixed(2)} s (floor ${(results.coldFloor.at(-1) / 1000).toFixed(2)} s)`);
    }

    const s = (ms) => `${(ms / 1000).toFixed(3)} s`;
    const rows = [
      ['layer bytes downloaded (client progress)', `${results.downloaded.join(', ')}`],
      ['layer bytes served (registry access log)', `${results.served.join(', ')}`],
      ['floor: bytes of the differing layers only', `${floorBytes} (${differing.length} of ${manifest.layers.length} layers, ${mb(floorBytes)} of ${mb(allBytes)})`],
      ['bytes equal to the floor', ok ? 'yes' : 'NO'],
      [`remote-vs-local compare (median of ${RUNS})`, s(median(results.compare))],
      ['floor: GET the differing blobs', s(median(results.floor))],
      [`cold registry read, nothing cached (median of ${RUNS})`, s(median(results.cold))],
      ['floor: GET every blob', `${s(median(results.coldFloor))} (cold / floor ${(median(results.cold) / median(results.coldFloor)).toFixed(2)})`],
      ['floor: GET and gunzip every blob', `${s(median(results.gunzipFloor))} (cold / floor ${(median(results.cold) / median(results.gunzipFloor)).toFixed(2)})`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
    if (!ok) {
      log('the client downloaded other bytes than the differing layers');
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => fail(e?.message ?? String(e)));
