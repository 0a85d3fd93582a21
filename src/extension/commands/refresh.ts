import type { Command } from '../services';
import type { ImagesNode } from '../views/imagesTree';

/** Refresh: the whole Images view, or one node (an image whose indexing failed). */
export const refresh: Command = {
  id: 'containerCompare.refresh',
  run(s, node?: unknown) {
    const n = node as ImagesNode | undefined;
    s.images.refresh(n && 'kind' in n ? n : undefined);
  },
};
