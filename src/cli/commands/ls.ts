import { CompareError } from '../../core/util/errors';
import { FileTree, type MergedEntry } from '../../core/layers/fileTree';
import { loadImages } from '../../core/sources/loader';
import { renderListing } from '../format';
import { parseCount, usage, type Command, type OptionsConfig } from './command';
import { inertJson } from '../../core/util/inert';

const options = {
  layer: { type: 'string' },
  json: { type: 'boolean' },
} satisfies OptionsConfig;

export const lsCommand: Command<typeof options> = {
  name: 'ls',
  usage: [
    '  container-compare ls IMAGE [PATH] [--layer N] [--json]',
  ],
  options,
  async run({ io, progress, load, signal }, args, values) {
    if (args.length < 1 || args.length > 2) throw usage('ls IMAGE [PATH]');
    const [image] = await loadImages(args.slice(0, 1), load);
    progress.done();
    const dir = '/' + (args[1] ?? '/').split('/').filter(Boolean).join('/');
    const layer = values.layer === undefined ? undefined : parseCount(values.layer, '--layer');
    let entries: MergedEntry[];
    if (layer !== undefined) {
      if (layer >= image.layers.length) throw new CompareError('badArgument', `${image.name} has layers 0 to ${image.layers.length - 1}`);
      const prefix = dir === '/' ? '/' : dir + '/';
      entries = image.indexes[layer].filter((e) => e.path === dir || e.path.startsWith(prefix)).map((e) => ({ ...e, layer }));
    } else {
      const tree = await FileTree.mergeAsync(image.indexes, signal);
      const target = tree.resolve(dir);
      if (!target) throw new CompareError('notFound', `${dir}: no such file or directory in ${image.name}`);
      entries = target.entry.type === 'dir' ? tree.list(target.path) ?? [] : [target.entry];
    }
    io.stdout.write(values.json ? inertJson(entries) + '\n' : renderListing(entries));
    return 0;
  },
};
