import { strict as assert } from 'node:assert';
import type { Finding } from '../../../../src/core/findings/finding';
import { silencer } from '../../../../src/core/findings/findings';
import { parseFindingFilter } from '../../../../src/core/util/codes';
import { redact, sideNames } from '../../../../src/core/findings/phrasing';
import { sortFindings } from '../../../../src/core/findings/rank';
import { baseLayerCount, historySteps } from '../../../../src/core/image/history';
import type { Leftover } from '../../../../src/core/findings/leftovers';
import type { FileEntry, ImageConfig, ImageModel } from '../../../../src/core/image/model';
import type { PackageChange } from '../../../../src/core/packages/packages';
import type { RunFinding, RunReport } from '../../../../src/core/run/runModel';
import { analyse, BASE, CMD, COPY, crlf, dir, file, H, img, kinds, RUN } from '../../../helpers/findingImages';


describe('findings', () => {
  describe('a CRLF script that a later RUN executes, whose layer then differs', () => {
    const laptop = img('app:laptop', [
      BASE,
      COPY('/usr/local/bin/install.sh', 'c1', [dir('/usr'), file('/usr/local/bin/install.sh')]),
      RUN('sh /usr/local/bin/install.sh', 'r1', [file('/usr/lib/apache2/modules/mod_fcgid.so', { sha256: H('5') }), file('/etc/apache2/mods-enabled/fcgid.load', { sha256: H('6') }), file('/var/log/apt/term.log', { sha256: H('7') })]),
      CMD('["apache2ctl"]'),
    ]);
    const ci = img('app:ci', [
      BASE,
      COPY('/usr/local/bin/install.sh', 'c2', [dir('/usr'), crlf('/usr/local/bin/install.sh', { mode: 0o755 })]),
      RUN('sh /usr/local/bin/install.sh', 'r2', [file('/var/log/apt/term.log', { sha256: H('8') })]),
      CMD('["apache2ctl"]'),
    ]);

    it('names the script and the step it broke first, with what the step left out', async () => {
      const { findings } = await analyse(laptop, ci);
      const f = findings[0];
      assert.equal(f.kind, 'crlfScript');
      assert.equal(f.severity, 'error');
      assert.equal(f.side, 'b');
      assert.equal(f.title, 'install.sh has CRLF line endings in ci; `RUN sh /usr/local/bin/install.sh` then produced a different layer: 2 files missing, among them /usr/lib/apache2/modules/mod_fcgid.so');
      assert.deepEqual(f.evidence.layerRows, [2]);
      assert.deepEqual(f.evidence.files![0], { path: '/usr/local/bin/install.sh', side: 'b', layerRow: 1, layer: { a: 1, b: 1 } });
      assert.equal(f.evidence.files![1].path, '/usr/lib/apache2/modules/mod_fcgid.so');
      // The script is explained: no second line-endings finding about it, and no same-step finding for that row.
      assert.ok(!kinds(findings).includes('lineEndings'));
      assert.ok(!kinds(findings).includes('sameStepDifferentResult'));
    });

    it('adds what the package database lost when the packages were compared', async () => {
      const removed: PackageChange = { kind: 'dpkg', name: 'libapache2-mod-fcgid', change: 'removed', a: '1:2.3.9-4', securityRelevant: false };
      const a = img('app:laptop', [BASE, COPY('/x.sh', 'c1', [file('/x.sh')]), RUN('sh /x.sh', 'r1', [file('/var/lib/dpkg/status', { sha256: H('a') }), file('/usr/lib/m.so')])]);
      const b = img('app:ci', [BASE, COPY('/x.sh', 'c2', [crlf('/x.sh')]), RUN('sh /x.sh', 'r2', [file('/var/lib/dpkg/status', { sha256: H('b') })])]);
      const { findings } = await analyse(a, b, { packages: { ecosystems: [{ kind: 'dpkg', added: [], removed: [removed], changed: [] }], problems: [] }, leftovers: { a: [], b: [] } });
      assert.equal(findings[0].kind, 'crlfScript');
      assert.match(findings[0].detail, /the dpkg database in ci lacks libapache2-mod-fcgid/);
      assert.deepEqual(findings[0].evidence.packages, [{ ecosystem: 'dpkg', name: 'libapache2-mod-fcgid' }]);
    });

    it('is no cause when the step that runs it gave the same layer', async () => {
      // The RUN layer is the same layer (same diffID) on both sides.
      const run = RUN('sh /usr/local/bin/install.sh', 'r1', laptop.indexes[2]);
      const a = img('app:laptop', [BASE, COPY('/usr/local/bin/install.sh', 'c1', [dir('/usr'), file('/usr/local/bin/install.sh')]), run]);
      const b = img('app:ci', [BASE, COPY('/usr/local/bin/install.sh', 'c2', [dir('/usr'), crlf('/usr/local/bin/install.sh')]), run]);
      const { findings } = await analyse(a, b);
      assert.deepEqual(kinds(findings), ['lineEndings']);
      assert.match(findings[0].title, /^install\.sh has CRLF line endings in ci \(LF in laptop\)$/);
      assert.match(findings[0].detail, /no such file or directory/);
    });

    it('ranks it above the run symptoms it explains, and says so in them', async () => {
      const served: RunFinding = { code: 'CC603', kind: 'servedAsSource', severity: 'error', side: 'b', title: 'B serves / as source code (<?php) where A runs it', detail: 'B answered 200 with the script itself.', evidence: { http: ['body'] } };
      const module_: RunFinding = { code: 'CC604', kind: 'moduleOnlyOne', severity: 'warning', side: 'a', title: 'Apache module fcgid_module is loaded only in A', detail: 'x.', evidence: { probe: 'apache modules' } };
      const log: RunFinding = { code: 'CC612', kind: 'logOnlyOne', severity: 'info', side: 'a', title: '1 log line only in A', detail: 'x.', evidence: { logRows: [3] } };
      const run = { findings: [served, module_, log] } as unknown as RunReport;
      const { findings } = await analyse(laptop, ci, { run });
      assert.deepEqual(kinds(findings).slice(0, 3), ['crlfScript', 'servedAsSource', 'moduleOnlyOne']);
      assert.equal(findings[findings.length - 1].kind, 'logOnlyOne');
      assert.match(findings[1].detail, /The cause: install\.sh has CRLF line endings in ci, so `RUN sh \/usr\/local\/bin\/install\.sh` did different work .* \(CC102\)\.$/);
      assert.deepEqual(findings[1].evidence.http, ['body']);
      assert.deepEqual(findings[1].evidence.layerRows, [2]);
      assert.match(findings[2].detail, /The cause: install\.sh/);
      // Evidence, not position: the module is named by the files the cause cites (mod_fcgid.so).
      assert.ok(findings[0].evidence.files!.some((f) => f.path.endsWith('/mod_fcgid.so')));
    });
  });

  describe('the start command', () => {
    const a = (entry: FileEntry, config: ImageConfig['config']) => img('s:a', [BASE, COPY('/entrypoint.sh', 'c1', [entry])], config);
    const cases: Array<[string, FileEntry, FileEntry, ImageConfig['config'], RegExp, Finding['severity']]> = [
      ['a CRLF entrypoint run directly cannot start', file('/entrypoint.sh', { mode: 0o755 }), crlf('/entrypoint.sh', { mode: 0o755 }), { Entrypoint: ['/entrypoint.sh'] }, /^entrypoint\.sh has CRLF line endings in b: its ENTRYPOINT cannot start$/, 'error'],
      ['a CRLF CMD found on PATH', file('/usr/local/bin/start', { mode: 0o755 }), crlf('/usr/local/bin/start', { mode: 0o755 }), { Cmd: ['start'], Env: ['PATH=/usr/local/bin:/bin'] }, /^start has CRLF line endings in b: its CMD cannot start$/, 'error'],
      ['a CRLF script handed to sh still starts, badly', file('/entrypoint.sh'), crlf('/entrypoint.sh'), { Cmd: ['sh', '/entrypoint.sh'] }, /^entrypoint\.sh, which the CMD runs, has CRLF line endings in b$/, 'warning'],
      ['an entrypoint without its execute bit', file('/entrypoint.sh', { mode: 0o755 }), file('/entrypoint.sh'), { Entrypoint: ['/entrypoint.sh'] }, /^entrypoint\.sh is not executable in b \(0644\): its ENTRYPOINT cannot start$/, 'error'],
      ['a relative CMD under WORKDIR, through sh -c', file('/app/run.sh', { mode: 0o755 }), crlf('/app/run.sh', { mode: 0o755 }), { WorkingDir: '/app', Cmd: ['/bin/sh', '-c', 'exec ./run.sh --port 80'] }, /^run\.sh has CRLF line endings in b: its CMD cannot start$/, 'error'],
    ];
    for (const [name, ea, eb, config, title, severity] of cases) {
      it(name, async () => {
        const b = img('s:b', [BASE, COPY(ea.path, 'c2', [eb])], config);
        const { findings } = await analyse(a(ea, config), b);
        assert.equal(findings[0].kind, 'entrypoint');
        assert.match(findings[0].title, title);
        assert.equal(findings[0].severity, severity);
        assert.equal(findings[0].side, 'b');
        assert.equal(findings[0].evidence.files![0].path, ea.path);
      });
    }

    it('a start command naming a file only A has is explained by the Dockerfile line that no longer copies it: one finding, the cause, saying so', async () => {
      const config = { Entrypoint: ['/entrypoint.sh'] };
      const { findings } = await analyse(a(file('/entrypoint.sh', { mode: 0o755 }), config), img('s:b', [BASE, COPY('/x', 'c2', [file('/x')])], config));
      assert.deepEqual(kinds(findings), ['instruction']);
      assert.equal(findings[0].severity, 'error');
      assert.match(findings[0].detail, /That is why b cannot start: its start command runs \/entrypoint\.sh\.$/);
    });

    it('a run that saw the container stop: the static cause first, the stop after it and linked to it', async () => {
      const config = { Entrypoint: ['/entrypoint.sh'] };
      const exited: RunFinding = { code: 'CC602', kind: 'exited', severity: 'error', side: 'b', title: 'B exited with code 1 while A is running', detail: 'B stopped during the startup window.', evidence: { logRows: [0] } };
      const { findings } = await analyse(a(file('/entrypoint.sh', { mode: 0o755 }), config), img('s:b', [BASE, COPY('/entrypoint.sh', 'c2', [crlf('/entrypoint.sh', { mode: 0o755 })])], config), {
        run: { findings: [exited] } as unknown as RunReport,
      });
      assert.deepEqual(kinds(findings), ['entrypoint', 'exited']);
      assert.match(findings[1].detail, /The cause: entrypoint\.sh has CRLF line endings in b/);
      assert.deepEqual(findings[0].evidence.logRows, [0]);
      assert.equal(findings[1].evidence.files![0].path, '/entrypoint.sh');
    });
  });

  describe('modes', () => {
    const pair = async (ma: number, mb: number, path = '/app/run.sh', cmd: ImageConfig['config'] = {}) =>
      (await analyse(img('m:a', [BASE, COPY(path, 'c1', [file(path, { mode: ma })])], cmd), img('m:b', [BASE, COPY(path, 'c2', [file(path, { mode: mb })])], cmd))).findings;
    it('a script that lost its execute bit', async () => {
      const [f] = await pair(0o755, 0o644);
      assert.equal(f.kind, 'mode');
      assert.equal(f.severity, 'warning');
      assert.equal(f.title, 'run.sh is not executable in b (0755 in a, 0644 in b)');
      assert.match(f.detail, /permission denied/);
    });
    it('the same, when the image runs it through sh: harmless, and said so', async () => {
      const [f] = await pair(0o755, 0o644, '/app/run.sh', { Cmd: ['sh', '/app/run.sh'] });
      assert.equal(f.severity, 'info');
      assert.equal(f.title, 'run.sh is 0755 in a, 0644 in b');
      assert.match(f.detail, /Windows/);
      assert.match(f.detail, /runs run\.sh through an interpreter/);
    });
    it('world-writable and setuid', async () => {
      assert.match((await pair(0o644, 0o666, '/etc/app.conf'))[0].title, /^app\.conf is world-writable in b/);
      assert.match((await pair(0o755, 0o4755, '/usr/bin/tool'))[0].title, /^tool is setuid\/setgid in b/);
    });
  });

  it('owner, symlink and type changes say what changed where', async () => {
    const a = img('o:a', [BASE, RUN('make', 'r1', [file('/data.txt'), { path: '/app/current', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkTarget: 'v1' }, dir('/app/x')])]);
    const b = img('o:b', [BASE, RUN('make2', 'r2', [file('/data.txt', { uid: 1000, gid: 1000 }), { path: '/app/current', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkTarget: 'v2' }, file('/app/x')])]);
    const { findings } = await analyse(a, b);
    assert.deepEqual(kinds(findings), ['symlink', 'owner', 'type', 'instruction']);
    assert.equal(findings[0].title, '/app/current points to v2 in b (v1 in a)');
    assert.equal(findings[1].title, '/data.txt is owned by 1000:1000 in b (0:0 in a)');
    assert.equal(findings[2].title, '/app/x is a dir in a, a file in b');
  });

  describe('layers', () => {
    it('a moved base explains the steps built on it: the base ranks above them', async () => {
      const a = img('b:a', [BASE, CMD('["bash"]'), RUN('apt-get install -y x', 'r1', [file('/usr/bin/x', { mode: 0o755 })])]);
      const b = img('b:b', [{ ...BASE, id: '9', files: [...BASE.files!, file('/etc/debian_version', { sha256: H('9') })] }, CMD('["bash"]'), RUN('apt-get install -y x', 'r2', [file('/usr/bin/x', { mode: 0o755, sha256: H('3') }), file('/usr/bin/y')])]);
      const { report, findings } = await analyse(a, b);
      assert.deepEqual(report.layers.map((l) => [l.status, !!l.base]), [['different', true], ['different', false]]);
      assert.deepEqual(kinds(findings).slice(0, 2), ['base', 'sameStepDifferentResult']);
      assert.match(findings[1].detail, /^The base image differs too/);
    });
    it('a RUN that did different work on an unchanged base, and one that only wrote other logs', async () => {
      const a = img('s:a', [BASE, RUN('apt-get install -y x', 'r1', [file('/usr/bin/x', { mode: 0o755 })]), RUN('apt-get update', 'u1', [file('/var/log/apt/history.log')])]);
      const b = img('s:b', [BASE, RUN('apt-get install -y x', 'r2', [file('/usr/share/doc/x')]), RUN('apt-get update', 'u2', [file('/var/log/apt/history.log', { sha256: H('4') })])]);
      const { findings } = await analyse(a, b);
      assert.deepEqual(findings.map((f) => [f.kind, f.severity]), [['sameStepDifferentResult', 'warning'], ['sameStepDifferentResult', 'info']]);
      assert.equal(findings[0].title, '`RUN apt-get install -y x` did different work in b: 1 file missing, among them /usr/bin/x');
      assert.match(findings[1].title, /only in logs and caches/);
    });
    it('steps only one side has, and changed Dockerfile lines', async () => {
      const a = img('l:a', [BASE, RUN('echo v1 > /v', 'r1', [file('/v')])]);
      const b = img('l:b', [BASE, RUN('echo v2 > /v', 'r2', [file('/v', { sha256: H('9') })]), RUN('echo extra > /extra.txt', 'r3', [file('/extra.txt')])]);
      const { findings } = await analyse(a, b);
      assert.deepEqual(kinds(findings), ['instruction', 'layerOnlyOne']);
      assert.equal(findings[1].title, 'B has a step a does not: `RUN echo extra > /extra.txt`');
    });
  });

  it('builders: BuildKit on one side, the classic builder on the other', async () => {
    const a = img('k:a', [BASE, { by: 'RUN /bin/sh -c make # buildkit', id: 'r1', files: [file('/x')] }]);
    const b = img('k:b', [BASE, { by: '/bin/sh -c make', id: 'r2', files: [file('/x', { sha256: H('3') })] }]);
    const { findings } = await analyse(a, b);
    const f = findings.find((x) => x.kind === 'builder')!;
    assert.equal(f.title, 'A was built with BuildKit, b with the classic builder');
  });

  describe('packages', () => {
    const pc = (name: string, change: PackageChange['change'], a?: string, b?: string, extra: Partial<PackageChange> = {}): PackageChange => ({ kind: 'dpkg', name, change, a, b, securityRelevant: false, ...extra });
    it('security-relevant changes first, downgrades above upgrades, the rest grouped', async () => {
      const a = img('p:a', [BASE, RUN('install', 'r1', [file('/var/lib/dpkg/status')])]);
      const b = img('p:b', [BASE, RUN('install2', 'r2', [file('/var/lib/dpkg/status', { sha256: H('3') })])]);
      const changed = [
        pc('curl', 'changed', '8.5', '8.6', { direction: 'upgrade', securityRelevant: true, security: 'http' }),
        pc('hello', 'changed', '1.1', '1.0', { direction: 'downgrade' }),
        pc('openssl', 'changed', '3.0.15', '3.0.11', { direction: 'downgrade', securityRelevant: true, security: 'tls' }),
        pc('zip', 'changed', '1', '2', { direction: 'upgrade' }),
      ];
      const { findings } = await analyse(a, b, { packages: { ecosystems: [{ kind: 'dpkg', added: [], removed: [pc('old', 'removed', '1')], changed }], problems: [] }, leftovers: { a: [], b: [] } });
      assert.deepEqual(
        findings.filter((f) => f.kind === 'package').map((f) => f.title),
        [
          'openssl downgraded in b: 3.0.15 → 3.0.11 (dpkg; TLS and crypto)',
          '1 package downgraded in b (dpkg): hello 1.1 → 1.0',
          'curl upgraded in b: 8.5 → 8.6 (dpkg; HTTP client)',
          '1 package installed only in a (dpkg): old 1',
          '1 package upgraded in b (dpkg): zip 1 → 2',
        ],
      );
      // The package database's own change is the package findings' evidence, not a "content" finding.
      assert.ok(!kinds(findings).includes('content'));
    });
  });

  describe('secrets and leftovers', () => {
    const lo = (path: string, layer: number, kind: Leftover['kind'], extra: Partial<Leftover> = {}): Leftover => ({ path, layer, kind, reason: 'Why it should not ship.', ...extra });
    const a = img('x:a', [BASE]);
    const b = img('x:b', [BASE]);
    it('a secret new in B is a regression; one in both still an error; one fixed in B a warning', async () => {
      const { findings } = await analyse(a, b, {
        packages: { ecosystems: [], problems: [] },
        leftovers: {
          a: [lo('/app/.env', 1, 'envFile', { secretKinds: ['password'] }), lo('/root/.npmrc', 2, 'packageManagerConfig', { secretKinds: ['npmToken'] }), lo('/app/.git', 1, 'vcs')],
          b: [lo('/root/.npmrc', 3, 'packageManagerConfig', { secretKinds: ['npmToken'] }), lo('/root/.ssh/id_ed25519', 2, 'privateKey', { secretKinds: ['privateKey'], deletedInLayer: 3 }), lo('/root/.bash_history', 1, 'shellHistory')],
        },
      });
      assert.deepEqual(
        findings.map((f) => [f.kind, f.severity, f.title]),
        [
          ['secret', 'error', 'B ships a private key that a does not: /root/.ssh/id_ed25519'],
          ['secret', 'error', 'Both images ship an npm token: /root/.npmrc'],
          ['secret', 'warning', 'A ships a password that b no longer does: /app/.env'],
          ['leftover', 'warning', 'B ships 1 file that should not ship that a does not: /root/.bash_history (shell history)'],
          ['leftover', 'info', 'A ships 1 file that should not ship that b no longer does: /app/.git (version control)'],
        ],
      );
      assert.match(findings[0].detail, /layer 3 deletes it, but its bytes still ship/);
      assert.match(findings[0].detail, /the value is not shown/);
      assert.deepEqual(findings[0].evidence.leftovers, [{ side: 'b', path: '/root/.ssh/id_ed25519', layer: 2 }]);
    });
  });

  it('config: the start command and user first, environment by names only', async () => {
    const a = img('c:a', [BASE], { User: '', Cmd: ['httpd'], Env: ['DB_PASSWORD=hunter2', 'MODE=dev'], WorkingDir: '/srv', Labels: { v: '1' } });
    const b = img('c:b', [BASE], { User: '1000', Cmd: ['sh'], Env: ['DB_PASSWORD=swordfish', 'MODE=prod', 'NEW=1'], WorkingDir: '/app', Labels: { v: '2' } });
    const { findings } = await analyse(a, b);
    assert.deepEqual(kinds(findings), ['config', 'config', 'config', 'config', 'config']);
    assert.match(findings[0].title, /^The start command differs: CMD `\["httpd"\]` → `\["sh"\]`$/);
    assert.equal(findings[1].title, 'B runs as 1000 (a: root)');
    assert.equal(findings[3].title, '3 environment variables differ: changed DB_PASSWORD, MODE; only in b: NEW');
    for (const f of findings) assert.ok(!JSON.stringify(f).includes('hunter2') && !JSON.stringify(f).includes('swordfish'));
  });

  it('another platform outranks everything, and what a run sees follows from it', async () => {
    const a = img('p:a', [BASE, RUN('make', 'r1', [file('/x')])]);
    const b = img('p:b', [BASE, RUN('make', 'r2', [])]);
    b.config = { ...b.config, architecture: 'arm64' };
    const failed: RunFinding = { code: 'CC601', kind: 'startFailed', severity: 'error', side: 'b', title: 'B did not start: exec /x: exec format error', detail: '.', evidence: {} };
    const { findings } = await analyse(a, b, { run: { findings: [failed] } as unknown as RunReport });
    assert.equal(findings[0].title, 'B is built for linux/arm64, a for linux/amd64');
    assert.equal(findings[1].kind, 'startFailed');
    assert.match(findings[1].detail, /The cause: B is built for linux\/arm64/);
  });

  it('the same image gives no findings', async () => {
    const a = img('same:a', [BASE, RUN('make', 'r1', [file('/x')])]);
    assert.deepEqual((await analyse(a, a)).findings, []);
  });

  it('names the sides by tag when both are tags of one repository', () => {
    const s = (name: string, source: ImageModel['source'] = 'daemon') => ({ name, source });
    assert.deepEqual(sideNames({ a: s('cc/php:laptop'), b: s('cc/php:ci') }), { a: 'laptop', b: 'ci' });
    assert.deepEqual(sideNames({ a: s('localhost:5000/app'), b: s('localhost:5000/app:2') }), { a: 'localhost:5000/app', b: 'localhost:5000/app:2' });
    assert.deepEqual(sideNames({ a: s('app:1', 'snapshot'), b: s('app:1') }), { a: 'the baseline', b: 'the new build' });
    assert.deepEqual(sideNames({ a: s('x'), b: s('x') }), { a: 'A', b: 'B' });
  });

  it('sorts by score, then severity, then side, then the order found', () => {
    const f = (score: number, severity: Finding['severity'], side: Finding['side'], title: string): Finding => ({ code: 'CC214', kind: 'content', severity, side, title, detail: '', evidence: {}, score });
    const sorted = sortFindings([f(10, 'info', 'b', '1'), f(50, 'warning', 'b', '2'), f(50, 'error', 'b', '3'), f(50, 'warning', 'a', '4'), f(50, 'warning', 'a', '5')]);
    assert.deepEqual(sorted.map((x) => x.title), ['3', '4', '5', '2', '1']);
  });
});

