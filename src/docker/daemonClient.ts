import type * as http from 'node:http';
import type * as https from 'node:https';
import type { NetConnectOpts } from 'node:net';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Daemon, DaemonImage, StorageAccess, StorageRequest } from '../core/image/daemon';
import { archiveEnd } from '../core/sources/archiveEnd';
import { lazy } from '../core/util/lazy';
import { CompareError, messageOf, throwIfAborted } from '../core/util/errors';
import type { Endpoint } from './endpoint';
import { fastPathMode, openLayerStore, type FastPathMode } from './layerStore';
import { httpError, streamGet } from './streamGet';

/** The size of the chunks a JSON answer is read in: an inspect is a few kB. */
const JSON_CHUNK = 64 * 2 ** 10;

/** One row of the engine's image list, for pickers and tree views. */
export interface ImageSummary {
  /** Config digest, "sha256:...". */
  id: string;
  /** Without the "<none>:<none>" placeholder older engines report for untagged images. */
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** ISO 8601. */
  created: string;
}

/**
 * A dockerode client for exactly this endpoint. docker-modem merges
 * DOCKER_HOST from process.env under the given options (and throws on a
 * malformed one), so a unix socket chosen by the host option or a context
 * would silently lose to the environment; the variable is hidden while the
 * client is built. The constructor is synchronous, so nothing else observes it.
 */
