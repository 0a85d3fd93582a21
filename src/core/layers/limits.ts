import { CompareError } from '../util/errors';

/**
 * Entries (files, directories, links, deletion markers) an image's layers
 * may list together, a layer listed twice counting twice. The largest real
 * images (CUDA, conda, node_modules-heavy) hold a few hundred thousand;
 * every entry is kept in memory while comparing, so past this an image is
 * refused rather than risking the process (README, Security notes).
 */
export const MAX_ENTRIES_PER_IMAGE = 500_000;
/** Bytes of entry names and link targets an image's layers may hold together (real ones average well under 100 per entry). */
export const MAX_NAME_BYTES_PER_IMAGE = 64 * 2 ** 20;
/** Longest entry name or link target: Linux's PATH_MAX; no filesystem can hold a longer path. */
export const MAX_PATH_BYTES = 4096;

/**
 * What one load may keep in memory of layer indexes: so many entries and
 * name bytes, for each image it loads. The indexer and the cache's reader
 * take from it as they go, so a hostile layer is refused as soon as it
 * passes the limit, not once it has exhausted the memory.
 */
export class EntryBudget {
  private entries = 0;
  private nameBytes = 0;

  constructor(
    private readonly images = 1,
    private readonly maxEntries = MAX_ENTRIES_PER_IMAGE,
    private readonly maxNameBytes = MAX_NAME_BYTES_PER_IMAGE,
  ) {}

  /** Takes `count` entries with `bytes` of names; throws past the limit, naming `where`. */
  take(where: string, count: number, bytes: number): void {
    this.entries += count;
    this.nameBytes += bytes;
    if (this.entries > this.maxEntries * this.images) throw tooManyEntries(where, this.maxEntries);
    if (this.nameBytes > this.maxNameBytes * this.images) {
      throw new CompareError('hostileArchive', `${where}: more than ${this.maxNameBytes / 2 ** 20} MiB of file names and link targets: refusing it (the limit is ${this.maxNameBytes / 2 ** 20} MiB per image)`);
    }
  }
}

export function tooManyEntries(where: string, max = MAX_ENTRIES_PER_IMAGE): CompareError {
  return new CompareError('hostileArchive', `${where}: more than ${max} entries: refusing it (the limit is ${max} files, directories and links per image)`);
}

const namesOf = new WeakMap<ReadonlyArray<unknown>, number>();

/**
 * The characters of a layer's entry names and link targets (what the name
 * limits count), once per index: two images share their common layers'.
 */
export function nameChars(index: ReadonlyArray<{ path: string; linkTarget?: string }>): number {
  let n = namesOf.get(index);
  if (n === undefined) {
    n = 0;
    for (const e of index) n += e.path.length + (e.linkTarget?.length ?? 0);
    namesOf.set(index, n);
  }
  return n;
}

/** Records what nameChars() would count, for a reader that counted as it built the entries (the index decoder). */
export function noteNameChars(index: ReadonlyArray<unknown>, n: number): void {
  namesOf.set(index, n);
}

/** An image's layers together, a layer listed twice counting twice: the merged views work through each. */
export function checkImageEntries(where: string, indexes: ReadonlyArray<ReadonlyArray<{ path: string; linkTarget?: string }>>): void {
  let entries = 0;
  let bytes = 0;
  for (const index of indexes) {
    entries += index.length;
    if (entries > MAX_ENTRIES_PER_IMAGE) throw tooManyEntries(where);
  }
  for (const index of indexes) bytes += nameChars(index);
  if (bytes > MAX_NAME_BYTES_PER_IMAGE) {
    throw new CompareError('hostileArchive', `${where}: more than ${MAX_NAME_BYTES_PER_IMAGE / 2 ** 20} MiB of file names and link targets: refusing it (the limit is ${MAX_NAME_BYTES_PER_IMAGE / 2 ** 20} MiB per image)`);
  }
}
