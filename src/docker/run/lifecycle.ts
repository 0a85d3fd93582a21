import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Dockerode from 'dockerode';
import { CompareError } from '../../core/util/errors';
import { OWNER_LABEL, RUN_LABEL, type ContainerState, type RunEvent, type RunOptions } from '../../core/run/runModel';
import { engineMessageOf, toCompareError, type DaemonClient } from '../daemonClient';
import type { Ownership, RunOwnership } from './ownership';
import type { RunningSide } from './runningSide';

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
  /** Whose containers these are: only those this key signed are ever removed. */
  ownership: RunOwnership;
  signal?: AbortSignal;
  /** Told of each container with RUN_LABEL that is not certainly ours, and left alone. */
  onSpared?: (c: { id: string; name: string; why: string }) => void;
  /**
   * Containers started from another host (or with no readable owner) are
   * removed only once they are this old (default 10 minutes): their process
   * cannot be checked from here, and a shared remote engine may be running
   * someone's live run.
   */
  foreignHostGraceMs?: number;
}

// Bounds. Every engine call has a deadline, so a hung engine ends a run with an error instead of hanging it.
export const CALL_TIMEOUT_MS = 30_000;
const CLEANUP_TIMEOUT_MS = 15_000;
const DEFAULT_FOREIGN_GRACE_MS = 10 * 60_000;

/** Runs of this process that are still going: their containers are never leftovers, even to this process's own sweep. */
export const activeRuns = new Set<string>();

/** OWNER_LABEL of the containers this process creates. */
export const OWNER = (): string => `${hostname()}:${process.pid}`;

/**
 * The two containers of one run in the engine: created with the run's
 * labels, started, inspected, and removed; every call bounded in time and
 * cancelled with the run, except the removal.
 */
export class RunContainers {
  /** The container port published (choosePort), chosen before the containers are created. */
  port?: string;
  private readonly docker: Dockerode;
  private readonly url: string;

