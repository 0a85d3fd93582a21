import { strict as assert } from 'node:assert';
import { alignLayers, sameInstruction } from '../../../../src/core/diff/align';
import { compareImages } from '../../../../src/core/diff/compare';
import { reasonsFor, type FileSide } from '../../../../src/core/diff/fileDiff';
import type { LayerInfo } from '../../../../src/core/image/model';
import { BASE, COPY, dir, EMPTY_RUN, file, img, RUN } from '../../../helpers/findingImages';
import { evaluateGate, parseGateKinds, parseSizeLimit, type DiffReport } from '../../../../src/core/report/report';

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

  it('stays linear past its table budget: thousands of differing steps align in a moment, shared layers in order', () => {
    // 2,500 steps each (as many history steps as MAX_HISTORY allows, half of it), every other layer shared, the rest differing.
    const a = Array.from({ length: 2500 }, (_, i) => L(i, i % 2 ? `s${i}` : `a${i}`, `RUN step ${i % 7}`));
    const b = Array.from({ length: 2500 }, (_, i) => L(i, i % 2 ? `s${i}` : `b${i}`, `RUN step ${i % 5}`));
    const t = Date.now();
    const rows = alignLayers([L(0, 'x', 'RUN first'), ...a.map((l) => ({ ...l, index: l.index + 1 }))], [L(0, 'y', 'RUN other'), ...b.map((l) => ({ ...l, index: l.index + 1 }))]);
    assert.ok(Date.now() - t < 1000, `${Date.now() - t} ms`);
    const shared = rows.filter((r) => r.status === 'identical');
    assert.equal(shared.length, 1250);
    assert.ok(shared.every((r, k) => r.a!.diffId === r.b!.diffId && (k === 0 || r.a!.index > shared[k - 1].a!.index)));
  });

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

  const lo = (path: string, kind: string, secretKinds?: string[]) => ({ path, layer: 1, kind, reason: 'r', ...(secretKinds ? { secretKinds } : {}) });
  const analysed = {
    ...report,
    a: { size: 1000 },
    b: { size: 1200 },
    layers: [{ status: 'different', base: true }, { status: 'different' }],
    packages: { ecosystems: [{ kind: 'dpkg', added: [{}], removed: [], changed: [{}, {}] }], problems: [] },
    leftovers: {
      a: [lo('/app/.env', 'envFile', ['password']), lo('/app/.git', 'vcs')],
      b: [lo('/app/.env', 'envFile', ['password']), lo('/root/.npmrc', 'packageManagerConfig', ['npmToken']), lo('/root/.bash_history', 'shellHistory'), { ...lo('/usr/lib/node_modules/x/.env', 'envFile', ['password']), thirdParty: true }],
    },
  } as unknown as DiffReport;
  it('counts packages, base layers, and secrets and leftovers new in B, only when named', () => {
    assert.equal(evaluateGate(analysed).counted, 5, 'any: layers, config and files, as before');
    assert.equal(evaluateGate(analysed, ['packages']).counted, 3);
    assert.equal(evaluateGate(analysed, ['base']).counted, 1);
    assert.equal(evaluateGate(analysed, ['layers', 'base']).counted, 2, 'base layers are layers: not counted twice');
    assert.equal(evaluateGate(analysed, ['secrets']).counted, 1, 'the .npmrc token; the .env was there before; a library fixture is not counted');
    assert.equal(evaluateGate(analysed, ['leftovers']).counted, 2);
    assert.equal(evaluateGate(analysed, ['secrets']).explanation, '1 difference of kind secrets (more than 0 allowed)');
  });
  it('gates the size change, in bytes or percent, either way', () => {
    const g = (limit: string, countChanges = false) => evaluateGate(analysed, undefined, 0, { maxSizeChange: parseSizeLimit(limit), countChanges });
    assert.deepEqual(g('25%').size, { a: 1000, b: 1200, change: 200, percent: 20, limit: '25%', fail: false });
    assert.equal(g('25%').fail, false);
    assert.equal(g('19.9%').fail, true);
    assert.equal(g('200').fail, false);
    assert.equal(g('199').fail, true);
    assert.equal(g('25%').explanation, 'size 1 kB → 1.2 kB (+200 B, +20.0%), within the 25% allowed');
    assert.equal(g('25%', true).fail, true, 'with the counts gated too');
    const shrink = evaluateGate({ ...analysed, b: { size: 500 } } as DiffReport, ['packages'], 10, { maxSizeChange: parseSizeLimit('10%') });
    assert.equal(shrink.fail, true);
    assert.match(shrink.explanation, /^3 differences of kind packages, within the 10 allowed; size 1 kB → 500 B \(-500 B, -50\.0%\), more than the 10% allowed$/);
    assert.throws(() => parseSizeLimit('ten'), /expects a size like 10M or a percentage like 5%/);
    assert.deepEqual(parseSizeLimit('10M'), { bytes: 10 * 2 ** 20, text: '10M' });
  });
});

