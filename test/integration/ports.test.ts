import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../src/core/findings/finding';
import type { ImageModel } from '../../src/core/image/model';
import { Cache } from '../../src/core/layers/cache';
import { OWNER_LABEL, RUN_LABEL, type RunReport } from '../../src/core/run/runModel';
import { loadImages } from '../../src/core/sources/loader';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { readListening } from '../../src/docker/run/listening';
import { RunningSide } from '../../src/docker/run/runningSide';
import { runPair } from '../../src/docker/runPair';
import { docker, requireImages } from '../helpers/docker';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
/** B's app.conf says port=8081 (test/fixtures/diagnosis/port); both EXPOSE 8080. */
const PORT = ['cc-diag/port:a', 'cc-diag/port:b'];
/** Both serve on 8080: no port finding may fire. */
const SAME = ['cc-diag/timestamps:a', 'cc-diag/timestamps:b'];
const BUSYBOX = 'container-compare/busybox:latest';
/** Containers this file starts by hand carry this label (not ours: the runner never sees them). */
const MINE = 'org.example.cc-ports-test';

/** OWNER_LABEL values of the runs this file starts: this process, and each CLI it spawns (others may run containers on this engine meanwhile). */
const owners = new Set([`${hostname()}:${process.pid}`]);

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
    owners.add(`${hostname()}:${child.pid}`);
  });
}

/** Containers labelled as ours that one of our runs started. */
const ours = () =>
  docker('ps', '-a', '--filter', `label=${RUN_LABEL}`, '--format', `{{.Names}} {{.Label "${OWNER_LABEL}"}}`)
    .split('\n')
    .filter((l) => owners.has(l.split(' ')[1]))
    .join('\n');

