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
}
