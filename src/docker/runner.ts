import { randomBytes } from 'node:crypto';
import { CompareError } from '../core/util/errors';
import type { RunEvent, RunOptions, SideRun } from '../core/run/runModel';
import type { ProbeSpec } from '../core/run/presets';
import type { DaemonClient } from './daemonClient';
import { MAX_LINES, OutputCapture } from './run/capture';
import { requestSide } from './run/http';
import { activeRuns, choosePort, removeLeftovers, RunContainers } from './run/lifecycle';
import { readListening } from './run/listening';
import { RunOwnership } from './run/ownership';
import { defaultCacheDir } from '../core/util/cacheDir';
import { probe, probeList } from './run/probes';
import { RunningSide } from './run/runningSide';

// The run's API, whichever file of run/ holds it: callers and tests import it from here.
export { choosePort, removeLeftovers, type LeftoverContainer, type RemoveLeftoversOptions } from './run/lifecycle';
export { RunOwnership } from './run/ownership';

/**
 * "Run Side by Side": one container per image, run the same way, watched
 * from their first byte of output, probed, requested over HTTP, and always
 * removed. Only containers we certainly created (RunOwnership: a token in a
 * label, keyed with a secret of the cache folder) are ever removed; leftovers
 * of a process that died (SIGKILL, a crash) are removed by the next run.
 *
 * This file runs the steps in order; run/ holds them: the containers'
 * lifecycle (lifecycle.ts), their output (capture.ts), the probes
 * (probes.ts) and the HTTP request (http.ts).
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
  /**
   * Signs the containers this run creates and recognises leftovers of
   * earlier ones (RunOwnership.load(the cache folder)); default: the key of
   * the default cache folder. Runs sweep only containers of their own key.
   */
  ownership?: RunOwnership;
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

