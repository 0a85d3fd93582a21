/**
 * The fast path: local images read from the engine's own layer store
 * instead of `docker save`, which on overlay2 engines before the containerd
 * image store copies every layer into a temporary folder before it sends a
 * byte. Each layer is rebuilt exactly as `docker save` would rebuild it
 * (core/layers/tarSplit.ts) from two things the engine keeps:
 *
 *   DATA_ROOT/image/overlay2/layerdb/sha256/CHAIN/  diff (the diffID), cache-id, tar-split.json.gz
 *   DATA_ROOT/overlay2/CACHE_ID/diff/               the layer's files
 *
 * and proven by its sha256 (core/sources/engineStorage.ts). The store is
 * reached directly when this process can read it (a local engine, as root),
 * else through a helper container: created from an image being read, with
 * the data root bound read-only, never started, labelled as ours and always
 * removed; the engine's archive endpoint streams any of its paths without
 * staging them.
 */
import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import type Dockerode from 'dockerode';
import type { EngineStorage, StorageAccess, StorageRequest, StoredLayer } from '../core/image/daemon';
import { digestHex } from '../core/layers/cache';
import { directoryFiles, tarFiles } from '../core/layers/layerFiles';
import { PURPOSE_LABEL } from '../core/run/runModel';
import { lazy } from '../core/util/lazy';
import { CompareError, messageOf, throwIfAborted } from '../core/util/errors';
import type { DaemonClient } from './daemonClient';
import { activeRuns, CALL_TIMEOUT_MS, OWNER, removeContainer } from './run/lifecycle';
import { RunOwnership } from './run/ownership';

/**
 * auto: the fast path when the engine allows it, else the export. off: always
 * the export. direct / container: only that way, failing instead of falling
 * back (for tests and diagnosis).
 */
export type FastPathMode = 'auto' | 'off' | 'direct' | 'container';
const MODES: readonly FastPathMode[] = ['auto', 'off', 'direct', 'container'];

/** CONTAINER_COMPARE_FAST_PATH, or auto. */
export function fastPathMode(env: NodeJS.ProcessEnv): FastPathMode {
  const v = (env.CONTAINER_COMPARE_FAST_PATH ?? '').trim().toLowerCase();
  if (!v) return 'auto';
  if (!(MODES as readonly string[]).includes(v)) throw new CompareError('badArgument', `CONTAINER_COMPARE_FAST_PATH is one of ${MODES.join(', ')}; got "${v}"`);
  return v as FastPathMode;
}

/** Where the helper container sees the engine's data root. */
const MOUNT = '/.container-compare-data-root';
const CACHE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Opens the engine's layer store the way `mode` and the engine allow; says why not when it cannot be. */
export async function openLayerStore(client: DaemonClient, mode: FastPathMode, request: StorageRequest): Promise<StorageAccess> {
  const required = mode === 'direct' || mode === 'container';
  if (mode === 'off') return { unavailable: 'the fast path is off (CONTAINER_COMPARE_FAST_PATH=off)', required };
  if (!request.imageIds.length) return { unavailable: 'no image to read', required };
  const info = await client.info(request.signal);
  // The containerd image store reports its snapshotter (overlayfs) and a driver-type; only the graph driver's layout is known here.
  if (info.driver !== 'overlay2' || info.driverStatus['driver-type']) {
    return { unavailable: `the engine keeps images with ${info.driver || 'an unnamed driver'}${info.driverStatus['driver-type'] ? ` (${info.driverStatus['driver-type']})` : ''}, not overlay2`, required };
  }
  if (!info.rootDir.startsWith('/')) return { unavailable: 'the engine does not say where its data root is', required };
  if (mode !== 'container') {
    if (client.local && (await readable(posix.join(info.rootDir, 'image/overlay2/layerdb/sha256')))) return { storage: directStore(info.rootDir), required };
    if (mode === 'direct') return { unavailable: `${info.rootDir} cannot be read from this process (a local engine, as root, is needed)`, required };
  }
  return { storage: new ContainerStore(client, info.rootDir, request), required };
}

