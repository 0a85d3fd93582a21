import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache, INDEX_DIR } from '../../src/core/layers/cache';
import { findFile, readFileBytes } from '../../src/core/layers/files';
import { findLeftovers, type Leftover } from '../../src/core/findings/leftovers';
import { loadImages } from '../../src/core/sources/loader';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { requireImages } from '../helpers/docker';

const A = 'cc-fixture/leftovers:a';
const B = 'cc-fixture/leftovers:b';
/** The fake secrets the fixture's Dockerfile writes. */
const VALUES = ['hunter2-Correct-Horse', 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'];

const brief = (l: Leftover) =>
  [l.layer, l.kind, l.path, l.deletedInLayer !== undefined ? `deleted in ${l.deletedInLayer}` : '', l.replacedInLayer !== undefined ? `replaced in ${l.replacedInLayer}` : '', (l.secretKinds ?? []).join('+')]
    .filter((x) => x !== '')
    .join(' ');

describe('leftovers in real images (leftovers pair)', function () {
  let dir: string;
  let cache: Cache;
  const daemon = () => new DaemonClient(resolveEndpoint({}));

  before(async () => {
    requireImages(A, B);
    dir = await mkdtemp(join(tmpdir(), 'cc-int-left-'));
    cache = await Cache.open(join(dir, 'cache'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds every leftover of the careless build in the layer that holds it, the deleted key included', async () => {
    const [a] = await loadImages([A], { cache, daemon, needBytes: true });
    assert.deepEqual(a.layers.map((l) => l.createdBy.replace('/bin/sh -c ', '').split(' ')[0]), ['', 'mkdir', 'mkdir', 'rm', 'printf']);
    const found = findLeftovers(a);
    assert.deepEqual(found.map(brief), [
      '1 envFile /app/.env password',
      '1 vcs /app/.git',
      '2 privateKey /root/.ssh/id_ed25519 deleted in 3 privateKey',
      '4 shellHistory /root/.bash_history',
      '4 packageManagerConfig /root/.npmrc npmToken',
    ]);
    for (const l of found) assert.match(l.reason, /^[A-Z].{20,}\.$/);

    // Deleted from the running container...
    assert.throws(() => findFile(a, '/root/.ssh/id_ed25519'), /no such file/);
    // ...but its bytes ship in layer 2 (what `docker save` would give anyone).
    const key = await readFileBytes(cache, a, findFile(a, '/root/.ssh/id_ed25519', 2));
    assert.match(key.toString(), /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);

    // No secret value anywhere: not in the leftovers, not in the cached indexes.
    const report = JSON.stringify(found);
    const indexes = await Promise.all((await readdir(join(dir, 'cache', INDEX_DIR))).map((f) => readFile(join(dir, 'cache', INDEX_DIR, f), 'utf8')));
    for (const v of VALUES) {
      assert.ok(!report.includes(v), `the report holds ${v.slice(0, 8)}…`);
      assert.ok(!indexes.some((t) => t.includes(v)), `an index holds ${v.slice(0, 8)}…`);
    }
  });

  it('gives the same answer from the cache alone (the secret kinds are part of the index)', async () => {
    const sources: string[] = [];
    const [a] = await loadImages([A], { cache, daemon, onSource: (s) => sources.push(s.action) });
    assert.deepEqual(sources, ['cache']);
    assert.deepEqual(findLeftovers(a).map(brief), [
      '1 envFile /app/.env password',
      '1 vcs /app/.git',
      '2 privateKey /root/.ssh/id_ed25519 deleted in 3 privateKey',
      '4 shellHistory /root/.bash_history',
      '4 packageManagerConfig /root/.npmrc npmToken',
    ]);
  });

  it('finds only the .npmrc in the careful build, by name and with no secret in it', async () => {
    const [b] = await loadImages([B], { cache, daemon, needBytes: true });
    assert.deepEqual(findLeftovers(b).map(brief), ['1 packageManagerConfig /root/.npmrc']);
  });
});