  constructor(
    client: DaemonClient,
    private readonly ownership: RunOwnership,
    private readonly runId: string,
    private readonly signal: AbortSignal | undefined,
    private readonly emit: (e: RunEvent) => void,
  ) {
    this.docker = client.docker;
    this.url = client.endpoint;
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

  async exposedPorts(imageId: string): Promise<string[]> {
    const info = await this.call('image inspect', (signal) => inspectWith<Dockerode.ImageInspectInfo>(this.docker.getImage(imageId), signal)).catch((e: unknown) => {
      if (e instanceof CompareError && e.reason === 'unknownImage') throw new CompareError('unknownImage', `No image "${imageId}" in the Docker engine at ${this.url}`, { cause: e });
      throw e;
    });
    return Object.keys(info.Config?.ExposedPorts ?? {});
  }

  async create(s: RunningSide, options: RunOptions, bind: string): Promise<void> {
    const { port } = this;
    const spec: Dockerode.ContainerCreateOptions = {
      name: s.name,
      Image: s.input.imageId,
      Labels: this.ownership.labels(s.name, this.runId, s.side),
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

  async start(s: RunningSide): Promise<void> {
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

  /** After the attach stream ended: the engine marks the container stopped a moment later. */
  async settleState(s: RunningSide): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await this.refreshState(s);
      if (s.state.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async refreshState(s: RunningSide): Promise<void> {
    if (!s.container) return;
    const info = await this.call(`inspect ${s.name}`, (signal) => inspectWith<Dockerode.ContainerInspectInfo>(s.container!, signal));
    // Once stopping, the state is what it was; the removal is told by its own event.
    if (!s.capturing) return;
    const state = stateOf(info, s.startError);
    s.pid = info.State?.Pid || undefined;
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

  /**
   * Removes both containers (and any other this run created, e.g. one
   * created while the run was being aborted); never throws. A container
   * that only carries this run's labels (started from a commit of one of
   * ours) is not this run's, and is left alone.
   */
  async removeAll(sides: readonly RunningSide[]): Promise<string[]> {
    this.emit({ type: 'phase', phase: 'stopping', message: 'Stopping and removing both containers' });
    const targets = new Map<string, { name: string; side?: RunningSide }>();
    for (const s of sides) if (s.id) targets.set(s.id, { name: s.name, side: s });
    try {
      // Deliberately not the run's signal: an abort must not skip the cleanup.
      const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
      const listed = await this.docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${this.runId}`] }, abortSignal: signal } as Dockerode.ContainerListOptions);
      const images = new Map<string, Promise<Record<string, string> | null | undefined>>();
      for (const c of listed) {
        if (targets.has(c.Id)) continue;
        if ((await ownershipOf(this.docker, this.ownership, c, images, signal)).ours) targets.set(c.Id, { name: nameOf(c) });
      }
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

/**
 * Force-removes a container (kill + remove, with its anonymous volumes),
 * bounded in time. Only ever called for a container we created (the run's
 * own, the fast path's helper, or proven by ownershipOf): volumes of anyone
 * else's are never touched. Undefined on success or when it is already gone.
 */
export async function removeContainer(docker: Dockerode, id: string, url: string): Promise<string | undefined> {
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

/** The container's own name (not a link alias), without the engine's leading slash. */
function nameOf(c: Dockerode.ContainerInfo): string {
  const names = c.Names ?? [];
  return (names.find((n) => n.lastIndexOf('/') === 0) ?? names[0] ?? `/${c.Id.slice(0, 12)}`).replace(/^\//, '');
}

/**
 * Whether we certainly created `c` (ownership.ts): its token matches its
 * name and labels, and is not its image's. `images` caches image labels by
 * id for one sweep (null: the image has none; undefined: it cannot be read).
 */
async function ownershipOf(docker: Dockerode, ownership: RunOwnership, c: Dockerode.ContainerInfo, images: Map<string, Promise<Record<string, string> | null | undefined>>, signal: AbortSignal): Promise<Ownership> {
  const labels = c.Labels ?? {};
  // The token first: it needs no engine call, and a container of someone else's fails it.
  const first = ownership.owns(nameOf(c), labels, null);
  if (!first.ours) return first;
  let image = images.get(c.ImageID);
  if (!image) {
    image = inspectWith<Dockerode.ImageInspectInfo>(docker.getImage(c.ImageID), signal).then(
      (info) => (info.Config?.Labels as Record<string, string> | null | undefined) ?? null,
      () => undefined,
    );
    images.set(c.ImageID, image);
  }
  return ownership.owns(nameOf(c), labels, await image);
}

/**
 * Removes containers that we certainly created (ownership.ts) and whose
 * owner is gone: a process of this host that is no longer running (or whose
 * pid now belongs to a process started after the container), a run of this
 * process that has ended, or, once older than foreignHostGraceMs, one started
 * from another host. Containers without RUN_LABEL are never looked at; those
 * with it that are not certainly ours (labels from an image, another
 * installation's, a forged token) are left alone, told to onSpared. Returns
 * what was removed; a container that cannot be removed now is left for the
 * next sweep.
 */
export async function removeLeftovers(client: DaemonClient, opts: RemoveLeftoversOptions): Promise<LeftoverContainer[]> {
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
  const images = new Map<string, Promise<Record<string, string> | null | undefined>>();
  for (const c of listed) {
    const labels = c.Labels ?? {};
    // The engine filtered on the label already; checked again because nothing else may ever be touched.
    if (!Object.prototype.hasOwnProperty.call(labels, RUN_LABEL)) continue;
    const runId = labels[RUN_LABEL];
    const owner = labels[OWNER_LABEL] ?? '';
    const reason = ownerGone(owner, runId, c.Created, grace);
    if (!reason) continue;
    if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
    const inspectTimeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const ours = await ownershipOf(docker, opts.ownership, c, images, signal ? AbortSignal.any([signal, inspectTimeout]) : inspectTimeout);
    if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
    if (!ours.ours) {
      opts.onSpared?.({ id: c.Id, name: nameOf(c), why: ours.why });
      continue;
    }
    const error = await removeContainer(docker, c.Id, client.endpoint);
    if (error === undefined) removed.push({ id: c.Id, name: nameOf(c), runId, owner, reason });
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

/** inspect() with an abort signal, which dockerode forwards but its typings do not declare. */
export function inspectWith<T>(target: { inspect: (...args: never[]) => unknown }, signal: AbortSignal): Promise<T> {
  return (target.inspect as unknown as (opts: { abortSignal: AbortSignal }) => Promise<T>).call(target, { abortSignal: signal });
}