/**
 * Runs both images side by side and returns what was observed of each.
 *
 * 1. Removes leftovers of dead processes (removeLeftovers).
 * 2. Creates one container per image (named cc-run-<run>-a / -b, labelled
 *    RUN_LABEL=<run>, SIDE_LABEL, OWNER_LABEL=host:pid, TOKEN_LABEL), with the same
 *    command, entrypoint and environment overrides, publishing the same
 *    container port (options.port, else the lowest TCP port A exposes, else
 *    B's) on a free port of options.bindAddress (127.0.0.1).
 * 3. Attaches to both before starting them (no TTY: stdout and stderr apart),
 *    then starts both. A start the engine refuses is recorded as
 *    'failedToStart' with the engine's message, not thrown.
 * 4. Captures lines until neither container wrote anything for
 *    options.quietMs, options.maxMs passed, or both have stopped; lines keep
 *    being captured while probes and the request run, until stopping.
 * 5. Reads the TCP ports each running container listens on
 *    (run/listening.ts), runs the probes (presets, then options.probes with
 *    `sh -c`) in each, then GETs options.httpPath on both published ports;
 *    after probes or a request, reads the ports again.
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
  const ownership = hooks.ownership ?? (await RunOwnership.load(defaultCacheDir()));
  const run = new SideBySideRun(client, ownership, sides, options, hooks);
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
    // Engine failures are CompareErrors already (see RunContainers.call); anything else is a bug, thrown as it is.
    if (!(failure instanceof CompareError) || problems.length === 0) throw failure;
    throw new CompareError(failure.reason, `${failure.message}. Also: ${problems.join('; ')}`, { cause: failure });
  }
  run.emit({ type: 'phase', phase: 'done', message: 'Done' });
  // Removal failures are known only now.
  return [run.withCleanup(0, result![0]), run.withCleanup(1, result![1])];
}

class SideBySideRun {
  readonly id = randomBytes(4).toString('hex');
  private readonly sides: [RunningSide, RunningSide];
  private readonly signal?: AbortSignal;
  private readonly containers: RunContainers;
  private readonly capture: OutputCapture;

  constructor(
    private readonly client: DaemonClient,
    private readonly ownership: RunOwnership,
    inputs: [RunSideInput, RunSideInput],
    private readonly options: RunOptions,
    private readonly hooks: RunHooks,
  ) {
    this.signal = hooks.signal;
    this.sides = [new RunningSide('a', inputs[0], `cc-run-${this.id}-a`), new RunningSide('b', inputs[1], `cc-run-${this.id}-b`)];
    const emit = (e: RunEvent): void => this.emit(e);
    this.containers = new RunContainers(client, ownership, this.id, this.signal, emit);
    this.capture = new OutputCapture(client.docker, client.endpoint, this.sides, this.signal, emit, (s) => this.containers.settleState(s));
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
      ...(s.listening ? { listening: s.listening } : {}),
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
    const swept = await removeLeftovers(this.client, { ownership: this.ownership, signal: this.signal });
    if (swept.length) this.emit({ type: 'phase', phase: 'preparing', message: `Removed ${swept.length} container${swept.length === 1 ? '' : 's'} left over by earlier runs (${swept.map((c) => c.name).join(', ')})` });

    const exposed = await Promise.all(sides.map((s) => (s.input.exposedPorts ? Promise.resolve(s.input.exposedPorts) : this.containers.exposedPorts(s.input.imageId))));
    const port = choosePort(options.port, exposed[0], exposed[1]);
    this.containers.port = port;
    const bind = options.bindAddress ?? '127.0.0.1';
    this.emit({
      type: 'phase',
      phase: 'starting',
      message: port ? `Starting both containers, ${port} published on ${bind}` : 'Starting both containers; no port is published (neither image exposes one and no port was chosen)',
    });
    await settleBoth(sides.map((s) => this.containers.create(s, options, bind)));
    this.checkAborted();
    await settleBoth(sides.map((s) => this.capture.attach(s)));
    this.checkAborted();
    // Started together so the two clocks (`at`) are comparable.
    await settleBoth(sides.map((s) => this.containers.start(s)));

    this.emit({ type: 'phase', phase: 'capturing', message: `Capturing startup output (until ${options.quietMs / 1000} s without output, at most ${options.maxMs / 1000} s)` });
    await this.capture.window(options.quietMs, options.maxMs);
    await settleBoth(sides.map((s) => this.containers.refreshState(s)));
    for (const s of sides) {
      if (s.dropped) this.emit({ type: 'phase', phase: 'capturing', message: `${s.side.toUpperCase()} wrote more than ${MAX_LINES} lines: ${s.dropped} more were not kept` });
    }
    // What each one listens on once started: what the probes and the request will meet.
    await settleBoth(sides.map((s) => (s.state.status === 'running' ? this.listening(s) : Promise.resolve())));

    const probes = probeList(options, sides[0].input, sides[1].input);
    if (probes.length) {
      this.emit({ type: 'phase', phase: 'probing', message: `Running ${probes.map((p) => p.name).join(', ')} in both containers` });
      await settleBoth(
        sides.map(async (s) => {
          for (const p of probes) s.probes.push(await probe(this.client.docker, this.client.endpoint, s, p, this.signal));
        }),
      );
    }

    if (options.httpPath !== undefined) {
      const path = options.httpPath.startsWith('/') ? options.httpPath : `/${options.httpPath}`;
      this.emit({ type: 'phase', phase: 'requesting', message: `GET ${path} on both published ports` });
      await settleBoth(sides.map(async (s) => void (s.http = await requestSide(port, s, path, this.signal))));
      // The request's own log lines (an access log) come just after the answer: let them in, so
      // that one side's line is not compared with the other's absence.
      await this.capture.window(Math.min(REQUEST_SETTLE_MS, this.options.quietMs), REQUEST_SETTLE_MAX_MS);
    }
    // A container may have died under the probes or the request: the state says how it ended.
    await settleBoth(sides.map(async (s) => (s.state.status === 'running' ? this.containers.refreshState(s) : undefined)));
    // Read again at the end, so that the ports match the HTTP answer (a server that binds late); one that stopped keeps its first reading.
    if (probes.length || options.httpPath !== undefined) await settleBoth(sides.map((s) => (s.state.status === 'running' ? this.listening(s) : Promise.resolve())));
  }

  /** Reads what a side listens on; a failed second reading keeps the first one. */
  private async listening(s: RunningSide): Promise<void> {
    const reading = await readListening(this.client.docker, this.client.endpoint, s, this.signal);
    if (reading.error && s.listening && !s.listening.error) return;
    s.listening = reading;
    this.emit({ type: 'listening', side: s.side, listening: reading });
  }

  private checkAborted(): void {
    if (this.signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
  }

  /** Removes both containers (and any other of this run's, e.g. one created while the run was being aborted); never throws. */
  async cleanup(): Promise<string[]> {
    this.capture.stop();
    return this.containers.removeAll(this.sides);
  }
}

/** Waits for both (so nothing is still in flight when the cleanup starts), then throws the first failure. */
async function settleBoth(work: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
