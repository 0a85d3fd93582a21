/**
 * Snapshots: what `container-compare snapshot IMAGE` records of an image so
 * that a later build can be compared to it without the image itself (the
 * CI drift gate: `diff baseline.json IMAGE`). A snapshot holds the layers
 * (diffIDs, instructions, sizes), the config (with its history), the merged
 * filesystem as compact rows with a digest, the installed packages and the
 * leftovers. Never file contents: sha256s, modes, owners, line endings.
 *
 * The merged index is the final filesystem, each entry with the layer that
 * last wrote it; it has no whiteouts. So a snapshot compares as an image
 * whose layers are "what each layer contributes to the final filesystem"
 * (modelFromSnapshot), and the image it is compared with is brought to the
 * same form (snapshotOf → modelFromSnapshot) so both sides mean the same.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { CompareError } from '../util/errors';
import { FileTree } from '../layers/fileTree';
import { historySteps } from '../image/history';
import type { Leftover } from '../findings/leftovers';
import { imageSize, type Builder, type EntryType, type FileEntry, type ImageConfig, type ImageModel, type LayerInfo, type LineEndings } from '../image/model';
import { ECOSYSTEMS, type PackageSet } from '../packages/packages';
import { layerJson, type ReportLayerSide } from './report';
import { inertJsonText } from '../util/inert';

export const SNAPSHOT_KIND = 'container-compare/snapshot';
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_COLUMNS = ['path', 'type', 'mode', 'uid', 'gid', 'size', 'layer', 'sha256', 'lineEndings', 'linkTarget', 'lfSha256'] as const;

/**
 * One entry of the merged filesystem: [path, type, mode, uid, gid, size,
 * layer, sha256, lineEndings, linkTarget, lfSha256]; trailing empty columns
 * are left out, inner ones are null. `lfSha256` (the sha256 with CRLF read
 * as LF, only for files with CRLF) is what tells "line endings only" apart
 * from a real edit.
 */
export type SnapshotRow = [string, EntryType, number, number, number, number, number, (string | null)?, (LineEndings | null)?, (string | null)?, (string | null)?];

/** A layer as the report shows it, with its history comment (the model is rebuilt from it). */
export type SnapshotLayer = ReportLayerSide & Pick<LayerInfo, 'comment'>;

/** The document `container-compare snapshot` prints (one row per line, for readable diffs when committed). */
export interface Snapshot {
  kind: typeof SNAPSHOT_KIND;
  snapshotVersion: typeof SNAPSHOT_VERSION;
  image: Pick<ImageModel, 'ref' | 'name' | 'id' | 'source' | 'repoTags' | 'repoDigest'> & {
    platform: string;
    /** The image's size as the diff report's `size` (imageSize: the engine's, else the sum of the layers). */
    size: number;
  };
  config: ImageConfig;
  layers: SnapshotLayer[];
  packages: PackageSet;
  leftovers: Leftover[];
  files: {
    columns: typeof SNAPSHOT_COLUMNS;
    count: number;
    /** sha256 of JSON.stringify(rows): a changed filesystem has another digest, and an edited file is refused. */
    digest: string;
    rows: SnapshotRow[];
  };
}

/** Largest snapshot file read (a 1 GB image with 100k files makes about 20 MB). */
const MAX_SNAPSHOT_BYTES = 512 * 2 ** 20;
const SHA = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TYPES = new Set<EntryType>(['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo']);
const ENDINGS = new Set<LineEndings>(['lf', 'crlf', 'mixed', 'none']);
const BUILDERS = new Set<Builder>(['buildkit', 'classic', 'unknown']);

export function rowsDigest(rows: readonly SnapshotRow[]): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
}

function toRow(e: FileEntry, layer: number): SnapshotRow {
  const row: SnapshotRow = [e.path, e.type, e.mode, e.uid, e.gid, e.size, layer, e.sha256 ?? null, e.lineEndings ?? null, e.linkTarget ?? null, e.lfSha256 ?? null];
  while (row.length > 7 && row[row.length - 1] === null) row.pop();
  return row;
}

function fromRow(r: SnapshotRow): FileEntry {
  const e: FileEntry = { path: r[0], type: r[1], mode: r[2], uid: r[3], gid: r[4], size: r[5] };
  if (r[7] != null) e.sha256 = r[7];
  if (r[8] != null) e.lineEndings = r[8];
  if (r[9] != null) e.linkTarget = r[9];
  if (r[10] != null) e.lfSha256 = r[10];
  return e;
}

