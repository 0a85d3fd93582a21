import { strict as assert } from 'node:assert';
import { analyse, BASE, CMD, COPY, crlf, EMPTY_RUN, file, img, kinds, RUN } from '../../../../helpers/findingImages';

// A script copied in, then run by a RUN whose failure `|| echo` hides; the files it writes are what the CMD runs.
const SETUP = '/usr/local/bin/setup.sh';
const RUN_SETUP = `${SETUP} || echo "setup skipped"`;
const wrote = [file('/usr/local/bin/app', { mode: 0o755, sha256: 'a'.repeat(64) }), file('/usr/local/etc/app.conf', { sha256: 'c'.repeat(64) })];
const laptop = img('app:laptop', [BASE, COPY(SETUP, 'c1', [file(SETUP, { mode: 0o755 })]), RUN(RUN_SETUP, 'r1', wrote), CMD('["/usr/local/bin/app"]')], { Cmd: ['/usr/local/bin/app'] });

describe('rule stepDidNothing (CC101)', () => {
  it('fires when the classic builder recorded the step as an empty layer: the lost execute bit is the cause, the missing CMD its effect', async () => {
    const ci = img('app:ci', [BASE, COPY(SETUP, 'c2', [file(SETUP)]), EMPTY_RUN(RUN_SETUP), CMD('["/usr/local/bin/app"]')], { Cmd: ['/usr/local/bin/app'] });
    const { report, findings } = await analyse(laptop, ci);
    // The step is aligned with its empty counterpart: B has the step, it wrote nothing.
    const row = report.layers.find((l) => l.a?.instruction === `RUN ${RUN_SETUP}`)!;
    assert.equal(row.status, 'onlyA');
    assert.equal(row.emptyStep?.side, 'b');
    assert.deepEqual(kinds(findings), ['stepDidNothing']);
    const f = findings[0];
    assert.equal(f.code, 'CC101');
    assert.equal(f.severity, 'error');
    assert.equal(f.side, 'b');
    assert.equal(f.title, '`RUN /usr/local/bin/setup.sh || echo "setup skipped"` did nothing in ci: setup.sh is not executable in ci (0644; 0755 in laptop), so the step could not run it, and `|| echo "setup skipped"` hid the failure');
    assert.match(f.detail, /That is why ci cannot start: its start command runs \/usr\/local\/bin\/app\.$/);
    assert.deepEqual(f.evidence.files!.map((e) => [e.path, e.side]), [[SETUP, 'b'], ['/usr/local/bin/app', 'a'], ['/usr/local/etc/app.conf', 'a']]);
    assert.deepEqual(f.evidence.config, ['Cmd']);
  });

  it('fires when BuildKit wrote a layer with nothing of its own (a directory listed again): a CRLF script is the cause', async () => {
    const ci = img('app:ci', [BASE, COPY(SETUP, 'c2', [crlf(SETUP, { mode: 0o755 })]), RUN(RUN_SETUP, 'r2', [{ path: '/bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 }])], { Cmd: ['/usr/local/bin/app'] });
    const { report, findings } = await analyse(laptop, ci);
    assert.equal(report.layers[2].status, 'different');
    assert.equal(findings[0].kind, 'stepDidNothing');
    assert.match(findings[0].title, /did nothing in ci: setup\.sh has CRLF line endings in ci, so the step could not run it/);
    assert.match(findings[0].detail, /Its layer holds nothing of its own in ci/);
  });

  it('does not fire when the step wrote something on both sides, nor when its layer is the same', async () => {
    const other = img('app:ci', [BASE, COPY(SETUP, 'c1', [file(SETUP, { mode: 0o755 })]), RUN(RUN_SETUP, 'r2', [wrote[0]]), CMD('["/usr/local/bin/app"]')], { Cmd: ['/usr/local/bin/app'] });
    assert.ok(!kinds((await analyse(laptop, other)).findings).includes('stepDidNothing'));
    assert.deepEqual((await analyse(laptop, laptop)).findings, []);
  });

  it('without a differing input it says so, and does not guess', async () => {
    const ci = img('app:ci', [BASE, COPY(SETUP, 'c1', [file(SETUP, { mode: 0o755 })]), EMPTY_RUN(RUN_SETUP), CMD('["/usr/local/bin/app"]')], { Cmd: ['/usr/local/bin/app'] });
    const [f] = (await analyse(laptop, ci)).findings;
    assert.equal(f.kind, 'stepDidNothing');
    assert.match(f.title, /did nothing in ci: nothing it runs or reads differs/);
  });
});
