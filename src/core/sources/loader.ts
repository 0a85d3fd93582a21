import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArchiveContents } from '../layers/layerProcessor';
import { readArchiveStream, readLayoutDir } from './archiveReader';
import type { Cache } from '../layers/cache';
import { checkImageEntries, EntryBudget } from '../layers/limits';
import type { Daemon, DaemonImage } from '../image/daemon';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';
import { historySteps } from '../image/history';
import { hostPlatform, parseConfig, selectImage, type LayoutImage, type Platform } from '../image/layout';
import type { FileEntry, ImageConfig, ImageModel, LayerInfo, SourceKind } from '../image/model';
import { parseImageReference, type ImageRef } from '../image/reference';
import { readRegistryImage, RegistryClient, type RegistryOptions } from '../registry/client';
import { Transport } from '../registry/transport';

export interface LoadProgress {
  /** What is happening, for a status line: "Exporting 2 images from unix:///var/run/docker.sock". */
  message: string;
  bytes?: number;
  totalBytes?: number;
}

export interface LoadOptions {
  cache: Cache;
  /** Needed only when a reference names a daemon image (so the client library loads only then). */
  daemon?: () => Daemon | Promise<Daemon>;
  platform?: Platform;
  signal?: AbortSignal;
  /** Make sure every layer's bytes are in the layer store (to read files), not only its index. */
  needBytes?: boolean;
  onProgress?: (p: LoadProgress) => void;
  /** Told once per source whether it had to be read or came from the cache (for tests and --debug). */
  onSource?: (s: { ref: string; action: 'export' | 'read' | 'cache' | 'download' }) => void;
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

  const daemonIdx = parsed.flatMap((r, i) => (r.kind === 'daemon' ? [i] : []));
  if (daemonIdx.length) {
    if (!opts.daemon) throw new CompareError('badArgument', 'A daemon image was named but no Docker engine is configured');
    const daemon = await opts.daemon();
    opts.onProgress?.({ message: `Inspecting ${daemonIdx.map((i) => refs[i]).join(', ')} at ${daemon.endpoint}` });
    const inspected = await Promise.all(daemonIdx.map((i) => daemon.inspect((parsed[i] as { name: string }).name, opts.signal)));
    const toExport: number[] = [];
    for (const [k, i] of daemonIdx.entries()) {
      const warm = await fromCache(parsed[i], inspected[k], opts);
      if (warm) {
        out[i] = warm;
        opts.onSource?.({ ref: refs[i], action: 'cache' });
      } else toExport.push(k);
    }
    if (toExport.length) {
      // Export by id: a tag may move between inspect and export; the id cannot.
      const ids = [...new Set(toExport.map((k) => inspected[k].id))];
      opts.onProgress?.({ message: `Exporting ${toExport.map((k) => refs[daemonIdx[k]]).join(' and ')} from ${daemon.endpoint}` });
      const stream = await daemon.export(ids, opts.signal);
      const where = `the export from ${daemon.endpoint}`;
      const contents = await readArchiveStream(stream, {
        where,
        budget,
        trustDiffIds: true,
        platform,
        cache: opts.cache,
        signal: opts.signal,
        needBytes: opts.needBytes ? new Set(toExport.flatMap((k) => inspected[k].diffIds)) : undefined,
        onProgress: (bytes) => opts.onProgress?.({ message: `Reading the export from ${daemon.endpoint}`, bytes }),
      });
      for (const k of toExport) {
        const i = daemonIdx[k];
        const image = contents.images.find((img) => img.id === inspected[k].id);
        if (!image) throw new CompareError('daemon', `${where} does not contain ${refs[i]} (${inspected[k].id.slice(0, 19)})`);
        await opts.cache.writeConfig(image.id, image.configBytes);
        out[i] = await toModel(parsed[i], 'daemon', refs[i], inspected[k].repoTags, image, contents, opts);
        opts.onSource?.({ ref: refs[i], action: 'export' });
      }
    }
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
  return out as ImageModel[];
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

/**
 * The cached indexes of `diffIds`, each read once however often the image
 * lists it, taken from the load's budget as they come; undefined when one is
 * missing.
 */
async function cachedIndexes(diffIds: readonly string[], opts: Loading, fresh?: ArchiveContents['indexed']): Promise<Array<{ entries: FileEntry[]; size: number }> | undefined> {
  const byId = opts.read;
  for (const d of diffIds) {
    if (byId.has(d)) continue;
    const layer = fresh?.get(d);
    if (layer) {
      byId.set(d, { entries: layer.entries, size: layer.size });
      continue;
    }
    const idx = await opts.cache.readIndex(d);
    if (!idx) return undefined;
    opts.budget.take(`the cached index of layer ${d}`, idx.entries.length, idx.entries.reduce((n, e) => n + e.path.length + (e.linkTarget?.length ?? 0), 0));
    byId.set(d, idx);
  }
  return diffIds.map((d) => byId.get(d)!);
}

async function fromCache(r: ImageRef, info: DaemonImage, opts: Loading): Promise<ImageModel | undefined> {
  if (!info.diffIds.every((d) => opts.cache.hasIndex(d))) return undefined;
  if (opts.needBytes && !info.diffIds.every((d) => opts.cache.layers.has(d))) return undefined;
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
  return buildModel({ ref: r.raw, name: r.kind === 'daemon' ? r.name : r.raw, id: info.id, source: 'daemon', repoTags: info.repoTags, config, diffIds: info.diffIds, indexes, sizes });
}

async function toModel(
  r: ImageRef,
  source: SourceKind,
  name: string,
  repoTags: string[],
  image: LayoutImage,
  contents: ArchiveContents,
  opts: Loading,
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
  blobs?: Array<{ digest?: string; mediaType?: string; compressedSize?: number }>;
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
      fileCount: p.indexes[index].filter((e) => e.type !== 'dir').length,
    };
    if (blob?.digest) layer.digest = blob.digest;
    if (blob?.mediaType) layer.mediaType = blob.mediaType;
    if (blob?.compressedSize !== undefined) layer.compressedSize = blob.compressedSize;
    if (h?.comment) layer.comment = h.comment;
    return layer;
  });
  return { ref: p.ref, name: p.name, id: p.id, source: p.source, repoTags: p.repoTags, config: p.config, layers, history, indexes: p.indexes };
}