/**
 * The snapshot of an indexed image. Directories that exist only because a
 * layer wrote something below them (no entry of their own) are left out on
 * both sides of any comparison, as they carry nothing to compare.
 */
export function snapshotOf(image: ImageModel, extras: { packages?: PackageSet; leftovers?: Leftover[] } = {}): Snapshot {
  const rows: SnapshotRow[] = [];
  for (const e of FileTree.merge(image.indexes).entries()) if (e.layer >= 0) rows.push(toRow(e, e.layer));
  const image_: Snapshot['image'] = {
    ref: image.ref,
    name: image.name,
    id: image.id,
    source: image.source,
    repoTags: image.repoTags,
    platform: [image.config.os, image.config.architecture, image.config.variant].filter(Boolean).join('/'),
    size: imageSize(image),
  };
  if (image.repoDigest) image_.repoDigest = image.repoDigest;
  return {
    kind: SNAPSHOT_KIND,
    snapshotVersion: SNAPSHOT_VERSION,
    image: image_,
    config: image.config,
    layers: image.layers.map((l): SnapshotLayer => (l.comment ? { ...layerJson(l), comment: l.comment } : layerJson(l))),
    packages: extras.packages ?? { ecosystems: [], problems: [] },
    leftovers: extras.leftovers ?? [],
    files: { columns: SNAPSHOT_COLUMNS, count: rows.length, digest: rowsDigest(rows), rows },
  };
}

/**
 * The image a snapshot describes, as the comparison reads images: each
 * layer's "index" is the part of the final filesystem it contributes.
 * With `file` (how the user named the snapshot file), the model says so:
 * its source is `snapshot` and its ref the file; without, it stands for
 * the image the snapshot was just taken of.
 */
export function modelFromSnapshot(s: Snapshot, file?: string): ImageModel {
  const indexes: FileEntry[][] = s.layers.map(() => []);
  for (const r of s.files.rows) indexes[r[6]].push(fromRow(r));
  const layers: LayerInfo[] = s.layers.map((l) => {
    const info: LayerInfo = { index: l.index, diffId: l.diffId, size: l.size, createdBy: l.createdBy, instruction: l.instruction, builder: l.builder, fileCount: l.fileCount };
    if (l.digest) info.digest = l.digest;
    if (l.comment) info.comment = l.comment;
    return info;
  });
  const model: ImageModel = {
    ref: file ?? s.image.ref,
    name: s.image.name,
    id: s.image.id,
    source: file !== undefined ? 'snapshot' : s.image.source,
    repoTags: s.image.repoTags,
    config: s.config,
    layers,
    history: historySteps(s.config, layers.length),
    indexes,
    // The size the snapshot recorded is the image's, whatever the layers add up to.
    engineSize: s.image.size,
  };
  if (s.image.repoDigest) model.repoDigest = s.image.repoDigest;
  return model;
}

/**
 * JSON with every leaf object or array on one line (a file row, a package,
 * a history step) and the rest indented: small enough, and a committed
 * baseline diffs line by line.
 */