export function createDockerode(endpoint: Endpoint): Dockerode {
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  try {
    // Loaded on first use: dockerode (with ssh2 and protobufs) costs ~100 ms to load,
    // and a warm compare only inspects, which getJson() does with node:http alone.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const DockerodeClass = require('dockerode') as typeof Dockerode;
    return new DockerodeClass(endpoint.dockerodeOptions);
  } finally {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
}

/** Where and how the engine keeps images (`docker info`). */
export interface EngineInfo {
  /** The storage driver: overlay2, vfs, btrfs...; with the containerd image store, a snapshotter's name. */
  driver: string;
  driverStatus: Record<string, string>;
  /** DockerRootDir: /var/lib/docker unless configured otherwise. */
  rootDir: string;
}

/** The engine as src/core sees it, plus the listing the extension needs. */
export class DaemonClient implements Daemon {
  readonly endpoint: string;
  private client: Dockerode | undefined;

  /** Whether and how images are read from the engine's layer store instead of an export. */
  readonly fastPath: FastPathMode;

  constructor(
    private readonly target: Endpoint,
    options: { fastPath?: FastPathMode; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.endpoint = target.url;
    this.fastPath = options.fastPath ?? fastPathMode(options.env ?? process.env);
  }

  /** Whether the engine is on this machine (a unix socket), where its data root may be this machine's too. */
  get local(): boolean {
    return this.target.url.startsWith('unix://');
  }

  /** For other src/docker modules (run, logs, exec) that need the raw client; created on first use. */
  get docker(): Dockerode {
    return (this.client ??= createDockerode(this.target));
  }

  /** Resolves when the engine answers /_ping. */
  async ping(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    try {
      // dockerode forwards abortSignal on ping; its typings take no options.
      await (this.docker.ping as (opts: { abortSignal?: AbortSignal }) => Promise<unknown>).call(this.docker, withSignal({}, signal));
    } catch (e) {
      throw this.toCompareError(e, signal);
    }
  }

  async inspect(ref: string, signal?: AbortSignal): Promise<DaemonImage> {
    throwIfAborted(signal);
    // One small GET, so it does not need dockerode (see createDockerode), and
    // the signal really cancels it (dockerode's Image.inspect() drops it).
    let info: Dockerode.ImageInspectInfo;
    try {
      info = (await getJson(this.target, `/images/${encodeURIComponent(ref)}/json`, signal)) as Dockerode.ImageInspectInfo;
    } catch (e) {
      throw this.toCompareError(e, signal, ref);
    }
    return {
      id: info.Id,
      repoTags: realNames(info.RepoTags),
      repoDigests: realNames(info.RepoDigests),
      diffIds: info.RootFS?.Layers ?? [],
      os: info.Os || undefined,
      architecture: info.Architecture || undefined,
      size: typeof info.Size === 'number' ? info.Size : undefined,
      created: info.Created || undefined,
    };
  }

  async history(ref: string, signal?: AbortSignal): Promise<Array<{ size: number }>> {
    throwIfAborted(signal);
    let rows: Array<{ Size?: number }>;
    try {
      rows = (await getJson(this.target, `/images/${encodeURIComponent(ref)}/history`, signal)) as Array<{ Size?: number }>;
    } catch (e) {
      throw this.toCompareError(e, signal, ref);
    }
    // The engine lists the newest step first.
    return rows.map((r) => ({ size: typeof r.Size === 'number' ? r.Size : 0 })).reverse();
  }

  /**
   * One `docker save` of all refs (GET /images/get?names=a&names=b), so shared
   * layers travel once. Aborting the signal destroys the stream with a
   * CompareError 'cancelled'.
   */
  async export(refs: string[], signal?: AbortSignal): Promise<Readable> {
    if (refs.length === 0) throw new CompareError('badArgument', 'Nothing to export');
    throwIfAborted(signal);
    let stream: Readable;
    try {
      // names=a&names=b, as the engine expects. With node:http, as inspect: dockerode (~100 ms and
      // ~10 MB to load) is then not needed at all by a compare.
      const path = `/images/get?${refs.map((r) => `names=${encodeURIComponent(r)}`).join('&')}`;
      // The export is complete at its archive's end, before the engine has removed its staging folder (archiveEnd.ts).
      // A gigabyte through node:http costs the main thread more than reading it off the socket (streamGet.ts); TLS stays with https.
      const plain = plainTarget(this.target);
      stream = plain ? await streamGet(plain, path, signal, undefined, archiveEnd()) : await get(this.target, path, signal);
      // For the bench's probe (scripts/rss-probe.cjs): when the engine answered, and when the export ended.
      performance.mark('container-compare:export-response');
      stream.once('end', () => performance.mark('container-compare:export-end'));
    } catch (e) {
      const error = this.toCompareError(e, signal, refs.length === 1 ? refs[0] : undefined);
      // The engine's 404 says "reference does not exist" without naming it; find which one.
      if (error.reason === 'unknownImage' && refs.length > 1) throw (await this.firstMissing(refs, signal)) ?? error;
      throw error;
    }
    if (signal) {
      // The request's own signal handling surfaces as a bare AbortError or
      // "aborted"; destroying with a CompareError gives readers a reason.
      const onAbort = (): void => void stream.destroy(new CompareError('cancelled', 'Cancelled'));
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        stream.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
    return stream;
  }

  /** What `docker info` says about where and how the engine keeps images. */
  async info(signal?: AbortSignal): Promise<EngineInfo> {
    throwIfAborted(signal);
    let info: { Driver?: string; DriverStatus?: Array<[string, string]> | null; DockerRootDir?: string };
    try {
      info = (await getJson(this.target, '/info', signal)) as typeof info;
    } catch (e) {
      throw this.toCompareError(e, signal);
    }
    return { driver: info.Driver ?? '', driverStatus: Object.fromEntries(info.DriverStatus ?? []), rootDir: info.DockerRootDir ?? '' };
  }

  /** GET /containers/ID/archive: a tar of `path` in the container (also one that was never started). */
  async archive(containerId: string, path: string, signal?: AbortSignal): Promise<Readable> {
    throwIfAborted(signal);
    try {
      return await get(this.target, `/containers/${encodeURIComponent(containerId)}/archive?path=${encodeURIComponent(path)}`, signal);
    } catch (e) {
      throw this.toCompareError(e, signal);
    }
  }

  /** The engine's layer store, read without an export (the fast path; see layerStore.ts). */
  storage(request: StorageRequest): Promise<StorageAccess> {
    return openLayerStore(this, this.fastPath, request);
  }

  async listImages(signal?: AbortSignal): Promise<ImageSummary[]> {
    throwIfAborted(signal);
    let rows: Dockerode.ImageInfo[];
    try {
      rows = await this.docker.listImages(withSignal({}, signal));
    } catch (e) {
      throw this.toCompareError(e, signal);
    }
    return rows.map((r) => ({
      id: r.Id,
      repoTags: realNames(r.RepoTags),
      repoDigests: realNames(r.RepoDigests),
      size: r.Size,
      created: new Date(r.Created * 1000).toISOString(),
    }));
  }

  /**
   * Follows the engine's image events (build, pull, load, tag, untag,
   * delete...) until `signal` aborts. Resolves when aborted; rejects with a
   * CompareError when the engine cannot be reached or the stream breaks
   * (the engine restarted), so the caller can reconnect.
   */
  async watchImages(onEvent: (e: { action: string; id: string }) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
    let stream: Readable;
    try {
      stream = (await this.docker.getEvents({ filters: { type: ['image'] }, abortSignal: signal } as Dockerode.GetEventsOptions)) as unknown as Readable;
    } catch (e) {
      if (signal.aborted) return;
      throw this.toCompareError(e, signal);
    }
    onOpen?.();
    let rest = '';
    await new Promise<void>((resolve, reject) => {
      const stop = (): void => {
        stream.destroy();
        resolve();
      };
      signal.addEventListener('abort', stop, { once: true });
      stream.on('data', (chunk: Buffer) => {
        // One JSON document per line; a chunk may end mid-line.
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            const ev = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
            onEvent({ action: ev.Action ?? ev.status ?? '', id: ev.Actor?.ID ?? ev.id ?? '' });
          } catch {
            // not an event (a proxy's keep-alive, say): ignore
          }
        }
      });
      const ended = (e?: unknown): void => {
        signal.removeEventListener('abort', stop);
        if (signal.aborted) resolve();
        else reject(this.toCompareError(e ?? new Error('the event stream ended'), signal));
      };
      stream.once('error', ended);
      stream.once('end', () => ended());
    });
  }

  /** See toCompareError(); `ref` turns a 404 into 'unknownImage'. */
  private toCompareError(e: unknown, signal: AbortSignal | undefined, ref?: string): CompareError {
    return toCompareError(e, this.endpoint, signal, ref);
  }

  private async firstMissing(refs: string[], signal: AbortSignal | undefined): Promise<CompareError | undefined> {
    for (const ref of refs) {
      try {
        await this.inspect(ref, signal);
      } catch (e) {
        if (e instanceof CompareError && e.reason === 'unknownImage') return e;
        return undefined;
      }
    }
    return undefined;
  }
}

/**
 * The one place dockerode and socket errors become CompareErrors (the
 * DaemonClient and the runner use it). `url` is the endpoint named in
 * messages; `ref` turns a 404 into 'unknownImage'; an aborted `signal` makes
 * any failure 'cancelled'.
 */
export function toCompareError(e: unknown, url: string, signal?: AbortSignal, ref?: string): CompareError {
  if (e instanceof CompareError) return e;
  if (signal?.aborted) return new CompareError('cancelled', 'Cancelled', { cause: e });
  const err = e as { code?: unknown; statusCode?: unknown; json?: unknown; name?: unknown };
  if (typeof err.statusCode === 'number') {
    const message = engineMessageOf(e);
    if (err.statusCode === 404 && ref !== undefined) {
      return new CompareError('unknownImage', `No image "${ref}" in the Docker engine at ${url}`, { cause: e });
    }
    if (err.statusCode === 404) return new CompareError('unknownImage', `${message} (Docker engine at ${url})`, { cause: e });
    return new CompareError('daemon', `The Docker engine at ${url} answered: ${message}`, { cause: e });
  }
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && unreachableCodes.has(code)) {
    return new CompareError(
      'daemonUnreachable',
      `Cannot reach a Docker engine at ${url} (${code}). Is dockerd running? Set DOCKER_HOST or --host to use another endpoint.`,
      { cause: e },
    );
  }
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_') || code === 'EPROTO' || /certificate|self.signed/i.test(messageOf(e))) {
    return new CompareError('daemonUnreachable', `TLS with the Docker engine at ${url} failed: ${messageOf(e)}`, { cause: e });
  }
  return new CompareError('daemon', `Talking to the Docker engine at ${url} failed: ${messageOf(e)}`, { cause: e });
}

