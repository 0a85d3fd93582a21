import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Cache } from '../layers/cache';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';
import { processLayer, type ArchiveContents, type ProcessedLayer } from '../layers/layerProcessor';
import type { EntryBudget } from '../layers/limits';
import { readLayout, type BlobRef, type LayoutImage, type Platform } from '../image/layout';
import { findCredentials, parseChallenges, type Challenge, type CredentialLookup } from './auth';
import { DOCKER_HUB, formatRegistryName, type RegistryName } from '../image/registryName';
import { readBody, type Response, type Transport, type TransportOptions } from './transport';
import { TransferTooSlow } from './rate';

/** How registries are reached and logged into. Every field is optional; the defaults are Docker's. */
export interface RegistryOptions extends TransportOptions {
  /** The docker config folder (config.json: auths, credsStore, credHelpers). Default: $DOCKER_CONFIG, else ~/.docker. */
  configDir?: string;
  /** Layers downloaded at once (default 3, Docker's max-concurrent-downloads). */
  concurrency?: number;
}

/** As the loader's LoadProgress: a status line, and while layers download, compressed bytes of those layers. */
export interface RegistryProgress {
  message: string;
  bytes?: number;
  totalBytes?: number;
}

export interface RegistryReadOptions {
  cache: Cache;
  platform: Platform;
  signal?: AbortSignal;
  /** Layers (by diffID) whose bytes must be in the layer store: fetched even when indexed. */
  needBytes?: ReadonlySet<string>;
  onProgress?: (p: RegistryProgress) => void;
  /** What the load may still keep in memory of layer indexes (layers/limits.ts). */
  budget?: EntryBudget;
}

/** One image read from a registry: the layout-level image and the layers indexed for it now. */
export interface RegistryImage {
  contents: ArchiveContents;
  image: LayoutImage;
  /** sha256 of the manifest that was read (for a multi-platform tag: the platform's manifest). */
  manifestDigest: string;
  /** Layers downloaded for this image (0 when the cache had everything). */
  downloadedLayers: number;
  downloadedBytes: number;
}

const MANIFEST_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
};
const ACCEPT = Object.values(MANIFEST_TYPES).join(', ');
const INDEX_TYPES = new Set([MANIFEST_TYPES.ociIndex, MANIFEST_TYPES.dockerList]);
/** The distribution spec has registries accept manifests up to 4 MB; configs are small too. */
const MAX_MANIFEST = 4 * 2 ** 20;
const MAX_CONFIG = 16 * 2 ** 20;

/**
 * A client for one registry (OCI distribution API v2): pulls manifests and
 * blobs, answering 401 challenges with Basic credentials or the bearer-token
 * flow, with credentials from the docker config.
 */
export class RegistryClient {
  /** Where requests go: Docker Hub's API is registry-1.docker.io. */
  readonly host: string;
  private lookup?: Promise<CredentialLookup>;
  private basic?: string;
  private bearer?: Challenge;
  private readonly tokens = new Map<string, { header: string; until: number }>();

  constructor(
    readonly registry: string,
    readonly transport: Transport,
    private readonly opts: RegistryOptions = {},
  ) {
    this.host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
  }

  /** The docker config's credentials for this registry (looked up once). */
  credentials(signal?: AbortSignal): Promise<CredentialLookup> {
    this.lookup ??= findCredentials(this.registry, { configDir: this.opts.configDir, env: this.opts.env, signal });
    return this.lookup;
  }

  /**
   * GET `path` with pull access to `repository`; 401s are answered once.
   * Throws 'unauthorized' for a 401/403 that credentials cannot fix; other
   * statuses are the caller's to judge.
   */
  async get(repository: string, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    return this.getScoped(`repository:${repository}:pull`, repository, path, headers, signal);
  }

