import { strict as assert } from 'node:assert';
import { compareImages } from '../../../../src/core/diff/compare';
import { diffEntries, mergedMap } from '../../../../src/core/diff/fileDiff';
import { FileTree } from '../../../../src/core/layers/fileTree';
import type { FileEntry, ImageModel, LayerInfo } from '../../../../src/core/image/model';
import { randomLayer, rng } from '../../../helpers/randomImages';

function image(name: string, layers: FileEntry[][], ids: string[]): ImageModel {
  const infos: LayerInfo[] = layers.map((_, index) => ({ index, diffId: ids[index], size: 0, createdBy: '', instruction: `L${ids[index]}`, builder: 'unknown', fileCount: 0 }));
  return { ref: name, name, id: name, source: 'docker-archive', repoTags: [], config: {}, layers: infos, history: [], indexes: layers };
}

describe('merged diff (looking only where differing layers touch)', () => {
  it('agrees with a full merge of both images on 1000 random image pairs', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const r = rng(seed);
      const shared = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomLayer(r));
      const sharedIds = shared.map((_, i) => `s${i}`);
      const onlyA = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r));
      const onlyB = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r));
      const top = r() < 0.5 ? [randomLayer(r)] : [];
      const A = image('A', [...shared, ...onlyA, ...top], [...sharedIds, ...onlyA.map((_, i) => `a${i}`), ...top.map(() => 'top')]);
      const B = image('B', [...shared, ...onlyB, ...top], [...sharedIds, ...onlyB.map((_, i) => `b${i}`), ...top.map(() => 'top')]);
      const fast = compareImages(A, B).files.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.a?.layer} ${f.b?.layer}`);
      const full = diffEntries(mergedMap(FileTree.merge(A.indexes)), mergedMap(FileTree.merge(B.indexes)), () => false, () => 0).map(
        (f) => `${f.change} ${f.path} ${f.reasons} ${f.a?.layer} ${f.b?.layer}`,
      );
      assert.deepEqual(fast, full, `seed ${seed}`);
    }
  });
});
