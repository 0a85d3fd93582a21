import { strict as assert } from 'node:assert';
import { compareImages } from '../../../../src/core/diff/compare';
import { rankFindings } from '../../../../src/core/findings/findings';
import { portEvidence, portStories, wantsFileTexts, type FileText } from '../../../../src/core/findings/portCause';
import { compareRuns } from '../../../../src/core/run/runCompare';
import { DEFAULT_RUN_OPTIONS, type HttpResult, type RunReport, type SideRun } from '../../../../src/core/run/runModel';
import { BASE, CMD, COPY, file, H, img, kinds } from '../../../helpers/findingImages';

// The cc-diag/port pair: /etc/app/app.conf differs (port=8080 in A, 8081 in B), start.sh passes it to httpd -p.
const CONF = '/etc/app/app.conf';
const pair = (extra: Array<[string, string, string]> = []) => {
  const image = (name: string, seed: string, sha: string) =>
    img(name, [BASE, COPY('/etc/app/', `c${seed}`, [file(CONF, { sha256: H(sha) }), ...extra.map(([p, a, b]) => file(p, { sha256: H(seed === '1' ? a : b) }))]), CMD('["sh","/usr/local/bin/start.sh"]')]);
  return compareImages(image('cc-diag/port:a', '1', 'a'), image('cc-diag/port:b', '2', 'b'));
};
const texts = (a: string, b: string, more: FileText[] = []): FileText[] => [{ path: CONF, a, b }, ...more];
const APP_CONF = (port: string, bind = '') => `# Read by /usr/local/bin/start.sh.\nroot=/srv/www\nport=${port}\n${bind}`;

function side(ref: string, id: string, sockets: Array<{ address: string; port: number }>, http: HttpResult): SideRun {
  return {
    ref,
    imageId: `sha256:${id.repeat(64)}`,
    containerId: id.repeat(64),
    published: { hostIp: '127.0.0.1', hostPort: 49000 + id.charCodeAt(0), containerPort: '8080/tcp' },
    lines: [],
    state: { status: 'running', restarts: 0 },
    probes: [],
    http,
    listening: { sockets, at: 2100, via: 'hostProc' },
  };
}
const OK: HttpResult = { url: 'http://127.0.0.1:49097/', status: 200, headers: {}, body: 'hi', bodyBytes: 2, truncated: false, durationMs: 2 };
const HUNG_UP: HttpResult = { url: 'http://127.0.0.1:49098/', headers: {}, body: '', bodyBytes: 0, truncated: false, error: 'socket hang up', durationMs: 900 };
const run = (b: Array<{ address: string; port: number }>): RunReport =>
  compareRuns(side('cc-diag/port:a', 'a', [{ address: '::', port: 8080 }], OK), side('cc-diag/port:b', 'b', b, HUNG_UP), { ...DEFAULT_RUN_OPTIONS, httpPath: '/' });

