import { strict as assert } from 'node:assert';
import { resolveUser } from '../../../../../src/core/findings/users';
import type { RunFinding, RunReport } from '../../../../../src/core/run/runModel';
import { analyse, BASE, COPY, file, img, kinds } from '../../../../helpers/findingImages';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:1000:\n';
const app = resolveUser('app', PASSWD, GROUP)!;
const cmd = { User: 'app', Cmd: ['httpd', '-f', '-c', '/etc/httpd/httpd.conf'] };
const pair = (modeB: number, ownerB = 0) => {
  const a = img('web:a', [BASE, COPY('/etc/httpd/httpd.conf', 'c1', [file('/etc/httpd/httpd.conf', { mode: 0o644 })])], cmd);
  const b = img('web:b', [BASE, COPY('/etc/httpd/httpd.conf', 'c2', [file('/etc/httpd/httpd.conf', { mode: modeB, uid: ownerB, gid: ownerB })])], cmd);
  return [a, b] as const;
};

describe('rule unreadable (CC205)', () => {
  it('resolves USER through the image\'s own passwd and group', () => {
    assert.deepEqual(app, { spec: 'app', name: 'app', uid: 1000, gid: 1000, groups: [1000] });
    assert.equal(resolveUser('')!.uid, 0);
    assert.deepEqual(resolveUser('1001:50'), { spec: '1001:50', name: '1001', uid: 1001, gid: 50, groups: [50] });
    assert.equal(resolveUser('nobody-here', PASSWD, GROUP), undefined);
  });

  it('fires when a config the start command names is 0600 root\'s and the image runs as app', async () => {
    const [a, b] = pair(0o600);
    const { findings } = await analyse(a, b, { users: { a: app, b: app } });
    assert.deepEqual(kinds(findings), ['unreadable']);
    assert.equal(findings[0].code, 'CC205');
    assert.equal(findings[0].severity, 'error');
    assert.equal(findings[0].title, 'httpd.conf is 0600 0:0 in b: USER app (uid 1000) cannot read it (0644 0:0 in a)');
  });

  it('links the run\'s "Permission denied" exit to it, and ranks the cause first', async () => {
    const [a, b] = pair(0o600);
    const exited: RunFinding = { code: 'CC602', kind: 'exited', severity: 'error', side: 'b', title: 'B exited with code 1 while A is running', detail: 'B stopped during the startup window. Its last output: "httpd: /etc/httpd/httpd.conf: Permission denied".', evidence: {} };
    const { findings } = await analyse(a, b, { users: { a: app, b: app }, run: { findings: [exited] } as unknown as RunReport });
    assert.deepEqual(kinds(findings), ['unreadable', 'exited']);
    assert.match(findings[1].detail, /The cause: \/etc\/httpd\/httpd\.conf is 0600 0:0 in b, which USER app cannot read \(CC205\)\.$/);
  });

  it('does not fire when the user still can read it (its own file), or the image runs as root', async () => {
    const [a, b] = pair(0o600, 1000);
    assert.ok(!kinds((await analyse(a, b, { users: { a: app, b: app } })).findings).includes('unreadable'));
    const [ra, rb] = pair(0o600);
    const root = resolveUser('')!;
    assert.ok(!kinds((await analyse(ra, rb, { users: { a: root, b: root } })).findings).includes('unreadable'));
  });
});
