import type { Command } from '../services';

export const showLog: Command = {
  id: 'containerCompare.showLog',
  run(s) {
    s.log.show(true);
  },
};
