import { strict as assert } from 'node:assert';
import { analyse, BASE, COPY, crlf, file, img } from '../../../../helpers/findingImages';

describe('rule lineEndings (CC206)', () => {
  it('warns for a configuration file with CRLF', async () => {
    const a = img('x:a', [BASE, COPY('/etc/app.conf', 'c1', [file('/etc/app.conf')])]);
    const b = img('x:b', [BASE, COPY('/etc/app.conf', 'c2', [crlf('/etc/app.conf')])]);
    const [f] = (await analyse(a, b)).findings;
    assert.deepEqual([f.code, f.severity], ['CC206', 'warning']);
  });

  it('is only info for text nothing runs or parses (a README, a CSV)', async () => {
    const a = img('x:a', [BASE, COPY('/srv/www/', 'c1', [file('/srv/www/README.txt'), file('/srv/www/data/cities.csv')])]);
    const b = img('x:b', [BASE, COPY('/srv/www/', 'c2', [crlf('/srv/www/README.txt'), crlf('/srv/www/data/cities.csv')])]);
    const { findings } = await analyse(a, b);
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['CC206', 'info']]);
  });
});
