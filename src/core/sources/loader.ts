import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArchiveContents } from '../layers/layerProcessor';
import { readArchiveStream, readLayoutDir } from './archiveReader';
import { readFromStorage } from './engineStorage';
import type { Cache, CachedIndex } from '../layers/cache';
import { checkImageEntries, EntryBudget, nameChars } from '../layers/limits';
import type { Daemon, DaemonImage } from '../image/daemon';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';
import { historySteps } from '../image/history';
import { hostPlatform, parseConfig, selectImage, type LayoutImage, type Platform } from '../image/layout';
import type { FileEntry, ImageConfig, ImageModel, LayerInfo, SourceKind } from '../image/model';
import { parseImageReference, type ImageRef } from '../image/reference';
import { humanSize } from '../util/units';
import { readRegistryImage, RegistryClient, type RegistryOptions } from '../registry/client';
import { Transport } from '../registry/transport';

export interface LoadProgress {
  /** What is happening, for a status line: "Exporting 2 images from unix:///var/run/docker.sock". */
  message: string;
  bytes?: number;
  totalBytes?: number;
  /** The total is what the engine says the layers hold; the stream carries a little more (tar headers). */
  approximate?: boolean;
  /** Layers read so far, of how many. */
  layers?: { done: number; total: number };
}

/** A progress as one line, for the CLI's status line and the extension's notification alike. */
export function progressText(p: LoadProgress): string {
  const parts: string[] = [];
  if (p.layers) parts.push(`layer ${Math.min(p.layers.done + 1, p.layers.total)} of ${p.layers.total}`);
  if (p.bytes !== undefined) {
    const total = p.totalBytes ? ` of ${p.approximate ? 'about ' : ''}${humanSize(p.totalBytes)}` : '';
    parts.push(`${humanSize(p.totalBytes ? Math.min(p.bytes, p.totalBytes) : p.bytes)}${total}`);
  }
  return parts.length ? `${p.message} (${parts.join(', ')})` : p.message;
}

/** How far a progress is, 0 to 100, when it has a total; an approximate total stops short of 100 until the end. */
export function progressPercent(p: LoadProgress): number | undefined {
  if (!p.totalBytes || p.bytes === undefined) return undefined;
  return Math.min(p.approximate ? 99 : 100, (100 * p.bytes) / p.totalBytes);
}

/**
 * What an export of these images will send, from the engine's history
 * (each step's size, oldest first): the layers' sizes by diffID, each
 * layer counted once however many of the images share it. Undefined when
 * the history cannot be matched to the layers (then there is no total).
 */
export function expectedExport(images: ReadonlyArray<{ diffIds: readonly string[]; history?: ReadonlyArray<{ size: number }>; size?: number }>): { bytes?: number; layers: number } {
  const layers = new Set(images.flatMap((i) => i.diffIds)).size;
  const sizes = new Map<string, number>();
  let aligned = true;
  for (const img of images) {
    // The steps that wrote something are the layers, in order, when there are as many (a layer of 0 bytes would break the count).
    const written = (img.history ?? []).map((h) => h.size).filter((n) => n > 0);
    if (!img.history || written.length !== img.diffIds.length) aligned = false;
    else img.diffIds.forEach((d, i) => sizes.set(d, written[i]));
  }
  if (aligned) return { bytes: [...sizes.values()].reduce((n, x) => n + x, 0), layers };
  // Else the images' own sizes: exact for one image, more than the export for two that share layers.
  const total = images.reduce<number | undefined>((n, i) => (n === undefined || i.size === undefined ? undefined : n + i.size), 0);
  return { ...(total ? { bytes: total } : {}), layers };
}

export type LoadAction = 'export' | 'storage' | 'read' | 'cache' | 'download';