  /** The tags of a repository (GET /v2/NAME/tags/list, following the Link header's pages), sorted. */
  async listTags(repository: string, signal?: AbortSignal): Promise<string[]> {
    const doc = await this.pages<{ tags?: string[] | null }>(`repository:${repository}:pull`, repository, `/v2/${repository}/tags/list?n=${PAGE}`, signal);
    if (!doc) throw new CompareError('unknownImage', `${this.registry} has no repository ${repository}`);
    return doc.flatMap((d) => d.tags ?? []).sort();
  }

  /**
   * The repositories the registry lists (GET /v2/_catalog). Undefined when
   * it does not allow listing: Docker Hub and most hosted registries refuse
   * it, and that is not an error.
   */
  async catalog(signal?: AbortSignal): Promise<string[] | undefined> {
    try {
      const doc = await this.pages<{ repositories?: string[] | null }>('registry:catalog:*', 'the catalog', `/v2/_catalog?n=${PAGE}`, signal);
      return doc?.flatMap((d) => d.repositories ?? []).sort();
    } catch (e) {
      if (e instanceof CompareError && e.reason === 'unauthorized') return undefined;
      throw e;
    }
  }

  /** Every page of a paginated listing; undefined for a 404 (nothing there, or no such endpoint). */
  private async pages<T>(scope: string, what: string, first: string, signal?: AbortSignal): Promise<T[] | undefined> {
    const out: T[] = [];
    for (let path: string | undefined = first; path && out.length < MAX_PAGES; ) {
      const res = await this.getScoped(scope, what, path, { Accept: 'application/json' }, signal);
      if (res.status === 404) {
        res.body.resume();
        return undefined;
      }
      const body = await readBody(res, 16 * 1024 * 1024, `${what} of ${this.registry}`);
      if (res.status !== 200) throw new CompareError('registry', `${this.registry} answered ${res.status} listing ${what}: ${errorDetail(body)}`);
      try {
        out.push(JSON.parse(body.toString('utf8')) as T);
      } catch {
        throw new CompareError('registry', `${this.registry} did not answer JSON listing ${what}`);
      }
      // <\/v2/_catalog?last=x&n=100>; rel="next": a path on the same registry.
      const link = res.headers.link;
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(Array.isArray(link) ? link.join(', ') : (link ?? ''))?.[1];
      path = next && next.startsWith('/v2/') ? next : undefined;
    }
    return out;
  }

  private async getScoped(scope: string, repository: string, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    let res = await this.transport.registryRequest(this.host, path, { headers: { ...headers, ...(await this.authorization(scope, signal)) }, signal });
    if (res.status === 401) {
      const challenge = res.headers['www-authenticate'];
      res.body.resume();
      const picked = parseChallenges(Array.isArray(challenge) ? challenge.join(', ') : (challenge ?? '')).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
      if (!picked) throw await this.refused(res, repository, 'it sent no usable WWW-Authenticate challenge');
      await this.answer(picked, scope, repository, signal);
      res = await this.transport.registryRequest(this.host, path, { headers: { ...headers, ...(await this.authorization(scope, signal)) }, signal });
    }
    if (res.status === 401 || res.status === 403) throw await this.refused(res, repository);
    return res;
  }

  private async authorization(scope: string, signal?: AbortSignal): Promise<Record<string, string>> {
    const token = this.tokens.get(scope);
    if (token && token.until > Date.now()) return { Authorization: token.header };
    // A registry that asked for a token once asks for every repository: get it before asking.
    if (this.bearer) {
      await this.fetchToken(this.bearer, scope, signal);
      return { Authorization: this.tokens.get(scope)!.header };
    }
    return this.basic ? { Authorization: this.basic } : {};
  }

