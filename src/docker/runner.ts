import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { CompareError, messageOf } from '../core/util/errors';
import {
  OWNER_LABEL,
  RUN_LABEL,
  SIDE_LABEL,
  type CapturedLine,
  type ContainerState,
  type HttpResult,
  type ProbeResult,
  type RunEvent,
  type RunOptions,
  type Side,
  type SideRun,
  type StreamName,
} from '../core/run/runModel';
import { describeState } from '../core/run/runCompare';
import { unionProbes, type ProbeSpec } from '../core/run/presets';
import { engineMessageOf, toCompareError, type DaemonClient } from './daemonClient';

/**
 * "Run Side by Side": one container per image, run the same way, watched
 * from their first byte of output, probed, requested over HTTP, and always
 * removed. Only containers labelled RUN_LABEL are ever removed; leftovers of
 * a process that died (SIGKILL, a crash) are removed by the next run.
 */

/** After the HTTP request: quiet this long (or the quiet window, if shorter)... */
const REQUEST_SETTLE_MS = 300;
/** ...within this much time at most. */
const REQUEST_SETTLE_MAX_MS = 2000;

/** One image to run. */
export interface RunSideInput {
  /** The reference as the user named it; kept in SideRun.ref for display. */
  ref: string;
  /** What is run: the image id ("sha256:..."), so that a tag moved meanwhile cannot change what runs. */
  imageId: string;
  /** The image's exposed ports ("80/tcp") from its config; when absent the runner inspects the image. */
  exposedPorts?: string[];
  /**
   * Preset probes (runPresets.ts). Both containers run the same probes, the
   * union of both sides' presets, so a command only one image has shows as
   * missing in the other. Ignored when options.presets is false.
   */
  presets?: ProbeSpec[];
}

export interface RunHooks {
  /** Aborting stops the run at once: the containers are removed, then the promise rejects with CompareError 'cancelled'. */
  signal?: AbortSignal;
  /**
   * Progress for live views, synchronously as it happens: phases, every
   * captured line, state changes. 'container' comes once after create and
   * again after start with the published port. After removal each side gets
   * a 'state' event with status 'removed' (the rest of the state as it was).
   */
  onEvent?: (e: RunEvent) => void;
  /**
   * Keeps both containers up once the run is complete (probes and request
   * done), e.g. while a panel shows the report and the user tries the ports
   * in a browser: called with the runs as observed, the containers are
   * removed when the returned promise settles or the signal aborts (an abort
   * here is a Stop, not a cancel: the run resolves normally). Lines written
   * meanwhile still come as 'line' events; they are not added to the runs.
   */
  hold?: (runs: [SideRun, SideRun]) => Promise<void> | void;
}

/** A container removed by removeLeftovers(). */
export interface LeftoverContainer {
  id: string;
  name: string;
  runId: string;
  /** OWNER_LABEL: "host:pid". */
  owner: string;
  /** Why its owner counts as gone. */
  reason: string;
}

export interface RemoveLeftoversOptions {
  signal?: AbortSignal;
  /**
   * Containers started from another host (or with no readable owner) are
   * removed only once they are this old (default 10 minutes): their process
   * cannot be checked from here, and a shared remote engine may be running
   * someone's live run.
   */
  foreignHostGraceMs?: number;
}

// Bounds. Every engine call has a deadline, so a hung engine ends a run with an error instead of hanging it.
const CALL_TIMEOUT_MS = 30_000;
const CLEANUP_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 15_000;
const PROBE_OUTPUT_CAP = 256 * 1024;
const HTTP_TIMEOUT_MS = 10_000;
const HTTP_BODY_CAP = 64 * 1024;
/** Bytes of a response read (and counted) beyond the kept 64 KiB before giving up on knowing its size. */
const HTTP_COUNT_CAP = 16 * 1024 * 1024;
const MAX_LINE_CHARS = 16_384;
const MAX_LINES = 20_000;
const DEFAULT_FOREIGN_GRACE_MS = 10 * 60_000;
/** Headers compared between the two sides; the rest (dates, lengths, etags) change per request. */
const KEY_HEADERS = [
  'content-type',
  'server',
  'x-powered-by',
  'location',
  'content-encoding',
  'cache-control',
  'www-authenticate',
  'x-frame-options',
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'allow',
];

/** Runs of this process that are still going: their containers are never leftovers, even to this process's own sweep. */
const activeRuns = new Set<string>();

const OWNER = (): string => `${hostname()}:${process.pid}`;

