import { strict as assert } from 'node:assert';
import { compareApk, compareDebian, comparePep440, compareRpmEvr, compareSemver, compareVersions, rpmvercmp } from '../../../../src/core/packages/versions';

type Cmp = (a: string, b: string) => number;

/** Each row: a < b (or a == b with '='); both directions are checked, and each version against itself. */
function table(name: string, cmp: Cmp, rows: Array<[string, '<' | '=', string]>) {
  describe(name, () => {
    for (const [a, op, b] of rows) {
      it(`${a} ${op} ${b}`, () => {
        const want = op === '<' ? -1 : 0;
        assert.equal(Math.sign(cmp(a, b)), want, `${a} vs ${b}`);
        assert.equal(Math.sign(cmp(b, a)), -want || 0, `${b} vs ${a}`);
        assert.equal(cmp(a, a), 0);
      });
    }
  });
}

/** A list that must come out of a sort in the order given. */
function sorts(name: string, cmp: Cmp, ordered: string[]) {
  it(`${name}: sorts ${ordered.length} versions in order`, () => {
    const shuffled = [...ordered].reverse();
    [shuffled[0], shuffled[shuffled.length - 1]] = [shuffled[shuffled.length - 1], shuffled[0]];
    assert.deepEqual(shuffled.sort(cmp), ordered);
  });
}

