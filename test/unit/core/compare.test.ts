import { strict as assert } from 'node:assert';
import { alignLayers, reasonsFor, type FileSide } from '../../../src/core/compare';
import type { LayerInfo } from '../../../src/core/model';
import { evaluateGate, parseGateKinds, type DiffReport } from '../../../src/core/report';

const L = (index: number, diffId: string, instruction: string): LayerInfo => ({ index, diffId, instruction, createdBy: instruction, size: 0, builder: 'classic', fileCount: 0 });
const seq = (spec: string) => spec.split(' ').map((t, i) => { const [d, ins] = t.split(':'); return L(i, d, ins ?? d); });

describe('alignLayers', () => {
  const cases: Array<[string, string, string, string[]]> = [
    ['same images', 'a b c', 'a b c', ['identical', 'identical', 'identical']],
    ['B is A plus a layer', 'a b', 'a b c', ['identical', 'identical', 'onlyB']],
    ['a rebuilt middle layer, shared top', 'a x:COPY y', 'a z:COPY y', ['identical', 'different', 'identical']],
    ['a moved base (FROM tag moved)', 'a1 b', 'a2 b', ['different', 'identical']],
    ['an extra layer in the middle, paired by instruction', 'a p:RUN1 q:RUN2', 'a r:RUN1 n:NEW s:RUN2', ['identical', 'different', 'onlyB', 'different']],
    ['nothing in common', 'p:X q:Y', 'r:Z', ['different', 'onlyA']],
  ];
  for (const [name, a, b, want] of cases) {
    it(name, () => {
      const rows = alignLayers(seq(a), seq(b));
      assert.deepEqual(rows.map((r) => r.status), want);
      assert.deepEqual(rows.map((r) => r.index), want.map((_, i) => i));
    });
  }

  it('pairs classic COPY layers whose content hash differs', () => {
    const rows = alignLayers([L(0, 'x', 'COPY file:aaaaaaaaaaaa… /app/')], [L(0, 'y', 'COPY file:bbbbbbbbbbbb… /app/')]);
    assert.deepEqual(rows.map((r) => r.status), ['different']);
  });
});

describe('reasonsFor', () => {
  const f = (o: Partial<FileSide & { lfSha256: string }>): FileSide & { lfSha256?: string } => ({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, sha256: 'h', layer: 0, ...o });
  const cases: Array<[string, ReturnType<typeof f>, ReturnType<typeof f>, string[]]> = [
    ['equal', f({}), f({}), []],
    ['mode only: bytes equal, 0755 vs 0644', f({ mode: 0o755 }), f({}), ['mode']],
    ['CRLF only', f({ sha256: 'lf' }), f({ sha256: 'crlf', lfSha256: 'lf' }), ['lineEndings']],
    ['CRLF and a real edit', f({ sha256: 'lf' }), f({ sha256: 'crlf', lfSha256: 'other' }), ['content']],
    ['content', f({ sha256: 'x' }), f({ sha256: 'y' }), ['content']],
    ['owner', f({ uid: 1000 }), f({}), ['owner']],
    ['content and mode', f({ sha256: 'x', mode: 0o600 }), f({ sha256: 'y' }), ['content', 'mode']],
    ['symlink target', f({ type: 'symlink', linkTarget: 'v1' }), f({ type: 'symlink', linkTarget: 'v2' }), ['symlink']],
    ['type', f({ type: 'dir' }), f({}), ['type']],
    ['a hardlink is a file', f({ type: 'hardlink' }), f({}), []],
  ];
  for (const [name, a, b, want] of cases) it(name, () => assert.deepEqual(reasonsFor(a, b), want));
});

describe('the CI gate', () => {
  const report = {
    layers: [{ status: 'identical' }, { status: 'different' }],
    config: [{ field: 'Env.A', a: '1', b: '2' }],
    files: [
      { path: '/a', change: 'modified', reasons: ['mode'] },
      { path: '/b', change: 'added', reasons: [] },
    ],
  } as unknown as DiffReport;
  it('counts every difference by default', () => assert.deepEqual(evaluateGate(report).counted, 4));
  it('counts only the kinds asked for', () => {
    assert.equal(evaluateGate(report, ['config']).counted, 1);
    assert.equal(evaluateGate(report, ['mode']).counted, 1);
    assert.equal(evaluateGate(report, ['files']).counted, 2);
    assert.equal(evaluateGate(report, ['content']).fail, false);
  });
  it('passes within --max-changes', () => {
    assert.equal(evaluateGate(report, ['files'], 2).fail, false);
    assert.equal(evaluateGate(report, ['files'], 1).fail, true);
  });
  it('rejects unknown kinds by name', () => assert.throws(() => parseGateKinds('files,bogus'), /unknown kind "bogus"/));
});