export interface LoadOptions {
  cache: Cache;
  /** Needed only when a reference names a daemon image (so the client library loads only then). */
  daemon?: () => Daemon | Promise<Daemon>;
  platform?: Platform;
  signal?: AbortSignal;
  /** Make sure every layer's bytes are in the layer store (to read files), not only its index. */
  needBytes?: boolean;
  onProgress?: (p: LoadProgress) => void;
  /**
   * Told once per source whether it had to be read or came from the cache (for tests and --debug);
   * 'storage': read from the engine's layer store, without an export (the fast path).
   */
  onSource?: (s: { ref: string; action: LoadAction }) => void;
  /**
   * Read daemon images from the engine's layer store when the engine allows
   * it (see sources/engineStorage.ts) instead of exporting them. Default
   * true; the CLI's --no-fast-path and the extension's setting turn it off.
   */
  fastPath?: boolean;
  /** Things worth telling that are not errors: why the fast path was not taken (info), what its cleanup left behind (warning). */
  onNote?: (n: { level: 'info' | 'warning'; message: string }) => void;
  /**
   * Plain references (`host:5000/app:ci`, what would name a daemon image) name
   * images in a registry: true for every reference, or one flag per reference.
   * `registry://HOST[:PORT]/REPO:TAG` is always a registry image.
   */
  remote?: boolean | readonly boolean[];
  /** How registries are reached: insecure hosts, extra CAs, the docker config for credentials, retries. */
  registry?: RegistryOptions;
  /**
   * Only these layers' bytes are needed (by diffID; to read a file of one
   * layer): a registry image fetches just these. Local sources read every
   * layer's bytes then, as with needBytes.
   */
  needLayerBytes?: readonly string[];
}

/**
 * Loads images by reference with every layer indexed. Daemon images whose
 * layers and config are all cached are not exported at all (inspect gives
 * the diffIDs); the others are exported together in one export, so layers
 * they share cross the socket once. Registry images download only the
 * layers whose diffID is not indexed yet. Archives and layouts are read once
 * each, however many references point into them.
 */