/**
 * Runs both images side by side and returns what was observed of each.
 *
 * 1. Removes leftovers of dead processes (removeLeftovers).
 * 2. Creates one container per image (named cc-run-<run>-a / -b, labelled
 *    RUN_LABEL=<run>, SIDE_LABEL, OWNER_LABEL=host:pid), with the same
 *    command, entrypoint and environment overrides, publishing the same
 *    container port (options.port, else the lowest TCP port A exposes, else
 *    B's) on a free port of options.bindAddress (127.0.0.1).
 * 3. Attaches to both before starting them (no TTY: stdout and stderr apart),
 *    then starts both. A start the engine refuses is recorded as
 *    'failedToStart' with the engine's message, not thrown.
 * 4. Captures lines until neither container wrote anything for
 *    options.quietMs, options.maxMs passed, or both have stopped; lines keep
 *    being captured while probes and the request run, until stopping.
 * 5. Runs the probes (presets, then options.probes with `sh -c`) in each
 *    running container, then GETs options.httpPath on both published ports.
 * 6. Always force-removes both containers, on success, error and abort alike;
 *    the removal ignores the signal (a second abort cannot skip it) and is
 *    bounded in time. A removal that fails is reported in SideRun.cleanupError
 *    (or, when the run failed anyway, added to that error's message), never
 *    thrown over the run's own error.
 *
 * Throws CompareError: 'cancelled' on abort, 'daemonUnreachable' / 'daemon'
 * when the engine fails, 'unknownImage', 'badArgument' (a bad port).
 */
export async function runSideBySide(client: DaemonClient, sides: [RunSideInput, RunSideInput], options: RunOptions, hooks: RunHooks = {}): Promise<[SideRun, SideRun]> {
  const run = new SideBySideRun(client, sides, options, hooks);
  activeRuns.add(run.id);
  let failure: unknown;
  let result: [SideRun, SideRun] | undefined;
  try {
    await run.execute();
    result = [run.result(0), run.result(1)];
    if (hooks.hold) await run.hold(hooks.hold, result);
  } catch (e) {
    failure = e;
  }
  let problems: string[];
  try {
    problems = await run.cleanup();
  } finally {
    activeRuns.delete(run.id);
  }
  if (failure !== undefined) {
    // Engine failures are CompareErrors already (see call()); anything else is a bug, thrown as it is.
    if (!(failure instanceof CompareError) || problems.length === 0) throw failure;
    throw new CompareError(failure.reason, `${failure.message}. Also: ${problems.join('; ')}`, { cause: failure });
  }
  run.emit({ type: 'phase', phase: 'done', message: 'Done' });
  // Removal failures are known only now.
  return [run.withCleanup(0, result![0]), run.withCleanup(1, result![1])];
}

/** One side of a run while it is going. */
class RunningSide {
  container?: Dockerode.Container;
  id?: string;
  readonly lines: CapturedLine[] = [];
  dropped = 0;
  /** When start was asked for: the zero of the lines' `at` (both sides are started together). */
  startedAt = 0;
  /** Start refused, or the attach stream ended: nothing more will be written. */
  done = false;
  startError?: string;
  state: ContainerState = { status: 'created', restarts: 0 };
  published?: SideRun['published'];
  probes: ProbeResult[] = [];
  http?: HttpResult;
  cleanupError?: string;
  /** Aborting it ends the attach request and stream. */
  readonly attachControl = new AbortController();
  capturing = true;

  constructor(
    readonly side: Side,
    readonly input: RunSideInput,
    readonly name: string,
  ) {}
}

class SideBySideRun {
  readonly id = randomBytes(4).toString('hex');
  private readonly sides: [RunningSide, RunningSide];
  private readonly docker: Dockerode;
  private readonly url: string;
  private readonly signal?: AbortSignal;
  private port?: string;
  private lastActivity = 0;
  private wake?: () => void;

  constructor(
    private readonly client: DaemonClient,
    inputs: [RunSideInput, RunSideInput],
    private readonly options: RunOptions,
    private readonly hooks: RunHooks,
  ) {
    this.docker = client.docker;
    this.url = client.endpoint;
    this.signal = hooks.signal;
    this.sides = [new RunningSide('a', inputs[0], `cc-run-${this.id}-a`), new RunningSide('b', inputs[1], `cc-run-${this.id}-b`)];
  }

  emit(e: RunEvent): void {
    try {
      this.hooks.onEvent?.(e);
    } catch {
      // A view's handler failing must not break the run (or its cleanup).
    }
  }

  /** The side as observed so far (its own copy of the lines). */
  result(i: 0 | 1): SideRun {
    const s = this.sides[i];
    return {
      ref: s.input.ref,
      imageId: s.input.imageId,
      containerId: s.id,
      containerName: s.id ? s.name : undefined,
      published: s.published,
      lines: [...s.lines],
      state: s.state,
      probes: s.probes,
      http: s.http,
    };
  }

