import { strict as assert } from 'node:assert';
import { findingsMarkdown } from '../../../src/cli/findingFormat';
import { inertMarkdownInline as mdInline } from '../../../src/core/util/inert';
import { renderMarkdown, renderText } from '../../../src/cli/format';
import type { Finding } from '../../../src/core/findings/finding';
import type { DiffReport, GateResult } from '../../../src/core/report/report';

const side = (name: string) => ({ ref: name, name, id: `sha256:${'a'.repeat(64)}`, source: 'daemon' as const, platform: 'linux/amd64', layers: 1, size: 10 });
const gate: GateResult = { fail: true, counted: 1, explanation: '1 difference (more than 0 allowed)' };
const finding = (title: string, detail = 'Why.'): Finding => ({ code: 'CC206', kind: 'lineEndings', severity: 'warning', title, detail, evidence: {}, score: 55 });

function report(extra: Partial<DiffReport> = {}): DiffReport {
  return {
    schemaVersion: 1,
    a: side('app:a'),
    b: side('app:b'),
    summary: { layers: { identical: 1, sameContent: 0, different: 0, onlyA: 0, onlyB: 0 }, files: { added: 0, removed: 0, modified: 0 }, reasons: { content: 0, lineEndings: 0, mode: 0, owner: 0, symlink: 0, type: 0 }, config: 0 },
    layers: [],
    files: [],
    config: [],
    ignored: [],
    ...extra,
  };
}

describe('diff output', () => {
  it('text: paths and commands from an image cannot drive the terminal', () => {
    const text = renderText(report({ findings: [finding('evil\x1b]0;pwned\x07.sh has CRLF', 'bidi \u202e here')] }), gate);
    assert.doesNotMatch(text.replace(/\n/g, ''), /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e]/);
    assert.match(text, /^Findings\n {2}! CC206 evil\\x1b\]0;pwned\\x07\.sh has CRLF\n {6}bidi \\u\{202e\} here\n/);
  });

  it('text: packages per ecosystem and leftovers by side, never a secret value', () => {
    const text = renderText(
      report({
        packages: {
          ecosystems: [
            { kind: 'dpkg', added: [], removed: [], changed: [], identical: true },
            { kind: 'apk', added: [{ kind: 'apk', name: 'curl', change: 'added', b: '8.5.0-r0', securityRelevant: true, security: 'http' }], removed: [], changed: [{ kind: 'apk', name: 'libssl3', change: 'changed', a: '3.1.4-r5', b: '3.1.2-r0', direction: 'downgrade', securityRelevant: true, security: 'tls' }] },
          ],
          problems: [{ kind: 'rpm', path: '/var/lib/rpm/Packages', message: 'Berkeley DB is not read', side: 'b' }],
        },
        leftovers: { a: [{ path: '/root/.ssh/id_ed25519', layer: 2, kind: 'privateKey', reason: 'r', deletedInLayer: 3, secretKinds: ['privateKey'] }], b: [] },
      }),
      gate,
    );
    assert.match(text, /\nPackages\n {2}dpkg: same databases \(not read\)\n {2}apk: 1 added, 1 changed\n {4}~ libssl3 {2}3\.1\.4-r5 → 3\.1\.2-r0 {2}\(downgrade, tls\)\n {4}\+ curl {2}8\.5\.0-r0 {2}\(http\)\n {2}! B rpm: Berkeley DB is not read\n/);
    assert.match(text, /\nLeftovers \(files that should not ship; values never shown\)\n {2}A {2}layer 02 {2}\/root\/\.ssh\/id_ed25519 {2}privateKey; secrets: privateKey; deleted in layer 03, its bytes still ship\n/);
  });

  it('Markdown: findings first, as a list with commands as code, the rest folded', () => {
    const md = renderMarkdown(report({ findings: [finding('run.sh has CRLF; `RUN sh /run.sh | tee x` then produced a different layer: 3 files missing', 'Use *LF*.')] }), gate);
    assert.match(md, /^## Container Compare: `app:a` vs `app:b`\n\n### Findings\n\n1\. ! `CC206` \*\*run\.sh has CRLF; `RUN sh \/run\.sh \| tee x` then produced a different layer: 3 files missing\*\* {2}\n {3}Use \\\*LF\\\*\.\n\n\*\*Different\*\* — 1 difference \(more than 0 allowed\)\.\n/);
    assert.match(md, /<details><summary>Layers: 0 identical, 0 differ<\/summary>/);
  });

  it('Markdown escaping: an odd backtick in a path makes no code span', () => {
    assert.equal(mdInline('a`b <i>'), 'a\\`b \\<i\\>');
    assert.equal(mdInline('x `y|<z>` w_'), 'x `y|<z>` w\\_');
    assert.deepEqual(findingsMarkdown([]), ['No findings.']);
  });
});