export async function loadImages(refs: readonly string[], options: LoadOptions): Promise<ImageModel[]> {
  const remote = (i: number) => (Array.isArray(options.remote) ? !!options.remote[i] : options.remote === true);
  const parsed = refs.map((r, i) => parseImageReference(r, { remote: remote(i) }));
  const platform = options.platform ?? hostPlatform();
  const out: Array<ImageModel | undefined> = new Array(refs.length);
  // What the load keeps of layer indexes is bounded: each image may reach the per-image limits (layers/limits.ts).
  const budget = new EntryBudget(refs.length);
  const opts: Loading = { ...(options.needLayerBytes?.length && !options.needBytes ? { ...options, needBytes: true } : options), budget, read: new Map() };
  let sawByte = false;
  const firstByte = (): void => {
    if (!sawByte) markPhase('first-byte');
    sawByte = true;
  };

  const daemonIdx = parsed.flatMap((r, i) => (r.kind === 'daemon' ? [i] : []));
  if (daemonIdx.length) {
    if (!opts.daemon) throw new CompareError('badArgument', 'A daemon image was named but no Docker engine is configured');
    const daemon = await opts.daemon();
    opts.onProgress?.({ message: `Inspecting ${daemonIdx.map((i) => refs[i]).join(', ')} at ${daemon.endpoint}` });
    const names = daemonIdx.map((i) => (parsed[i] as { name: string }).name);
    const inspecting = Promise.all(names.map((name) => daemon.inspect(name, opts.signal)));
    // While the engine answers, the indexes these names had when last read are read ahead (a warm
    // compare otherwise waits for it, ~8 ms of ~160 on the bench pair); the answer decides which are used.
    opts.ahead = readRecentAhead(names, opts);
    const inspected = await inspecting;
    let toExport: number[] = [];
    for (const [k, i] of daemonIdx.entries()) {
      const warm = await fromCache(parsed[i], inspected[k], opts);
      if (warm) {
        out[i] = warm;
        opts.onSource?.({ ref: refs[i], action: 'cache' });
      } else toExport.push(k);
    }
    if (toExport.length && opts.fastPath !== false && daemon.storage) {
      const served = await fromStorage(daemon, toExport.map((k) => inspected[k]), opts, firstByte, (j, image, contents) => {
        const k = toExport[j];
        const i = daemonIdx[k];
        return toModel(parsed[i], 'daemon', refs[i], inspected[k].repoTags, image, contents, opts, inspected[k].size).then((m) => {
          out[i] = m;
          opts.onSource?.({ ref: refs[i], action: 'storage' });
        });
      });
      toExport = toExport.filter((_, j) => !served.has(j));
    }
    if (toExport.length) {
      // Export by id: a tag may move between inspect and export; the id cannot.
      const ids = [...new Set(toExport.map((k) => inspected[k].id))];
      const exported = ids.map((id) => inspected.find((x) => x.id === id)!);
      // Asked for first: the engine prepares the whole export before its first byte, and every
      // moment before the request reaches it is added to the compare (`docker save` asks at once).
      const answer = daemon.export(ids, opts.signal);
      answer.catch(() => undefined); // awaited below, after the histories; a failure meanwhile is not unhandled
      // How much will come, while the engine prepares it.
      const histories = daemon.history ? await Promise.all(exported.map((x) => daemon.history!(x.id, opts.signal).catch(() => undefined))) : [];
      const expected = expectedExport(exported.map((x, i) => ({ diffIds: x.diffIds, ...(histories[i] ? { history: histories[i] } : {}), ...(x.size !== undefined ? { size: x.size } : {}) })));
      const message = `Exporting ${toExport.map((k) => refs[daemonIdx[k]]).join(' and ')} from ${daemon.endpoint}`;
      const layers = { done: 0, total: expected.layers };
      let bytesRead = 0;
      const tell = () => opts.onProgress?.({ message, bytes: bytesRead, layers: { ...layers }, ...(expected.bytes ? { totalBytes: expected.bytes, approximate: true } : {}) });
      tell();
      const stream = await answer;
      const where = `the export from ${daemon.endpoint}`;
      const contents = await readArchiveStream(stream, {
        where,
        budget,
        trustDiffIds: true,
        platform,
        cache: opts.cache,
        signal: opts.signal,
        needBytes: opts.needBytes ? new Set(toExport.flatMap((k) => inspected[k].diffIds)) : undefined,
        onProgress: (bytes) => {
          firstByte();
          bytesRead = bytes;
          tell();
        },
        onLayer: () => {
          layers.done++;
          tell();
        },
      });
      for (const k of toExport) {
        const i = daemonIdx[k];
        const image = contents.images.find((img) => img.id === inspected[k].id);
        if (!image) throw new CompareError('daemon', `${where} does not contain ${refs[i]} (${inspected[k].id.slice(0, 19)})`);
        await opts.cache.writeConfig(image.id, image.configBytes);
        out[i] = await toModel(parsed[i], 'daemon', refs[i], inspected[k].repoTags, image, contents, opts, inspected[k].size);
        opts.onSource?.({ ref: refs[i], action: 'export' });
      }
    }
    // A hint for the next load: a failure to write it loses nothing.
    await opts.cache.rememberLayers(names.map((name, k) => [name, inspected[k].diffIds] as const)).catch(() => undefined);
  }

  // Registry images, after the daemon's (whose export may have indexed layers they share), one at a time
  // so that a layer two of them share is downloaded once; one client per registry keeps its login.
  const registryIdx = parsed.flatMap((r, i) => (r.kind === 'registry' ? [i] : []));
  if (registryIdx.length) {
    const transport = new Transport(options.registry);
    const clients = new Map<string, RegistryClient>();
    const need = options.needBytes ? ALL : options.needLayerBytes?.length ? new Set(options.needLayerBytes) : undefined;
    try {
      for (const i of registryIdx) {
        throwIfAborted(opts.signal);
        const r = parsed[i] as Extract<ImageRef, { kind: 'registry' }>;
        let client = clients.get(r.registry);
        if (!client) clients.set(r.registry, (client = new RegistryClient(r.registry, transport, options.registry)));
        const got = await readRegistryImage(client, r, { cache: opts.cache, platform, signal: opts.signal, needBytes: need, onProgress: opts.onProgress, budget }, options.registry?.concurrency);
        const model = await toModel(r, 'registry', r.name, [r.name], got.image, got.contents, opts);
        model.repoDigest = `${r.registry}/${r.repository}@${got.manifestDigest}`;
        out[i] = model;
        opts.onSource?.({ ref: refs[i], action: got.downloadedLayers ? 'download' : 'cache' });
      }
    } finally {
      transport.close();
    }
  }

  // Archives and layouts: group references by file so each is read once.
  const groups = new Map<string, number[]>();
  parsed.forEach((r, i) => {
    if (r.kind !== 'daemon' && r.kind !== 'registry') groups.set(`${r.kind}\0${r.path}`, [...(groups.get(`${r.kind}\0${r.path}`) ?? []), i]);
  });
  for (const idx of groups.values()) {
    throwIfAborted(opts.signal);
    const r = parsed[idx[0]] as LocalRef;
    const contents = await readSource(r, platform, opts);
    for (const i of idx) {
      const ri = parsed[i] as LocalRef;
      const where = ri.path;
      const image = selectImage(contents.images, ri.name, where);
      out[i] = await toModel(ri, sourceKind(ri), ri.name ?? image.names[0] ?? basename(ri.path), image.names, image, contents, opts);
      opts.onSource?.({ ref: refs[i], action: 'read' });
    }
  }
  markPhase('loaded');
  return out as ImageModel[];
}