describe('the cause of a port finding (CC606)', () => {
  it('links B listening on 8081 to the file that differs and says port=8081 in B, port=8080 in A; the HTTP symptom follows', () => {
    const r = run([{ address: '::', port: 8081 }]);
    const findings = rankFindings({ comparison: pair(), run: r, texts: texts(APP_CONF('8080'), APP_CONF('8081')) });
    assert.deepEqual(kinds(findings).slice(0, 3), ['content', 'port', 'httpStatus']);
    const [cause, port, http] = findings;
    assert.equal(cause.severity, 'error', 'the cause takes the severity of what it explains');
    assert.deepEqual(cause.evidence.listening, ['b', 'a']);
    assert.match(port.detail, /\/etc\/app\/app\.conf in B says "port=8081" where A's says "port=8080"\. The cause: 1 file differs in content: \/etc\/app\/app\.conf \(CC214\)\.$/);
    assert.deepEqual(port.evidence.files?.map((f) => f.path), [CONF]);
    assert.match(http.detail, /The cause: 1 file differs in content: \/etc\/app\/app\.conf \(CC214\)\.$/);
  });

  it('links a loopback bind to the file that names a loopback address in B only', () => {
    const r = run([{ address: '127.0.0.1', port: 8080 }]);
    const [cause, port] = rankFindings({ comparison: pair(), run: r, texts: texts(APP_CONF('8080', 'bind=0.0.0.0\n'), APP_CONF('8080', 'bind=127.0.0.1\n')) });
    assert.deepEqual([cause.kind, port.kind], ['content', 'port']);
    assert.match(port.detail, /\/etc\/app\/app\.conf in B says "bind=127\.0\.0\.1" where A's says "bind=0\.0\.0\.0"\. The cause: /);
  });

  it('says "Cause not found" when the differing files do not name the port, were not read, or the side listens on nothing', () => {
    const notNamed = rankFindings({ comparison: pair(), run: run([{ address: '::', port: 8081 }]), texts: texts(APP_CONF('8080'), `${APP_CONF('8080')}# edited\n`) });
    const port = notNamed.find((f) => f.kind === 'port')!;
    assert.match(port.detail, /Cause not found: no file that differs between the images names 8081 in B only\.$/);
    assert.equal(port.evidence.files, undefined);
    assert.equal(notNamed.find((f) => f.kind === 'content')!.severity, 'info', 'an unlinked difference keeps its own weight');
    const unread = rankFindings({ comparison: pair(), run: run([{ address: '::', port: 8081 }]) }).find((f) => f.kind === 'port')!;
    assert.match(unread.detail, /Cause not found: the files that differ between the images were not read for it\.$/);
    const nothing = rankFindings({ comparison: pair(), run: run([]), texts: texts(APP_CONF('8080'), APP_CONF('8081')) }).find((f) => f.kind === 'port')!;
    assert.match(nothing.detail, /Cause not found: it listens on no TCP port, which no file can name; its log may say why\.$/);
  });

  it('names the file and its line, but links nothing, when no finding explains that file', () => {
    // A text read for the run, but the comparison has no finding citing it (the path is not among the differences).
    const r = run([{ address: '::', port: 8081 }]);
    const findings = rankFindings({ comparison: pair(), run: r, texts: [{ path: '/srv/app/.env', b: 'PORT=8081\n' }] });
    const port = findings.find((f) => f.kind === 'port')!;
    assert.match(port.detail, /\/srv\/app\/\.env in B says "PORT=8081" and A has no such file\. Cause not found: no finding explains why \/srv\/app\/\.env differs\.$/);
  });

  it('portEvidence: whole port numbers only, on the misbehaving side only', () => {
    const [story] = portStories(run([{ address: '::', port: 8081 }]));
    assert.deepEqual(story, { side: 'b', published: 8080, ports: [8081], loopback: false });
    const ev = (a: string | undefined, b: string | undefined) => portEvidence(story, [{ path: '/etc/x', ...(a !== undefined ? { a } : {}), ...(b !== undefined ? { b } : {}) }]);
    assert.deepEqual(ev('listen 8080\n', 'listen 8081\n'), [{ path: '/etc/x', names: '8081', line: 'listen 8081', otherLine: 'listen 8080', inOther: true }]);
    assert.deepEqual(ev(undefined, 'x\n  url=http://0.0.0.0:8081/ \n'), [{ path: '/etc/x', names: '8081', line: 'url=http://0.0.0.0:8081/', inOther: false }]);
    assert.deepEqual(ev('v=1.8080\n', 'v=1.8081\n'), [], 'a version is not a port');
    assert.deepEqual(ev('n=80800\n', 'n=80810\n'), []);
    assert.deepEqual(ev('port 8081\n', 'port 8081\n'), [], 'the same on both sides explains no difference');
    assert.deepEqual(ev('port 8081 # old\n', 'port 8081\n'), [], 'A names it too');
  });

  it('is wanted only for a run with a port finding on one side', () => {
    assert.equal(wantsFileTexts(undefined), false);
    assert.equal(wantsFileTexts(run([{ address: '::', port: 8080 }])), false);
    assert.equal(wantsFileTexts(run([{ address: '::', port: 8081 }])), true);
    assert.equal(wantsFileTexts(run([])), false, 'nothing to look for');
  });
});