  withCleanup(i: 0 | 1, run: SideRun): SideRun {
    const error = this.sides[i].cleanupError;
    return error ? { ...run, cleanupError: error } : run;
  }

  /** See RunHooks.hold: until `hold` settles or the run's signal aborts. */
  async hold(hold: NonNullable<RunHooks['hold']>, runs: [SideRun, SideRun]): Promise<void> {
    if (this.signal?.aborted) return;
    const signal = this.signal;
    await new Promise<void>((resolve, reject) => {
      const stop = (): void => resolve();
      signal?.addEventListener('abort', stop, { once: true });
      Promise.resolve()
        .then(() => hold(runs))
        .then(() => resolve(), reject)
        .finally(() => signal?.removeEventListener('abort', stop));
    });
  }

  async execute(): Promise<void> {
    const { options, sides } = this;
    this.checkAborted();
    this.emit({ type: 'phase', phase: 'preparing', message: 'Removing containers left over by earlier runs' });
    const swept = await removeLeftovers(this.client, { signal: this.signal });
    if (swept.length) this.emit({ type: 'phase', phase: 'preparing', message: `Removed ${swept.length} container${swept.length === 1 ? '' : 's'} left over by earlier runs (${swept.map((c) => c.name).join(', ')})` });

    const exposed = await Promise.all(sides.map((s) => (s.input.exposedPorts ? Promise.resolve(s.input.exposedPorts) : this.exposedPorts(s.input.imageId))));
    this.port = choosePort(options.port, exposed[0], exposed[1]);
    const bind = options.bindAddress ?? '127.0.0.1';
    this.emit({
      type: 'phase',
      phase: 'starting',
      message: this.port ? `Starting both containers, ${this.port} published on ${bind}` : 'Starting both containers; no port is published (neither image exposes one and no port was chosen)',
    });
    await settleBoth(sides.map((s) => this.create(s, bind)));
    this.checkAborted();
    await settleBoth(sides.map((s) => this.attach(s)));
    this.checkAborted();
    // Started together so the two clocks (`at`) are comparable.
    await settleBoth(sides.map((s) => this.start(s)));

    this.emit({ type: 'phase', phase: 'capturing', message: `Capturing startup output (until ${options.quietMs / 1000} s without output, at most ${options.maxMs / 1000} s)` });
    await this.window();
    await settleBoth(sides.map((s) => this.refreshState(s)));
    for (const s of sides) {
      if (s.dropped) this.emit({ type: 'phase', phase: 'capturing', message: `${s.side.toUpperCase()} wrote more than ${MAX_LINES} lines: ${s.dropped} more were not kept` });
    }

    const probes = this.probeList();
    if (probes.length) {
      this.emit({ type: 'phase', phase: 'probing', message: `Running ${probes.map((p) => p.name).join(', ')} in both containers` });
      await settleBoth(
        sides.map(async (s) => {
          for (const p of probes) s.probes.push(await this.probe(s, p));
        }),
      );
    }

    if (options.httpPath !== undefined) {
      const path = options.httpPath.startsWith('/') ? options.httpPath : `/${options.httpPath}`;
      this.emit({ type: 'phase', phase: 'requesting', message: `GET ${path} on both published ports` });
      await settleBoth(sides.map(async (s) => void (s.http = await this.request(s, path))));
      // The request's own log lines (an access log) come just after the answer: let them in, so
      // that one side's line is not compared with the other's absence.
      await this.window(Math.min(REQUEST_SETTLE_MS, this.options.quietMs), REQUEST_SETTLE_MAX_MS);
    }
    // A container may have died under the probes or the request: the state says how it ended.
    await settleBoth(sides.map(async (s) => (s.state.status === 'running' ? this.refreshState(s) : undefined)));
  }

  private probeList(): ProbeSpec[] {
    const presets = this.options.presets ? unionProbes(this.sides[0].input.presets ?? [], this.sides[1].input.presets ?? []) : [];
    const names = new Set(presets.map((p) => p.name));
    const extra = this.options.probes.map((cmd) => {
      const name = names.has(cmd) ? `${cmd} (sh -c)` : cmd;
      names.add(name);
      return { name, command: ['sh', '-c', cmd] };
    });
    return [...presets, ...extra];
  }

