import type { Command } from '../services';
import type { ImagesNode } from '../views/imagesTree';
import { runCompare } from './compareImages';

/** Compare with Selected: the selected image is A, this one is B. */
export const compareWithSelected: Command = {
  id: 'containerCompare.compareWithSelected',
  async run(s, node?: unknown) {
    const n = node as ImagesNode | undefined;
    if (n?.kind !== 'image' || !s.selection) return undefined;
    return runCompare(s, s.selection.ref, n.ref);
  },
};
