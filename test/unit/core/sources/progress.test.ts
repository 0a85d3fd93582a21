import { strict as assert } from 'node:assert';
import { expectedExport, progressPercent, progressText } from '../../../../src/core/sources/loader';
import { humanSize } from '../../../../src/core/util/units';

describe('export progress', () => {
  it('knows what an export will send from the engine\'s history, shared layers once', () => {
    const a = { diffIds: ['d0', 'd1', 'd2'], history: [{ size: 100 }, { size: 0 }, { size: 20 }, { size: 3 }], size: 123 };
    const b = { diffIds: ['d0', 'd1', 'd9'], history: [{ size: 100 }, { size: 20 }, { size: 0 }, { size: 7 }], size: 127 };
    assert.deepEqual(expectedExport([a]), { bytes: 123, layers: 3 });
    assert.deepEqual(expectedExport([a, b]), { bytes: 130, layers: 4 });
    // A history that does not line up with the layers (a layer of 0 bytes): the images' sizes, an upper bound.
    const c = { diffIds: ['d0', 'd5'], history: [{ size: 100 }], size: 100 };
    assert.deepEqual(expectedExport([a, c]), { bytes: 223, layers: 4 });
    assert.deepEqual(expectedExport([{ diffIds: ['x'] }]), { layers: 1 });
  });

  it('says the layer, the bytes of the total, and stops short of 100% on an approximate total', () => {
    const p = { message: 'Exporting app:1 from unix:///var/run/docker.sock', bytes: 120_000_000, totalBytes: 455_300_672, approximate: true, layers: { done: 2, total: 7 } };
    assert.equal(progressText(p), 'Exporting app:1 from unix:///var/run/docker.sock (layer 3 of 7, 120 MB of about 455 MB)');
    assert.equal(Math.round(progressPercent(p)!), 26);
    assert.equal(progressPercent({ ...p, bytes: 470_000_000 }), 99);
    assert.equal(progressText({ ...p, bytes: 470_000_000, layers: { done: 7, total: 7 } }), 'Exporting app:1 from unix:///var/run/docker.sock (layer 7 of 7, 455 MB of about 455 MB)');
    assert.equal(progressText({ message: 'Reading x.tar', bytes: 0, totalBytes: 2000 }), 'Reading x.tar (0 B of 2 kB)');
    assert.equal(progressPercent({ message: 'm' }), undefined);
  });
});

describe('humanSize', () => {
  it('prints sizes as docker images does: decimal units, three significant digits', () => {
    for (const [n, s] of [[0, '0 B'], [999, '999 B'], [1000, '1 kB'], [7211, '7.21 kB'], [999_960, '1 MB'], [1_980_000, '1.98 MB'], [455_300_672, '455 MB'], [1_090_000_000, '1.09 GB']] as const) {
      assert.equal(humanSize(n), s);
    }
  });
});