  private checkAborted(): void {
    if (this.signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
  }

  /**
   * One engine call, bounded in time and cancelled with the run. With
   * `uninterrupted`, an abort does not cut the request short (it is checked
   * after): a create or start cut mid-request may still happen in the engine,
   * after the cleanup looked, and leave a container behind.
   */
  private async call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, { timeoutMs = CALL_TIMEOUT_MS, uninterrupted = false } = {}): Promise<T> {
    this.checkAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.signal && !uninterrupted ? AbortSignal.any([this.signal, timeout]) : timeout;
    try {
      const result = await fn(signal);
      this.checkAborted();
      return result;
    } catch (e) {
      if (this.signal?.aborted) throw e instanceof CompareError && e.reason === 'cancelled' ? e : new CompareError('cancelled', 'Cancelled', { cause: e });
      if (timeout.aborted) throw new CompareError('daemon', `The Docker engine at ${this.url} did not answer within ${timeoutMs / 1000} s (${what})`, { cause: e });
      throw toCompareError(e, this.url);
    }
  }

  private async exposedPorts(imageId: string): Promise<string[]> {
    const info = await this.call('image inspect', (signal) => inspectWith<Dockerode.ImageInspectInfo>(this.docker.getImage(imageId), signal)).catch((e: unknown) => {
      if (e instanceof CompareError && e.reason === 'unknownImage') throw new CompareError('unknownImage', `No image "${imageId}" in the Docker engine at ${this.url}`, { cause: e });
      throw e;
    });
    return Object.keys(info.Config?.ExposedPorts ?? {});
  }

  private async create(s: RunningSide, bind: string): Promise<void> {
    const { options, port } = this;
    const spec: Dockerode.ContainerCreateOptions = {
      name: s.name,
      Image: s.input.imageId,
      Labels: { [RUN_LABEL]: this.id, [SIDE_LABEL]: s.side, [OWNER_LABEL]: OWNER() },
      Tty: false,
      OpenStdin: false,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      ...(options.cmd ? { Cmd: options.cmd } : {}),
      ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
      ...(options.env?.length ? { Env: options.env } : {}),
      ...(port ? { ExposedPorts: { [port]: {} } } : {}),
      HostConfig: {
        // An empty HostPort: the engine picks a free port on that address.
        ...(port ? { PortBindings: { [port]: [{ HostIp: bind, HostPort: '' }] } } : {}),
        AutoRemove: false,
      },
    };
    let created: Dockerode.Container | undefined;
    const container = await this.call(
      `create ${s.name}`,
      async (signal) => (created = await this.docker.createContainer({ ...spec, abortSignal: signal } as Dockerode.ContainerCreateOptions)),
      { uninterrupted: true },
    ).catch((e: unknown) => {
      // Created, then the run was aborted: still ours to remove.
      if (created) {
        s.container = created;
        s.id = created.id;
      }
      if (e instanceof CompareError && e.reason === 'unknownImage') throw new CompareError('unknownImage', `No image "${s.input.ref}" (${s.input.imageId.slice(0, 19)}) in the Docker engine at ${this.url}`, { cause: e });
      throw e;
    });
    s.container = container;
    s.id = container.id;
    this.emit({ type: 'container', side: s.side, containerId: container.id, containerName: s.name });
  }