describe('baseLayerCount', () => {
  const steps = (...h: Array<[string, boolean?]>) => historySteps({ history: h.map(([by, empty]) => ({ created_by: by, ...(empty ? { empty_layer: true } : {}) })) }, h.filter(([, e]) => !e).length);
  it('ends the base after the base image\'s own CMD', () => {
    const s = steps(['/bin/sh -c #(nop) ADD file:abc in / '], ['/bin/sh -c #(nop)  CMD ["bash"]', true], ['/bin/sh -c apt-get update'], ['/bin/sh -c #(nop)  CMD ["app"]', true]);
    assert.equal(baseLayerCount(s, 2), 1);
  });
  it('takes the nearest parent when bases are stacked', () => {
    const s = steps(['/bin/sh -c #(nop) ADD file:abc in / '], ['/bin/sh -c #(nop)  CMD ["bash"]', true], ['/bin/sh -c install php'], ['/bin/sh -c #(nop)  CMD ["php"]', true], ['/bin/sh -c #(nop) COPY file:x in /app '], ['/bin/sh -c #(nop)  CMD ["app"]', true]);
    assert.equal(baseLayerCount(s, 3), 2);
  });
  it('an imported base is a base', () => assert.equal(baseLayerCount(steps([''], ['/bin/sh -c make']), 2), 1));
  it('no mark: no base', () => assert.equal(baseLayerCount(steps(['/bin/sh -c a'], ['/bin/sh -c b']), 2), 0));
});

