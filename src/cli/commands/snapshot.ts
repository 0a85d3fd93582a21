import { takeSnapshot } from '../../core/report/analysis';
import { loadImages } from '../../core/sources/loader';
import { readSnapshotRef, serializeSnapshot } from '../../core/report/snapshot';
import { need, type Command } from './command';

export const snapshotCommand: Command = {
  name: 'snapshot',
  // With the second line, what a snapshot is for: the A or B of a diff.
  usage: [
    '  container-compare snapshot IMAGE > baseline.json',
    '  container-compare diff baseline.json IMAGE [...]   (a snapshot file as A or B: compare a new build to a baseline)',
  ],
  options: {},
  async run({ io, cache, progress, signal, load, fetchLayers }, args) {
    need(args, 1, 'snapshot IMAGE');
    // A snapshot of a snapshot checks it and writes it again.
    let snapshot = await readSnapshotRef(args[0]);
    if (!snapshot) {
      const [image] = await loadImages(args, load);
      progress.update({ message: `Reading the package databases of ${args[0]}` });
      snapshot = await takeSnapshot(image, { cache, signal, fetchLayers: (d) => fetchLayers(args[0], d) });
    }
    progress.done();
    io.stdout.write(serializeSnapshot(snapshot));
    return 0;
  },
};