  /** Attached before start, so the first line is not lost; the stream ends when the container stops. */
  private async attach(s: RunningSide): Promise<void> {
    const control = s.attachControl;
    const onAbort = (): void => control.abort();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => control.abort(), CALL_TIMEOUT_MS);
    let stream: Readable;
    try {
      this.checkAborted();
      stream = (await s.container!.attach({ stream: true, stdout: true, stderr: true, abortSignal: control.signal } as Dockerode.ContainerAttachOptions)) as unknown as Readable;
    } catch (e) {
      if (this.signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
      if (control.signal.aborted) throw new CompareError('daemon', `The Docker engine at ${this.url} did not answer within ${CALL_TIMEOUT_MS / 1000} s (attach ${s.name})`, { cause: e });
      throw toCompareError(e, this.url);
    } finally {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    }
    const collectors = {
      stdout: new LineCollector((text) => this.line(s, 'stdout', text)),
      stderr: new LineCollector((text) => this.line(s, 'stderr', text)),
    };
    this.docker.modem.demuxStream(stream, sink((b) => collectors.stdout.push(b)), sink((b) => collectors.stderr.push(b)));
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      collectors.stdout.flush();
      collectors.stderr.flush();
      s.done = true;
      this.wake?.();
      // The engine's state follows the end of the stream by a moment; events for live views.
      if (s.capturing) void this.settleState(s).catch(() => undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private line(s: RunningSide, stream: StreamName, text: string): void {
    if (!s.capturing) return;
    if (s.lines.length >= MAX_LINES) {
      s.dropped++;
      return;
    }
    const line: CapturedLine = { stream, text, at: s.startedAt ? Math.max(0, Date.now() - s.startedAt) : 0 };
    s.lines.push(line);
    this.lastActivity = Date.now();
    this.emit({ type: 'line', side: s.side, line });
  }

  private async start(s: RunningSide): Promise<void> {
    s.startedAt = Date.now();
    try {
      await this.call(`start ${s.name}`, (signal) => s.container!.start({ abortSignal: signal }), { uninterrupted: true });
    } catch (e) {
      // The engine refusing to start it is an observation; anything else (cancel, engine gone) ends the run.
      const cause = e instanceof CompareError ? (e.cause as { statusCode?: unknown } | undefined) : undefined;
      if (e instanceof CompareError && e.reason !== 'cancelled' && typeof cause?.statusCode === 'number') {
        s.startError = engineMessageOf(cause);
        s.done = true;
        s.state = { status: 'failedToStart', error: s.startError, restarts: 0 };
        this.emit({ type: 'state', side: s.side, state: s.state });
        return;
      }
      throw e;
    }
    await this.refreshState(s);
  }

  /** Until both are quiet for quietMs, maxMs passed, or both stopped; rejects when aborted. */
  private window(quietMs = this.options.quietMs, maxMs = this.options.maxMs): Promise<void> {
    const t0 = Date.now();
    this.lastActivity = Math.max(this.lastActivity, t0);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: CompareError): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => finish(new CompareError('cancelled', 'Cancelled'));
      const check = (): void => {
        clearTimeout(timer);
        const now = Date.now();
        if (this.sides.every((s) => s.done) || now - t0 >= maxMs || now - this.lastActivity >= quietMs) return finish();
        timer = setTimeout(check, Math.max(10, Math.min(t0 + maxMs, this.lastActivity + quietMs) - now));
      };
      if (this.signal?.aborted) return onAbort();
      this.signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = check;
      check();
    });
  }

  /** After the attach stream ended: the engine marks the container stopped a moment later. */
  private async settleState(s: RunningSide): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await this.refreshState(s);
      if (s.state.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async refreshState(s: RunningSide): Promise<void> {
    if (!s.container) return;
    const info = await this.call(`inspect ${s.name}`, (signal) => inspectWith<Dockerode.ContainerInspectInfo>(s.container!, signal));
    // Once stopping, the state is what it was; the removal is told by its own event.
    if (!s.capturing) return;
    const state = stateOf(info, s.startError);
    if (JSON.stringify(state) !== JSON.stringify(s.state)) {
      s.state = state;
      this.emit({ type: 'state', side: s.side, state });
    }
    const binding = this.port ? info.NetworkSettings?.Ports?.[this.port]?.[0] : undefined;
    if (binding && !s.published) {
      s.published = { hostIp: binding.HostIp, hostPort: Number(binding.HostPort), containerPort: this.port! };
      this.emit({ type: 'container', side: s.side, containerId: s.id!, containerName: s.name, published: s.published });
    }
  }

  private async probe(s: RunningSide, spec: ProbeSpec): Promise<ProbeResult> {
    const base: ProbeResult = { name: spec.name, command: spec.command, exitCode: null, stdout: '', stderr: '', durationMs: 0 };
    if (s.state.status !== 'running') return { ...base, error: `not run: the container ${describeState(s.state)}` };
    this.checkAborted();
    const t0 = Date.now();
    const control = new AbortController();
    const timer = setTimeout(() => control.abort(), PROBE_TIMEOUT_MS);
    const onAbort = (): void => control.abort();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    const out = new CappedBuffer(PROBE_OUTPUT_CAP);
    const err = new CappedBuffer(PROBE_OUTPUT_CAP);
    try {
      const exec = await s.container!.exec({ Cmd: spec.command, AttachStdout: true, AttachStderr: true, Tty: false, abortSignal: control.signal } as Dockerode.ExecCreateOptions);
      const stream = (await exec.start({ hijack: true, stdin: false, abortSignal: control.signal } as Dockerode.ExecStartOptions)) as unknown as Readable;
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.demuxStream(stream, sink((b) => out.push(b)), sink((b) => err.push(b)));
        const stop = (): void => {
          stream.destroy();
          reject(new Error('aborted'));
        };
        if (control.signal.aborted) return stop();
        control.signal.addEventListener('abort', stop, { once: true });
        const done = (): void => {
          control.signal.removeEventListener('abort', stop);
          resolve();
        };
        stream.once('end', done);
        stream.once('close', done);
        stream.once('error', (e) => {
          control.signal.removeEventListener('abort', stop);
          reject(e);
        });
      });
      const info = await inspectWith<Dockerode.ExecInspectInfo>(exec, control.signal);
      const stdout = out.text();
      const stderr = err.text();
      const result: ProbeResult = { ...base, exitCode: info.ExitCode ?? null, stdout, stderr, durationMs: Date.now() - t0 };
      // The runtime could not start the command (not installed in this image): no exit code of the command's own.
      const failed = /^OCI runtime exec failed: (.*)$/m.exec(stdout);
      if (failed && (info.ExitCode === 126 || info.ExitCode === 127)) return { ...result, exitCode: null, stdout: '', error: cleanRuntimeMessage(failed[1]) };
      return result;
    } catch (e) {
      if (this.signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
      const partial = { ...base, stdout: out.text(), stderr: err.text(), durationMs: Date.now() - t0 };
      if (control.signal.aborted) return { ...partial, error: `timed out after ${PROBE_TIMEOUT_MS / 1000} s` };
      const error = toCompareError(e, this.url);
      if (error.reason === 'daemonUnreachable') throw error;
      return { ...partial, error: typeof (e as { statusCode?: unknown }).statusCode === 'number' ? engineMessageOf(e) : messageOf(e) };
    } finally {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async request(s: RunningSide, path: string): Promise<HttpResult> {
    const fail = (url: string, error: string): HttpResult => ({ url, headers: {}, body: '', bodyBytes: 0, truncated: false, error, durationMs: 0 });
    if (!this.port) return fail('', 'not requested: no port is published (neither image exposes a port; choose one with --port)');
    if (!this.port.endsWith('/tcp')) return fail('', `not requested: ${this.port} is not a TCP port`);
    if (!s.published) return fail('', `not requested: the container ${describeState(s.state)}, so ${this.port} is not published`);
    const ip = s.published.hostIp;
    // A wildcard bind is reachable on loopback; the address itself otherwise.
    const host = ip === '' || ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${s.published.hostPort}${path}`;
    if (s.state.status !== 'running') return fail(url, `not requested: the container ${describeState(s.state)}`);
    return httpGet(url, this.signal);
  }

  /** Removes both containers (and any other of this run's, e.g. one created while the run was being aborted); never throws. */
  async cleanup(): Promise<string[]> {
    for (const s of this.sides) {
      s.capturing = false;
      s.attachControl.abort();
    }
    this.emit({ type: 'phase', phase: 'stopping', message: 'Stopping and removing both containers' });
    const targets = new Map<string, { name: string; side?: RunningSide }>();
    for (const s of this.sides) if (s.id) targets.set(s.id, { name: s.name, side: s });
    try {
      // Deliberately not the run's signal: an abort must not skip the cleanup.
      const listed = await this.docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${this.id}`] }, abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) } as Dockerode.ContainerListOptions);
      for (const c of listed) if (!targets.has(c.Id)) targets.set(c.Id, { name: c.Names?.[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12) });
    } catch {
      // The engine is gone or slow: the containers we know of are tried anyway, and reported when they fail.
    }
    const problems: string[] = [];
    await Promise.all(
      [...targets].map(async ([id, { name, side }]) => {
        const error = await removeContainer(this.docker, id, this.url);
        if (error) {
          const message = `could not remove ${name}: ${error} (remove it with: docker rm -f ${name})`;
          problems.push(message);
          if (side) side.cleanupError = message;
          this.emit({ type: 'phase', phase: 'stopping', message: `Could not remove ${name}: ${error}` });
        } else if (side) {
          this.emit({ type: 'state', side: side.side, state: { ...side.state, status: 'removed' } });
        }
      }),
    );
    return problems;
  }
}

