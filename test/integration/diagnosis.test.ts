import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../src/core/findings/finding';
import type { ImageModel } from '../../src/core/image/model';
import { Cache } from '../../src/core/layers/cache';
import { analyzePair } from '../../src/core/report/analysis';
import type { DiffReport } from '../../src/core/report/report';
import { RUN_LABEL, type RunOptions } from '../../src/core/run/runModel';
import { loadImages, type LoadOptions } from '../../src/core/sources/loader';
import type { Side } from '../../src/core/util/side';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { runPair } from '../../src/docker/runPair';
import { docker, requireImages } from '../helpers/docker';
import { runCli } from '../helpers/runCli';

/**
 * The diagnosis on pairs built the way users build images
 * (test/fixtures/diagnosis: real timestamps, B rebuilt later without cache,
 * the classic builder and BuildKit): the real cause comes first with the
 * evidence that shows it, a run's symptoms are linked to it, and pairs whose
 * only differences are timestamps (or harmless modes and line endings) say
 * nothing alarming.
 */
interface Expect {
  /** The first finding's code, side, title and the paths its evidence must cite. */
  first?: { code: string; side?: Side; title: RegExp; cites: string[] };
  /** No error or warning at all (the controls). */
  quiet?: true;
  /** Codes that must not appear (a rule that must not fire on this pair). */
  never?: string[];
  /** With a run: the symptom that must come right after the cause, linked to it. */
  run?: { port?: string; http: string; symptom: string };
}