/**
 * A performance mark for the bench's profile (scripts/bench.mjs reads them
 * at exit): when the first byte of an export or of a rebuilt layer arrived,
 * when the images were in hand. One entry per name, the latest.
 */
export function markPhase(name: 'first-byte' | 'loaded' | 'analysed' | 'written'): void {
  performance.clearMarks(`container-compare:${name}`);
  performance.mark(`container-compare:${name}`);
}

/**
 * The fast path: daemon images read from the engine's layer store, each
 * handed to `accept` as it is; returns which (by index in `images`) were.
 * The others are exported: the store cannot be read (driver, remote engine,
 * refused bind), or a layer in it could not be proven to be the layer.
 */
async function fromStorage(
  daemon: Daemon,
  images: DaemonImage[],
  opts: LoadOptions,
  firstByte: () => void,
  accept: (j: number, image: LayoutImage, contents: ArchiveContents) => Promise<void>,
): Promise<Set<number>> {
  const served = new Set<number>();
  const access = await daemon.storage!({ imageIds: images.map((x) => x.id), spillDir: opts.cache.layers.dir, cacheDir: opts.cache.dir, signal: opts.signal });
  if ('unavailable' in access) {
    if (access.required) throw new CompareError('unsupported', `Cannot read images from the engine's layer store: ${access.unavailable}`);
    opts.onNote?.({ level: 'info', message: `Exporting instead of reading the engine's layer store: ${access.unavailable}` });
    return served;
  }
  const { storage } = access;
  try {
    opts.onProgress?.({ message: `Reading ${images.length === 1 ? 'the image' : `${images.length} images`} from ${storage.description}`, bytes: 0 });
    let bytes = 0;
    const got = await readFromStorage(storage, images, {
      cache: opts.cache,
      signal: opts.signal,
      needBytes: bytesNeeded(images, opts),
      required: access.required,
      onBytes: (n) => {
        if (!bytes) firstByte();
        bytes += n;
        opts.onProgress?.({ message: `Reading layers from ${storage.description}`, bytes });
      },
    });
    for (const [j, image] of got.images) {
      await opts.cache.writeConfig(image.id, image.configBytes);
      await accept(j, image, { images: [image], indexed: got.indexed });
      served.add(j);
    }
    for (const [j, why] of got.skipped) opts.onNote?.({ level: 'info', message: `Exporting ${images[j].id.slice(0, 19)} instead of reading the engine's layer store: ${why}` });
  } finally {
    for (const message of await storage.close()) opts.onNote?.({ level: 'warning', message });
  }
  return served;
}

/** The layers whose bytes a load must leave in the store: those asked for, or every layer with needBytes. */
function bytesNeeded(images: readonly DaemonImage[], opts: LoadOptions): ReadonlySet<string> | undefined {
  if (opts.needLayerBytes?.length) return new Set(opts.needLayerBytes);
  return opts.needBytes ? new Set(images.flatMap((x) => x.diffIds)) : undefined;
}

/** An archive or a layout on this machine. */
type LocalRef = Exclude<ImageRef, { kind: 'daemon' | 'registry' }>;

function sourceKind(r: ImageRef): SourceKind {
  return r.kind === 'oci' ? 'oci' : r.kind === 'oci-archive' ? 'oci-archive' : 'docker-archive';
}