describe('compareImages, on layers as engines write them', () => {
  it('a step rebuilt later with the same files is "sameContent", not a difference', () => {
    const a = img('t:a', [BASE, RUN('mkdir -p /srv/app && echo 1 > /srv/app/v', 'r1', [dir('/srv'), dir('/srv/app'), file('/srv/app/v')])]);
    // Another diffID (its tar has other mtimes), the same entries; BuildKit also lists /bin again.
    const b = img('t:b', [BASE, RUN('mkdir -p /srv/app && echo 1 > /srv/app/v', 'r2', [dir('/bin'), dir('/srv'), dir('/srv/app'), file('/srv/app/v')])]);
    const c = compareImages(a, b);
    assert.deepEqual(c.layers.map((l) => l.status), ['identical', 'sameContent']);
    assert.deepEqual(c.layers[1].files, []);
    assert.deepEqual(c.files, []);
  });

  it('a parent directory both images already have is no difference of a layer pair', () => {
    const a = img('p:a', [BASE, RUN('make', 'r1', [dir('/bin'), file('/bin/tool', { mode: 0o755 })])]);
    const b = img('p:b', [BASE, RUN('make', 'r2', [file('/bin/tool', { mode: 0o755, sha256: 'f'.repeat(64) })])]);
    const c = compareImages(a, b);
    assert.deepEqual(c.layers[1].files.map((f) => `${f.change} ${f.path}`), ['modified /bin/tool']);
  });

  it('aligns a step the classic builder recorded as an empty layer with the other side\'s layer of the same line', () => {
    const a = img('e:a', [BASE, RUN('./setup.sh || true', 'r1', [file('/app')]), COPY('/srv/', 'c1', [file('/srv/x')])]);
    const b = img('e:b', [BASE, EMPTY_RUN('./setup.sh || true'), COPY('/srv/', 'c1', [file('/srv/x')])]);
    const c = compareImages(a, b);
    assert.deepEqual(c.layers.map((l) => [l.status, l.emptyStep?.side ?? '']), [['identical', ''], ['onlyA', 'b'], ['identical', '']]);
    assert.equal(c.layers[1].emptyStep!.history, 1);
    assert.deepEqual(c.layers[1].written, { a: 1, b: 0 });
  });

  it('pairs a classic COPY and a BuildKit COPY of the same line (two notations of one step)', () => {
    const rows = alignLayers([L(0, 'x', 'COPY dir:aaaaaaaaaaaa… /etc/app/')], [L(0, 'y', 'COPY conf/ /etc/app/')]);
    assert.deepEqual(rows.map((r) => r.status), ['different']);
    assert.ok(sameInstruction({ instruction: 'COPY dir:aaaaaaaaaaaa… /etc/app/' }, { instruction: 'COPY conf/ /etc/app/' }));
    assert.ok(!sameInstruction({ instruction: 'COPY a /etc/app/' }, { instruction: 'COPY b /etc/app/' }));
  });

  it('aligns 100,000 steps that are all the same layer in linear time', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => L(i, 'same', 'RUN x'));
    const started = process.hrtime.bigint();
    const rows = alignLayers(many, many);
    assert.equal(rows.length, 100_000);
    assert.ok(rows.every((r) => r.status === 'identical'));
    // Not a timing assertion of speed, a guard against the quadratic table (minutes, gigabytes).
    assert.ok(Number(process.hrtime.bigint() - started) / 1e9 < 30);
  });
});
