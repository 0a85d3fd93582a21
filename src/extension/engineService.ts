import type * as vscode from 'vscode';
import { Cache } from '../core/layers/cache';
import { CompareError } from '../core/util/errors';
import { findFile, readFileBytes, type ImageFile } from '../core/layers/files';
import { FileTree } from '../core/layers/fileTree';
import { loadImages, type LoadProgress } from '../core/sources/loader';
import { MergedLookup } from '../core/layers/mergedDiff';
import type { ImageModel } from '../core/image/model';
import { parseReference } from '../core/image/reference';
import { RegistryClient, type RegistryOptions } from '../core/registry/client';
import { Transport } from '../core/registry/transport';
import { DaemonClient, type ImageSummary } from '../docker/daemonClient';
import { resolveEndpoint, type Endpoint } from '../docker/endpoint';
import { readSettings, type Settings } from './settings';

export interface LoadOpts {
  signal?: AbortSignal;
  /** Also make sure the layer bytes are in the cache (to read files). */
  needBytes?: boolean;
  /** Only these layers' bytes are needed (a registry image downloads just them). */
  needLayerBytes?: string[];
  onProgress?: (p: LoadProgress) => void;
}

const SOURCE_ACTIONS = {
  cache: 'from the cache',
  export: 'exported and indexed',
  storage: "read from the engine's layer store and indexed",
  read: 'read and indexed',
  download: 'downloaded (missing layers only) and indexed',
} as const;

/** Where each loaded image came from, so a restored editor can load it again after a reload. */
const SOURCES_KEY = 'containerCompare.imageSources';
const MAX_SOURCES = 200;
/** Image models and merged trees kept in memory; each is a few MB for a 1 GB image. */
const MAX_MODELS = 12;

/**
 * The extension's single door to the engine: the cache folder, the Docker
 * client for the configured endpoint, and the images loaded so far (by image
 * id). Tree views, the file system provider and commands all go through it,
 * so an image is exported at most once however many views ask for it.
 */
export class EngineService {
  private settingsCache: Settings | undefined;
  private readonly registryClients = new Map<string, RegistryClient>();
  private cachePromise: Promise<Cache> | undefined;
  private client: DaemonClient | undefined;
  private readonly models = new Map<string, ImageModel>();
  private readonly trees = new Map<string, FileTree>();
  private readonly lookups = new Map<string, MergedLookup>();
  private readonly inFlight = new Map<string, Promise<ImageModel[]>>();

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  settings(): Settings {
    return (this.settingsCache ??= readSettings());
  }

  /**
   * Reads the settings again; with 'all', also forgets what depends on them
   * (engine client, cache folder, loaded images).
   */
  reset(what: 'settings' | 'all'): void {
    this.settingsCache = undefined;
    if (what === 'settings') return;
    this.cachePromise = undefined;
    this.client = undefined;
    this.registryClients.clear();
    this.models.clear();
    this.trees.clear();
    this.lookups.clear();
    this.inFlight.clear();
  }

  cache(): Promise<Cache> {
    if (!this.cachePromise) {
      const s = this.settings();
      this.log.info(`Cache folder ${s.cacheDir} (layer bytes bounded to ${s.cacheMaxBytes} bytes)`);
      this.cachePromise = Cache.open(s.cacheDir, s.cacheMaxBytes).catch((e: unknown) => {
        this.cachePromise = undefined;
        throw new CompareError('io', `Cannot open the cache folder ${s.cacheDir}: ${(e as Error).message}`, { cause: e });
      });
    }
    return this.cachePromise;
  }

  /** The endpoint the settings and environment choose (throws CompareError for a malformed one). */
  endpoint(): Endpoint {
    return resolveEndpoint({ host: this.settings().dockerHost });
  }

  /** The endpoint as text for messages, even when it cannot be resolved. */
  endpointLabel(): string {
    try {
      const e = this.endpoint();
      return e.source === 'default' ? e.url : `${e.url} (from ${e.source === 'context' ? `docker context ${e.contextName}` : e.source === 'option' ? 'containerCompare.dockerHost' : e.source})`;
    } catch (e) {
      return `an invalid endpoint (${(e as Error).message})`;
    }
  }

  /** How registries are reached, from the settings. */
  registryOptions(): RegistryOptions {
    const r = this.settings().registries;
    return { insecure: r.insecure, caFiles: r.caFiles, minRate: r.minRate, env: process.env, ...(r.dockerConfig ? { configDir: r.dockerConfig } : {}) };
  }

  /** A client for one registry (its tokens are kept while the settings stay). */
  registry(host: string): RegistryClient {
    let c = this.registryClients.get(host);
    if (!c) {
      const opts = this.registryOptions();
      this.registryClients.set(host, (c = new RegistryClient(host, new Transport(opts), opts)));
    }
    return c;
  }

  daemon(): DaemonClient {
    return (this.client ??= new DaemonClient(this.endpoint()));
  }

  listImages(signal?: AbortSignal): Promise<ImageSummary[]> {
    return this.daemon().listImages(signal);
  }