  private async answer(c: Challenge, scope: string, repository: string, signal?: AbortSignal): Promise<void> {
    if (c.scheme === 'basic') {
      const { credentials: cred, none } = await this.credentials(signal);
      if (!cred?.username || cred.password === undefined) {
        throw new CompareError('unauthorized', `${this.registry} wants a user name and password to pull ${repository}, and ${cred ? `${cred.source} holds an identity token, not a password` : `none was found (${none})`}; log in with \`docker login ${this.registry}\``);
      }
      this.basic = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      return;
    }
    if (!c.params.realm) throw new CompareError('registry', `${this.registry} asked for a bearer token without saying where to get one (no realm)`);
    this.bearer = { scheme: 'bearer', params: { realm: c.params.realm, ...(c.params.service !== undefined ? { service: c.params.service } : {}) } };
    // The challenge names the scope it wants; ours is the same for a pull, but theirs is what counts.
    await this.fetchToken(this.bearer, c.params.scope || scope, signal, scope);
  }

  /** The bearer-token flow (distribution's token spec): basic credentials or an identity token, or anonymous. */
  private async fetchToken(c: Challenge, scope: string, signal?: AbortSignal, storeAs = scope): Promise<void> {
    let realm: URL;
    try {
      realm = new URL(c.params.realm);
    } catch {
      throw new CompareError('registry', `${this.registry} sent a token realm that is not a URL: "${c.params.realm.slice(0, 200)}"`);
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && (await this.transport.isInsecure(realm.host)))) {
      throw new CompareError('registry', `${this.registry} wants tokens from ${realm.origin}, which is not HTTPS and not an insecure registry host; credentials are not sent there`);
    }
    const { credentials: cred, none } = await this.credentials(signal);
    const who = cred ? `the credentials from ${cred.source}` : `an anonymous request (no credentials: ${none})`;
    let res: Response;
    if (cred?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'container-compare', scope, ...(c.params.service ? { service: c.params.service } : {}) });
      res = await this.transport.request(realm, { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, signal });
    } else {
      const url = new URL(realm);
      if (c.params.service) url.searchParams.set('service', c.params.service);
      url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (cred?.username) {
        url.searchParams.set('account', cred.username);
        headers.Authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
      }
      res = await this.transport.request(url, { headers, signal });
    }
    if (res.status === 401 || res.status === 403) {
      const detail = errorDetail(await readBody(res, 64 * 1024, `the token service ${realm.origin}`).catch(() => Buffer.alloc(0)));
      throw new CompareError(
        'unauthorized',
        `The token service of ${this.registry} (${realm.origin}${realm.pathname}) refused ${who} for ${scope} (${res.status}${detail ? `: ${detail}` : ''})${cred ? `; check them with \`docker login ${this.registry}\`` : `; log in with \`docker login ${this.registry}\``}`,
      );
    }
    if (res.status !== 200) {
      const detail = errorDetail(await readBody(res, 64 * 1024, `the token service ${realm.origin}`).catch(() => Buffer.alloc(0)));
      throw new CompareError('registry', `The token service of ${this.registry} (${realm.href}) answered ${res.status}${detail ? `: ${detail}` : ''} for ${scope}`);
    }
    const body = await readBody(res, 1024 * 1024, `the token from ${realm.origin}`);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new CompareError('registry', `The token service of ${this.registry} (${realm.origin}) did not answer JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) throw new CompareError('registry', `The token service of ${this.registry} (${realm.origin}) answered without a token`);
    // The spec's default lifetime is 60 s; renew a little early.
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    this.tokens.set(storeAs, { header: `Bearer ${token}`, until: Date.now() + Math.max(1, seconds - 10) * 1000 });
  }

  private async refused(res: Response, repository: string, extra?: string): Promise<CompareError> {
    const { credentials: cred, none } = await this.credentials();
    const detail = extra ?? errorDetail(await readBody(res, 64 * 1024, 'the error').catch(() => Buffer.alloc(0)));
    const how = cred ? `with the credentials from ${cred.source}` : `anonymously (no credentials: ${none})`;
    const advice = cred ? `check them with \`docker login ${this.registry}\`` : `log in with \`docker login ${this.registry}\``;
    const what = res.status === 403 ? 'denied access to' : 'refused access to';
    return new CompareError(
      'unauthorized',
      `${this.registry} ${what} ${repository} (${res.status} for GET ${res.url}${detail ? `: ${detail}` : ''}), asked ${how}; ${advice}${res.status === 401 ? ' (some registries also answer 401 for a repository that does not exist)' : ''}`,
    );
  }
}

