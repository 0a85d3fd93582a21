import type { Command } from '../services';

export const closeComparison: Command = {
  id: 'containerCompare.closeComparison',
  run(s) {
    s.session.close();
  },
};
