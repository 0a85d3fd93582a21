import { loadImages } from '../../core/sources/loader';
import { renderLayers } from '../format';
import { need, type Command, type OptionsConfig } from './command';
import { inertJson } from '../../core/util/inert';

const options = {
  json: { type: 'boolean' },
} satisfies OptionsConfig;

export const layersCommand: Command<typeof options> = {
  name: 'layers',
  usage: [
    '  container-compare layers IMAGE [--json]',
  ],
  options,
  async run({ io, progress, load }, args, values) {
    need(args, 1, 'layers IMAGE');
    const [image] = await loadImages(args, load);
    progress.done();
    if (values.json) {
      io.stdout.write(inertJson({ name: image.name, id: image.id, layers: image.layers, history: image.history }) + '\n');
    } else io.stdout.write(renderLayers(image));
    return 0;
  },
};
