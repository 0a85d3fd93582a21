import type { Readable } from 'node:stream';
import { SMALL_FILE_BYTES, type Cache } from './cache';
import { CompareError } from '../util/errors';
import { FileTree, type MergedEntry } from './fileTree';
import { MergedLookup } from './mergedDiff';
import type { FileEntry, ImageModel } from '../image/model';

/** A file of an image (merged filesystem) or of one layer, ready to be read. */
export interface ImageFile {
  /** The path after following symlinks. */
  path: string;
  entry: FileEntry;
  layer: number;
}

/** An image's merged tree and layer lookup, when a caller keeps them (the extension does, per image). */
export interface ImageViews {
  tree?: FileTree;
  lookup?: MergedLookup;
}

/**
 * Finds `path` in the merged filesystem (following symlinks, inside the
 * image) or, with `layer`, among that layer's own entries. A hard link whose
 * content is in a lower layer (its tar entry carries no bytes) is returned
 * as that lower file, so that reading it reads the bytes where they are.
 * `views` saves rebuilding the merged tree and lookup on every call.
 */
export function findFile(image: ImageModel, path: string, layer?: number, views: ImageViews = {}): ImageFile {
  const p = '/' + path.split('/').filter(Boolean).join('/');
  let found: ImageFile;
  if (layer !== undefined) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= image.layers.length) {
      throw new CompareError('badArgument', `${image.name} has layers 0 to ${image.layers.length - 1}; there is no layer ${layer}`);
    }
    const entry = image.indexes[layer].find((e) => e.path === p && e.type !== 'whiteout' && e.type !== 'opaque');
    if (!entry) throw new CompareError('notFound', `${p}: not in layer ${layer} of ${image.name}`);
    found = { path: p, entry, layer };
  } else {
    const hit = (views.tree ?? FileTree.merge(image.indexes)).resolve(p);
    if (!hit) throw new CompareError('notFound', `${p}: no such file in ${image.name}`);
    found = { path: hit.path, entry: hit.entry, layer: (hit.entry as MergedEntry).layer };
  }
  const e = found.entry;
  if (e.type !== 'hardlink' || e.offset !== undefined || !e.linkTarget) return found;
  const target = (views.lookup ?? new MergedLookup(image.indexes)).get(e.linkTarget, found.layer);
  if (!target) throw new CompareError('notFound', `${found.path}: hard link to ${e.linkTarget}, which no lower layer has`);
  return { path: found.path, entry: target.entry, layer: target.layer };
}

/** The content of a regular file from the layer store. */
export async function readImageFile(cache: Cache, image: ImageModel, file: ImageFile): Promise<Readable> {
  const e = file.entry;
  if (e.type === 'dir') throw new CompareError('badArgument', `${file.path}: is a directory`);
  if (e.type !== 'file' && e.type !== 'hardlink') throw new CompareError('badArgument', `${file.path}: is a ${e.type}, not a regular file`);
  if (e.offset === undefined) throw new CompareError('notFound', `${file.path}: its content is in a lower layer this index does not locate`);
  const diffId = image.layers[file.layer].diffId;
  if (!cache.layers.holds(diffId, e)) {
    throw new CompareError('notFound', `The bytes of ${file.path} in layer ${file.layer} are not in the cache (evicted, larger than the store's limit, or, of an image read through the engine's export, a binary or a file of more than ${SMALL_FILE_BYTES / 2 ** 20} MiB)`);
  }
  return cache.layers.readRange(diffId, e.offset, e.size);
}

/**
 * The whole content of a regular file from the layer store, for files small
 * enough to hold in memory (package databases, configs): refuses files over
 * `maxBytes`. With readPackages: `readPackages(image, (f) => readFileBytes(cache, image, f))`.
 */
export async function readFileBytes(cache: Cache, image: ImageModel, file: ImageFile, maxBytes = 512 * 2 ** 20): Promise<Buffer> {
  if (file.entry.size > maxBytes) throw new CompareError('badArgument', `${file.path}: ${file.entry.size} bytes is more than the ${maxBytes} read into memory`);
  const chunks: Buffer[] = [];
  for await (const chunk of await readImageFile(cache, image, file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
