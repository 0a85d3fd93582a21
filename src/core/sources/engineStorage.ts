import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Cache, LayerWriter } from '../layers/cache';
import type { DaemonImage, EngineStorage } from '../image/daemon';
import { parseConfig, type LayoutImage } from '../image/layout';
import { processLayer, type ProcessedLayer } from '../layers/layerProcessor';
import { reassembleLayer } from '../layers/tarSplit';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';

/** Layers rebuilt at once: one's files are read while another is indexed (and the engine's archive endpoint serves several). */
const PARALLEL_LAYERS = 2;

export interface StorageReadOptions {
  cache: Cache;
  signal?: AbortSignal;
  /** Layers (by diffID) whose bytes must end up in the layer store; the others are only indexed. */
  needBytes?: ReadonlySet<string>;
  /** Fail instead of reporting images as not read (CONTAINER_COMPARE_FAST_PATH forces the path). */
  required?: boolean;
  onBytes?: (n: number) => void;
}

export interface StorageRead {
  /** The images read, by their index in the request. */
  images: Map<number, LayoutImage>;
  /** Layers indexed by this read, by diffID. */
  indexed: Map<string, ProcessedLayer>;
  /** Images that could not be read this way, with why: the caller exports them. */
  skipped: Map<number, string>;
}

/**
 * The chain ID of each layer of an image: the key of the engine's layer
 * store (OCI image spec: ChainID(L0) = DiffID(L0), ChainID(Ln) =
 * sha256(ChainID(Ln-1) + " " + DiffID(Ln))).
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length ? `sha256:${createHash('sha256').update(`${out[out.length - 1]} ${d}`).digest('hex')}` : d);
  return out;
}

/**
 * Reads daemon images from the engine's own layer store instead of an
 * export (the fast path): each image's config as stored (its sha256 must be
 * the image id), and each layer not indexed yet rebuilt from its files and
 * tar-split record exactly as `docker save` would send it, then indexed like
 * any layer tar. Nothing is trusted: a layer whose rebuilt sha256 is not its
 * diffID is never indexed, and its images are reported as skipped so the
 * caller exports them instead. Layer bytes go to the store only when asked
 * for (`needBytes`): the engine keeps them anyway, and reading a file later
 * rebuilds just its layer.
 */
export async function readFromStorage(storage: EngineStorage, images: readonly DaemonImage[], opts: StorageReadOptions): Promise<StorageRead> {
  const { cache, signal } = opts;
  const out: StorageRead = { images: new Map(), indexed: new Map(), skipped: new Map() };
  const skip = (i: number, e: unknown): void => {
    if (e instanceof CompareError && e.reason === 'cancelled') throw e;
    // Whatever a cancelled read failed with (a request cut short reads as "aborted"), it was cancelled.
    if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
    if (opts.required) throw e;
    if (!out.skipped.has(i)) out.skipped.set(i, messageOf(e));
  };

  // Configs first: cheap, and they prove the store holds these images.
  for (const [i, info] of images.entries()) {
    throwIfAborted(signal);
    try {
      out.images.set(i, await storedImage(storage, info, signal));
    } catch (e) {
      skip(i, e);
    }
  }

  // Each layer that is needed once, under the chain ID of its first image.
  const jobs = new Map<string, { chainId: string; users: number[] }>();
  for (const [i, image] of out.images) {
    const chains = chainIds(image.diffIds);
    image.diffIds.forEach((d, k) => {
      const needed = !cache.hasIndex(d) || (opts.needBytes?.has(d) && !cache.layers.has(d));
      if (!needed) return;
      const job = jobs.get(d);
      if (job) job.users.push(i);
      else jobs.set(d, { chainId: chains[k], users: [i] });
    });
  }
  const queue = [...jobs];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [diffId, { chainId, users }] = next;
      if (users.every((i) => out.skipped.has(i))) continue;
      try {
        const layer = await readLayer(storage, chainId, diffId, opts);
        if (layer) out.indexed.set(diffId, layer);
      } catch (e) {
        for (const i of users) skip(i, e);
      }
    }
  };
  // Every worker settles before this returns or throws: a cancel must not leave one still writing into the cache.
  const settled = await Promise.allSettled(Array.from({ length: PARALLEL_LAYERS }, worker));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const i of out.skipped.keys()) out.images.delete(i);
  return out;
}

async function storedImage(storage: EngineStorage, info: DaemonImage, signal: AbortSignal | undefined): Promise<LayoutImage> {
  const configBytes = await storage.config(info.id, signal);
  const digest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
  if (digest !== info.id) throw new CompareError('badArchive', `${storage.description}: the stored config of ${info.id.slice(0, 19)} hashes to ${digest.slice(0, 19)}`);
  // Checked as an archive's config is (the fields we read, their types, its depth): the store is the engine's, the config an image's.
  const config = parseConfig(configBytes, storage.description, `the stored config of ${info.id.slice(0, 19)}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.join() !== info.diffIds.join()) throw new CompareError('badArchive', `${storage.description}: the stored config of ${info.id.slice(0, 19)} lists other layers than the engine reports`);
  return { names: info.repoTags, id: info.id, configBytes, config, layers: diffIds.map(() => ({ path: '' })), diffIds };
}

/** Rebuilds one layer; indexes it unless its index is cached, and stores its bytes when they are needed. */
async function readLayer(storage: EngineStorage, chainId: string, diffId: string, opts: StorageReadOptions): Promise<ProcessedLayer | undefined> {
  const { cache, signal } = opts;
  const stored = await storage.layer(chainId, signal);
  const where = `${storage.description}: layer ${diffId.slice(7, 19)}`;
  if (stored.diffId !== diffId) throw new CompareError('badArchive', `${where}: the engine's record under chain ${chainId.slice(7, 19)} is of layer ${stored.diffId.slice(0, 19)}`);
  const files = await stored.files();
  try {
    const tar = reassembleLayer(await stored.tarSplit(), files, { where, signal, onBytes: opts.onBytes });
    const writer = opts.needBytes?.has(diffId) && !cache.layers.has(diffId) ? cache.layers.createWriter() : undefined;
    if (cache.hasIndex(diffId)) {
      await storeBytes(tar, writer!, diffId, where, signal);
      return undefined;
    }
    // Hashed as processLayer reads it: that sha256 is the proof that the rebuilt tar is the layer.
    const layer = await processLayer(tar, { where, writer, signal });
    if (layer.diffId !== diffId) throw new CompareError('badArchive', `${where}: the rebuilt tar hashes to ${layer.diffId.slice(0, 19)}, not to its diffID`);
    await cache.writeIndex({ diffId, size: layer.size, entries: layer.entries });
    return layer;
  } finally {
    await files.close();
  }
}

/** Copies a rebuilt layer whose index is cached into the byte store, committed only if it hashes to `diffId`. */
async function storeBytes(tar: Readable, writer: LayerWriter, diffId: string, where: string, signal: AbortSignal | undefined): Promise<void> {
  const hash = createHash('sha256');
  try {
    for await (const c of tar) {
      throwIfAborted(signal);
      const chunk = c as Buffer;
      hash.update(chunk);
      const w = writer.write(chunk);
      if (w instanceof Promise) await w;
    }
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== diffId) throw new CompareError('badArchive', `${where}: the rebuilt tar hashes to ${got.slice(0, 19)}, not to its diffID`);
    await writer.commit(diffId);
  } catch (e) {
    await writer.abort();
    tar.destroy();
    throw e;
  }
}
