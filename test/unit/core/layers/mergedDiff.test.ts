import { strict as assert } from 'node:assert';
import { compareImages } from '../../../../src/core/diff/compare';
import { diffEntries, mergedMap } from '../../../../src/core/diff/fileDiff';
import { FileTree } from '../../../../src/core/layers/fileTree';
import { MergedLookup } from '../../../../src/core/layers/mergedDiff';
import type { FileEntry, ImageModel, LayerInfo } from '../../../../src/core/image/model';
import { randomLayer, rng } from '../../../helpers/randomImages';

function image(name: string, layers: FileEntry[][], ids: string[]): ImageModel {
  const infos: LayerInfo[] = layers.map((_, index) => ({ index, diffId: ids[index], size: 0, createdBy: '', instruction: `L${ids[index]}`, builder: 'unknown', fileCount: 0 }));
  return { ref: name, name, id: name, source: 'docker-archive', repoTags: [], config: {}, layers: infos, history: [], indexes: layers };
}

describe('merged diff (looking only where differing layers touch)', () => {
  for (const sparse of [false, true]) {
    it(`agrees with a full merge of both images on 1000 random image pairs${sparse ? ', layers leaving out parents (writing below lower files and symlinks)' : ''}`, function () {
      this.timeout(30_000);
      for (let seed = 1; seed <= 1000; seed++) {
        const r = rng(seed);
        const shared = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomLayer(r, sparse));
        const sharedIds = shared.map((_, i) => `s${i}`);
        const onlyA = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r, sparse));
        const onlyB = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r, sparse));
        const top = r() < 0.5 ? [randomLayer(r, sparse)] : [];
        const A = image('A', [...shared, ...onlyA, ...top], [...sharedIds, ...onlyA.map((_, i) => `a${i}`), ...top.map(() => 'top')]);
        const B = image('B', [...shared, ...onlyB, ...top], [...sharedIds, ...onlyB.map((_, i) => `b${i}`), ...top.map(() => 'top')]);
        const fast = compareImages(A, B).files.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.a?.layer} ${f.b?.layer}`);
        const full = diffEntries(mergedMap(FileTree.merge(A.indexes)), mergedMap(FileTree.merge(B.indexes)), () => false, () => 0).map(
          (f) => `${f.change} ${f.path} ${f.reasons} ${f.a?.layer} ${f.b?.layer}`,
        );
        assert.deepEqual(fast, full, `seed ${seed}`);
        // Every merged view answers alike: what the lookup sees at a path, the tree has (ls, cat).
        for (const I of [A, B]) {
          const tree = FileTree.merge(I.indexes);
          const lookup = new MergedLookup(I.indexes);
          for (const e of tree.entries()) {
            const hit = lookup.get(e.path);
            if (e.layer >= 0) assert.equal(`${hit?.entry.type} ${hit?.layer}`, `${e.type} ${e.layer}`, `seed ${seed} ${I.name} ${e.path}`);
          }
          for (const v of lookup.layerViews) for (const p of v.files.keys()) if (lookup.get(p)) assert.ok(tree.get(p), `seed ${seed} ${I.name} ${p}: the lookup sees it, the tree does not`);
        }
      }
    });
  }
});