/** The engine's own words for a failed call: its {"message"} body, else dockerode's message without its "(HTTP code N) ... - " prefix. */
export function engineMessageOf(e: unknown): string {
  return engineMessage((e as { json?: unknown } | null | undefined)?.json) ?? stripDockerodePrefix(messageOf(e));
}

/**
 * GET from the engine with node's own http client, over the endpoint's unix
 * socket or TCP (with its TLS material): the response when it is a 200.
 * Failures carry `statusCode` and `json` like docker-modem's, for
 * toCompareError.
 */
function get(endpoint: Endpoint, path: string, signal?: AbortSignal): Promise<http.IncomingMessage> {
  const o = endpoint.dockerodeOptions as Dockerode.DockerOptions & { agent?: https.Agent };
  const tls = o.protocol === 'https';
  // servername '': no TLS on a unix socket, and Node's agent would otherwise work
  // one out from the Host header, compiling its IPv6 pattern (4 ms of a warm run).
  const options: https.RequestOptions = o.socketPath
    ? { socketPath: o.socketPath, path, servername: '' }
    : { host: o.host, port: o.port, path, ...(tls ? { ca: o.ca, cert: o.cert, key: o.key, agent: o.agent } : {}) };
  return new Promise((resolve, reject) => {
    const req = (tls ? lazy.https() : lazy.http()).get({ ...options, signal, headers: { Host: 'docker' } }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => reject(httpError(res.statusCode ?? 0, Buffer.concat(chunks))));
    });
    req.on('error', reject);
  });
}