/** Waits for both (so nothing is still in flight when the cleanup starts), then throws the first failure. */
async function settleBoth(work: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/** Force-removes a container (kill + remove, with its anonymous volumes), bounded in time. Undefined on success or when it is already gone. */
async function removeContainer(docker: Dockerode, id: string, url: string): Promise<string | undefined> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true, abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) } as Dockerode.ContainerRemoveOptions);
    return undefined;
  } catch (e) {
    const status = (e as { statusCode?: unknown }).statusCode;
    if (status === 404) return undefined;
    // "removal of container ... is already in progress": another sweep has it.
    if (status === 409 && /already in progress/i.test(engineMessageOf(e))) return undefined;
    if ((e as { name?: unknown }).name === 'TimeoutError' || (e as { name?: unknown }).name === 'AbortError') return `the engine did not answer within ${CLEANUP_TIMEOUT_MS / 1000} s`;
    return toCompareError(e, url).message;
  }
}

/**
 * Removes containers labelled RUN_LABEL whose owner is gone: a process of
 * this host that is no longer running (or whose pid now belongs to a process
 * started after the container), a run of this process that has ended, or,
 * once older than foreignHostGraceMs, one started from another host.
 * Containers without RUN_LABEL are never looked at. Returns what was removed;
 * a container that cannot be removed now is left for the next sweep.
 */
