/**
 * Kinds of secret the indexer recognises in file content. Only the kind is
 * ever kept: never the value, nor where in the file it was.
 */
export type SecretKind =
  | 'privateKey' // -----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY----- followed by key material
  | 'awsAccessKey' // AKIA + 16 upper-case letters or digits
  | 'awsSecretKey' // aws_secret_access_key = ... (credential files)
  | 'githubToken' // ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 82
  | 'npmToken' // _authToken=... or an npm_ token (npm/yarn config files)
  | 'slackToken' // xoxb-/xoxp-/xoxa-/xoxr-/xoxs-...
  | 'password' // a literal password/secret/token assignment (credential files only)
  | 'dockerAuth'; // "auth": "..." in a docker config.json

export const SECRET_KINDS: readonly SecretKind[] = ['privateKey', 'awsAccessKey', 'awsSecretKey', 'githubToken', 'npmToken', 'slackToken', 'password', 'dockerAuth'];

/** Kinds of entries in a layer, after whiteouts have been recognised. */
export type EntryType =
  | 'file'
  | 'dir'
  | 'symlink'
  | 'hardlink'
  | 'char'
  | 'block'
  | 'fifo'
  | 'whiteout' // `.wh.NAME`: NAME (and below) deleted from lower layers
  | 'opaque'; // `.wh..wh..opq`: the directory hides everything below it from lower layers

export type LineEndings = 'lf' | 'crlf' | 'mixed' | 'none';

/** One entry of a layer's file index. Paths are absolute and normalised ("/etc/passwd"). */
export interface FileEntry {
  path: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Symlink target as written, or the absolute path a hardlink points to. */
  linkTarget?: string;
  /** sha256 (hex) of the content, for files and hardlinks. */
  sha256?: string;
  /** No NUL byte anywhere in the content. */
  text?: boolean;
  lineEndings?: LineEndings;
  /** sha256 of the content with every CRLF read as LF; only set when it differs from sha256. */
  lfSha256?: string;
  /** Offset of the content inside the uncompressed layer tar (for reading a file later). */
  offset?: number;
  /**
   * Kinds of secret found in the head of a text file while the layer was
   * indexed (private key, access tokens, credential assignments). The kind
   * only: the value is never stored.
   */
  secrets?: SecretKind[];
}

export type Builder = 'buildkit' | 'classic' | 'unknown';

/** One step of the image history, empty ones (ENV, CMD, ...) included. */
export interface HistoryStep {
  createdBy: string;
  /** Readable Dockerfile-like instruction derived from createdBy. */
  instruction: string;
  comment?: string;
  created?: string;
  emptyLayer: boolean;
  builder: Builder;
  /** Index into layers for steps that produced a layer. */
  layerIndex?: number;
}

export interface LayerInfo {
  index: number;
  diffId: string;
  /** Digest of the blob as stored (compressed) where the source knows it. */
  digest?: string;
  mediaType?: string;
  /** Size of the uncompressed layer tar in bytes. */
  size: number;
  compressedSize?: number;
  createdBy: string;
  instruction: string;
  comment?: string;
  builder: Builder;
  fileCount: number;
}

/** `snapshot`: a baseline recorded by `container-compare snapshot` (snapshot.ts), compared without the image. */
export type SourceKind = 'daemon' | 'docker-archive' | 'oci' | 'oci-archive' | 'registry' | 'snapshot';

/** Subset of the OCI image config we read; unknown fields are kept as they are. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[];
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object> | null;
    Volumes?: Record<string, object> | null;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    Healthcheck?: unknown;
    [k: string]: unknown;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: Array<{
    created?: string;
    created_by?: string;
    comment?: string;
    empty_layer?: boolean;
    author?: string;
  }>;
  [k: string]: unknown;
}

/** An image with every layer indexed. */
export interface ImageModel {
  /** The reference as the user wrote it. */
  ref: string;
  /** A short display name (repo:tag, archive file, ...). */
  name: string;
  /** Config digest ("sha256:..."), the image id. */
  id: string;
  source: SourceKind;
  repoTags: string[];
  /** For registry images: HOST/REPO@sha256:… of the manifest that was read, to fetch exactly this image again. */
  repoDigest?: string;
  config: ImageConfig;
  layers: LayerInfo[];
  history: HistoryStep[];
  /** File index of each layer, in layer order. */
  indexes: FileEntry[][];
  /**
   * The engine's own size of a local image (`image inspect`'s Size, what
   * `docker images` shows), or the size a snapshot recorded. Archives and
   * registries have none: see imageSize().
   */
  engineSize?: number;
}

/**
 * The one size of an image every output shows: the engine's where the image
 * is in one (or a snapshot recorded it), else the sum of its uncompressed
 * layers, the best an archive or a registry tells (a little more than an
 * engine reports for the same image: the layer tars' headers).
 */
export function imageSize(m: Pick<ImageModel, 'engineSize' | 'layers'>): number {
  return m.engineSize ?? m.layers.reduce((n, l) => n + l.size, 0);
}

/** What a hardlink shares with the file it links to: the content and where it is stored. */
export function contentOf(f: FileEntry): Pick<FileEntry, 'size' | 'sha256' | 'text' | 'lineEndings' | 'lfSha256' | 'offset' | 'secrets'> {
  const { size, sha256, text, lineEndings, lfSha256, offset, secrets } = f;
  return { size, sha256, text, lineEndings, lfSha256, offset, secrets };
}