/** The endpoint as a socket streamGet() can talk over: its unix socket, or TCP without TLS; undefined with TLS. */
function plainTarget(endpoint: Endpoint): NetConnectOpts | undefined {
  const o = endpoint.dockerodeOptions as Dockerode.DockerOptions;
  return o.socketPath ? { path: o.socketPath } : o.protocol === 'http' && o.host ? { host: o.host, port: Number(o.port) } : undefined;
}

/**
 * GET a JSON document from the engine: over a plain socket with streamGet()
 * (its errors are get()'s), else with get(). A warm compare then loads no
 * node:http at all: loading it and its agent's socket set-up were ~6 ms of
 * the ~190 ms a warm compare takes.
 */
async function getJson(endpoint: Endpoint, path: string, signal?: AbortSignal): Promise<unknown> {
  const plain = plainTarget(endpoint);
  const res = plain ? await streamGet(plain, path, signal, JSON_CHUNK) : await get(endpoint, path, signal);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Errors that mean nothing is listening (or we may not talk to it) at the endpoint. */
const unreachableCodes = new Set([
  'ENOENT', // no socket file
  'ECONNREFUSED',
  'EACCES', // socket exists, user not in the docker group
  'EPERM',
  'ETIMEDOUT',
  'ECONNRESET', // e.g. a plain-HTTP request to a TLS-only port
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND', // DNS
  'EAI_AGAIN',
  'ENOTSOCK',
]);

/** Engines answer errors as {"message": "..."}; dockerode keeps the parsed body in `json`. */
function engineMessage(json: unknown): string | undefined {
  const m = (json as { message?: unknown } | null | undefined)?.message;
  if (typeof m === 'string' && m !== '') return m;
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return undefined;
}

/** "(HTTP code 404) unexpected - reference does not exist " → "reference does not exist". */
function stripDockerodePrefix(message: string): string {
  return message.replace(/^\(HTTP code \d+\) .*? - /, '').trim();
}

/**
 * Adds abortSignal only when there is one: docker-modem drops a set signal
 * from the query string but sends an undefined one as "abortSignal=".
 */
function withSignal<T extends object>(opts: T, signal: AbortSignal | undefined): T & { abortSignal?: AbortSignal } {
  return signal ? { ...opts, abortSignal: signal } : opts;
}

/** Older engines report untagged images as "<none>:<none>" / "<none>@<none>". */
function realNames(names: string[] | null | undefined): string[] {
  return (names ?? []).filter((n) => !n.startsWith('<none>'));
}