const CASES: Array<[string, Expect]> = [
  ['timestamps', { quiet: true, never: ['CC103', 'CC104', 'CC105'] }],
  ['timestamps-bk', { quiet: true, never: ['CC103', 'CC104', 'CC105'] }],
  ['timestamps-mixed', { quiet: true, never: ['CC103', 'CC104', 'CC105'] }],
  [
    'execbit',
    {
      first: { code: 'CC101', side: 'b', title: /^`RUN \/usr\/local\/bin\/setup\.sh \|\| echo "setup skipped"` did nothing in b: setup\.sh is not executable in b \(0644; 0755 in a\)/, cites: ['/usr/local/bin/setup.sh', '/usr/local/bin/app'] },
      never: ['CC106', 'CC201'],
      run: { http: '/', symptom: 'CC601' },
    },
  ],
  [
    'execbit-bk',
    {
      first: { code: 'CC101', side: 'b', title: /did nothing in b: setup\.sh is not executable in b/, cites: ['/usr/local/bin/setup.sh', '/usr/local/bin/app'] },
      never: ['CC103', 'CC201', 'CC207'],
      run: { http: '/', symptom: 'CC601' },
    },
  ],
  [
    'crlfrun',
    {
      first: { code: 'CC102', side: 'b', title: /^configure\.sh has CRLF line endings in b; `RUN sh \.\/configure\.sh` then produced a different layer: 7 files missing, among them \/opt\/app\/bin\/app$/, cites: ['/src/configure.sh', '/opt/app/bin/app'] },
      never: ['CC206', 'CC201'],
      run: { http: '/', symptom: 'CC601' },
    },
  ],
  [
    'perm',
    {
      first: { code: 'CC205', side: 'b', title: /^httpd\.conf is 0600 0:0 in b: USER app \(uid 1000\) cannot read it \(0644 0:0 in a\)$/, cites: ['/etc/httpd/httpd.conf'] },
      never: ['CC210'],
      run: { http: '/', symptom: 'CC602' },
    },
  ],
  [
    'missingfile',
    {
      first: { code: 'CC109', side: 'b', title: /copied \/etc\/app\/app\.conf into a only: b's build context lacked it$/, cites: ['/etc/app/app.conf'] },
      never: ['CC105'],
      run: { http: '/', symptom: 'CC602' },
    },
  ],
  ['modesok', { quiet: true, never: ['CC103', 'CC207'] }],
  ['crlfok', { quiet: true, never: ['CC102'] }],
  [
    'php-real',
    {
      first: { code: 'CC102', side: 'b', title: /^install-fcgid\.sh has CRLF line endings in b; `RUN sh \/usr\/local\/bin\/install-fcgid\.sh` then produced a different layer: 31 files missing, among them \/usr\/lib\/apache2\/modules\/mod_fcgid\.so$/, cites: ['/usr/local/bin/install-fcgid.sh', '/usr/lib/apache2/modules/mod_fcgid.so'] },
      run: { http: '/index.php', symptom: 'CC603' },
    },
  ],
  ['php-real-classic', { first: { code: 'CC102', side: 'b', title: /^install-fcgid\.sh has CRLF line endings in b;/, cites: ['/usr/local/bin/install-fcgid.sh'] } }],
  ['rebuilt-base', { never: ['CC101', 'CC103'] }],
];

const refs = (name: string) => [`cc-diag/${name}:a`, `cc-diag/${name}:b`] as const;
const brief = (fs: readonly Finding[]) => fs.map((f) => `${f.score} ${f.severity} ${f.code} ${f.kind}: ${f.title}`).join('\n');

/** Findings whose evidence stands only on rows that differ in timestamps: none may be among the first three. */
function onTimestampRows(f: Finding, r: DiffReport): boolean {
  const rows = f.evidence.layerRows ?? [];
  return rows.length > 0 && rows.every((i) => r.layers[i]?.status === 'sameContent');
}

describe('diagnosis on pairs built as users build them (test/fixtures/diagnosis)', function () {
  let dir: string;
  let cache: Cache;
  const daemon = () => new DaemonClient(resolveEndpoint({}));
  const load = (): LoadOptions => ({ cache, daemon });
  const analyse = async (pair: readonly [string, string], run?: Parameters<typeof analyzePair>[2]['run']) => {
    const [a, b] = await loadImages(pair, load());
    return analyzePair({ model: a }, { model: b }, { cache, run, fetchLayers: async (side, d) => void (await loadImages([pair[side === 'a' ? 0 : 1]], { ...load(), needLayerBytes: d })) });
  };

  before(async () => {
    try {
      requireImages(...CASES.flatMap(([name]) => refs(name)));
    } catch (e) {
      throw new Error(`${(e as Error).message.replace('scripts/build-fixtures.sh', 'scripts/build-diagnosis-pairs.sh')}`);
    }
    dir = await mkdtemp(join(tmpdir(), 'cc-int-diagnosis-'));
    cache = await Cache.open(join(dir, 'cache'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, want] of CASES) {
    it(`${name}: ${want.first ? `${want.first.code} first, with its evidence` : 'nothing alarming'}`, async () => {
      const { report } = await analyse(refs(name));
      const findings = report.findings!;
      const all = brief(findings);
      if (want.first) {
        const [f] = findings;
        assert.equal(f?.code, want.first.code, all);
        assert.match(f.title, want.first.title, all);
        if (want.first.side) assert.equal(f.side, want.first.side, all);
        for (const p of want.first.cites) assert.ok(f.evidence.files?.some((e) => e.path === p), `${f.title} does not cite ${p}: ${JSON.stringify(f.evidence.files)}`);
      }
      if (want.quiet) assert.deepEqual(findings.filter((f) => f.severity !== 'info').map((f) => f.title), [], all);
      for (const code of want.never ?? []) assert.ok(!findings.some((f) => f.code === code), `${code} must not fire on ${name}:\n${all}`);
      // A layer that only has other timestamps is never a cause, nor among the first three (the builder
      // finding may point at them: they are what the two builders made differently, with the same content).
      assert.ok(!findings.slice(0, 3).some((f) => f.code !== 'CC108' && onTimestampRows(f, report)), all);
      // Every finding stands on evidence that exists in this report.
      for (const f of findings) {
        assert.ok(Object.keys(f.evidence).length > 0, `${f.title}: no evidence`);
        for (const row of f.evidence.layerRows ?? []) assert.ok(report.layers[row], `${f.title}: layer row ${row}`);
        for (const e of f.evidence.files ?? []) assert.ok(report.files.some((x) => x.path === e.path) || report.layers.some((l) => l.files?.some((x) => x.path === e.path)), `${f.title}: ${e.path} is no difference`);
      }
    });
  }

  it('the text output says the same first finding, with its code', async () => {
    for (const name of ['execbit', 'missingfile']) {
      const r = await runCli(['diff', ...refs(name), '--cache-dir', join(dir, 'cli-cache')]);
      assert.equal(r.code, 1, r.stderr);
      const { report } = await analyse(refs(name));
      const first = report.findings![0];
      const line = r.stdout.split('\n')[1];
      assert.ok(line.includes(first.code) && line.includes(first.title), `${line}\n≠ ${first.code} ${first.title}`);
    }
  });

  describe('with a run of both images: the cause first, the symptom right after it and linked to it', function () {
    const client = new DaemonClient(resolveEndpoint({}));
    afterEach(() => assert.equal(docker('ps', '-a', '-q', '--filter', `label=${RUN_LABEL}`).trim(), '', 'no container of ours is left'));
    for (const [name, want] of CASES.filter(([, w]) => w.run)) {
      it(`${name}: ${want.first!.code}, then ${want.run!.symptom}`, async () => {
        const pair = refs(name);
        const images = (await loadImages(pair, load())) as [ImageModel, ImageModel];
        const options: RunOptions = { quietMs: 2000, maxMs: 30_000, presets: true, probes: [], httpPath: want.run!.http };
        const run = await runPair(client, images, [pair[0], pair[1]], options);
        const { report } = await analyzePair({ model: images[0] }, { model: images[1] }, { cache, run });
        const findings = report.findings!;
        const all = brief(findings);
        assert.equal(findings[0].code, want.first!.code, all);
        assert.equal(findings[1].code, want.run!.symptom, all);
        assert.match(findings[1].detail, new RegExp(`The cause: .*\\(${want.first!.code}\\)\\.`), all);
        // What the run saw is part of the cause's evidence too.
        for (const row of findings[1].evidence.logRows ?? []) assert.ok(findings[0].evidence.logRows?.includes(row), `${findings[0].title}: lacks log row ${row}`);
      });
    }
  });
});
