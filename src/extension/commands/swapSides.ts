import type { Command } from '../services';

/** Swap Sides: B becomes A. Both images are in memory, so only the comparison runs again. */
export const swapSides: Command = {
  id: 'containerCompare.swapSides',
  run(s) {
    return s.session.swap();
  },
};
