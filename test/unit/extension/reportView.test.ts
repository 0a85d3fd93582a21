import { strict as assert } from 'node:assert';
import { evaluateGate } from '../../../src/core/report/report';
import type { CurrentComparison } from '../../../src/extension/comparisonSession';
import { configFieldName, layerStatus, pairTitle, summaryLine } from '../../../src/extension/views/labels';
import { viewFiles } from '../../../src/extension/views/rowFiles';
import { anchorOf, reportView } from '../../../src/extension/webviews/reportView';
import { analyse, BASE, CMD, COPY, crlf, dir, EMPTY_RUN, file, H, img, RUN } from '../../helpers/findingImages';

/** Words that are the engine's, not the user's. */
const INTERNAL = /\b(crlfScript|sameStepDifferentResult|layerOnlyOne|stepDidNothing|lineEndings|onlyA|onlyB|sameContent|score|History\[)/;

async function comparison(a: ReturnType<typeof img>, b: ReturnType<typeof img>): Promise<CurrentComparison> {
  const { report } = await analyse(a, b);
  return { comparison: undefined as never, report, gate: evaluateGate(report), refs: [a.ref, b.ref], ignoredFindings: 0 };
}

describe('the Comparison Report in words', () => {
  const laptop = img('app:laptop', [
    BASE,
    COPY('/usr/local/bin/install.sh', 'c1', [dir('/usr'), file('/usr/local/bin/install.sh')]),
    RUN('sh /usr/local/bin/install.sh', 'r1', [file('/usr/lib/apache2/modules/mod_fcgid.so', { sha256: H('5') }), file('/var/log/apt/term.log', { sha256: H('7') })]),
    RUN('./setup.sh || true', 'r3', [file('/opt/app', { sha256: H('9') })]),
    CMD('["apache2ctl"]'),
  ]);
  const ci = img('app:ci', [
    BASE,
    COPY('/usr/local/bin/install.sh', 'c2', [dir('/usr'), crlf('/usr/local/bin/install.sh', { mode: 0o755 })]),
    RUN('sh /usr/local/bin/install.sh', 'r2', [file('/var/log/apt/term.log', { sha256: H('8') })]),
    EMPTY_RUN('./setup.sh || true'),
    CMD('["apache2ctl"]'),
  ]);

  it('names both images in full, each finding by code with its whole text, and no engine word', async () => {
    const v = reportView(await comparison(laptop, ci));
    assert.equal(v.title, 'app: laptop ↔ ci');
    assert.deepEqual(v.sides.map((s) => s.ref), ['app:laptop', 'app:ci']);
    assert.match(v.sides[0].sizeNote, /engine reports/);
    const f = v.findings[0];
    assert.equal(f.code, 'CC102');
    assert.deepEqual(f.tags, ['most likely', 'about ci']);
    assert.match(f.title, /^install\.sh has CRLF line endings in ci/);
    assert.ok(f.detail.length > 80, 'the whole explanation');
    assert.equal(f.about?.name, 'A CRLF script made a step do different work');
    assert.deepEqual(f.evidence.map((e) => e.label).slice(0, 2), ['Layer 02 · RUN sh /usr/local/bin/install.sh', 'install.sh']);
    assert.equal(f.evidence[1].hint, '/usr/local/bin · in ci');
    assert.equal(f.debug, undefined);
    const words = JSON.stringify({ findings: v.findings.map(({ title, detail, tags, evidence }) => ({ title, detail, tags, evidence: evidence.map((e) => [e.label, e.hint]) })), layers: v.layers.map((l) => [l.statusText, l.detail]), groups: v.fileGroups.map((g) => g.title) });
    assert.doesNotMatch(words, INTERNAL, words);
    assert.match(reportView(await comparison(laptop, ci), { debug: true }).findings[0].debug ?? '', /^crlfScript · score \d+$/);
  });

  it('says what a one-sided row is, and every row that differs file by file opens both layers', async () => {
    const v = reportView(await comparison(laptop, ci));
    const step = v.layers.find((l) => l.a?.instruction === 'RUN ./setup.sh || true')!;
    assert.equal(step.statusText, 'only in laptop: the same step wrote nothing in ci');
    for (const l of v.layers) if (l.detail.endsWith('differ') || l.detail.endsWith('differs')) assert.deepEqual(l.open, { type: 'layerRow', row: Number(l.index) });
    assert.deepEqual(v.fileGroups.map((g) => g.title), ['Line endings and mode/owner', 'Content', 'Only in laptop']);
    // Every evidence link the report shows either opens an editor or lands on an anchor the report has.
    const anchors = new Set([...v.findings.map((x) => x.anchor), ...v.layers.map((x) => x.anchor), ...v.fileGroups.flatMap((g) => g.files.map((x) => x.anchor)), ...v.config.map((x) => x.anchor)]);
    for (const e of v.findings.flatMap((x) => x.evidence)) {
      const a = anchorOf(e.target);
      if (e.target.type === 'package' || e.target.type === 'config' || e.target.type === 'finding') assert.ok(a && anchors.has(a), `${e.label} → ${a}`);
    }
  });

  it('names config differences by what they are', () => {
    assert.equal(configFieldName('Env.PATH'), 'Environment variable PATH');
    assert.equal(configFieldName('Labels.org.opencontainers.image.version'), 'Label org.opencontainers.image.version');
    assert.equal(configFieldName('Cmd'), 'Default command (CMD)');
    assert.equal(configFieldName('History[3]'), 'Dockerfile step 4');
    assert.equal(configFieldName('Unknown'), 'Unknown');
  });

  it('titles a pair with its repository once, so two repositories never look the same', () => {
    assert.equal(pairTitle('cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci'), 'php-fcgid: laptop ↔ ci');
    assert.equal(pairTitle('registry:5000/team/app:1', 'registry:5000/team/app:2'), 'app: 1 ↔ 2');
    assert.equal(pairTitle('nginx:1.25', 'httpd:2.4'), 'nginx:1.25 ↔ httpd:2.4');
  });

  it('words every layer status, and counts timestamp-only layers apart from those that differ', () => {
    assert.equal(layerStatus({ status: 'sameContent' }, 'a', 'b'), 'same content, other timestamps');
    assert.equal(layerStatus({ status: 'onlyB' }, 'laptop', 'ci'), 'only in ci');
    const r = { summary: { layers: { identical: 3, sameContent: 2, different: 1, onlyA: 0, onlyB: 0 }, files: { added: 0, removed: 0, modified: 1 }, reasons: {}, config: 0 }, layers: new Array(6) } as never;
    assert.equal(summaryLine(r), '1 of 6 layers differ (2 more only in timestamps) · 1 file differs (1 modified)');
  });

  it('lists one row per path: a new directory and its opaque marker are one entry', () => {
    const side = (type: string) => ({ type, mode: '0755', uid: 0, gid: 0, size: 0, layer: 5 }) as never;
    const rows = viewFiles([
      { path: '/run/apache2', change: 'removed', reasons: [], layer: 5, a: side('dir') },
      { path: '/run/apache2', change: 'removed', reasons: [], layer: 5, a: side('opaque') },
      { path: '/srv', change: 'removed', reasons: [], layer: 5, a: side('opaque') },
    ]);
    assert.deepEqual(rows.map((r) => `${r.path} ${r.a!.type}`), ['/run/apache2 dir', '/srv opaque']);
  });
});
