import type { FileEntry, ImageModel } from '../../src/core/image/model';

/** A minimal image model around layer indexes, for engine unit tests (diffIDs made from the layer number). */
export function imageOf(indexes: FileEntry[][]): ImageModel {
  return {
    ref: 'test',
    name: 'test',
    id: `sha256:${'0'.repeat(64)}`,
    source: 'docker-archive',
    repoTags: [],
    config: {},
    layers: indexes.map((e, index) => ({ index, diffId: `sha256:${String(index).repeat(64).slice(0, 64)}`, size: 0, createdBy: '', instruction: '', builder: 'unknown', fileCount: e.length })),
    history: [],
    indexes,
  };
}
