import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  /** Lie about the size in the header (hostile archives). */
  size?: number;
}

/** Builds a tar in memory with tar-stream, as the fixtures of the unit tests. */
export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const header: Partial<tar.Header> & { name: string } = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: new Date(0) };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (e.type === undefined || e.type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(header as tar.Header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A raw 512-byte tar header, for entries tar-stream's packer refuses to write (lying sizes). */
export function rawHeader(name: string, size: number, type: 'file' | 'symlink' = 'file', linkname?: string): Buffer {
  // tar-stream does not export its header codec; load it by file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const headers = require(require.resolve('tar-stream').replace(/index\.js$/, 'headers.js')) as { encode(h: object): Buffer };
  return headers.encode({ name, size, type, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), linkname: linkname ?? null, uname: '', gname: '', devmajor: 0, devminor: 0 });
}

export interface FakeImage {
  tags: string[];
  /** Uncompressed layer tars. */
  layers: Buffer[];
  history?: Array<{ created_by: string; empty_layer?: boolean; comment?: string }>;
  config?: Record<string, unknown>;
  /** Claim these diffIDs in the config instead of the real ones (a corrupt or tampered archive). */
  diffIds?: string[];
}

/**
 * A `docker save` archive built from parts: the legacy layout (manifest.json
 * + <id>/layer.tar) or the OCI layout Docker 25+ writes (index.json, blobs,
 * and manifest.json), with layers gzip-compressed when asked.
 */
export async function makeImageArchive(images: FakeImage[], layout: 'legacy' | 'oci', opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const { gzipSync } = await import('node:zlib');
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  const manifest: object[] = [];
  const index: object[] = [];
  const add = (name: string, content: Buffer) => {
    if (!seen.has(name)) entries.push({ name, content });
    seen.add(name);
  };
  for (const img of images) {
    const diffIds = img.diffIds ?? img.layers.map((l) => sha256(l));
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'], ...img.config },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: img.history ?? img.layers.map((_, i) => ({ created_by: `/bin/sh -c echo layer ${i}` })),
      }),
    );
    const configId = sha256(config).slice(7);
    if (layout === 'legacy') {
      const paths = img.layers.map((l, i) => {
        const p = `${sha256(l).slice(7, 71)}${i}/layer.tar`;
        add(p, l);
        return p;
      });
      add(`${configId}.json`, config);
      manifest.push({ Config: `${configId}.json`, RepoTags: img.tags, Layers: paths });
    } else {
      const blobs = img.layers.map((l) => (opts.gzip ? gzipSync(l) : l));
      const layerDescs = blobs.map((b) => {
        const d = sha256(b);
        add(`blobs/sha256/${d.slice(7)}`, b);
        return { mediaType: opts.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest: d, size: b.length };
      });
      add(`blobs/sha256/${configId}`, config);
      const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configId}`, size: config.length }, layers: layerDescs }));
      add(`blobs/sha256/${sha256(m).slice(7)}`, m);
      index.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(m), size: m.length, annotations: { 'io.containerd.image.name': `docker.io/library/${img.tags[0]}`, 'org.opencontainers.image.ref.name': img.tags[0].split(':')[1] } });
      manifest.push({ Config: `blobs/sha256/${configId}`, RepoTags: img.tags, Layers: layerDescs.map((d) => `blobs/sha256/${d.digest.slice(7)}`) });
    }
  }
  if (layout === 'oci') {
    entries.push({ name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' });
    entries.push({ name: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: index }) });
  }
  entries.push({ name: 'manifest.json', content: JSON.stringify(manifest) });
  return makeTar(entries);
}
