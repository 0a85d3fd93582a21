import { pipeline } from 'node:stream/promises';
import { CompareError } from '../../core/util/errors';
import { FileTree } from '../../core/layers/fileTree';
import { findFile, readImageFile } from '../../core/layers/files';
import { loadImages } from '../../core/sources/loader';
import { need, parseCount, type Command, type OptionsConfig } from './command';

const options = {
  layer: { type: 'string' },
} satisfies OptionsConfig;

export const catCommand: Command<typeof options> = {
  name: 'cat',
  usage: [
    '  container-compare cat IMAGE PATH [--layer N]',
  ],
  options,
  async run({ io, cache, progress, load, signal }, args, values) {
    need(args, 2, 'cat IMAGE PATH');
    const layer = values.layer === undefined ? undefined : parseCount(values.layer, '--layer');
    // Index first, then fetch only the layer that holds the file (a registry image downloads just that one).
    let [image] = await loadImages(args.slice(0, 1), load);
    const tree = layer === undefined ? await FileTree.mergeAsync(image.indexes, signal) : undefined;
    let file = findFile(image, args[1], layer, { tree });
    // A directory has no bytes to fetch (and one no layer lists has no layer: -1).
    if (file.entry.type === 'dir') throw new CompareError('badArgument', `${file.path}: is a directory`);
    const diffId = image.layers[file.layer].diffId;
    if (!cache.layers.holds(diffId, file.entry)) {
      [image] = await loadImages(args.slice(0, 1), { ...load, needLayerBytes: [diffId] });
      file = findFile(image, args[1], layer, { tree: layer === undefined ? await FileTree.mergeAsync(image.indexes, signal) : undefined });
    }
    progress.done();
    await pipeline(await readImageFile(cache, image, file), io.stdout, { end: false });
    return 0;
  },
};