export async function removeLeftovers(client: DaemonClient, opts: RemoveLeftoversOptions = {}): Promise<LeftoverContainer[]> {
  const { signal } = opts;
  if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
  const docker = client.docker;
  let listed: Dockerode.ContainerInfo[];
  const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
  try {
    listed = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] }, abortSignal: signal ? AbortSignal.any([signal, timeout]) : timeout } as Dockerode.ContainerListOptions);
  } catch (e) {
    if (!signal?.aborted && timeout.aborted) throw new CompareError('daemon', `The Docker engine at ${client.endpoint} did not answer within ${CALL_TIMEOUT_MS / 1000} s (listing containers)`, { cause: e });
    throw toCompareError(e, client.endpoint, signal);
  }
  const grace = opts.foreignHostGraceMs ?? DEFAULT_FOREIGN_GRACE_MS;
  const removed: LeftoverContainer[] = [];
  for (const c of listed) {
    const labels = c.Labels ?? {};
    // The engine filtered on the label already; checked again because nothing else may ever be touched.
    if (!Object.prototype.hasOwnProperty.call(labels, RUN_LABEL)) continue;
    const runId = labels[RUN_LABEL];
    const owner = labels[OWNER_LABEL] ?? '';
    const reason = ownerGone(owner, runId, c.Created, grace);
    if (!reason) continue;
    if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
    const error = await removeContainer(docker, c.Id, client.endpoint);
    if (error === undefined) removed.push({ id: c.Id, name: c.Names?.[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12), runId, owner, reason });
  }
  return removed;
}

/** Why a container's owner counts as gone, or undefined while it may be alive. `created`: unix seconds. */
function ownerGone(owner: string, runId: string, created: number, foreignGraceMs: number): string | undefined {
  const m = /^(.*):(\d+)$/.exec(owner);
  const old = Date.now() - created * 1000 >= foreignGraceMs;
  if (!m) return old ? 'it names no owner process' : undefined;
  const host = m[1];
  const pid = Number(m[2]);
  if (host !== hostname()) return old ? `it was started from another host (${host})` : undefined;
  if (pid === process.pid) return activeRuns.has(runId) ? undefined : 'its run in this process has ended';
  const proc = processInfo(pid);
  if (!proc.alive) return `its process ${pid} is gone`;
  // Pids are reused: a process started after the container cannot be the one that started it.
  if (proc.startedAt !== undefined && proc.startedAt > created + 2) return `its process ${pid} is gone (the pid now belongs to a newer process)`;
  return undefined;
}

/** Whether a pid runs (zombies do not count) and, on Linux, when it started (unix seconds). */
function processInfo(pid: number): { alive: boolean; startedAt?: number } {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, as another user's process.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return { alive: false };
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, starttime field 22 (clock ticks after boot; USER_HZ is 100).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return { alive: false };
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    const ticks = Number(fields[19]);
    return { alive: true, startedAt: btime && Number.isFinite(ticks) ? Number(btime[1]) + ticks / 100 : undefined };
  } catch {
    return { alive: true };
  }
}

/**
 * The container port to publish: the requested one ("80" means "80/tcp"),
 * else the lowest TCP port A exposes, else B's (the engine keeps exposed
 * ports as a map, so the Dockerfile's order is lost), else none.
 */
export function choosePort(requested: string | undefined, a: readonly string[], b: readonly string[]): string | undefined {
  if (requested !== undefined && requested.trim() !== '') {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(requested.trim());
    const n = m ? Number(m[1]) : 0;
    if (!m || n < 1 || n > 65535) throw new CompareError('badArgument', `A port is a number from 1 to 65535, optionally with /tcp or /udp (e.g. 80, 8080/tcp); got "${requested}"`);
    return `${n}/${(m[2] ?? 'tcp').toLowerCase()}`;
  }
  const pick = (ports: readonly string[]): string | undefined =>
    [...ports]
      .map((p) => (p.includes('/') ? p : `${p}/tcp`))
      .sort((x, y) => Number(!x.endsWith('/tcp')) - Number(!y.endsWith('/tcp')) || parseInt(x, 10) - parseInt(y, 10))[0];
  return pick(a) ?? pick(b);
}

type InspectState = Dockerode.ContainerInspectInfo['State'] & { Health?: { Status?: string } };

function stateOf(info: Dockerode.ContainerInspectInfo, startError: string | undefined): ContainerState {
  const st = info.State as InspectState;
  const restarts = info.RestartCount ?? 0;
  if (startError !== undefined) return { status: 'failedToStart', error: startError, restarts };
  const status: ContainerState['status'] =
    st.Status === 'exited' || st.Status === 'created' || st.Status === 'restarting' || st.Status === 'dead' || st.Status === 'running'
      ? st.Status
      : st.Status === 'removing'
        ? 'removed'
        : st.Running
          ? 'running'
          : 'exited';
  return {
    status,
    ...(status === 'exited' || status === 'dead' ? { exitCode: st.ExitCode } : {}),
    ...(st.Error ? { error: st.Error } : {}),
    restarts,
    ...(st.Health?.Status ? { health: st.Health.Status } : {}),
    ...(st.OOMKilled ? { oomKilled: true } : {}),
  };
}

