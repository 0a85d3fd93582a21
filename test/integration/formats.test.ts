import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Cache, INDEX_DIR } from '../../src/core/layers/cache';
import { compareImages, type Comparison } from '../../src/core/diff/compare';
import { CompareError } from '../../src/core/util/errors';
import { loadImages } from '../../src/core/sources/loader';
import type { DiffReport } from '../../src/core/report/report';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { requireImages } from '../helpers/docker';

const ROOT = resolve(__dirname, '../..');
/** Archives are regenerated when the fixture images change (make-archives.sh stamps them by image id). */
const ARCHIVES = join(ROOT, '.cache', 'archives');
const ensureArchives = () => execFileSync('bash', [join(ROOT, 'scripts/make-archives.sh'), ARCHIVES], { stdio: ['ignore', 'ignore', 'inherit'] });

/** What must be the same whatever the archive format: the alignment and every file difference with its reasons. */
function essence(c: Comparison) {
  return {
    layers: c.layers.map((l) => [l.status, l.a?.diffId, l.b?.diffId, l.files.map((f) => `${f.change} ${f.path} ${f.reasons}`)]),
    files: c.files.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.layer}`),
  };
}

describe('every archive layout gives the same answer as the engine', function () {
  let dir: string;
  before(function () {
    requireImages('cc-fixture/crlf:a', 'cc-fixture/crlf:b', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci');
    ensureArchives();
  });
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-fmt-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const daemon = () => new DaemonClient(resolveEndpoint({}));
  const compare = async (a: string, b: string) => {
    const cache = await Cache.open(join(dir, `cache-${Math.random()}`));
    const [x, y] = await loadImages([a, b], { cache, daemon });
    return compareImages(x, y);
  };

  const layouts: Array<[string, (n: string) => string]> = [
    ['legacy docker save', (n) => `docker-archive:${ARCHIVES}/${n}.docker-save.tar`],
    ['OCI layout directory (skopeo)', (n) => `oci:${ARCHIVES}/${n}.oci`],
    ['oci-archive (skopeo)', (n) => `oci-archive:${ARCHIVES}/${n}.oci-archive.tar`],
    ['Docker 25+ docker save, graphdriver store (OCI, uncompressed)', (n) => `docker-archive:${ARCHIVES}/${n}.docker25.tar`],
    ['Docker 25+ docker save, containerd store, gzip', (n) => `docker-archive:${ARCHIVES}/${n}.docker25-containerd-gzip.tar`],
    ['Docker 25+ docker save, containerd store, zstd', (n) => `docker-archive:${ARCHIVES}/${n}.docker25-containerd-zstd.tar`],
  ];

  for (const [set, a, b, na, nb] of [
    ['crlf', 'cc-fixture/crlf:a', 'cc-fixture/crlf:b', 'crlf-a', 'crlf-b'],
    ['php', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci', 'php-laptop', 'php-ci'],
  ]) {
    describe(`the ${set} pair`, () => {
      let reference: ReturnType<typeof essence>;
      let refDir: string | undefined;
      before(async () => {
        refDir = await mkdtemp(join(tmpdir(), 'cc-ref-'));
        const cache = await Cache.open(refDir);
        const [x, y] = await loadImages([a, b], { cache, daemon });
        reference = essence(compareImages(x, y));
        assert.ok(reference.files.length > 0);
      });
      // The reference cache holds both images' layers (~450 MB for the php pair): never left behind.
      after(() => refDir && rm(refDir, { recursive: true, force: true }));
      for (const [name, ref] of layouts) {
        it(name, async () => assert.deepEqual(essence(await compare(ref(na), ref(nb))), reference));
      }
      it('both images from one combined docker save archive', async () => {
        assert.deepEqual(essence(await compare(`docker-archive:${ARCHIVES}/${set}.docker-save.tar:${a}`, `docker-archive:${ARCHIVES}/${set}.docker-save.tar:${b}`)), reference);
      });
      it('both images from one combined containerd-store archive', async () => {
        const p = `${ARCHIVES}/${set}.docker25-containerd-gzip.tar`;
        assert.deepEqual(essence(await compare(`docker-archive:${p}:${a}`, `docker-archive:${p}:${b}`)), reference);
      });
      it('an archive against the engine', async () => {
        assert.deepEqual(essence(await compare(`docker-archive:${ARCHIVES}/${na}.docker25-containerd-zstd.tar`, b)), reference);
      });
    });
  }
});

describe('corrupt compressed layers in real archives', () => {
  let dir: string;
  before(() => {
    requireImages('cc-fixture/crlf:a', 'cc-fixture/crlf:b');
    ensureArchives();
  });
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-bad-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  for (const [kind, magic] of [
    ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08])],
  ] as const) {
    it(`names the layer whose ${kind} data is corrupt`, async () => {
      const archive = await readFile(join(ARCHIVES, `crlf-a.docker25-containerd-${kind}.tar`));
      // Damage the middle of the last (the application's) compressed layer.
      const at = archive.lastIndexOf(magic);
      assert.ok(at > 0, `a ${kind} blob is in the archive`);
      archive.fill(0x55, at + 40, at + 80);
      const bad = join(dir, 'bad.tar');
      await writeFile(bad, archive);
      const cache = await Cache.open(join(dir, 'cache'));
      await assert.rejects(loadImages([`docker-archive:${bad}`], { cache }), (e: unknown) => {
        assert.ok(e instanceof CompareError && e.reason === 'badArchive', String(e));
        assert.match(e.message, new RegExp(`blobs/sha256/[0-9a-f]{64}: .*(${kind} data is corrupt|does not match)`));
        return true;
      });
    });
  }
});

describe('the example pair through the built CLI (dist/cli.js)', () => {
  let cacheDir: string;
  before(async () => {
    requireImages('cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci');
    cacheDir = await mkdtemp(join(tmpdir(), 'cc-php-'));
  });
  after(() => cacheDir && rm(cacheDir, { recursive: true, force: true }));
  const cli = (...args: string[]) => {
    try {
      return { code: 0, out: execFileSync(process.execPath, [join(ROOT, 'dist/cli.js'), ...args, '--cache-dir', cacheDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const x = e as { status: number; stdout: string; stderr: string };
      return { code: x.status, out: x.stdout, err: x.stderr };
    }
  };

  it('shows the shared base once, the differing layers, and the files that explain the difference', () => {
    const r = cli('diff', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci', '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out) as DiffReport;
    // The Debian base and the apt-get layer are shared.
    assert.ok(j.layers[0].status === 'identical' && j.layers[1].status === 'identical');
    // The script was checked out with CRLF on the CI runner: same bytes once CRLF is read as LF.
    const script = j.files.find((f) => f.path === '/usr/local/bin/install-fcgid.sh');
    assert.ok(script?.reasons.includes('lineEndings') && !script.reasons.includes('content'), JSON.stringify(script));
    assert.equal(script!.a!.lineEndings, 'lf');
    assert.equal(script!.b!.lineEndings, 'crlf');
    // ...so the RUN that used it installed nothing on CI: mod_fcgid is missing there.
    const fcgid = j.files.find((f) => f.path === '/usr/lib/apache2/modules/mod_fcgid.so');
    assert.equal(fcgid?.change, 'removed');
    const run = j.layers[fcgid!.layer];
    assert.equal(run.status, 'different');
    assert.equal(run.a!.instruction, run.b!.instruction, 'the same instruction did different work');
    assert.match(run.a!.instruction, /^RUN sh \/usr\/local\/bin\/install-fcgid\.sh/);
    assert.ok(j.files.some((f) => f.path === '/etc/apache2/mods-enabled/fcgid.load' && f.change === 'removed'));
  });

  it('text output collapses the shared base into one line', () => {
    const r = cli('diff', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci');
    assert.equal(r.code, 1);
    const shared = r.out.split('\n').filter((l) => /^\s+= /.test(l));
    assert.equal(shared.length, 1, r.out);
    assert.match(r.out, /install-fcgid\.sh +line endings LF → CRLF/);
  });

  it('a warm compare of local images loads none of the built-ins only registries, TLS, compressed layers and probes use', async () => {
    cli('diff', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci'); // warm, whichever test ran first
    const probe = join(cacheDir, 'loaded.cjs');
    await writeFile(probe, `process.on('exit', () => process.stderr.write('LOADED ' + process.moduleLoadList.join(',') + '\\n'));`);
    const r = spawnSync(process.execPath, ['-r', probe, join(ROOT, 'dist/cli.js'), 'diff', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci', '--cache-dir', cacheDir], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const loaded = (/^LOADED (.*)$/m.exec(r.stderr)?.[1] ?? '').split(',');
    assert.ok(loaded.includes('NativeModule net'), 'the probe sees the modules the run loaded');
    for (const m of ['http', 'https', 'tls', 'zlib', 'dns/promises', 'child_process']) assert.ok(!loaded.includes(`NativeModule ${m}`), `node:${m} was loaded`);
  });

  it('stops on Ctrl-C: exit 2, "cancelled", no half-written cache entry', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'cc-sigint-'));
    try {
      const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'diff', 'cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci', '--cache-dir', fresh], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c));
      // Interrupted mid-read: once the first layer is indexed (the fast path reads the pair in a second or two).
      let sent = false;
      const poll = setInterval(() => {
        readdir(join(fresh, INDEX_DIR)).then((names) => {
          if (sent || !names.some((n) => !n.includes('.tmp-'))) return;
          sent = true;
          child.kill('SIGINT');
        }, () => undefined);
      }, 10);
      child.once('exit', () => clearInterval(poll));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      assert.equal(code, 2);
      assert.match(err, /cancelled/);
      const leftovers = (await readdir(join(fresh, 'layers'))).filter((n) => n.includes('.tmp-'));
      assert.deepEqual(leftovers, []);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('reads a file of an image from the cache: cat', () => {
    const r = cli('cat', 'cc-example/php-fcgid:ci', '/usr/local/bin/install-fcgid.sh');
    assert.equal(r.code, 0);
    assert.match(r.out, /a2enmod fcgid\r\n/);
  });
});
