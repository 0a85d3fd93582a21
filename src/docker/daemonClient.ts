import type { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import type { Daemon, DaemonImage } from '../core/daemon';
import { CompareError, messageOf, throwIfAborted } from '../core/errors';
import type { Endpoint } from './endpoint';

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
    return new Dockerode(endpoint.dockerodeOptions);
  } finally {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
}

/** What dockerode 5 has at runtime but @types/dockerode 4 does not declare. */
interface DockerodeGetImages {
  getImages(opts: { names: string[]; abortSignal?: AbortSignal }): Promise<Readable>;
}

/** The engine as src/core sees it, plus the listing the extension needs. */
export class DaemonClient implements Daemon {
  readonly endpoint: string;
  /** For other src/docker modules (run, logs, exec) that need the raw client. */
  readonly docker: Dockerode;

  constructor(private readonly target: Endpoint) {
    this.endpoint = target.url;
    this.docker = createDockerode(target);
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
    // dockerode's Image.inspect() drops its abortSignal (it never reaches the
    // request), so dial the same endpoint directly to make cancelling real.
    // The reference is encoded because dockerode pastes it into the path as is.
    const info = await new Promise<Dockerode.ImageInspectInfo>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/images/${encodeURIComponent(ref)}/json`,
          method: 'GET',
          abortSignal: signal,
          statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
        },
        (err, data) => (err ? reject(this.toCompareError(err, signal, ref)) : resolve(data as Dockerode.ImageInspectInfo)),
      );
    });
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
      // docker-modem's querystring repeats array values: names=a&names=b, as the engine expects.
      stream = await (this.docker as unknown as DockerodeGetImages).getImages(withSignal({ names: refs }, signal));
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

  /**
   * The one place dockerode and socket errors become CompareErrors. `ref`
   * turns a 404 into 'unknownImage'.
   */
  private toCompareError(e: unknown, signal: AbortSignal | undefined, ref?: string): CompareError {
    if (e instanceof CompareError) return e;
    if (signal?.aborted) return new CompareError('cancelled', 'Cancelled', { cause: e });
    const err = e as { code?: unknown; statusCode?: unknown; json?: unknown; name?: unknown };
    const url = this.target.url;
    if (typeof err.statusCode === 'number') {
      const message = engineMessage(err.json) ?? stripDockerodePrefix(messageOf(e));
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
