import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzePair } from '../../src/core/report/analysis';
import { Cache } from '../../src/core/layers/cache';
import type { Finding } from '../../src/core/findings/finding';
import { loadImages, type LoadOptions } from '../../src/core/sources/loader';
import type { ImageModel } from '../../src/core/image/model';
import type { DiffReport, GateResult } from '../../src/core/report/report';
import type { RunOptions } from '../../src/core/run/runModel';
import { RUN_LABEL } from '../../src/core/run/runModel';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { runPair } from '../../src/docker/runPair';
import { docker, requireImages } from '../helpers/docker';
import { runCli } from '../helpers/runCli';

const PHP = ['cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci'] as const;
const pair = (name: string) => [`cc-fixture/${name}:a`, `cc-fixture/${name}:b`] as const;
const brief = (fs: readonly Finding[]) => fs.map((f) => `${f.score} ${f.severity} ${f.kind}: ${f.title}`).join('\n');

/**
 * The example pairs of the repository, each with its real cause: the first
 * finding must name it (kind and title), from the images alone.
 */
const STATIC: Array<[string, readonly [string, string], Finding['kind'], RegExp]> = [
  [
    'php-fcgid: the CRLF install script and the RUN layer that did different work',
    PHP,
    'crlfScript',
    /^install-fcgid\.sh has CRLF line endings in ci; `RUN sh \/usr\/local\/bin\/install-fcgid\.sh` then produced a different layer: 31 files missing, among them \/usr\/lib\/apache2\/modules\/mod_fcgid\.so$/,
  ],
  ['modes: the mode change', pair('modes'), 'mode', /^run\.sh is 0755 in a, 0644 in b$/],
  ['crlf: the line endings', pair('crlf'), 'lineEndings', /^config\.ini has CRLF line endings in b \(LF in a\)$/],
  ['owner: the owner', pair('owner'), 'owner', /^\/app\/data\.txt is owned by 1000:1000 in b \(0:0 in a\)$/],
  ['symlink: the symlink target', pair('symlink'), 'symlink', /^\/app\/current points to v2 in b \(v1 in a\)$/],
  ['startfail: the CRLF entrypoint', pair('startfail'), 'entrypoint', /^entrypoint\.sh has CRLF line endings in b: its ENTRYPOINT cannot start$/],
  ['packages: the package version change (a security-relevant downgrade)', pair('packages'), 'package', /^openssl downgraded in b: 3\.0\.15-1~deb12u1 → 3\.0\.11-1~deb12u2 \(dpkg; TLS and crypto\)$/],
  ['leftovers: the secret (the private key a later layer deletes, still shipped)', pair('leftovers'), 'secret', /^A ships a private key that b no longer does: \/root\/\.ssh\/id_ed25519$/],
  ['layers: the start command', pair('layers'), 'config', /^The start command differs: CMD /],
];