/** Entries asked for per page of a listing, and pages followed at most. */
const PAGE = 1000;
const MAX_PAGES = 100;

/** The message of a registry's JSON error body: `{"errors":[{"code","message"}]}`. */
function errorDetail(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }>; details?: string };
    const e = doc.errors?.[0];
    if (e) return [e.code, e.message].filter(Boolean).join(' ');
    if (typeof doc.details === 'string') return doc.details;
  } catch {
    // not JSON
  }
  return body.toString('utf8').trim().split('\n')[0].slice(0, 200);
}

function errorCode(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string }> }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Reads one image from a registry with every layer indexed: the manifest
 * (through an index, choosing `platform` exactly as for OCI layouts), the
 * config (from the cache when it is there), then only the layers whose index
 * is not in the cache (or whose bytes are needed and not in the store). Each
 * layer streams through the indexer once, verified against the manifest's
 * digest and size and the config's diffID; nothing is kept of a layer whose
 * download breaks off.
 */
export async function readRegistryImage(client: RegistryClient, ref: RegistryName, opts: RegistryReadOptions, concurrency = 3): Promise<RegistryImage> {
  const where = formatRegistryName(ref);
  const repo = ref.repository;
  const docs = new Map<string, Buffer>();
  const manifests = new Set<string>();
  let manifestDigest = '';

  const getManifest = async (reference: string): Promise<{ bytes: Buffer; digest: string; mediaType: string }> => {
    const res = await client.get(repo, `/v2/${repo}/manifests/${reference}`, { Accept: ACCEPT }, opts.signal);
    if (res.status === 404) {
      const body = await readBody(res, 64 * 1024, 'the error').catch(() => Buffer.alloc(0));
      const code = errorCode(body);
      const what = code === 'NAME_UNKNOWN' ? `has no repository ${repo}` : `has no ${reference.startsWith('sha256:') ? `manifest ${reference} in ${repo}` : `${repo}:${reference}`}`;
      throw new CompareError('unknownImage', `${ref.registry} ${what} (404 ${errorDetail(body) || 'Not Found'} for GET ${res.url})`);
    }
    if (res.status !== 200) {
      const body = await readBody(res, 64 * 1024, 'the error').catch(() => Buffer.alloc(0));
      throw new CompareError('registry', `${ref.registry} answered ${res.status} for the manifest of ${repo}:${reference} (GET ${res.url}${errorDetail(body) ? `: ${errorDetail(body)}` : ''})`);
    }
    const bytes = await readBody(res, MAX_MANIFEST, `${where}: the manifest ${reference}`);
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new CompareError('badArchive', `${where}: the registry sent a manifest whose digest is ${digest}, not the ${reference} asked for`);
    }
    let doc: { schemaVersion?: number; mediaType?: string; manifests?: Array<{ digest?: string }> };
    try {
      doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
    } catch (e) {
      throw new CompareError('badArchive', `${where}: the manifest ${reference} is not JSON (${messageOf(e)})`);
    }
    if (doc.schemaVersion === 1) {
      throw new CompareError('unsupported', `${where} has a schema 1 manifest (deprecated since Docker 1.10, not supported); push the image again with a current Docker or skopeo`);
    }
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    const mediaType = doc.mediaType || contentType || (Array.isArray(doc.manifests) ? MANIFEST_TYPES.ociIndex : MANIFEST_TYPES.ociManifest);
    if (!Object.values(MANIFEST_TYPES).includes(mediaType)) {
      throw new CompareError('unsupported', `${where}: the manifest ${reference} is of type ${mediaType}, which is not an image manifest or index`);
    }
    if (INDEX_TYPES.has(mediaType)) for (const m of doc.manifests ?? []) if (typeof m.digest === 'string') manifests.add(m.digest);
    return { bytes, digest, mediaType };
  };

  const getConfig = async (digest: string): Promise<Buffer> => {
    const cached = await opts.cache.readConfig(digest).catch(() => undefined);
    if (cached && sha256(cached) === digest) return cached;
    const res = await client.get(repo, `/v2/${repo}/blobs/${digest}`, {}, opts.signal);
    if (res.status !== 200) {
      const body = await readBody(res, 64 * 1024, 'the error').catch(() => Buffer.alloc(0));
      throw new CompareError(res.status === 404 ? 'badArchive' : 'registry', `${where}: the registry answered ${res.status} for the image config ${digest} (GET ${res.url}${errorDetail(body) ? `: ${errorDetail(body)}` : ''})`);
    }
    const bytes = await readBody(res, MAX_CONFIG, `${where}: the config ${digest}`);
    if (sha256(bytes) !== digest) throw new CompareError('badArchive', `${where}: the config blob does not match its digest ${digest}`);
    return bytes;
  };

  opts.onProgress?.({ message: `Reading the manifest of ${where}` });
  const top = await getManifest(ref.digest ?? ref.tag ?? 'latest');
  docs.set(top.digest, top.bytes);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.bytes.length }] }));
  // The registry seen as an OCI layout, so platform choice and manifest checks are the layout's own.
  const images = await readLayout(
    async (path) => {
      if (path === 'index.json') return index;
      const hex = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path)?.[1];
      if (!hex) return undefined;
      const digest = `sha256:${hex}`;
      const have = docs.get(digest);
      if (have) return have;
      let bytes: Buffer;
      if (manifests.has(digest)) {
        bytes = (await getManifest(digest)).bytes;
        manifestDigest = digest;
      } else bytes = await getConfig(digest);
      docs.set(digest, bytes);
      return bytes;
    },
    where,
    opts.platform,
  );
  const image = images[0];
  manifestDigest ||= top.digest;
  throwIfAborted(opts.signal);

  // Align on diffIDs: a layer indexed before (from any image, any source) is never downloaded again.
  const todo: Array<{ i: number; blob: BlobRef; diffId: string }> = [];
  const seen = new Set<string>();
  for (const [i, blob] of image.layers.entries()) {
    const diffId = image.diffIds[i];
    if (seen.has(diffId)) continue;
    seen.add(diffId);
    const usable = opts.cache.hasIndex(diffId) && !(opts.needBytes?.has(diffId) && !opts.cache.layers.has(diffId));
    if (!usable) todo.push({ i, blob, diffId });
  }
  const totalBytes = todo.reduce((n, t) => n + (t.blob.size ?? 0), 0);
  let bytes = 0;
  const message = `Downloading ${todo.length} of ${image.layers.length} layers of ${where}`;
  if (todo.length) opts.onProgress?.({ message, bytes, totalBytes });
  const indexed = new Map<string, ProcessedLayer>();
  await runLimited(todo, concurrency, opts.signal, async ({ i, blob, diffId }, signal) => {
    const layer = await fetchLayer(client, ref, where, i, blob, diffId, opts.cache, signal, opts.budget, (n) => {
      bytes += n;
      opts.onProgress?.({ message, bytes, totalBytes });
    });
    indexed.set(diffId, layer);
  });
  await opts.cache.writeConfig(image.id, image.configBytes);
  return { contents: { images: [image], indexed }, image, manifestDigest, downloadedLayers: todo.length, downloadedBytes: bytes };
}

