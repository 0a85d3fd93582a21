import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffReport } from '../../../src/core/report/report';
import { runCli } from '../../helpers/runCli';
import { makeImageArchive, makeTar } from '../../helpers/tarBuilder';

describe('CLI on archives', () => {
  let dir: string;
  let archive: string;
  let cacheArgs: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-cli-'));
    cacheArgs = ['--cache-dir', join(dir, 'cache')];
    const base = await makeTar([{ name: 'etc/os-release', content: 'ID=debian\n' }]);
    archive = join(dir, 'pair.tar');
    await writeFile(
      archive,
      await makeImageArchive(
        [
          { tags: ['app:laptop'], layers: [base, await makeTar([{ name: 'usr/local/bin/setup.sh', content: 'a2enmod fcgid\n', mode: 0o755 }])], history: [{ created_by: '/bin/sh -c #(nop) ADD file:0123456789abcdef in / ' }, { created_by: '/bin/sh -c #(nop) COPY file:aaaaaaaaaaaaaaaa in /usr/local/bin/ ' }] },
          { tags: ['app:ci'], layers: [base, await makeTar([{ name: 'usr/local/bin/setup.sh', content: 'a2enmod fcgid\r\n', mode: 0o755 }])], history: [{ created_by: '/bin/sh -c #(nop) ADD file:0123456789abcdef in / ' }, { created_by: '/bin/sh -c #(nop) COPY file:bbbbbbbbbbbbbbbb in /usr/local/bin/ ' }] },
        ],
        'legacy',
      ),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const A = () => `docker-archive:${archive}:app:laptop`;
  const B = () => `docker-archive:${archive}:app:ci`;

  it('diff --json follows the documented shape and exits 1 on a difference', async () => {
    const r = await runCli(['diff', A(), B(), '--json', ...cacheArgs]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as DiffReport;
    assert.deepEqual(j.layers.map((l) => l.status), ['identical', 'different']);
    assert.match(j.layers[0].a!.diffId, /^sha256:/);
    assert.equal(j.layers[1].a!.createdBy, '/bin/sh -c #(nop) COPY file:aaaaaaaaaaaaaaaa in /usr/local/bin/ ');
    assert.deepEqual(j.files, [
      {
        path: '/usr/local/bin/setup.sh',
        change: 'modified',
        reasons: ['lineEndings'],
        layer: 1,
        a: { type: 'file', mode: '0755', uid: 0, gid: 0, size: 14, sha256: j.files[0].a!.sha256, lineEndings: 'lf', layer: 1 },
        b: { type: 'file', mode: '0755', uid: 0, gid: 0, size: 15, sha256: j.files[0].b!.sha256, lineEndings: 'crlf', layer: 1 },
      },
    ]);
    assert.notEqual(j.files[0].a!.sha256, j.files[0].b!.sha256);
  });

  it('diff text collapses the shared base and groups files by reason', async () => {
    const r = await runCli(['diff', A(), B(), ...cacheArgs]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /= 00 +1 identical: ADD file:0123456789ab… \//);
    assert.match(r.stdout, /≠ 01 +COPY file:aaaaaaaaaaaa… \/usr\/local\/bin\/ +\[1 file differs\]/);
    // Only the copied bytes differ, not the Dockerfile line: no second instruction line for B.
    assert.doesNotMatch(r.stdout, /B: COPY/);
    assert.match(r.stdout, /line endings only \(1\)\n +\/usr\/local\/bin\/setup\.sh +line endings LF → CRLF/);
  });

  it('--ignore-finding leaves a code out, everywhere or for matching paths, and refuses what is not a code', async () => {
    const codes = async (...extra: string[]) => (JSON.parse((await runCli(['diff', A(), B(), '--json', ...extra, ...cacheArgs])).stdout) as DiffReport).findings!.map((f) => f.code);
    assert.deepEqual(await codes(), ['CC206']);
    assert.deepEqual(await codes('--ignore-finding', 'CC206'), []);
    assert.deepEqual(await codes('--ignore-finding', 'CC206:/usr/local/bin/*'), []);
    assert.deepEqual(await codes('--ignore-finding', 'CC206:/etc/**'), ['CC206']);
    const bad = await runCli(['diff', A(), B(), '--ignore-finding', 'SC2086', ...cacheArgs]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--ignore-finding expects CODE or CODE:GLOB with a code like CC206, got "SC2086"/);
  });

  it('diff text and JSON start with the findings', async () => {
    const r = await runCli(['diff', A(), B(), ...cacheArgs]);
    assert.match(r.stdout, /^Findings\n  ! CC206 setup\.sh has CRLF line endings in ci \(LF in laptop\)\n      /);
    const j = JSON.parse((await runCli(['diff', A(), B(), '--json', ...cacheArgs])).stdout) as DiffReport;
    assert.deepEqual(Object.keys(j).slice(0, 4), ['schemaVersion', 'a', 'b', 'findings']);
    assert.deepEqual(
      j.findings!.map((f) => [f.kind, f.severity, f.evidence]),
      [['lineEndings', 'warning', { files: [{ path: '/usr/local/bin/setup.sh', side: 'b', layerRow: 1, layer: { a: 1, b: 1 } }] }]],
    );
    assert.deepEqual(j.packages, { ecosystems: [], problems: [] });
    assert.deepEqual(j.leftovers, { a: [], b: [] });
  });

  it('snapshot, then diff against it: the same image passes, the drifted one fails with the cause first', async () => {
    const snap = await runCli(['snapshot', A(), ...cacheArgs]);
    assert.equal(snap.code, 0, snap.stderr);
    const file = join(dir, 'baseline.json');
    await writeFile(file, snap.stdout);
    const doc = JSON.parse(snap.stdout);
    assert.equal(doc.kind, 'container-compare/snapshot');
    assert.equal(doc.files.count, doc.files.rows.length);
    const same = await runCli(['diff', file, A(), '--json', ...cacheArgs]);
    assert.equal(same.code, 0, same.stderr);
    const sameReport = JSON.parse(same.stdout) as DiffReport & { gate: { fail: boolean } };
    assert.deepEqual(sameReport.findings, []);
    assert.equal(sameReport.a.source, 'snapshot');
    assert.equal(sameReport.a.ref, file);
    const drift = await runCli(['diff', file, B(), '--json', ...cacheArgs]);
    assert.equal(drift.code, 1);
    const driftReport = JSON.parse(drift.stdout) as DiffReport;
    assert.equal(driftReport.findings![0].kind, 'lineEndings');
    assert.deepEqual(driftReport.files.map((f) => [f.path, f.reasons]), [['/usr/local/bin/setup.sh', ['lineEndings']]]);
    // Only files differ: a gate on packages passes; on the size alone too (both layers are 512-byte tar blocks).
    assert.equal((await runCli(['diff', file, B(), '--fail-on', 'packages', ...cacheArgs])).code, 0);
    assert.equal((await runCli(['diff', file, B(), '--max-size-change', '0', ...cacheArgs])).code, 0);
    assert.equal((await runCli(['diff', file, B(), '--max-size-change', '0', '--fail-on', 'files', ...cacheArgs])).code, 1);
    // A snapshot of a snapshot checks it and writes the same text.
    assert.equal((await runCli(['snapshot', file, ...cacheArgs])).stdout, snap.stdout);
    // Markdown for a pull request: findings first, details folded.
    const md = (await runCli(['diff', file, B(), '--markdown', ...cacheArgs])).stdout;
    assert.match(md, /^## Container Compare: `app:laptop` vs `app:ci`\n\n### Findings\n\n1\. ! `CC206` \*\*setup\.sh has CRLF line endings in ci \(LF in laptop\)\*\*/);
    assert.ok(md.indexOf('### Findings') < md.indexOf('**Different**'));
    assert.match(md, /<details><summary>Files: 1 modified, 0 added, 0 removed<\/summary>/);
  });

  it('diff --markdown renders tables', async () => {
    const r = await runCli(['diff', A(), B(), '--markdown', ...cacheArgs]);
    assert.match(r.stdout, /^## Container Compare: `app:laptop` vs `app:ci`/);
    assert.match(r.stdout, /\| `\/usr\/local\/bin\/setup\.sh` \| line endings LF → CRLF \| 01 \|/);
  });

  it('gates: --fail-on and --max-changes decide the exit code', async () => {
    assert.equal((await runCli(['diff', A(), B(), '--fail-on', 'mode', ...cacheArgs])).code, 0);
    assert.equal((await runCli(['diff', A(), B(), '--fail-on', 'lineEndings', ...cacheArgs])).code, 1);
    assert.equal((await runCli(['diff', A(), B(), '--max-changes', '5', ...cacheArgs])).code, 0);
    assert.equal((await runCli(['diff', A(), A(), ...cacheArgs])).code, 0);
  });

  it('--ignore leaves matching paths out', async () => {
    const r = await runCli(['diff', A(), B(), '--json', '--ignore', '/usr/local/**', '--fail-on', 'files', ...cacheArgs]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).files, []);
  });

  it('layers, ls and cat', async () => {
    const layers = await runCli(['layers', B(), ...cacheArgs]);
    assert.match(layers.stdout, /01 .* COPY file:bbbbbbbbbbbb… \/usr\/local\/bin\//);
    const ls = await runCli(['ls', B(), '/usr/local/bin', ...cacheArgs]);
    assert.match(ls.stdout, /-0755 +0:0 +15 +01 +\/usr\/local\/bin\/setup\.sh/);
    const cat = await runCli(['cat', B(), '/usr/local/bin/setup.sh', ...cacheArgs]);
    assert.equal(cat.stdout, 'a2enmod fcgid\r\n');
    const catLayer = await runCli(['cat', A(), '/etc/os-release', '--layer', '0', ...cacheArgs]);
    assert.equal(catLayer.stdout, 'ID=debian\n');
  });

  const errors: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['a missing archive', ['layers', 'docker-archive:/nonexistent/x.tar'], /cannot open \/nonexistent\/x\.tar \(ENOENT\)/],
    ['a missing file in the image', ['cat', 'docker-archive:PAIR:app:ci', '/nope'], /\/nope: no such file/],
    ['an unknown option', ['diff', '--frob'], /Unknown option '--frob'/],
    ['a bad --max-changes', ['diff', 'a', 'b', '--max-changes', 'x'], /--max-changes expects a whole number/],
    ['a bad --max-size-change', ['diff', 'a', 'b', '--max-size-change', 'much'], /--max-size-change expects a size like 10M or a percentage like 5%/],
    ['an unknown --fail-on kind', ['diff', 'a', 'b', '--fail-on', 'packages,vibes'], /unknown kind "vibes"/],
    ['an unreachable daemon', ['layers', 'app:1', '--host', 'unix:///nonexistent.sock'], /Cannot reach a Docker engine at unix:\/\/\/nonexistent\.sock/],
  ];
  for (const [name, args, msg] of errors) {
    it(`exits 2 with a one-line message on ${name}, without a stack trace`, async () => {
      const r = await runCli([...args.map((a) => a.replace('PAIR', archive)), ...cacheArgs]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, msg);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('prints the stack with --debug', async () => {
    const r = await runCli(['layers', 'docker-archive:/nonexistent/x.tar', '--debug', ...cacheArgs]);
    assert.match(r.stderr, /\n\s+at /);
  });
});
