import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAtLeast, nodeTooOld } from '../../../src/cli/nodeVersion';

describe('the start-up Node check', () => {
  const cases: Array<[string, string, boolean]> = [
    ['20.3.0', '20.3.0', true],
    ['20.19.1', '20.3.0', true], // numbers, not strings: 19 > 3
    ['22.0.0', '20.3.0', true],
    ['v24.1.0', '20.3.0', true],
    ['26.0.0-pre', '20.3.0', true],
    ['20.2.9', '20.3.0', false],
    ['20.0.0', '20.3.0', false],
    ['18.20.8', '20.3.0', false],
    ['4.9.1', '20.3.0', false],
  ];
  for (const [version, min, ok] of cases) {
    it(`${version} ${ok ? 'meets' : 'is below'} ${min}`, () => assert.equal(isAtLeast(version, min), ok));
  }

  it('refuses an older Node in one line naming both versions and the binary', () => {
    const line = nodeTooOld('18.20.8', '20.3.0', '/usr/bin/node');
    assert.ok(line);
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /^container-compare: Node\.js 20\.3\.0 or newer is needed, and \/usr\/bin\/node is Node\.js 18\.20\.8/);
    assert.equal(nodeTooOld(process.versions.node, '20.3.0', process.execPath), undefined);
  });

  it('takes its minimum from engines.node in the form the build reads', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { engines: { node: string } };
    assert.match(pkg.engines.node, /^>=\d+\.\d+\.\d+$/);
  });
});
