import { strict as assert } from 'node:assert';
import type { RunFinding, RunReport } from '../../../../src/core/run/runModel';
import { analyse, BASE, COPY, file, img, kinds } from '../../../helpers/findingImages';

const exited = (said: string): RunFinding => ({
  code: 'CC602',
  kind: 'exited',
  severity: 'error',
  side: 'b',
  title: 'B exited with code 2 while A is running',
  detail: `B stopped during the startup window. Its last output: "${said}". The engine says: exec /bin/sh\\r: no such file.`,
  evidence: {},
});
const run = (...findings: RunFinding[]) => ({ findings }) as unknown as RunReport;

describe('the symptom-to-cause linker', () => {
  const a = img('app:a', [BASE, COPY('/etc/app/', 'c1', [file('/etc/app/app.conf', { sha256: 'c'.repeat(64) }), file('/etc/app/other.conf', { sha256: 'd'.repeat(64) })])]);
  const b = img('app:b', [BASE, COPY('/etc/app/', 'c2', [file('/etc/app/other.conf', { sha256: 'd'.repeat(64) })])]);

  it('links a symptom to the finding whose evidence holds the path it names, and puts the cause first', async () => {
    const { findings } = await analyse(a, b, { run: run(exited("can't open '/etc/app/app.conf': No such file or directory")) });
    assert.deepEqual(kinds(findings), ['contextFile', 'exited']);
    // It explains an error the run saw: it is an error now.
    assert.equal(findings[0].severity, 'error');
    assert.match(findings[1].detail, /The cause: \/etc\/app\/app\.conf is only in a \(b's build context lacked it\) \(CC109\)\.$/);
  });

  it('says "cause not found" when what the symptom names does not differ, instead of borrowing a difference', async () => {
    const { findings } = await analyse(a, b, { run: run(exited("can't open '/etc/app/other.conf': Permission denied")) });
    const symptom = findings.find((f) => f.kind === 'exited')!;
    assert.match(symptom.detail, /Cause not found: nothing it names \(\/etc\/app\/other\.conf\) differs between the images/);
    // Not promoted: the unrelated difference keeps its own rank and severity.
    assert.equal(findings.find((f) => f.kind === 'contextFile')!.severity, 'warning');
  });

  it('reads what the container and the engine said, not its own explanation of it', async () => {
    // The detail's "exec /bin/sh\r" is our explanation of the engine's words; /bin/sh differs here, but the log names nothing.
    const c = img('app:c', [{ ...BASE, id: '9', files: [...BASE.files!, file('/bin/sh', { mode: 0o755, sha256: 'e'.repeat(64) })] }]);
    const { findings } = await analyse(img('app:a', [BASE]), c, { run: run(exited('starting')) });
    assert.match(findings.find((f) => f.kind === 'exited')!.detail, /Cause not found/);
  });
});

describe('the linker reads programs and variables too', () => {
  it('links "foo: not found" to the finding that cites a file named foo, and "$APP_MODE is not set" to an Env difference', async () => {
    const a = img('x:a', [BASE, COPY('/usr/local/bin/', 'c1', [file('/usr/local/bin/migrate', { mode: 0o755, sha256: 'f'.repeat(64) })])], { Env: ['APP_MODE=prod'] });
    const b = img('x:b', [BASE, COPY('/usr/local/bin/', 'c2', [file('/usr/local/bin/other', { mode: 0o755, sha256: 'e'.repeat(64) })])]);
    const notFound = await analyse(a, b, { run: run(exited('/entrypoint.sh: line 4: migrate: not found')) });
    assert.match(notFound.findings.find((f) => f.kind === 'exited')!.detail, /The cause: .*migrate.*\(CC109\)\.$/);
    const unset = await analyse(a, b, { run: run(exited('fatal: APP_MODE is not set')) });
    assert.match(unset.findings.find((f) => f.kind === 'exited')!.detail, /The cause: .*environment variable.*\(CC305\)\.$/);
  });
});