  /**
   * Loads and indexes images by reference (daemon names, archives, layouts).
   * References to the daemon are exported together, in one export. The same
   * request made twice at once shares one load.
   */
  async load(refs: string[], opts: LoadOpts = {}): Promise<ImageModel[]> {
    refs.forEach(parseReference); // bad syntax fails before any work
    const key = `${opts.needBytes ? 'bytes' : 'index'}\0${refs.join('\0')}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.doLoad(refs, opts).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async doLoad(refs: string[], opts: LoadOpts): Promise<ImageModel[]> {
    const s = this.settings();
    const cache = await this.cache();
    const started = Date.now();
    const models = await loadImages(refs, {
      cache,
      daemon: () => this.daemon(),
      platform: s.platform,
      signal: opts.signal,
      needBytes: opts.needBytes,
      ...(opts.needLayerBytes ? { needLayerBytes: opts.needLayerBytes } : {}),
      registry: this.registryOptions(),
      onProgress: opts.onProgress,
      onSource: (x) => this.log.info(`${x.ref}: ${SOURCE_ACTIONS[x.action]}`),
      fastPath: s.fastPath,
      onNote: (n) => (n.level === 'warning' ? this.log.warn(n.message) : this.log.info(n.message)),
    });
    this.log.info(`Loaded ${refs.join(', ')} in ${Date.now() - started} ms`);
    for (const [i, m] of models.entries()) {
      this.remember(m);
      // Found again by what cannot move: a daemon image by its id, a registry image by its
      // manifest digest; an archive only by its reference.
      const kind = parseReference(refs[i]).kind;
      await this.recordSource(m.id, kind === 'daemon' ? m.id : kind === 'registry' && m.repoDigest ? `registry://${m.repoDigest}` : refs[i]);
    }
    return models;
  }

  async loadOne(ref: string, opts: LoadOpts = {}): Promise<ImageModel> {
    return (await this.load([ref], opts))[0];
  }

  /** An image loaded in this session, by id. */
  image(id: string): ImageModel | undefined {
    return this.models.get(id);
  }

  /** An image by id, loading it again from where it came from when it is not in memory (after a reload). */
  async imageById(id: string, opts: LoadOpts = {}): Promise<ImageModel> {
    const m = this.models.get(id);
    if (m) return m;
    const source = this.state.get<Record<string, string>>(SOURCES_KEY, {})[id];
    if (!source) throw new CompareError('unknownImage', `Image ${id.slice(0, 19)} is not loaded; open it again from the Images view or Compare Images`);
    const loaded = await this.loadOne(source, opts);
    if (loaded.id !== id) throw new CompareError('unknownImage', `${source} is now image ${loaded.id.slice(0, 19)}, no longer ${id.slice(0, 19)}`);
    return loaded;
  }

  /** The merged filesystem of an image (built once per image). */
  tree(image: ImageModel): FileTree {
    return memo(this.trees, image.id, () => FileTree.merge(image.indexes));
  }

  /** Layer-by-layer lookups for an image (what a path was below a given layer). */
  lookup(image: ImageModel): MergedLookup {
    return memo(this.lookups, image.id, () => new MergedLookup(image.indexes));
  }

  /**
   * The bytes of a regular file, from the merged filesystem or one layer.
   * When the layer bytes are not in the cache (evicted, or only the index
   * was kept), the image is read again from its source first.
   */
  async readFile(image: ImageModel, file: ImageFile, signal?: AbortSignal): Promise<Buffer> {
    const cache = await this.cache();
    const diffId = image.layers[file.layer].diffId;
    if (!cache.layers.holds(diffId, file.entry)) {
      const source = this.state.get<Record<string, string>>(SOURCES_KEY, {})[image.id] ?? image.ref;
      this.log.info(`${file.path}: layer ${file.layer} bytes not cached; reading ${source} again`);
      // A registry image downloads just this layer; local sources are read whole.
      await this.loadOne(source, { signal, needLayerBytes: [diffId] });
    }
    return readFileBytes(cache, image, file);
  }

  /** findFile, with this image's merged tree and lookup (built once, not per file). */
  find(image: ImageModel, path: string, layer?: number): ImageFile {
    return findFile(image, path, layer, { tree: this.tree(image), lookup: this.lookup(image) });
  }

  private remember(m: ImageModel): void {
    this.models.delete(m.id);
    this.models.set(m.id, m);
    while (this.models.size > MAX_MODELS) {
      const oldest = this.models.keys().next().value as string;
      this.models.delete(oldest);
      this.trees.delete(oldest);
      this.lookups.delete(oldest);
    }
  }

  private async recordSource(id: string, ref: string): Promise<void> {
    const all = { ...this.state.get<Record<string, string>>(SOURCES_KEY, {}) };
    if (all[id] === ref) return;
    delete all[id];
    all[id] = ref;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_SOURCES))) delete all[k];
    await this.state.update(SOURCES_KEY, all);
  }
}

function memo<T>(m: Map<string, T>, key: string, make: () => T): T {
  let v = m.get(key);
  if (v === undefined) {
    v = make();
    m.set(key, v);
    if (m.size > MAX_MODELS) m.delete(m.keys().next().value as string);
  }
  return v;
}
