import type { Readable } from 'node:stream';

/** What `image inspect` tells about an image: enough to know its layers without exporting it. */
export interface DaemonImage {
  /** Config digest, "sha256:...". */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** RootFS.Layers: the diffIDs in order. */
  diffIds: string[];
  os?: string;
  architecture?: string;
  size?: number;
  created?: string;
}

/**
 * The engine's view of a Docker-compatible daemon. Implemented in src/docker
 * with dockerode; core depends only on this so it stays free of dockerode.
 */
export interface Daemon {
  /** The endpoint in use, as a user would write it (unix:///var/run/docker.sock). */
  readonly endpoint: string;
  /** Throws CompareError 'unknownImage' or 'daemonUnreachable'. */
  inspect(ref: string, signal?: AbortSignal): Promise<DaemonImage>;
  /** A `docker save` tar of all refs in one export (shared layers once). */
  export(refs: string[], signal?: AbortSignal): Promise<Readable>;
  /**
   * The image's history as the engine keeps it, oldest step first, with the
   * size of what each step wrote: how much an export will send, before it
   * sends anything. Optional: progress without it has no total.
   */
  history?(ref: string, signal?: AbortSignal): Promise<Array<{ size: number }>>;
  /**
   * The engine's layer store, when this client can read it without an
   * export (the fast path); absent on daemons that never can.
   */
  storage?(request: StorageRequest): Promise<StorageAccess>;
}

/**
 * The files of one layer as its storage driver keeps them (overlay2: the
 * layer's `diff` directory), read by the names its original tar gave them.
 */
export interface LayerFiles {
  /** The content of `name` (relative, as the layer tar names it), which must be exactly `size` bytes: whole (small files) or as a stream. */
  open(name: string, size: number): Promise<Buffer | Readable>;
  /** How many upcoming files may be opened before the current one is read (reading a directory tree in order allows none). */
  readonly lookahead: number;
  /** Frees what reading needed (temp files, the stream); never throws. */
  close(): Promise<void>;
}

/** One layer in the engine's layer store, by chain ID. */
export interface StoredLayer {
  /** The diffID the engine recorded for it (verified again by hashing what is rebuilt). */
  diffId: string;
  /** The layer's tar-split record (gzip'd JSON lines): the original tar's headers, padding and order. */
  tarSplit(): Promise<Readable>;
  files(): Promise<LayerFiles>;
}

/**
 * The engine's own store of local images, read without an export: an image's
 * config as stored, and each layer as its files plus the tar-split record
 * from which `docker save` itself rebuilds the layer tar. Implemented in
 * src/docker; see sources/engineStorage.ts for how it is used and checked.
 */
export interface EngineStorage {
  /** How the store is reached, for messages ("/var/lib/docker, read directly"). */
  readonly description: string;
  /** The config bytes of image `id` (sha256:...); their sha256 must be the id. */
  config(id: string, signal?: AbortSignal): Promise<Buffer>;
  layer(chainId: string, signal?: AbortSignal): Promise<StoredLayer>;
  /** Frees what reading needed (the helper container); never throws. Returns problems worth a warning. */
  close(): Promise<string[]>;
}

export interface StorageRequest {
  /** The images to be read (a helper container, if one is needed, is created from the first). */
  imageIds: string[];
  /** Where files that arrive out of order may be set aside for a moment. */
  spillDir: string;
  /** The cache folder: its key marks the helper containers as ours (src/docker/run/ownership.ts). */
  cacheDir: string;
  signal?: AbortSignal;
}

/** What Daemon.storage() gives: the store, or why it cannot be read (and whether the caller insisted). */
export type StorageAccess = { storage: EngineStorage; required: boolean } | { unavailable: string; required: boolean };