async function readable(dir: string): Promise<boolean> {
  return access(dir, constants.R_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Reads the small files of one layerdb record. */
function parseRecord(where: string, diff: string, cacheId: string): { diffId: string; cacheId: string } {
  const diffId = diff.trim();
  const id = cacheId.trim();
  digestHex(diffId);
  if (!CACHE_ID.test(id)) throw new CompareError('badArchive', `${where}: cache-id "${id.slice(0, 80)}" is not a layer directory name`);
  return { diffId, cacheId: id };
}

/** The data root read directly: a local engine, and this process may read it (root). */
function directStore(root: string): EngineStorage {
  const description = `${root}, read directly`;
  return {
    description,
    async config(id) {
      return readFile(posix.join(root, 'image/overlay2/imagedb/content/sha256', digestHex(id))).catch((e: NodeJS.ErrnoException) => {
        throw new CompareError('io', `${description}: no stored config for ${id.slice(0, 19)} (${e.code ?? messageOf(e)})`, { cause: e });
      });
    },
    async layer(chainId) {
      const dir = posix.join(root, 'image/overlay2/layerdb/sha256', digestHex(chainId));
      const where = `${description}: layer record ${chainId.slice(7, 19)}`;
      const [diff, cacheId] = await Promise.all(['diff', 'cache-id'].map((f) => readFile(posix.join(dir, f), 'utf8'))).catch((e: NodeJS.ErrnoException) => {
        throw new CompareError('io', `${where} cannot be read (${e.code ?? messageOf(e)})`, { cause: e });
      });
      const rec = parseRecord(where, diff, cacheId);
      return {
        diffId: rec.diffId,
        tarSplit: async () => openFile(posix.join(dir, 'tar-split.json.gz'), where),
        files: async () => directoryFiles(posix.join(root, 'overlay2', rec.cacheId, 'diff'), `${description}: layer ${rec.diffId.slice(7, 19)}`),
      };
    },
    async close() {
      return [];
    },
  };
}

/** A file as a stream, failing on open (not on first read) when it is missing. */
async function openFile(path: string, where: string): Promise<Readable> {
  const s = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    s.once('open', () => resolve());
    s.once('error', (e: NodeJS.ErrnoException) => reject(new CompareError('io', `${where}: ${posix.basename(path)} cannot be read (${e.code ?? messageOf(e)})`, { cause: e })));
  });
  return s;
}

/**
 * The engine locks a container while an archive of it is being read, so a
 * second container lets one layer stream while the next one's record is
 * fetched or its stream starts.
 */
const HELPERS = 2;

/**
 * The data root through helper containers' read-only bind, read with the
 * engine's archive endpoint. The containers are created on first use, from
 * the first image being read (so nothing else needs to be present), with no
 * network and an entrypoint that does not exist: they are never started.
 */
class ContainerStore implements EngineStorage {
  readonly description: string;
  /** Every container created, even one whose creation was cancelled after the engine made it: close() removes them. */
  private readonly created: string[] = [];
  private readonly idle: string[] = [];
  private readonly waiting: Array<{ resolve: (id: string) => void; reject: (e: unknown) => void }> = [];
  private creating = 0;
  private closed = false;
  private readonly runId = `layers-${randomBytes(6).toString('hex')}`;

  constructor(
    private readonly client: DaemonClient,
    private readonly root: string,
    private readonly request: StorageRequest,
  ) {
    this.description = `${root} of ${client.endpoint}, through a helper container`;
    activeRuns.add(this.runId);
  }