describe('redact', () => {
  const cases: Array<[string, string]> = [
    ['RUN echo DB_PASSWORD=hunter2 > /app/.env', 'RUN echo DB_PASSWORD=*** > /app/.env'],
    ['RUN npm config set //registry/:_authToken=abc123', 'RUN npm config set //registry/:_authToken=***'],
    ['RUN login --password "s3cret value" && make', 'RUN login --password *** && make'],
    ['RUN curl -H "x: ghp_0123456789abcdefghijABCDEFGHIJ012345" https://x', 'RUN curl -H "x: ***" https://x'],
    ['RUN echo $TOKEN and TOKEN=${TOKEN}', 'RUN echo $TOKEN and TOKEN=${TOKEN}'],
    ['RUN apt-get install -y passwd', 'RUN apt-get install -y passwd'],
  ];
  for (const [cmd, want] of cases) it(cmd, () => assert.equal(redact(cmd), want));
});

describe('silencing findings (--ignore-finding CODE[:GLOB])', () => {
  it('leaves out a code everywhere, or only where its evidence names a matching path', () => {
    const f = (code: string, path?: string): Finding => ({ code, kind: 'lineEndings', severity: 'info', title: '', detail: '', evidence: path ? { files: [{ path }] } : {}, score: 1 });
    const silenced = silencer(['cc206:/srv/www/**', 'CC105'].map((s) => parseFindingFilter(s)!));
    assert.deepEqual([f('CC206', '/srv/www/README.txt'), f('CC206', '/etc/app.conf'), f('CC105'), f('CC206')].map(silenced), [true, false, true, false]);
    assert.equal(parseFindingFilter('DL3008'), undefined);
  });
});