describe('version ordering', () => {
  // Debian policy §5.6.12 and dpkg's own test cases.
  table('Debian (dpkg)', compareDebian, [
    ['1.0~rc1', '<', '1.0'],
    ['1.0~~', '<', '1.0~'],
    ['1.0~', '<', '1.0'],
    ['1.0', '<', '1.0a'],
    ['1.0a', '<', '1.0+'],
    ['1.0', '<', '1.0.0'],
    ['1.0', '=', '1.0-0'],
    ['0:1.0', '=', '1.0'],
    ['2.0', '<', '1:0.9'],
    ['1.2.3-1', '<', '1.2.3-1+deb12u1'],
    ['3.0.11-1~deb12u2', '<', '3.0.11-1'],
    ['2.36-9+deb12u4', '<', '2.36-9+deb12u10'],
    ['1:1.2.13.dfsg-1', '<', '1:1.2.13.dfsg-1+b1'],
    ['1.0-1', '<', '1.0-1.1'],
    ['9', '<', '10'],
    ['1.001', '=', '1.1'],
    ['7.88.1-10+deb12u5', '<', '7.88.1-10+deb12u12'],
    ['1:9.2p1-2+deb12u3', '<', '1:9.2p1-2+deb12u6'],
  ]);

  // apk-tools' version.c semantics: digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}.
  table('Alpine (apk)', compareApk, [
    ['1.2.4-r2', '<', '1.2.4-r10'],
    ['1.0_alpha', '<', '1.0_beta'],
    ['1.0_beta2', '<', '1.0_pre1'],
    ['1.0_pre1', '<', '1.0_rc1'],
    ['1.0_rc1', '<', '1.0'],
    ['1.0', '<', '1.0_cvs'],
    ['1.0_git20200101', '<', '1.0_p1'],
    ['1.0', '<', '1.0_p1'],
    ['1.0-r1', '<', '1.0_p1'],
    ['1.0a', '<', '1.0b'],
    ['1.0', '<', '1.0a'],
    ['1.0a', '<', '1.0.1'],
    ['1.0', '<', '1.0.1'],
    ['1.01', '<', '1.1'],
    ['3.0.8-r0', '<', '3.0.12-r0'],
    ['2.9.11_pre20061021-r2', '<', '2.9.11-r0'],
    ['1.2.4-r0', '<', '1.2.4_git20230717-r4'],
    ['1.36.1-r15', '=', '1.36.1-r15'],
    ['1.0~abc1', '<', '1.0~abc2'],
  ]);

  // rpm's rpmvercmp, including the tilde (pre-release) and caret (snapshot) rules.
  table('rpm (rpmvercmp)', rpmvercmp, [
    ['1.0', '<', '1.0.1'],
    ['1.0~rc1', '<', '1.0'],
    ['1.0~rc1', '<', '1.0~rc2'],
    ['1.0', '<', '1.0^git1'],
    ['1.0^git1', '<', '1.0.1'],
    ['1.0^git1', '<', '1.0^git2'],
    ['1.0~rc1^git1', '<', '1.0~rc1^git2'],
    ['1.0', '<', '1.0a'],
    ['2a', '<', '2.0'],
    ['1.9', '<', '1.010'],
    ['1.0', '=', '1_0'],
    ['1.0', '=', '1..0'],
    ['a', '<', '1'],
    ['5.5p1', '<', '5.5p2'],
    ['5.5p1', '<', '5.6p1'],
    ['10xyz', '<', '10.1xyz'],
  ]);

  table('rpm EVR (epoch:version-release)', compareRpmEvr, [
    ['3.0.7-24.el9', '<', '3.0.7-27.el9'],
    ['2.0-1', '<', '1:1.0-1'],
    ['1.2.3-4', '<', '1.2.3-4.fc40'],
    ['0:1.0-1', '=', '1.0-1'],
    ['1.0', '=', '1.0-5'],
  ]);

  // PEP 440's own examples of ordering.
  table('Python (PEP 440)', comparePep440, [
    ['1.0.dev1', '<', '1.0a1'],
    ['1.0a1', '<', '1.0a2.dev1'],
    ['1.0a2.dev1', '<', '1.0a2'],
    ['1.0a1', '<', '1.0b1'],
    ['1.0b2.post345.dev456', '<', '1.0b2.post345'],
    ['1.0rc1', '<', '1.0'],
    ['1.0', '<', '1.0+abc.5'],
    ['1.0+abc.5', '<', '1.0+5'],
    ['1.0', '<', '1.0.post456.dev34'],
    ['1.0.post456.dev34', '<', '1.0.post456'],
    ['1.0', '=', '1.0.0'],
    ['1.0-1', '=', '1.0.post1'],
    ['1.0c1', '=', '1.0rc1'],
    ['2.0', '<', '10.0'],
    ['2.0', '<', '1!0.1'],
    ['2.31.0', '<', '2.32.3'],
  ]);

  table('semver (node)', compareSemver, [
    ['1.0.0-alpha', '<', '1.0.0-alpha.1'],
    ['1.0.0-alpha.1', '<', '1.0.0-alpha.beta'],
    ['1.0.0-alpha.beta', '<', '1.0.0-beta'],
    ['1.0.0-beta', '<', '1.0.0-beta.2'],
    ['1.0.0-beta.2', '<', '1.0.0-beta.11'],
    ['1.0.0-beta.11', '<', '1.0.0-rc.1'],
    ['1.0.0-rc.1', '<', '1.0.0'],
    ['1.9.0', '<', '1.10.0'],
    ['1.0.0+build.1', '=', '1.0.0+build.2'],
    ['4.17.20', '<', '4.17.21'],
  ]);

  sorts('Debian', compareDebian, ['1.0~rc1', '1.0', '1.0-1', '1.0-1+b1', '1.0a', '1.0.1', '1:0.1']);
  sorts('apk', compareApk, ['1.0_alpha1', '1.0_beta1', '1.0_rc1', '1.0', '1.0-r1', '1.0_p1', '1.0.1']);
  sorts('PEP 440', comparePep440, ['1.0.dev0', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0.post1', '1.1']);

  it('dispatches by ecosystem, and falls back to segment ordering for versions outside the grammar', () => {
    assert.equal(compareVersions('dpkg', '1.0~rc1', '1.0'), -1);
    assert.equal(compareVersions('apk', '1.0_rc1', '1.0'), -1);
    assert.equal(compareVersions('rpm', '1:1.0-1', '2.0-1'), 1);
    assert.equal(compareVersions('python', '1.0rc1', '1.0'), -1);
    assert.equal(compareVersions('node', '1.0.0-rc.1', '1.0.0'), -1);
    // Not PEP 440 / not semver: still an answer, never a throw.
    assert.equal(Math.sign(compareVersions('python', 'unknown-2', 'unknown-10')), -1);
    assert.equal(Math.sign(compareVersions('node', '1.2', '1.10')), -1);
    assert.equal(Math.sign(compareVersions('apk', 'latest', 'nightly')), -1);
  });
});