/** LoadOptions with what one loadImages call shares between its sources. */
interface Loading extends LoadOptions {
  budget: EntryBudget;
  /** Indexes read from the cache in this load, by diffID: images that share a layer share its index. */
  read: Map<string, { entries: FileEntry[]; size: number }>;
  /** Indexes being read ahead, by diffID (readRecentAhead()). */
  ahead?: Promise<Map<string, Promise<CachedIndex | undefined>>>;
}

/** Starts reading the cached indexes of the layers `names` had when last read (Cache.recentLayers()); never rejects. */
async function readRecentAhead(names: readonly string[], opts: Loading): Promise<Map<string, Promise<CachedIndex | undefined>>> {
  const ahead = new Map<string, Promise<CachedIndex | undefined>>();
  for (const d of await opts.cache.recentLayers(names).catch(() => [] as string[])) {
    if (!opts.cache.hasIndex(d)) continue;
    const p = opts.cache.readIndex(d);
    // One nobody asks for in the end must not become an unhandled rejection.
    p.catch(() => undefined);
    ahead.set(d, p);
  }
  return ahead;
}

async function readSource(r: LocalRef, platform: Platform, opts: Loading): Promise<ArchiveContents> {
  const base = { where: r.path, platform, cache: opts.cache, signal: opts.signal, needBytes: opts.needBytes ? ALL : undefined, budget: opts.budget };
  const st = await stat(r.path).catch((e: NodeJS.ErrnoException) => {
    throw new CompareError(e.code === 'ENOENT' ? 'unknownImage' : 'io', `${r.raw}: cannot open ${r.path} (${e.code ?? messageOf(e)})`);
  });
  if (r.kind === 'oci' || st.isDirectory()) {
    opts.onProgress?.({ message: `Reading the OCI layout ${r.path}` });
    return readLayoutDir(r.path, base);
  }
  opts.onProgress?.({ message: `Reading ${r.path}`, bytes: 0, totalBytes: st.size });
  return readArchiveStream(createReadStream(r.path), {
    ...base,
    onProgress: (bytes) => opts.onProgress?.({ message: `Reading ${r.path}`, bytes, totalBytes: st.size }),
  });
}

/** A set that contains everything: "every layer's bytes are needed". */
const ALL: ReadonlySet<string> = { has: () => true } as unknown as ReadonlySet<string>;

/** Cached index files read ahead of the one being decoded. */
const READ_AHEAD_INDEXES = 4;

/**
 * The cached indexes of `diffIds`, each read once however often the image
 * lists it, taken from the load's budget as they come; undefined when one is
 * missing.
 */
async function cachedIndexes(diffIds: readonly string[], opts: Loading, fresh?: ArchiveContents['indexed']): Promise<Array<{ entries: FileEntry[]; size: number }> | undefined> {
  const byId = opts.read;
  // Files are read a few ahead (the thread pool has four threads) and decoded in order as they come.
  const todo = [...new Set(diffIds.filter((d) => !byId.has(d) && !fresh?.has(d)))];
  const reading = new Map<string, Promise<CachedIndex | undefined>>();
  const ahead = await opts.ahead;
  const readAhead = (from: number) => {
    for (const d of todo.slice(from, from + READ_AHEAD_INDEXES)) {
      if (reading.has(d)) continue;
      const p = ahead?.get(d) ?? opts.cache.readIndex(d);
      // One left behind by an early return must not become an unhandled rejection; the awaited one still throws.
      p.catch(() => undefined);
      reading.set(d, p);
    }
  };
  for (const d of diffIds) {
    if (byId.has(d)) continue;
    const layer = fresh?.get(d);
    if (layer) {
      byId.set(d, { entries: layer.entries, size: layer.size });
      continue;
    }
    readAhead(todo.indexOf(d));
    const idx = await reading.get(d);
    if (!idx) return undefined;
    opts.budget.take(`the cached index of layer ${d}`, idx.entries.length, nameChars(idx.entries));
    byId.set(d, idx);
  }
  return diffIds.map((d) => byId.get(d)!);
}

