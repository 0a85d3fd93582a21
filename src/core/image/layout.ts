import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { CompareError } from '../util/errors';
import type { ImageConfig } from './model';
import { checkConfig, checkDockerSaveManifest, checkIndex, checkManifest, MAX_INDEX_NESTING, parseJsonDocument, shown, type Descriptor, type DockerSaveItem } from './validate';
import { nameVariants } from './reference';
import { shortId } from '../util/text';

/** A blob of an archive or layout directory, by its path inside it. */
export interface BlobRef {
  path: string;
  digest?: string;
  mediaType?: string;
  size?: number;
}

/** One image found in a docker-save archive or an OCI layout, before its layers are read. */
export interface LayoutImage {
  names: string[];
  /** Config digest, the image id. */
  id: string;
  configBytes: Buffer;
  config: ImageConfig;
  layers: BlobRef[];
  diffIds: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ARCH[process.arch] ?? process.arch, ...(process.arch === 'arm' ? { variant: 'v7' } : {}) };
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new CompareError('badArgument', `--platform "${s}": expected os/arch[/variant], e.g. linux/amd64`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Reads a small file of the archive (JSON), following links; undefined when absent. */
export type ReadSmall = (path: string) => Promise<Buffer | undefined>;

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/**
 * Finds the images of an archive or layout: docker-save's manifest.json
 * when present (the legacy layout, and Docker 25+ which writes it next to
 * its OCI index), otherwise the OCI index.json, choosing `platform` among
 * the manifests of a multi-platform index.
 */
export async function readLayout(read: ReadSmall, where: string, platform: Platform): Promise<LayoutImage[]> {
  const manifest = await read('manifest.json');
  if (manifest) return dockerSaveImages(checkDockerSaveManifest(parseJsonDocument(manifest, where, 'manifest.json'), where), read, where);
  const index = await read('index.json');
  if (index) return ociImages(checkIndex(parseJsonDocument(index, where, 'index.json'), where, 'index.json'), read, where, platform);
  throw new CompareError('badArchive', `${where}: neither manifest.json (docker save) nor index.json (OCI layout) found; is this an image archive?`);
}

async function dockerSaveImages(items: DockerSaveItem[], read: ReadSmall, where: string): Promise<LayoutImage[]> {
  const images: LayoutImage[] = [];
  for (const item of items) {
    const configPath = clean(item.Config, where);
    const configBytes = await required(read, configPath, where);
    const config = parseConfig(configBytes, where, `config ${configPath}`);
    const id = `sha256:${digestOf(configBytes)}`;
    images.push(
      withDiffIds(
        {
          names: item.RepoTags ?? [],
          id,
          configBytes,
          config,
          layers: item.Layers.map((p) => {
            const path = clean(p, where);
            const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
            return blob ? { path, digest: `sha256:${blob[1]}` } : { path };
          }),
        },
        where,
      ),
    );
  }
  return images;
}

async function ociImages(index: { manifests: Descriptor[] }, read: ReadSmall, where: string, platform: Platform): Promise<LayoutImage[]> {
  // Group the top-level manifests by name: an `skopeo copy --all` layout lists one per platform.
  const groups = new Map<string, Descriptor[]>();
  for (const d of index.manifests) {
    const name = d.annotations?.[CONTAINERD_NAME] ?? d.annotations?.[REF_NAME] ?? '';
    const group = groups.get(name);
    if (group) group.push(d);
    else groups.set(name, [d]);
  }
  const images: LayoutImage[] = [];
  for (const [name, descs] of groups) {
    const manifestDesc = await choosePlatform(descs, read, where, platform);
    const what = `manifest ${manifestDesc.digest}`;
    const manifest = checkManifest(parseJsonDocument(await required(read, blobPath(manifestDesc.digest, where), where), where, what), where, what);
    const configBytes = await required(read, blobPath(manifest.config.digest, where), where);
    const names = name ? [name, ...(manifestDesc.annotations?.[REF_NAME] && manifestDesc.annotations[REF_NAME] !== name ? [manifestDesc.annotations[REF_NAME]] : [])] : [];
    images.push(
      withDiffIds(
        {
          names,
          id: manifest.config.digest,
          configBytes,
          config: parseConfig(configBytes, where, `config ${manifest.config.digest}`),
          layers: manifest.layers.map((l) => ({ path: blobPath(l.digest, where), digest: l.digest, mediaType: l.mediaType, size: l.size })),
        },
        where,
      ),
    );
  }
  return images;
}

/** Walks nested indexes down to the one manifest for `platform`; attestation manifests (unknown/unknown) never match. */
async function choosePlatform(descs: Descriptor[], read: ReadSmall, where: string, platform: Platform, depth = 0): Promise<Descriptor> {
  const candidates: Descriptor[] = [];
  for (const d of descs) {
    if (d.mediaType && INDEX_TYPES.has(d.mediaType)) {
      // An index may list itself (blobs in an archive are found by name, not checked against their digest).
      if (depth >= MAX_INDEX_NESTING) throw new CompareError('hostileArchive', `${where}: indexes nest more than ${MAX_INDEX_NESTING} deep (at ${shown(d.digest)}); refusing it`);
      const what = `index ${d.digest}`;
      const child = checkIndex(parseJsonDocument(await required(read, blobPath(d.digest, where), where), where, what), where, what);
      candidates.push(await choosePlatform(child.manifests, read, where, platform, depth + 1));
    } else candidates.push(d);
  }
  const real = candidates.filter((d) => d.platform?.os !== 'unknown' && d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  if (real.length === 1) return real[0];
  const match =
    real.find((d) => d.platform?.os === platform.os && d.platform?.architecture === platform.architecture && (!platform.variant || d.platform?.variant === platform.variant)) ??
    real.find((d) => d.platform?.os === platform.os && d.platform?.architecture === platform.architecture);
  if (match) return match;
  const offered = real.map((d) => (d.platform ? formatPlatform(d.platform as Platform) : '?')).join(', ');
  throw new CompareError('unsupported', `${where}: no manifest for platform ${formatPlatform(platform)} (the index offers ${shown(offered, 300) || 'none'}); choose one with --platform`);
}

function withDiffIds(img: Omit<LayoutImage, 'diffIds'>, where: string): LayoutImage {
  const diffIds = img.config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== img.layers.length) {
    throw new CompareError('badArchive', `${where}: image ${img.id.slice(0, 19)} lists ${img.layers.length} layers but its config has ${diffIds?.length ?? 'no'} diff_ids`);
  }
  return { ...img, diffIds };
}

/** Picks the image `name` asks for; with no name, the only image there is. */
export function selectImage(images: LayoutImage[], name: string | undefined, where: string): LayoutImage {
  if (images.length === 0) throw new CompareError('badArchive', `${where}: the archive holds no image`);
  if (!name) {
    if (images.length === 1) return images[0];
    throw new CompareError('badReference', `${where} holds ${images.length} images (${listNames(images)}); add :name:tag to the reference to choose one`);
  }
  const wanted = new Set(nameVariants(name));
  const found = images.find((i) => i.names.some((n) => wanted.has(n) || nameVariants(n).some((v) => wanted.has(v))) || i.id === name || i.id.startsWith(`sha256:${name}`));
  if (!found) throw new CompareError('unknownImage', `${where} has no image "${name}" (it holds ${listNames(images)})`);
  return found;
}

function listNames(images: LayoutImage[]): string {
  return shown(images.map((i) => i.names[0] ?? shortId(i.id)).join(', '), 400);
}

export function blobPath(digest: string, where: string): string {
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest ?? '');
  if (!m) throw new CompareError('hostileArchive', `${where}: "${shown(String(digest), 80)}" is not a digest`);
  return `blobs/${m[1]}/${m[2]}`;
}

function clean(p: string, where: string): string {
  const n = posix.normalize(p);
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) throw new CompareError('hostileArchive', `${where}: manifest points outside the archive ("${shown(p)}")`);
  return n;
}

async function required(read: ReadSmall, path: string, where: string): Promise<Buffer> {
  const b = await read(path);
  if (!b) throw new CompareError('badArchive', `${where}: "${shown(path)}" is referenced but missing from the archive (truncated?)`);
  return b;
}

/** An image config, parsed and checked (validate.ts); `what` names it in messages. */
export function parseConfig(b: Buffer, where: string, what: string): ImageConfig {
  return checkConfig(parseJsonDocument(b, where, what), where, what);
}

function digestOf(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