describe('findings on the example images: the real cause comes first', function () {
  let dir: string;
  let cache: Cache;
  const daemon = () => new DaemonClient(resolveEndpoint({}));
  const load = (): LoadOptions => ({ cache, daemon });
  const analyse = async (refs: readonly [string, string], run?: Parameters<typeof analyzePair>[2]['run']) => {
    const [a, b] = await loadImages(refs, load());
    return analyzePair({ model: a }, { model: b }, { cache, run, fetchLayers: async (side, d) => void (await loadImages([refs[side === 'a' ? 0 : 1]], { ...load(), needLayerBytes: d })) });
  };

  before(async () => {
    requireImages(...PHP, ...STATIC.flatMap(([, refs]) => refs));
    dir = await mkdtemp(join(tmpdir(), 'cc-int-findings-'));
    cache = await Cache.open(join(dir, 'cache'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, refs, kind, title] of STATIC) {
    it(name, async () => {
      const { report } = await analyse(refs);
      const first = report.findings![0];
      assert.equal(first?.kind, kind, brief(report.findings!));
      assert.match(first.title, title, brief(report.findings!));
      // Every finding can be opened: its evidence points at rows, files, packages, fields or leftovers that exist.
      for (const f of report.findings!) {
        assert.ok(Object.keys(f.evidence).length > 0, `${f.title}: no evidence`);
        for (const row of f.evidence.layerRows ?? []) assert.ok(report.layers[row], `${f.title}: layer row ${row}`);
        for (const e of f.evidence.files ?? []) assert.ok(e.path.startsWith('/') && (e.layer?.a !== undefined || e.layer?.b !== undefined), `${f.title}: ${JSON.stringify(e)}`);
        for (const c of f.evidence.config ?? []) assert.ok(report.config.some((x) => x.field === c) || c === 'Entrypoint' || c === 'Cmd', `${f.title}: config ${c}`);
        for (const l of f.evidence.leftovers ?? []) assert.ok(report.leftovers![l.side].some((x) => x.path === l.path && x.layer === l.layer));
        for (const p of f.evidence.packages ?? []) assert.ok(report.packages!.ecosystems.some((e) => e.kind === p.ecosystem && [...e.added, ...e.removed, ...e.changed].some((c) => c.name === p.name)));
      }
    });
  }

  it('php-fcgid: the details of the cause, and nothing about the layers both images share', async () => {
    const { report } = await analyse(PHP);
    const [first] = report.findings!;
    assert.equal(first.side, 'b');
    assert.deepEqual(first.evidence.layerRows, [5]);
    assert.deepEqual(first.evidence.files![0], { path: '/usr/local/bin/install-fcgid.sh', side: 'b', layerRow: 4, layer: { a: 4, b: 4 } });
    assert.ok(first.evidence.files!.some((f) => f.path === '/usr/lib/apache2/modules/mod_fcgid.so'));
    assert.match(first.detail, /the dpkg database in ci lacks libapache2-mod-fcgid/);
    assert.deepEqual(first.evidence.packages, [{ ecosystem: 'dpkg', name: 'libapache2-mod-fcgid' }]);
    assert.deepEqual(
      report.findings!.map((f) => f.kind),
      ['crlfScript', 'lineEndings', 'package', 'mode'],
    );
    assert.match(report.findings![3].detail, /build context sent from Windows/);
    assert.deepEqual(report.packages!.ecosystems.map((e) => [e.kind, e.removed.map((c) => c.name), e.added.length, e.changed.length]), [['dpkg', ['libapache2-mod-fcgid'], 0, 0]]);
  });

  it('the same image: no findings, and no package database read', async () => {
    const { report } = await analyse([PHP[0], PHP[0]]);
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.packages!.ecosystems, [{ kind: 'dpkg', added: [], removed: [], changed: [], identical: true }]);
  });

  it('reads package databases only where they differ, fetching only the layers that hold them', async () => {
    const [a, b] = await loadImages(PHP, load());
    // The byte store lost the layer that wrote each side's dpkg status (an eviction): it has to come back.
    const dpkgLayer = (m: ImageModel) => m.layers[5].diffId;
    for (const m of [a, b]) await cache.layers.drop(dpkgLayer(m));
    const fetched: Array<[string, string[]]> = [];
    const { report } = await analyzePair({ model: a }, { model: b }, {
      cache,
      fetchLayers: async (side, diffIds) => {
        fetched.push([side, diffIds]);
        await loadImages([PHP[side === 'a' ? 0 : 1]], { ...load(), needLayerBytes: diffIds });
      },
    });
    // ci's install step never reached dpkg: its status file is still the one of the shared layer 1, in the store.
    assert.deepEqual(fetched, [['a', [dpkgLayer(a)]]]);
    assert.deepEqual(report.packages!.problems, []);
    fetched.length = 0;
    await analyzePair({ model: a }, { model: a }, { cache, fetchLayers: async (side, d) => void fetched.push([side, d]) });
    assert.deepEqual(fetched, [], 'identical databases: nothing read, nothing fetched');
  });

  describe('with a run of both images', function () {
    const client = new DaemonClient(resolveEndpoint({}));
    const options: RunOptions = { quietMs: 2000, maxMs: 30_000, presets: true, probes: [], httpPath: '/' };
    const runOf = async (refs: readonly [string, string]) => {
      const images = (await loadImages(refs, load())) as [ImageModel, ImageModel];
      return { images, run: await runPair(client, images, refs as [string, string], options) };
    };
    afterEach(() => assert.equal(docker('ps', '-a', '-q', '--filter', `label=${RUN_LABEL}`).trim(), '', 'no container of ours is left'));

    it('php-fcgid: the symptoms (source served, fcgid missing) stay near the top, the CRLF script stays first', async () => {
      const { images, run } = await runOf(PHP);
      const { report } = await analyzePair({ model: images[0] }, { model: images[1] }, { cache, run });
      const ks = report.findings!.map((f) => f.kind);
      assert.equal(ks[0], 'crlfScript', brief(report.findings!));
      assert.equal(ks[1], 'servedAsSource', brief(report.findings!));
      assert.ok(ks.indexOf('moduleOnlyOne') <= 3, brief(report.findings!));
      const served = report.findings![1];
      assert.match(served.detail, /The cause: install-fcgid\.sh has CRLF line endings in ci, so `RUN sh \/usr\/local\/bin\/install-fcgid\.sh` did different work .*\(CC102\)\.$/);
      assert.deepEqual(served.evidence.layerRows, [5]);
      assert.ok(served.evidence.http!.includes('body'));
      // Run evidence still indexes the run's log rows.
      for (const f of report.findings!) for (const k of f.evidence.logRows ?? []) assert.ok(run.logs.rows[k], `${f.title}: log row ${k}`);
    });

    it('startfail: the CRLF entrypoint first, the start failure right after it, linked to it by the path it names', async () => {
      const { images, run } = await runOf(pair('startfail'));
      const { report } = await analyzePair({ model: images[0] }, { model: images[1] }, { cache, run });
      const [first, second] = report.findings!;
      assert.equal(first.kind, 'entrypoint', brief(report.findings!));
      assert.equal(first.code, 'CC202');
      assert.ok(second.kind === 'exited' || second.kind === 'startFailed', brief(report.findings!));
      assert.equal(second.side, 'b');
      assert.match(second.detail, /The cause: entrypoint\.sh has CRLF line endings in b: its ENTRYPOINT cannot start \(CC202\)\./);
      assert.equal(second.evidence.files![0].path, '/entrypoint.sh');
      // The run's evidence reaches the cause: a click on it opens the log line too.
      assert.ok(first.evidence.logRows?.length || second.evidence.logRows?.length === 0);
    });
  });
});

describe('the CI drift gate: snapshot, then diff a new build against it', function () {
  let dir: string;
  let cacheArgs: string[];
  let baseline: string;
  type Json = DiffReport & { gate: GateResult };
  const diff = async (...args: string[]) => {
    const r = await runCli(['diff', ...args, ...cacheArgs]);
    assert.notEqual(r.code, 2, r.stderr);
    return r;
  };

  before(async () => {
    requireImages(...PHP, ...pair('crlf'), ...pair('leftovers'));
    dir = await mkdtemp(join(tmpdir(), 'cc-int-gate-'));
    cacheArgs = ['--cache-dir', join(dir, 'cache')];
    const snap = await runCli(['snapshot', PHP[0], ...cacheArgs]);
    assert.equal(snap.code, 0, snap.stderr);
    baseline = join(dir, 'baseline.json');
    await writeFile(baseline, snap.stdout);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a snapshot holds layers, the merged file index with its digest, packages, config and leftovers, in a small file', async () => {
    const s = JSON.parse((await runCli(['snapshot', baseline, ...cacheArgs])).stdout);
    assert.equal(s.kind, 'container-compare/snapshot');
    assert.equal(s.layers.length, 7);
    assert.match(s.layers[5].instruction, /^RUN sh \/usr\/local\/bin\/install-fcgid\.sh$/);
    assert.ok(s.files.count > 10_000, `${s.files.count} files`);
    assert.match(s.files.digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(s.packages.ecosystems[0].packages.some((p: { name: string }) => p.name === 'libapache2-mod-fcgid'));
    assert.deepEqual(s.config.config.Cmd, ['apache2ctl', '-D', 'FOREGROUND']);
    assert.ok(Array.isArray(s.leftovers));
    const size = (await stat(baseline)).size;
    // About 1.4 MB for the php example's 10.7k entries: sha256s are most of it.
    assert.ok(size < 3 * 2 ** 20, `${size} bytes`);
  });

  it('round-trips: the same image against its own snapshot passes, without findings', async () => {
    const r = await diff(baseline, PHP[0], '--json');
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout) as Json;
    assert.deepEqual(j.findings, []);
    assert.deepEqual(j.layers.map((l) => l.status), Array(7).fill('identical'));
    assert.equal(j.gate.explanation, 'no differences');
  });

  it('gates a drifted build: exit 1, the CRLF script first, as text, JSON and Markdown', async () => {
    const json = await diff(baseline, PHP[1], '--json');
    assert.equal(json.code, 1);
    const j = JSON.parse(json.stdout) as Json;
    assert.equal(j.a.source, 'snapshot');
    assert.equal(j.findings![0].kind, 'crlfScript');
    assert.match(j.findings![0].title, /^install-fcgid\.sh has CRLF line endings in ci; `RUN sh \/usr\/local\/bin\/install-fcgid\.sh` then produced a different layer: 31 files missing, among them \/usr\/lib\/apache2\/modules\/mod_fcgid\.so$/);
    // The merged filesystems compare exactly as image against image.
    const direct = JSON.parse((await diff(...PHP, '--json')).stdout) as Json;
    const files = (r: Json) => r.files.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.layer}`);
    assert.deepEqual(files(j), files(direct));
    assert.deepEqual(j.findings!.map((f) => f.title), direct.findings!.map((f) => f.title));
    assert.deepEqual(j.packages, direct.packages);

    const text = await diff(baseline, PHP[1]);
    assert.match(text.stdout, /^Findings\n {2}✗ CC102 install-fcgid\.sh has CRLF line endings in ci; /);
    const md = await diff(baseline, PHP[1], '--markdown', '--fail-on', 'files,packages');
    assert.equal(md.code, 1);
    assert.match(md.stdout, /^## Container Compare: `cc-example\/php-fcgid:laptop` vs `cc-example\/php-fcgid:ci`\n\n### Findings\n\n1\. ✗ `CC102` \*\*install-fcgid\.sh has CRLF line endings in ci; `RUN sh \/usr\/local\/bin\/install-fcgid\.sh` then produced/);
    assert.match(md.stdout, /<details><summary>Packages: dpkg 1 removed<\/summary>/);
  });

  it('--fail-on kinds: packages fail the php drift; a pair that differs only in files passes', async () => {
    assert.equal((await diff(baseline, PHP[1], '--fail-on', 'packages')).code, 1);
    assert.equal((await diff(baseline, PHP[1], '--fail-on', 'base,secrets,leftovers')).code, 0);
    assert.equal((await diff(...pair('crlf'), '--fail-on', 'packages')).code, 0);
    assert.equal((await diff(...pair('crlf'), '--fail-on', 'files')).code, 1);
  });

  it('--max-size-change both ways, on the engine\'s sizes (455 MB → 379 MB: -16.7%)', async () => {
    const gate = async (...args: string[]) => {
      const r = await diff(baseline, PHP[1], '--json', ...args);
      return { code: r.code, gate: (JSON.parse(r.stdout) as Json).gate };
    };
    const within = await gate('--max-size-change', '20%');
    assert.equal(within.code, 0, 'alone, only the size is gated');
    assert.ok(within.gate.size!.percent < -16 && within.gate.size!.percent > -17, String(within.gate.size!.percent));
    assert.match(within.gate.explanation, /^size 455 MB → 379 MB \(-76\.3 MB, -16\.7%\), within the 20% allowed$/);
    assert.equal((await gate('--max-size-change', '10%')).code, 1);
    assert.equal((await gate('--max-size-change', '100M')).code, 0);
    assert.equal((await gate('--max-size-change', '50M')).code, 1);
    assert.equal((await gate('--max-size-change', '20%', '--fail-on', 'packages')).code, 1, 'with --fail-on, both are gated');
  });

  it('--fail-on secrets: a build that brings secrets in fails, one that drops them passes', async () => {
    const [careless, careful] = pair('leftovers');
    const snap = await runCli(['snapshot', careful, ...cacheArgs]);
    const file = join(dir, 'careful.json');
    await writeFile(file, snap.stdout);
    const r = await diff(file, careless, '--fail-on', 'secrets', '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as Json;
    assert.equal(j.gate.counted, 3);
    assert.equal(j.findings![0].kind, 'secret');
    assert.equal(j.findings![0].severity, 'error');
    // Never a secret value in what the report says of secrets and leftovers (the image's own history, in
    // layers[].createdBy, is the Dockerfile as the image records it: this fixture's RUN lines hold its fakes).
    const said = JSON.stringify([j.findings, j.leftovers]);
    for (const v of ['hunter2-Correct-Horse', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ']) assert.ok(!said.includes(v), v);
    assert.equal((await diff(careless, careful, '--fail-on', 'secrets')).code, 0);
  });
});