/** "OCI runtime exec failed: exec failed: unable to start container process: exec: "x": executable file not found in $PATH: unknown" → from "exec:". */
function cleanRuntimeMessage(message: string): string {
  const m = /(exec: .*?)(?:: unknown)?\s*$/.exec(message);
  return (m ? m[1] : message).trim();
}

/** inspect() with an abort signal, which dockerode forwards but its typings do not declare. */
function inspectWith<T>(target: { inspect: (...args: never[]) => unknown }, signal: AbortSignal): Promise<T> {
  return (target.inspect as unknown as (opts: { abortSignal: AbortSignal }) => Promise<T>).call(target, { abortSignal: signal });
}

/** A Writable-shaped sink for demuxStream, which only ever calls write(). */
function sink(write: (b: Buffer) => void): NodeJS.WritableStream {
  return {
    write: (b: Buffer) => {
      write(b);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

/** Bytes kept up to a cap; the text says where it was cut. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly cap: number) {}

  push(b: Buffer): void {
    this.total += b.length;
    if (this.kept >= this.cap) return;
    const part = b.length > this.cap - this.kept ? b.subarray(0, this.cap - this.kept) : b;
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.total > this.kept ? `${s}\n… (output cut at ${this.cap / 1024} KiB of ${this.total} bytes)` : s;
  }
}

/** UTF-8 bytes to lines (LF or CRLF); a line longer than MAX_LINE_CHARS is cut, with how much was left out. */
class LineCollector {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private cut = 0;

  constructor(private readonly onLine: (text: string) => void) {}

  push(b: Buffer): void {
    let text = this.decoder.write(b);
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.add(text.slice(0, nl));
      this.emit();
      text = text.slice(nl + 1);
    }
    this.add(text);
  }

  flush(): void {
    this.add(this.decoder.end());
    if (this.partial !== '' || this.cut > 0) this.emit();
  }

  private add(s: string): void {
    const room = MAX_LINE_CHARS - this.partial.length;
    if (s.length <= room) this.partial += s;
    else {
      this.partial += s.slice(0, room);
      this.cut += s.length - room;
    }
  }

  private emit(): void {
    let line = this.partial.endsWith('\r') && this.cut === 0 ? this.partial.slice(0, -1) : this.partial;
    if (this.cut > 0) line += ` … (${this.cut} more characters)`;
    this.partial = '';
    this.cut = 0;
    this.onLine(line);
  }
}

/** GET with a deadline, a few retries while the port is not answering yet, the body kept up to 64 KiB. */
async function httpGet(url: string, signal: AbortSignal | undefined): Promise<HttpResult> {
  const t0 = Date.now();
  const deadline = AbortSignal.timeout(HTTP_TIMEOUT_MS);
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return { ...(await getOnce(url, both)), durationMs: Date.now() - t0 };
    } catch (e) {
      if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
      last = e;
      const code = (e as NodeJS.ErrnoException).code;
      // docker-proxy accepts and then drops connections until the server in the container listens.
      if (deadline.aborted || !(code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE')) break;
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
  const error = deadline.aborted ? `no answer within ${HTTP_TIMEOUT_MS / 1000} s` : messageOf(last);
  return { url, headers: {}, body: '', bodyBytes: 0, truncated: false, error, durationMs: Date.now() - t0 };
}

function getOnce(url: string, signal: AbortSignal): Promise<Omit<HttpResult, 'durationMs'>> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { signal, headers: { 'user-agent': 'container-compare', connection: 'close' } }, (res) => {
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let bytes = 0;
      let settled = false;
      const finish = (truncated: boolean): void => {
        if (settled) return;
        settled = true;
        const headers: Record<string, string> = {};
        for (const k of KEY_HEADERS) {
          const v = res.headers[k];
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const length = Number(res.headers['content-length']);
        resolve({
          url,
          status: res.statusCode,
          headers,
          body: Buffer.concat(kept).toString('utf8'),
          bodyBytes: truncated && Number.isFinite(length) && length > bytes ? length : bytes,
          truncated: truncated || bytes > keptBytes,
        });
      };
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keptBytes < HTTP_BODY_CAP) {
          const part = c.subarray(0, HTTP_BODY_CAP - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        if (bytes >= HTTP_COUNT_CAP) {
          finish(true);
          res.destroy();
        }
      });
      res.on('end', () => finish(false));
      // A body cut short by the server (or our deadline) still tells what it began with.
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    req.on('error', reject);
  });
}