async function fetchLayer(
  client: RegistryClient,
  ref: RegistryName,
  where: string,
  i: number,
  blob: BlobRef,
  diffId: string,
  cache: Cache,
  signal: AbortSignal,
  budget: EntryBudget | undefined,
  onBytes: (n: number) => void,
): Promise<ProcessedLayer> {
  const repo = ref.repository;
  const digest = blob.digest!;
  const name = `${where}: layer ${i + 1} (${digest})`;
  const res = await client.get(repo, `/v2/${repo}/blobs/${digest}`, {}, signal);
  if (res.status !== 200) {
    const body = await readBody(res, 64 * 1024, 'the error').catch(() => Buffer.alloc(0));
    throw new CompareError('registry', `${name}: the registry answered ${res.status} (GET ${res.url}${errorDetail(body) ? `: ${errorDetail(body)}` : ''})`);
  }
  const size = blob.size;
  const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
  if (size !== undefined && declared !== undefined && declared !== size) {
    res.body.destroy();
    throw new CompareError('badArchive', `${name}: the registry sends ${declared} bytes for a blob the manifest says is ${size}`);
  }
  let got = 0;
  // Set only by the connection (reset, cut short), never by the indexer failing on what it was given.
  let broke: Error | undefined;
  // Counts and caps the bytes before they reach the indexer: a blob longer than the manifest says is refused,
  // a shorter one fails before the layer is committed to the cache.
  const meter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      got += chunk.length;
      if (size !== undefined && got > size) return cb(new CompareError('badArchive', `${name}: the registry sends more than the ${size} bytes the manifest says`));
      onBytes(chunk.length);
      cb(null, chunk);
    },
    flush(cb) {
      if (size !== undefined && got !== size) {
        broke ??= new Error('the response ended early');
        return cb(new Error(`ended after ${got} of ${size} bytes`));
      }
      cb();
    },
  });
  // pipe(), not pipeline(): an indexing failure must not look like the connection's.
  res.body.on('error', (e) => {
    broke ??= e;
    meter.destroy(e);
  });
  res.body.pipe(meter);
  let layer: ProcessedLayer;
  try {
    layer = await processLayer(meter, { where: name, writer: cache.layers.createWriter(), signal, budget });
  } catch (e) {
    res.body.destroy();
    if (signal.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
    if (broke instanceof TransferTooSlow) {
      throw new CompareError(
        'registry',
        `${ref.registry}: gave up the download of layer ${i + 1} of ${where} (${digest}) after ${got} of ${size ?? '?'} bytes: ${broke.message}; nothing of it was cached`,
        { cause: broke },
      );
    }
    if (broke) {
      throw new CompareError(
        'registry',
        `${ref.registry}: the download of layer ${i + 1} of ${where} (${digest}) broke off after ${got} of ${size ?? '?'} bytes (${messageOf(broke)}); nothing of it was cached`,
        { cause: e },
      );
    }
    throw e;
  }
  if (layer.digest !== digest) {
    throw new CompareError('badArchive', `${name}: content does not match its digest (read ${layer.digest}); the registry sent corrupt data`);
  }
  if (layer.diffId !== diffId) {
    throw new CompareError('badArchive', `${name}: uncompressed content does not match the diffID in the image config (expected ${diffId}, read ${layer.diffId})`);
  }
  await cache.writeIndex({ diffId: layer.diffId, size: layer.size, entries: layer.entries });
  if (layer.compression !== 'none') await cache.rememberBlob(layer.digest, layer.diffId);
  return layer;
}

/**
 * Runs `fn` over `items`, `limit` at a time. The first failure aborts the
 * others (through the signal they are given) and is thrown once all have
 * settled, so no download is still writing when the caller hears of it.
 */
async function runLimited<T>(items: T[], limit: number, outer: AbortSignal | undefined, fn: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  if (!items.length) return;
  const inner = new AbortController();
  const signal = outer ? AbortSignal.any([outer, inner.signal]) : inner.signal;
  let next = 0;
  let failed = false;
  let first: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item, signal);
      } catch (e) {
        if (!failed) {
          failed = true;
          first = e;
          inner.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw outer?.aborted ? new CompareError('cancelled', 'Cancelled', { cause: first }) : first;
}
