import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompareError } from '../../src/core/util/errors';
import { OWNER_LABEL, RUN_LABEL, type RunEvent, type RunOptions, type RunReport } from '../../src/core/run/runModel';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { removeLeftovers, RunOwnership, runSideBySide, type RunSideInput } from '../../src/docker/runner';
import { defaultCacheDir } from '../../src/core/util/cacheDir';
import { docker, requireImages } from '../helpers/docker';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const PHP = ['cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci'];
const STARTFAIL = ['cc-fixture/startfail:a', 'cc-fixture/startfail:b'];
const NOISY = ['cc-fixture/noisylogs:a', 'cc-fixture/noisylogs:b'];
const BUSYBOX = 'container-compare/busybox:latest';
/** Named like one of ours, but without our label: nothing may ever touch it. */
const BYSTANDER = 'cc-run-deadbeef-a';

/** Our containers: id, owner and run of every container labelled RUN_LABEL. */
function ours(): Array<{ id: string; owner: string; run: string }> {
  const out = docker('ps', '-a', '--filter', `label=${RUN_LABEL}`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}} {{.Label "${RUN_LABEL}"}}`);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, owner, run] = l.split(' ');
      return { id, owner, run };
    });
}

function bystanderAlive(): boolean {
  return docker('ps', '--filter', `name=^/${BYSTANDER}$`, '--format', '{{.Status}}').startsWith('Up');
}

/** The built CLI as a child process; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));

describe('run side by side on the real Docker engine', function () {
  const client = new DaemonClient(resolveEndpoint({}));
  let cacheDir: string;
  /** The key in-process runs use (the default cache folder's), and the CLI's (its --cache-dir). */
  let inProcess: RunOwnership;
  let cliOwnership: RunOwnership;
  const cacheArgs = () => ['--cache-dir', cacheDir];
  const quick: RunOptions = { quietMs: 400, maxMs: 5000, presets: true, probes: [] };
  const input = (ref: string, presets: RunSideInput['presets'] = []): RunSideInput => ({ ref, imageId: ref, presets });

  before(async () => {
    requireImages(...PHP, ...STARTFAIL, ...NOISY, BUSYBOX);
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    cacheDir = await mkdtemp(join(tmpdir(), 'cc-run-'));
    inProcess = await RunOwnership.load(defaultCacheDir());
    cliOwnership = await RunOwnership.load(cacheDir);
    // A bystander of an earlier, interrupted test run.
    if (docker('ps', '-a', '-q', '--filter', `name=^/${BYSTANDER}$`).trim()) docker('rm', '-f', BYSTANDER);
    docker('run', '-d', '--name', BYSTANDER, '--label', 'org.example.purpose=bystander', BUSYBOX, 'sleep', '3600');
  });
  after(async () => {
    try {
      assert.ok(bystanderAlive(), 'the container without our label survived everything');
    } finally {
      docker('rm', '-f', BYSTANDER);
      if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    }
    assert.deepEqual(ours(), [], 'no container labelled as ours is left');
  });
  afterEach(() => assert.ok(bystanderAlive(), 'the container without our label is untouched'));

  it('the php-fcgid pair through the CLI: fcgid runs in A only, B serves PHP source (exit 1)', async () => {
    const r = await cli(['run', ...PHP, '--http', '/', '--quiet', '2', '--duration', '30', '--json', ...cacheArgs()]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as RunReport;
    assert.equal(j.a.state.status, 'running');
    assert.equal(j.b.state.status, 'running');
    for (const s of [j.a, j.b]) {
      assert.equal(s.published?.hostIp, '127.0.0.1');
      assert.equal(s.published?.containerPort, '80/tcp');
    }
    // The startup log: mod_fcgid's lines are A's alone.
    const fcgidRows = j.logs.rows.filter((row) => /\[fcgid:info\]/.test(row.a?.raw ?? row.b?.raw ?? ''));
    assert.ok(fcgidRows.length >= 1);
    assert.deepEqual([...new Set(fcgidRows.map((row) => row.kind))], ['onlyA']);
    assert.ok(!j.logs.rows.some((row) => row.kind === 'onlyB' && /fcgid/.test(row.b!.raw)));
    // The module difference comes from apache2ctl -M.
    assert.ok(j.modules.onlyA.includes('fcgid_module'), JSON.stringify(j.modules));
    const fromProbe = j.findings.find((f) => f.kind === 'moduleOnlyOne' && f.evidence.probe === 'apache modules');
    assert.equal(fromProbe?.side, 'a');
    assert.deepEqual(j.probes.find((p) => p.name === 'apache modules')?.onlyA, [' fcgid_module (shared)']);
    // B answers / with index.php itself.
    assert.deepEqual(j.http?.servedAsSource, { side: 'b', marker: '<?php' });
    // The run's findings are ranked with the images' comparison: the cause (the CRLF install script) first, then the symptom.
    assert.deepEqual(j.findings.slice(0, 2).map((f) => f.kind), ['crlfScript', 'servedAsSource'] as string[]);
    assert.match(j.b.http!.body, /<\?php phpinfo\(\); \?>/);
    assert.doesNotMatch(j.a.http!.body, /<\?php/);
    assert.equal(j.differ, true);
    assert.deepEqual(ours(), []);
  });

  it('the startfail pair (CRLF shebang): B stops with the runtime error, in its state, its log and the findings', async () => {
    const r = await cli(['run', ...STARTFAIL, '--quiet', '1', '--json', ...cacheArgs()]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as RunReport;
    assert.equal(j.a.state.status, 'running');
    assert.equal(j.a.lines[0].text, 'startfail: serving /srv on port 8080');
    // Without --http the CLI requests GET /, as the extension does: A answers, B was not asked (it stopped).
    assert.equal(j.options.httpPath, '/');
    assert.equal(j.a.http?.status, 200);
    assert.match(j.b.http?.error ?? '', /^not requested: the container (exited with code 1|did not start)/);
    assert.deepEqual(j.a.listening?.sockets.map((s) => s.port), [8080]);
    assert.equal(j.b.listening, undefined, 'a container that stopped at once is not read');
    // The run's findings are ranked with the images' comparison: the cause (the CRLF entrypoint) first, the stop right after it.
    assert.deepEqual([j.findings[0].code, j.findings[0].side], ['CC202', 'b']);
    const first = j.findings[1];
    assert.equal(first.side, 'b');
    if (j.b.state.status === 'failedToStart') {
      // Runtimes before runc 1.1 refuse the start itself.
      assert.equal(first.kind, 'startFailed');
      assert.match(j.b.state.error!, /no such file or directory/);
    } else {
      // Engine 20.10 with runc 1.1 (this machine): the container starts and exits 1 at once, the runtime's words on stderr.
      assert.deepEqual(j.b.state, { status: 'exited', exitCode: 1, restarts: 0 });
      assert.deepEqual(j.b.lines.map((l) => [l.stream, l.text]), [['stderr', 'exec /entrypoint.sh: no such file or directory']]);
      assert.equal(first.kind, 'exited');
      assert.equal(first.title, 'B exited with code 1 while A is running');
      assert.deepEqual(first.evidence.logRows!.map((k) => j.logs.rows[k].b?.raw), ['exec /entrypoint.sh: no such file or directory']);
    }
    assert.match(first.detail, /CRLF line endings/);

    const text = await cli(['run', ...STARTFAIL, '--quiet', '1', ...cacheArgs()]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^B {2}cc-fixture\/startfail:b +[0-9a-f]{12} {2}(exited with code 1|did not start: .*no such file)/m);
    assert.match(text.stdout, /✗ CC60[12] B (exited with code 1|did not start)/);
  });

  it('records a start the engine refuses, with its message, and runs the other side', async () => {
    // Both get the same command; the busybox image runs it, startfail:a's entrypoint ignores it.
    const [a, b] = await runSideBySide(client, [input(BUSYBOX), input(STARTFAIL[0])], { ...quick, cmd: ['/nonexistent'] });
    assert.equal(a.state.status, 'failedToStart');
    assert.match(a.state.error!, /exec: "\/nonexistent": stat \/nonexistent: no such file or directory/);
    assert.doesNotMatch(a.state.error!, /HTTP code|unexpected/);
    assert.equal(b.state.status, 'running');
    assert.deepEqual(ours(), []);
  });

  it('captures the noisy logs from the first line, streams apart, raw, with probes and HTTP', async () => {
    const events: RunEvent[] = [];
    const [a, b] = await runSideBySide(client, [input(NOISY[0], [{ name: 'id', command: ['id'] }]), input(NOISY[1])], { ...quick, httpPath: '/', probes: ['echo "$NOISY_CACHE"'] }, { onEvent: (e) => events.push(e) });
    for (const s of [a, b]) {
      assert.equal(s.state.status, 'running');
      assert.equal(s.lines.find((l) => l.stream === 'stdout')?.text, 'noisylogs: starting', 'the first line is there: attached before start');
      assert.deepEqual(s.lines.filter((l) => l.stream === 'stderr').slice(0, 3).map((l) => l.text), ['<script>alert(1)</script>', 'nul:\x00:after-nul', 'noisylogs: listening on 0.0.0.0:8080']);
      assert.ok(s.lines.some((l) => l.text.startsWith('bell:\x07 backspace:X\bY esc-clear:\x1b[2J')), 'control characters are kept as written');
      assert.ok(s.lines.some((l) => l.text === 'c1-csi:\u009b2J bidi:\u202edesrever\u202c end'));
      assert.equal(s.lines.find((l) => l.text.startsWith('long: '))?.text.length, 6006);
      assert.equal(s.http?.status, 200);
      assert.equal(s.published?.hostIp, '127.0.0.1');
      assert.deepEqual(s.probes.map((p) => [p.name, p.exitCode]), [['id', 0], ['echo "$NOISY_CACHE"', 0]]);
      assert.ok(s.lines.every((l, i) => i === 0 || l.at >= 0));
    }
    assert.ok(a.lines.some((l) => l.text === 'config: cache=on'));
    assert.ok(b.lines.some((l) => l.text === 'config: cache=off'));
    assert.equal(a.probes[1].stdout, 'on\n');
    assert.equal(b.probes[1].stdout, 'off\n');
    // Live views got every line, the published ports, and the removal.
    assert.equal(events.filter((e) => e.type === 'line' && e.side === 'a').length, a.lines.length);
    assert.ok(events.some((e) => e.type === 'container' && e.side === 'b' && e.published?.hostPort === b.published?.hostPort));
    assert.deepEqual(events.filter((e) => e.type === 'state' && e.state.status === 'removed').map((e) => (e as { side: string }).side).sort(), ['a', 'b']);
    assert.deepEqual(events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase).filter((p, i, all) => all.indexOf(p) === i), ['preparing', 'starting', 'capturing', 'probing', 'requesting', 'stopping', 'done']);
    assert.deepEqual(ours(), []);
  });

  it('holds both containers up after the run when asked (a panel showing the report), and removes them on Stop', async () => {
    const stop = new AbortController();
    const held: string[] = [];
    const [a, b] = await runSideBySide(client, [input(NOISY[0]), input(NOISY[1])], quick, {
      signal: stop.signal,
      hold: async (runs) => {
        held.push(...runs.map((r) => r.state.status));
        assert.equal(ours().length, 2, 'both are up while held');
        const res = await fetch(`http://127.0.0.1:${runs[1].published!.hostPort}/`);
        held.push((await res.text()).trim());
        // Never settles by itself: Stop (the abort) ends it.
        setTimeout(() => stop.abort(), 50);
        await new Promise(() => undefined);
      },
    });
    assert.deepEqual(held, ['running', 'running', 'noisylogs off']);
    assert.equal(a.state.status, 'running', 'a Stop while held is not a cancel: the run resolves');
    assert.equal(b.http, undefined);
    assert.deepEqual(ours(), []);
  });

  it('publishes nothing when no image exposes a port, and says why there is no HTTP answer', async () => {
    const [a, b] = await runSideBySide(client, [input(BUSYBOX), input(BUSYBOX)], { ...quick, cmd: ['sh', '-c', 'echo up; sleep 30'], httpPath: '/' });
    for (const s of [a, b]) {
      assert.equal(s.published, undefined);
      assert.equal(s.state.status, 'running');
      assert.match(s.http!.error!, /no port is published \(neither image exposes a port; choose one with --port\)/);
    }
  });

  it('leaves nothing behind when runs are aborted at any moment, and never touches other containers', async () => {
    const moments: Array<[string, (e: RunEvent) => boolean]> = [
      ['preparing', (e) => e.type === 'phase' && e.phase === 'preparing'],
      ['A created', (e) => e.type === 'container' && e.side === 'a' && !e.published],
      ['B created', (e) => e.type === 'container' && e.side === 'b' && !e.published],
      ['A started', (e) => e.type === 'state' && e.side === 'a' && e.state.status === 'running'],
      ['first line', (e) => e.type === 'line'],
      ['capturing', (e) => e.type === 'phase' && e.phase === 'capturing'],
      ['probing', (e) => e.type === 'phase' && e.phase === 'probing'],
      ['requesting', (e) => e.type === 'phase' && e.phase === 'requesting'],
      ['stopping (an abort during cleanup)', (e) => e.type === 'phase' && e.phase === 'stopping'],
    ];
    const delays = [0, 20, 80, 200, 450, 900];
    const options: RunOptions = { ...quick, quietMs: 300, httpPath: '/', probes: ['true'] };
    const sides = (): [RunSideInput, RunSideInput] => [input(NOISY[0], [{ name: 'id', command: ['id'] }]), input(NOISY[1])];
    const outcomes: string[] = [];
    const check = async (what: string, run: Promise<unknown>) => {
      try {
        await run;
        outcomes.push(`${what}: finished`);
      } catch (e) {
        assert.ok(e instanceof CompareError && e.reason === 'cancelled', `${what}: ${e}`);
        outcomes.push(`${what}: cancelled`);
      }
      assert.deepEqual(ours(), [], `nothing left after an abort at ${what}`);
      assert.ok(bystanderAlive());
    };

    const gone = new AbortController();
    gone.abort();
    await check('before the start', runSideBySide(client, sides(), options, { signal: gone.signal }));
    for (const [what, when] of moments) {
      const c = new AbortController();
      await check(what, runSideBySide(client, sides(), options, { signal: c.signal, onEvent: (e) => when(e) && c.abort() }));
    }
    for (const ms of delays) {
      const c = new AbortController();
      const timer = setTimeout(() => c.abort(), ms);
      await check(`${ms} ms`, runSideBySide(client, sides(), options, { signal: c.signal }));
      clearTimeout(timer);
    }
    // Every abort before the cleanup cancelled its run; one during the cleanup leaves a finished run.
    assert.deepEqual(outcomes.filter((o) => o.endsWith('finished')).filter((o) => !/stopping|ms:/.test(o)), []);
    assert.ok(outcomes.includes('stopping (an abort during cleanup): finished'), outcomes.join('\n'));
  });

  it('the CLI interrupted (Ctrl-C, then Ctrl-C again during the cleanup) exits 2 and removes its containers', async () => {
    const child = spawn(process.execPath, [CLI, 'run', ...NOISY, '--quiet', '20', '--duration', '30', ...cacheArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c));
    const owner = `${hostname()}:${child.pid}`;
    await until('the CLI to start both containers', () => ours().filter((c) => c.owner === owner).length === 2);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGINT');
    assert.equal(await exited(child), 2);
    assert.match(stderr, /removing the containers of this run first/);
    assert.match(stderr, /container-compare: cancelled/);
    assert.deepEqual(ours(), []);
  });

  it('the CLI killed outright (SIGKILL) leaves its containers; the next run removes them', async () => {
    const child = spawn(process.execPath, [CLI, 'run', ...NOISY, '--quiet', '20', '--duration', '30', ...cacheArgs()], { stdio: 'ignore' });
    const owner = `${hostname()}:${child.pid}`;
    await until('the CLI to start both containers', () => ours().filter((c) => c.owner === owner).length === 2);
    child.kill('SIGKILL');
    await exited(child);
    const left = ours();
    assert.equal(left.length, 2);
    assert.ok(left.every((c) => c.owner === owner));

    const events: RunEvent[] = [];
    // The next run with the same cache folder (its key signed them).
    await runSideBySide(client, [input(BUSYBOX), input(BUSYBOX)], { ...quick, quietMs: 200, cmd: ['true'], presets: false }, { ownership: cliOwnership, onEvent: (e) => events.push(e) });
    const swept = events.find((e) => e.type === 'phase' && /^Removed 2 containers left over by earlier runs/.test(e.message));
    assert.ok(swept, JSON.stringify(events.filter((e) => e.type === 'phase')));
    assert.deepEqual(ours(), []);
  });

  it("removeLeftovers spares a live process's run, then removes it once that process is gone", async () => {
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    const tag = Math.random().toString(16).slice(2, 10);
    // Containers as a run of ours would have made them: named, labelled and signed with our key.
    const make = (run: string, owner: string) => {
      const name = `cc-run-${run}-a`;
      const labels = Object.entries(inProcess.labels(name, run, 'a', owner)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
      return docker('create', '--name', name, ...labels, BUSYBOX, 'true').trim();
    };
    const live = make(`live${tag}`, `${hostname()}:${sleeper.pid}`);
    const foreign = make(`frgn${tag}`, 'some-other-host:1');
    const mine = (cs: Array<{ id: string }>) => cs.map((c) => c.id).filter((id) => id === live || id === foreign);
    try {
      assert.deepEqual(mine(await removeLeftovers(client, { ownership: inProcess })), []);
      sleeper.kill('SIGKILL');
      await exited(sleeper);
      const removed = (await removeLeftovers(client, { ownership: inProcess })).filter((c) => c.id === live || c.id === foreign);
      assert.deepEqual(removed.map((c) => [c.id, c.runId, c.reason]), [[live, `live${tag}`, `its process ${sleeper.pid} is gone`]]);
      // Another host's run cannot be checked: removed only past the grace period.
      assert.deepEqual(mine(await removeLeftovers(client, { ownership: inProcess, foreignHostGraceMs: 0 })), [foreign]);
    } finally {
      sleeper.kill('SIGKILL');
      docker('rm', '-f', live, foreign);
    }
  });

  it('a container whose labels came from its image is never removed: a commit of a leftover, started by hand', async () => {
    // Leftovers of a real run: the CLI killed outright.
    const child = spawn(process.execPath, [CLI, 'run', ...NOISY, '--quiet', '20', '--duration', '30', ...cacheArgs()], { stdio: 'ignore' });
    const owner = `${hostname()}:${child.pid}`;
    await until('the CLI to start both containers', () => ours().filter((c) => c.owner === owner).length === 2);
    child.kill('SIGKILL');
    await exited(child);
    const left = ours().filter((c) => c.owner === owner);
    const [a] = left.filter((c) => docker('inspect', '-f', '{{index .Config.Labels "dev.container-compare.side"}}', c.id).trim() === 'a');
    const originalName = docker('inspect', '-f', '{{.Name}}', a.id).trim().slice(1);
    const image = `cc-test/committed-leftover:${a.run}`;
    const user: string[] = [];
    try {
      // A user commits our container (every label of ours goes into the image) and starts it by hand, twice.
      docker('commit', a.id, image);
      assert.equal(docker('image', 'inspect', '-f', `{{index .Config.Labels "${RUN_LABEL}"}}`, image).trim(), a.run);
      user.push(docker('run', '-d', '-v', '/user-data', image).trim());
      user.push(docker('create', image).trim());
      for (const id of user) assert.equal(docker('inspect', '-f', `{{index .Config.Labels "${OWNER_LABEL}"}}`, id).trim(), owner, 'the labels are inherited');
      const volume = docker('inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', user[0]).trim();

      // The sweep: our two leftovers go, the user's containers (and their volume) stay.
      const spared: Array<{ id: string; why: string }> = [];
      const removed = await removeLeftovers(client, { ownership: cliOwnership, onSpared: (c) => spared.push(c) });
      assert.deepEqual(removed.map((c) => c.id.slice(0, 12)).filter((id) => left.some((l) => l.id === id)).sort(), left.map((l) => l.id).sort());
      assert.deepEqual(ours().filter((c) => left.some((l) => l.id === c.id)), [], 'ours are gone');
      for (const id of user) assert.equal(docker('ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`).trim(), id, 'the user container survived');
      assert.equal(docker('inspect', '-f', '{{.State.Running}}', user[0]).trim(), 'true');
      assert.equal(docker('volume', 'ls', '-q', '--filter', `name=${volume}`).trim(), volume, 'its volume survived');
      assert.deepEqual(spared.filter((c) => user.includes(c.id)).map((c) => c.why), Array(2).fill('its ownership token is not ours (another installation, a renamed container, or labels copied from an image)'));

      // The user names one exactly as our removed container was: the token matches its name, but it is its image's.
      user.push(docker('create', '--name', originalName, image).trim());
      const spared2: Array<{ id: string; why: string }> = [];
      await removeLeftovers(client, { ownership: cliOwnership, onSpared: (c) => spared2.push(c) });
      assert.deepEqual(spared2.filter((c) => c.id === user[2]).map((c) => c.why), ['its labels come from its image (a commit of one of our containers)']);
      // A forged token, and labels without one: left alone too.
      const forged = docker('create', '--label', `${RUN_LABEL}=f0f0f0f0`, '--label', `${OWNER_LABEL}=${owner}`, '--label', `dev.container-compare.token=${'0'.repeat(64)}`, BUSYBOX, 'true').trim();
      user.push(forged);
      const spared3: Array<{ id: string; why: string }> = [];
      await removeLeftovers(client, { ownership: cliOwnership, onSpared: (c) => spared3.push(c) });
      for (const id of user) assert.equal(docker('ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`).trim(), id, 'every user container survived');
      assert.ok(spared3.some((c) => c.id === forged));
      // The next run's own sweep (the same key) leaves them as well.
      await runSideBySide(client, [input(BUSYBOX), input(BUSYBOX)], { ...quick, quietMs: 200, cmd: ['true'], presets: false }, { ownership: cliOwnership });
      for (const id of user) assert.equal(docker('ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`).trim(), id, 'a run does not remove them');
    } finally {
      if (user.length) docker('rm', '-f', '-v', ...user);
      for (const l of left) if (docker('ps', '-a', '-q', '--filter', `id=${l.id}`).trim()) docker('rm', '-f', l.id);
      docker('rmi', '-f', image);
    }
  });

  it("a run's own cleanup leaves a container started from a commit of its container while it was up", async () => {
    const image = `cc-test/committed-live:${Math.random().toString(16).slice(2, 10)}`;
    let user = '';
    try {
      await runSideBySide(client, [input(BUSYBOX), input(BUSYBOX)], { ...quick, quietMs: 200, cmd: ['sleep', '30'], presets: false }, {
        ownership: inProcess,
        hold: (runs) => {
          docker('commit', runs[0].containerId!, image);
          // Labelled with this very run's id: the cleanup lists it with the run's containers.
          user = docker('run', '-d', image).trim();
        },
      });
      assert.equal(docker('inspect', '-f', '{{.State.Running}}', user).trim(), 'true', 'the user container survived the run');
    } finally {
      if (user) docker('rm', '-f', user);
      docker('rmi', '-f', image);
    }
  });

  it('a daemon that goes away mid-run: a clear error, a bounded cleanup, leftovers removed by the next sweep', async () => {
    // A socket of our own in front of the engine, closed while the containers run.
    const dir = await mkdtemp(join(tmpdir(), 'cc-proxy-'));
    const sock = join(dir, 'docker.sock');
    const conns = new Set<net.Socket>();
    const server = net.createServer((c) => {
      const up = net.connect('/var/run/docker.sock');
      for (const s of [c, up]) {
        conns.add(s);
        s.on('error', () => undefined);
        s.on('close', () => conns.delete(s));
      }
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const proxied = new DaemonClient(resolveEndpoint({ host: `unix://${sock}` }));
    try {
      let runId = '';
      await assert.rejects(
        runSideBySide(proxied, [input(NOISY[0]), input(NOISY[1])], { ...quick, quietMs: 2000 }, {
          onEvent: (e) => {
            if (e.type === 'container') runId = e.containerName.split('-')[2];
            if (e.type === 'phase' && e.phase === 'capturing') {
              server.close();
              for (const c of conns) c.destroy();
            }
          },
        }),
        (e: unknown) => {
          assert.ok(e instanceof CompareError && e.reason === 'daemonUnreachable', String(e));
          assert.match(e.message, new RegExp(`Cannot reach a Docker engine at unix://${sock}`));
          assert.match(e.message, /Also: could not remove cc-run-[0-9a-f]{8}-[ab]: .*docker rm -f cc-run-/);
          return true;
        },
      );
      assert.deepEqual(ours().map((c) => c.run), [runId, runId]);
      // The run has ended: its containers are leftovers now, even to this same process.
      const removed = (await removeLeftovers(client, { ownership: inProcess })).filter((c) => c.runId === runId);
      assert.deepEqual(removed.map((c) => c.reason), ['its run in this process has ended', 'its run in this process has ended']);
      assert.deepEqual(ours(), []);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
