import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFindingCodes } from '../../scripts/findingsDoc';
import { CODES } from '../../src/core/findings/codes';
import { RUN_CODES } from '../../src/core/run/codes';

describe('documentation', () => {
  it("README's list of finding codes is the one the codes generate (npm run docs:findings)", () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    assert.equal(withFindingCodes(readme), readme, 'README.md is stale: run npm run docs:findings');
  });

  it('every code is unique and well formed', () => {
    const all = [...Object.values(CODES), ...Object.values(RUN_CODES)].map((c) => c.code);
    assert.deepEqual(all.filter((c) => !/^CC[1-6]\d\d$/.test(c)), []);
    assert.equal(new Set(all).size, all.length);
  });
});
