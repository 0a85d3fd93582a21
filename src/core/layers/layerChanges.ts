import { MergedLookup } from './mergedDiff';
import type { FileEntry } from '../image/model';
import { byPath } from '../util/text';

export type LayerChangeKind = 'added' | 'modified' | 'deleted';

/** One thing a layer does to the filesystem below it. */
export interface LayerChange {
  path: string;
  kind: LayerChangeKind;
  /** The layer's own entry (a whiteout or opaque marker for deletions). */
  entry: FileEntry;
  /** What was visible at the path below this layer, if anything, and the layer that wrote it. */
  before?: FileEntry;
  beforeLayer?: number;
}

/**
 * What layer `layer` adds, changes or deletes, judged against the merged
 * filesystem of the layers below it. Layer tars repeat the parent
 * directories of every file they write (with new mtimes); a directory entry
 * that only restates an existing directory's mode and owner is not a change
 * and is left out, so "COPY x /usr/local/bin/" shows one file, not three.
 * An opaque marker shows as a modified directory: everything below it in
 * lower layers is hidden.
 */
export function layerChanges(indexes: readonly FileEntry[][], layer: number, lookup = new MergedLookup(indexes)): LayerChange[] {
  const out: LayerChange[] = [];
  for (const e of indexes[layer] ?? []) {
    const below = lookup.get(e.path, layer);
    const before = below?.entry;
    const was = below ? { before: below.entry, beforeLayer: below.layer } : {};
    if (e.type === 'whiteout') out.push({ path: e.path, kind: 'deleted', entry: e, ...was });
    else if (e.type === 'opaque') out.push({ path: e.path, kind: 'modified', entry: e, ...was });
    else if (!before) out.push({ path: e.path, kind: 'added', entry: e });
    else if (e.type === 'dir' && before.type === 'dir' && e.mode === before.mode && e.uid === before.uid && e.gid === before.gid) continue;
    else out.push({ path: e.path, kind: 'modified', entry: e, ...was });
  }
  return out.sort(byPath);
}