describe('listening ports on the real Docker engine (CC606)', function () {
  let dir: string;
  const cacheArgs = () => ['--cache-dir', join(dir, 'cache')];

  before(async () => {
    try {
      requireImages(...PORT, ...SAME, BUSYBOX);
    } catch (e) {
      throw new Error(`${(e as Error).message.replace('scripts/build-fixtures.sh', 'scripts/build-diagnosis-pairs.sh port timestamps')}`);
    }
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    dir = await mkdtemp(join(tmpdir(), 'cc-int-ports-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => assert.equal(ours(), '', 'no container labelled as ours is left'));

  it('cc-diag/port through the CLI: GET / by default, A listens on 8080, B on 8081; CC606 on B, an error linked to app.conf (exit 1)', async () => {
    const r = await cli(['run', ...PORT, '--quiet', '1', '--json', ...cacheArgs()]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as RunReport;
    assert.equal(j.schemaVersion, 1);
    assert.equal(j.options.httpPath, '/', 'GET / without --http');
    for (const s of [j.a, j.b]) {
      assert.equal(s.state.status, 'running');
      assert.equal(s.published?.containerPort, '8080/tcp');
      // This engine runs on this machine: read from the host's /proc, nothing run in the container.
      assert.equal(s.listening?.via, 'hostProc');
      assert.ok(s.listening!.at >= 1000, `read after the startup window: ${s.listening!.at}`);
    }
    // busybox httpd binds IPv6, which takes IPv4 too.
    assert.deepEqual(j.a.listening?.sockets, [{ address: '::', port: 8080 }]);
    assert.deepEqual(j.b.listening?.sockets, [{ address: '::', port: 8081 }]);
    assert.equal(j.a.http?.status, 200);
    assert.ok(j.b.http?.error, 'B answers nothing on the published port');

    const all = j.findings.map((f) => `${f.code} ${f.severity} ${f.side ?? '-'} ${f.title}`).join('\n');
    const port = j.findings.filter((f) => f.code === 'CC606');
    assert.equal(port.length, 1, all);
    assert.deepEqual([port[0].kind, port[0].side, port[0].severity, port[0].title], ['port', 'b', 'error', 'B listens on 8081 but 8080/tcp was published']);
    assert.match(port[0].detail, /^Read from \/proc\/net\/tcp in B at \d+\.\d s: \[::\]:8081\. A listens on \[::\]:8080, where the published port leads\. Connections to the published port \(127\.0\.0\.1:\d+ → 8080\/tcp\) find nothing listening in B: that is why GET \/ got no answer/);
    assert.deepEqual(port[0].evidence.listening, ['b', 'a']);
    // Linked to its cause, which ranks first: the file that says port=8081 in B.
    assert.match(port[0].detail, /\/etc\/app\/app\.conf in B says "port=8081" where A's says "port=8080"\. The cause: 1 file differs in content: \/etc\/app\/app\.conf \(CC214\)\.$/);
    assert.deepEqual(j.findings.slice(0, 3).map((f) => f.code), ['CC214', 'CC606', 'CC605'], all);
    // The CLI's findings are the images' and the run's, ranked together.
    assert.ok((j.findings[0] as unknown as Finding).evidence.files?.some((f) => f.path === '/etc/app/app.conf'));
    assert.match(j.findings[2].detail, /The cause: 1 file differs in content: \/etc\/app\/app\.conf \(CC214\)\.$/);

    const text = await cli(['run', ...PORT, '--quiet', '1', ...cacheArgs()]);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /^ {3}A listens on \[::\]:8080 \(at \d+\.\d s\)$/m);
    assert.match(text.stdout, /^ {3}B listens on \[::\]:8081 \(at \d+\.\d s\)$/m);
    assert.match(text.stdout, /^ {2}✗ CC606 B listens on 8081 but 8080\/tcp was published$/m);
    assert.match(text.stdout, /^HTTP GET \/$/m);
  });

  it('with --no-http nothing is requested: the same finding, a warning', async () => {
    const r = await cli(['run', ...PORT, '--quiet', '1', '--no-http', '--no-presets', '--json', ...cacheArgs()]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as RunReport;
    assert.equal(j.options.httpPath, undefined);
    assert.equal(j.http, undefined);
    assert.equal(j.a.http, undefined);
    const port = j.findings.find((f) => f.code === 'CC606');
    assert.deepEqual([port?.side, port?.severity, port?.title], ['b', 'warning', 'B listens on 8081 but 8080/tcp was published']);
  });

  it('a pair that both listen where the published port leads (timestamps): no CC606', async () => {
    const r = await cli(['run', ...SAME, '--quiet', '1', '--json', ...cacheArgs()]);
    const j = JSON.parse(r.stdout) as RunReport;
    for (const s of [j.a, j.b]) {
      assert.deepEqual(s.listening?.sockets, [{ address: '::', port: 8080 }]);
      assert.equal(s.http?.status, 200);
    }
    assert.deepEqual(j.findings.filter((f) => f.kind === 'port'), []);
  });

  it('a service bound to loopback inside the container: "only, so the published port gets no answer"', async () => {
    const cache = await Cache.open(join(dir, 'lib-cache'));
    const client = new DaemonClient(resolveEndpoint({}));
    const images = (await loadImages(PORT, { cache, daemon: () => client })) as [ImageModel, ImageModel];
    // The same command on both sides; what each image's app.conf says decides where it binds.
    const cmd = ['sh', '-c', '. /etc/app/app.conf; if [ "$port" = 8081 ]; then exec httpd -f -p 127.0.0.1:8080 -h /srv/www; fi; exec httpd -f -p 8080 -h /srv/www'];
    const report = await runPair(client, images, [PORT[0], PORT[1]], { quietMs: 800, maxMs: 10_000, presets: false, probes: [], httpPath: '/', cmd });
    assert.deepEqual(report.b.listening?.sockets, [{ address: '127.0.0.1', port: 8080 }]);
    const [port, ...rest] = report.findings.filter((f) => f.kind === 'port');
    assert.deepEqual(rest, []);
    assert.deepEqual([port.side, port.severity, port.title], ['b', 'error', 'B listens on 127.0.0.1:8080 only, so the published port gets no answer']);
    assert.match(port.detail, /A loopback address takes connections from inside the container only/);
  });

  describe('readListening: the host /proc of the container, or cat in it', () => {
    const client = new DaemonClient(resolveEndpoint({}));
    const started: string[] = [];
    /** A busybox container started by hand (labelled MINE, removed after), as the runner's RunningSide. */
    const start = (name: string, args: string[]): RunningSide => {
      const id = docker('run', '-d', '--label', MINE, '--name', `cc-ports-test-${name}-${process.pid}`, ...args).trim();
      started.push(id);
      const s = new RunningSide('a', { ref: BUSYBOX, imageId: BUSYBOX }, name);
      s.container = client.docker.getContainer(id);
      s.id = id;
      s.state = { status: 'running', restarts: 0 };
      s.startedAt = Date.now();
      s.pid = Number(docker('inspect', '--format', '{{.State.Pid}}', id).trim());
      return s;
    };
    const listening = async (s: RunningSide) => {
      // httpd forks into the background as soon as it listens: wait for the socket, at most 5 s.
      for (let i = 0; i < 50; i++) {
        const r = await readListening(client.docker, client.endpoint, s, undefined, ['hostProc']);
        if (r.sockets.length) return;
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    after(() => {
      if (started.length) docker('rm', '-f', ...started);
    });

    it('reads the same sockets both ways; refuses a pid that is not the container (cgroup check); says so when the image has no cat', async () => {
      const s = start('cat', [BUSYBOX, 'sh', '-c', 'httpd -p 127.0.0.1:8080 -h /; httpd -p 9090 -h /; exec sleep 600']);
      await listening(s);
      const want = [
        { address: '127.0.0.1', port: 8080 },
        { address: '::', port: 9090 },
      ];
      const host = await readListening(client.docker, client.endpoint, s, undefined, ['hostProc']);
      assert.deepEqual([host.via, host.sockets, host.error], ['hostProc', want, undefined]);
      const exec = await readListening(client.docker, client.endpoint, s, undefined, ['exec']);
      assert.deepEqual([exec.via, exec.sockets, exec.error], ['exec', want, undefined]);

      // This process's pid is no container's: its /proc/<pid>/cgroup does not name it, so it is never read as the container's.
      s.pid = process.pid;
      const wrong = await readListening(client.docker, client.endpoint, s, undefined, ['hostProc']);
      assert.deepEqual([wrong.sockets, wrong.error], [[], '/proc/net/tcp could not be read: the engine does not run on this machine']);
      assert.equal((await readListening(client.docker, client.endpoint, s, undefined)).via, 'exec', 'then cat in the container');

      // No cat on the PATH: the exec fallback cannot read, and says why.
      const bare = start('nocat', ['-e', 'PATH=/nonexistent', BUSYBOX, '/bin/httpd', '-f', '-p', '8080', '-h', '/']);
      const none = await readListening(client.docker, client.endpoint, bare, undefined, ['exec']);
      assert.deepEqual(none.sockets, []);
      assert.match(none.error!, /^\/proc\/net\/tcp could not be read: exec: "cat": executable file not found in \$PATH \(the image has no cat, and the engine does not run on this machine\)$/);
      // The host's /proc needs nothing in the image.
      await listening(bare);
      assert.deepEqual((await readListening(client.docker, client.endpoint, bare, undefined)).sockets, [{ address: '::', port: 8080 }]);
    });
  });
});