  /** A container no archive is being read from: an idle one, a new one, or the next one released. */
  private async acquire(): Promise<string> {
    throwIfAborted(this.request.signal);
    if (this.closed) throw new CompareError('cancelled', 'Cancelled');
    const id = this.idle.pop();
    if (id) return id;
    if (this.created.length + this.creating < HELPERS) {
      this.creating++;
      try {
        return await this.create();
      } catch (e) {
        // A first helper is all that is needed: a second one refused just means waiting for the first.
        if (!this.created.length || (e instanceof CompareError && e.reason === 'cancelled')) throw e;
      } finally {
        this.creating--;
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(id: string): void {
    const next = this.waiting.shift();
    if (next) next.resolve(id);
    else this.idle.push(id);
  }

  private async create(): Promise<string> {
    // Named and tokened like a run's containers, so that a sweep after a crash knows it is ours (ownership.ts).
    const name = `cc-layers-${this.runId.slice('layers-'.length)}-${this.created.length + this.creating}`;
    const ownership = await RunOwnership.load(this.request.cacheDir);
    const spec: Dockerode.ContainerCreateOptions = {
      name,
      Image: this.request.imageIds[0],
      Entrypoint: [`${MOUNT}/never-started`],
      Cmd: [],
      Labels: { ...ownership.labels(name, this.runId, undefined, OWNER()), [PURPOSE_LABEL]: 'layer-store' },
      NetworkDisabled: true,
      HostConfig: { Binds: [`${this.root}:${MOUNT}:ro`], NetworkMode: 'none', AutoRemove: false },
    };
    try {
      // Not cancelled mid-request: a create cut short may still happen in the engine, after close() looked.
      const c = await this.client.docker.createContainer({ ...spec, abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) } as Dockerode.ContainerCreateOptions);
      this.created.push(c.id);
      throwIfAborted(this.request.signal);
      return c.id;
    } catch (e) {
      if (e instanceof CompareError) throw e;
      throw new CompareError('daemon', `${this.description}: the engine refused the helper container (${messageOf(e)})`, { cause: e });
    }
  }

  /** A tar of `path` of the data root; the container is released when the stream closes. */
  private async archive(path: string): Promise<Readable> {
    const id = await this.acquire();
    let stream: Readable;
    try {
      stream = await this.client.archive(id, posix.join(MOUNT, path), this.request.signal);
    } catch (e) {
      this.release(id);
      throw e;
    }
    stream.once('close', () => this.release(id));
    return stream;
  }

  /** The files of a small directory (or one file) of the data root, in memory. */
  private async small(path: string): Promise<Map<string, Buffer>> {
    const stream = await this.archive(path);
    const extract = lazy.tarStream().extract();
    const out = new Map<string, Buffer>();
    stream.on('error', (e) => extract.destroy(e));
    stream.pipe(extract as unknown as NodeJS.WritableStream);
    try {
      for await (const entry of extract as unknown as AsyncIterable<Readable & { header: tar.Header }>) {
        const parts: Buffer[] = [];
        for await (const c of entry) parts.push(c as Buffer);
        if (entry.header.type === 'file') out.set(posix.basename(entry.header.name), Buffer.concat(parts));
      }
    } finally {
      stream.destroy();
    }
    return out;
  }

  /** What a failed read of the data root is: cancelled when the request was (its stream ends "aborted"), else an I/O problem. */
  private failure(e: unknown, message: string): CompareError {
    if ((e instanceof CompareError && e.reason === 'cancelled') || this.request.signal?.aborted) return new CompareError('cancelled', 'Cancelled', { cause: e });
    return new CompareError('io', message, { cause: e });
  }

  async config(id: string): Promise<Buffer> {
    const hex = digestHex(id);
    const files = await this.small(`image/overlay2/imagedb/content/sha256/${hex}`).catch((e: unknown) => {
      throw this.failure(e, `${this.description}: no stored config for ${id.slice(0, 19)} (${messageOf(e)})`);
    });
    const bytes = files.get(hex);
    if (!bytes) throw new CompareError('io', `${this.description}: no stored config for ${id.slice(0, 19)}`);
    return bytes;
  }

  async layer(chainId: string): Promise<StoredLayer> {
    const where = `${this.description}: layer record ${chainId.slice(7, 19)}`;
    const record = await this.small(`image/overlay2/layerdb/sha256/${digestHex(chainId)}`).catch((e: unknown) => {
      throw this.failure(e, `${where} cannot be read (${messageOf(e)})`);
    });
    const [diff, cacheId, tarSplit] = ['diff', 'cache-id', 'tar-split.json.gz'].map((f) => record.get(f));
    if (!diff || !cacheId || !tarSplit) throw new CompareError('io', `${where} lacks ${['diff', 'cache-id', 'tar-split.json.gz'].filter((f) => !record.get(f)).join(', ')}`);
    const rec = parseRecord(where, diff.toString('utf8'), cacheId.toString('utf8'));
    return {
      diffId: rec.diffId,
      tarSplit: async () => Readable.from([tarSplit], { objectMode: false }),
      files: async () => {
        const stream = await this.archive(posix.join('overlay2', rec.cacheId, 'diff'));
        return tarFiles(stream, { where: `${this.description}: layer ${rec.diffId.slice(7, 19)}`, prefix: 'diff', spillDir: this.request.spillDir });
      },
    };
  }

  async close(): Promise<string[]> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new CompareError('cancelled', 'Cancelled'));
    // A creation under way finishes first (its container is ours to remove).
    while (this.creating > 0) await new Promise((r) => setTimeout(r, 20));
    try {
      const problems: string[] = [];
      await Promise.all(
        this.created.map(async (id) => {
          const error = await removeContainer(this.client.docker, id, this.client.endpoint);
          if (error) problems.push(`could not remove the helper container ${id.slice(0, 12)}: ${error} (remove it with: docker rm -f ${id.slice(0, 12)})`);
        }),
      );
      return problems;
    } finally {
      activeRuns.delete(this.runId);
    }
  }
}
