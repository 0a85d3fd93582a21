import { strict as assert } from 'node:assert';
import { analyse, BASE, COPY, file, img, kinds } from '../../../../helpers/findingImages';

const conf = file('/etc/app/app.conf', { sha256: 'c'.repeat(64) });
const start = file('/etc/app/start.sh', { sha256: 'd'.repeat(64) });

describe('rule contextFile (CC109)', () => {
  it('fires when the same COPY brought a configuration file into A only: B\'s build context lacked it', async () => {
    const a = img('app:laptop', [BASE, COPY('/etc/app/', 'c1', [conf, start])]);
    const b = img('app:ci', [BASE, COPY('/etc/app/', 'c2', [start])]);
    const { findings } = await analyse(a, b);
    assert.deepEqual(kinds(findings), ['contextFile']);
    assert.equal(findings[0].code, 'CC109');
    assert.equal(findings[0].severity, 'warning');
    assert.equal(findings[0].side, 'b');
    assert.match(findings[0].title, /copied \/etc\/app\/app\.conf into laptop only: ci's build context lacked it$/);
    assert.deepEqual(findings[0].evidence.files!.map((e) => [e.path, e.side]), [['/etc/app/app.conf', 'a']]);
  });

  it('is only info for files nothing reads at start', async () => {
    const a = img('app:laptop', [BASE, COPY('/srv/www/', 'c1', [file('/srv/www/logo.png', { sha256: 'e'.repeat(64) })])]);
    const b = img('app:ci', [BASE, COPY('/srv/www/', 'c2', [file('/srv/www/index.html', { sha256: 'f'.repeat(64) })])]);
    const { findings } = await analyse(a, b);
    assert.ok(findings.every((f) => f.severity === 'info'));
  });

  it('does not fire when the Dockerfile line itself differs', async () => {
    const a = img('app:laptop', [BASE, COPY('/etc/app/', 'c1', [conf])]);
    const b = img('app:ci', [BASE, COPY('/opt/', 'c2', [file('/opt/x')])]);
    assert.ok(!kinds((await analyse(a, b)).findings).includes('contextFile'));
  });
});