export function serializeSnapshot(s: Snapshot): string {
  const leaf = (v: unknown) => v === null || typeof v !== 'object' || Object.values(v as object).every((x) => x === null || typeof x !== 'object');
  const write = (v: unknown, indent: string): string => {
    if (leaf(v)) return JSON.stringify(v);
    const inner = `${indent}  `;
    if (Array.isArray(v)) return v.length ? `[\n${v.map((x) => inner + write(x, inner)).join(',\n')}\n${indent}]` : '[]';
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return entries.length ? `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`).join(',\n')}\n${indent}}` : '{}';
  };
  // Names, history and config values come from the image: the file is as inert as --json.
  return inertJsonText(write(s, '')) + '\n';
}

function bad(where: string, what: string): CompareError {
  return new CompareError('badArchive', `${where}: not a valid container-compare snapshot (${what})`);
}

const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/**
 * Parses and checks a snapshot: a baseline may come from anywhere (an
 * artifact, a commit), so every row is checked before the comparison uses
 * it, and the rows must match their digest.
 */
export function parseSnapshot(text: string, where: string): Snapshot {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(where, `JSON: ${(e as Error).message}`);
  }
  if (!isObj(doc) || doc.kind !== SNAPSHOT_KIND) throw bad(where, `no "kind": "${SNAPSHOT_KIND}"`);
  if (doc.snapshotVersion !== SNAPSHOT_VERSION) {
    throw new CompareError('unsupported', `${where}: snapshot version ${String(doc.snapshotVersion)}; this container-compare reads version ${SNAPSHOT_VERSION} (written by a newer one?)`);
  }
  const { image, config, layers, files, packages, leftovers } = doc;
  if (!isObj(image) || !isStr(image.name) || !isStr(image.id) || !isStr(image.ref) || !isInt(image.size) || !Array.isArray(image.repoTags)) throw bad(where, 'image');
  if (!isObj(config)) throw bad(where, 'config');
  if (!Array.isArray(layers)) throw bad(where, 'layers');
  layers.forEach((l, i) => {
    if (!isObj(l) || l.index !== i || !isStr(l.diffId) || !DIGEST.test(l.diffId) || !isInt(l.size) || !isInt(l.fileCount) || !isStr(l.createdBy) || !isStr(l.instruction) || !BUILDERS.has(l.builder as Builder)) {
      throw bad(where, `layer ${i}`);
    }
  });
  if (!isObj(files) || !Array.isArray(files.rows) || files.count !== files.rows.length || !isStr(files.digest)) throw bad(where, 'files');
  const rows = files.rows as unknown[];
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length < 7 || r.length > 11) throw bad(where, `file row ${i}`);
    const [path, type, mode, uid, gid, size, layer, sha, le, link, lf] = r as unknown[];
    const ok =
      isStr(path) &&
      path.startsWith('/') &&
      !path.includes('\0') &&
      !path.split('/').some((p, k) => k > 0 && (p === '' || p === '.' || p === '..')) &&
      TYPES.has(type as EntryType) &&
      isInt(mode, 0, 0o7777) &&
      isInt(uid) &&
      isInt(gid) &&
      isInt(size) &&
      isInt(layer, 0, layers.length - 1) &&
      (sha == null || (isStr(sha) && SHA.test(sha))) &&
      (le == null || ENDINGS.has(le as LineEndings)) &&
      (link == null || isStr(link)) &&
      (lf == null || (isStr(lf) && SHA.test(lf)));
    if (!ok) throw bad(where, `file row ${i}`);
  });
  if (rowsDigest(rows as SnapshotRow[]) !== files.digest) throw bad(where, 'the file rows do not match their digest: edited or cut short');
  if (!isObj(packages) || !Array.isArray(packages.ecosystems) || !Array.isArray(packages.problems)) throw bad(where, 'packages');
  for (const e of packages.ecosystems as unknown[]) {
    if (!isObj(e) || !ECOSYSTEMS.includes(e.kind as never) || !isStr(e.source) || !isInt(e.layer) || !Array.isArray(e.packages)) throw bad(where, 'packages');
    for (const p of e.packages as unknown[]) if (!isObj(p) || !isStr(p.name) || !isStr(p.version) || (p.arch !== undefined && !isStr(p.arch))) throw bad(where, `package in ${String(e.source)}`);
  }
  if (!Array.isArray(leftovers) || !leftovers.every((l) => isObj(l) && isStr(l.path) && isInt(l.layer) && isStr(l.kind) && isStr(l.reason))) throw bad(where, 'leftovers');
  return doc as unknown as Snapshot;
}

/**
 * The snapshot a reference names, when it names one: an existing file
 * (`baseline.json`, or `snapshot:PATH`) whose content is a JSON object;
 * undefined for anything else (image names, archives, layouts).
 */
export async function readSnapshotRef(ref: string): Promise<Snapshot | undefined> {
  const explicit = ref.startsWith('snapshot:');
  const path = explicit ? ref.slice('snapshot:'.length) : ref;
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) {
    if (explicit) throw new CompareError('unknownImage', `${ref}: no such snapshot file`);
    return undefined;
  }
  const fh = await open(path, 'r');
  let head: string;
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  } finally {
    await fh.close();
  }
  if (!head.startsWith('{')) {
    if (explicit) throw bad(ref, 'not JSON');
    return undefined;
  }
  if (st.size > MAX_SNAPSHOT_BYTES) throw bad(ref, `${st.size} bytes is more than the ${MAX_SNAPSHOT_BYTES} read`);
  return parseSnapshot((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''), ref);
}