async function fromCache(r: ImageRef, info: DaemonImage, opts: Loading): Promise<ImageModel | undefined> {
  if (!info.diffIds.every((d) => opts.cache.hasIndex(d))) return undefined;
  const need = bytesNeeded([info], opts);
  if (need && !info.diffIds.every((d) => !need.has(d) || opts.cache.layers.has(d))) return undefined;
  const configBytes = await opts.cache.readConfig(info.id);
  if (!configBytes) return undefined;
  let config: ImageConfig;
  try {
    config = parseConfig(configBytes, 'the cache', `config ${info.id}`);
  } catch {
    return undefined; // export it again: reading the export explains what is wrong with it
  }
  const found = await cachedIndexes(info.diffIds, opts);
  if (!found) return undefined;
  const indexes = found.map((x) => x.entries);
  const sizes = found.map((x) => x.size);
  return buildModel({ ref: r.raw, name: r.kind === 'daemon' ? r.name : r.raw, id: info.id, source: 'daemon', repoTags: info.repoTags, config, diffIds: info.diffIds, indexes, sizes, engineSize: info.size });
}

async function toModel(
  r: ImageRef,
  source: SourceKind,
  name: string,
  repoTags: string[],
  image: LayoutImage,
  contents: ArchiveContents,
  opts: Loading,
  engineSize?: number,
): Promise<ImageModel> {
  const found = await cachedIndexes(image.diffIds, opts, contents.indexed);
  if (!found) throw new CompareError('io', `An index of a layer of ${r.raw} vanished from the cache while reading it`);
  const indexes = found.map((x) => x.entries);
  const sizes = found.map((x) => x.size);
  return buildModel({
    ref: r.raw,
    name: r.kind === 'daemon' ? r.name : name,
    id: image.id,
    source,
    repoTags,
    config: image.config,
    diffIds: image.diffIds,
    indexes,
    sizes,
    engineSize,
    blobs: image.layers.map((l, i) => {
      const fresh = contents.indexed.get(image.diffIds[i]);
      return { digest: l.digest ?? (fresh && fresh.compression !== 'none' ? fresh.digest : undefined), mediaType: l.mediaType, compressedSize: l.size ?? fresh?.compressedSize };
    }),
  });
}

interface ModelParts {
  ref: string;
  name: string;
  id: string;
  source: SourceKind;
  repoTags: string[];
  config: ImageConfig;
  diffIds: string[];
  indexes: FileEntry[][];
  sizes: number[];
  /** `image inspect`'s Size, for an image of the engine. */
  engineSize?: number;
  blobs?: Array<{ digest?: string; mediaType?: string; compressedSize?: number }>;
}

/** Entries that are not directories (a count: no array of them). */
function fileCount(entries: readonly FileEntry[]): number {
  let n = 0;
  for (const e of entries) if (e.type !== 'dir') n++;
  return n;
}

function buildModel(p: ModelParts): ImageModel {
  // A layer listed many times is one index in memory, but every merged view works through each listing.
  checkImageEntries(p.ref, p.indexes);
  const history = historySteps(p.config, p.diffIds.length);
  const byLayer = new Map(history.filter((h) => h.layerIndex !== undefined).map((h) => [h.layerIndex!, h]));
  const layers: LayerInfo[] = p.diffIds.map((diffId, index) => {
    const h = byLayer.get(index);
    const blob = p.blobs?.[index];
    const layer: LayerInfo = {
      index,
      diffId,
      size: p.sizes[index],
      createdBy: h?.createdBy ?? '',
      instruction: h?.instruction ?? '(no history)',
      builder: h?.builder ?? 'unknown',
      fileCount: fileCount(p.indexes[index]),
    };
    if (blob?.digest) layer.digest = blob.digest;
    if (blob?.mediaType) layer.mediaType = blob.mediaType;
    if (blob?.compressedSize !== undefined) layer.compressedSize = blob.compressedSize;
    if (h?.comment) layer.comment = h.comment;
    return layer;
  });
  const model: ImageModel = { ref: p.ref, name: p.name, id: p.id, source: p.source, repoTags: p.repoTags, config: p.config, layers, history, indexes: p.indexes };
  if (p.engineSize !== undefined) model.engineSize = p.engineSize;
  return model;
}
