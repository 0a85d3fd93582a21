import { strict as assert } from 'node:assert';
import { CompareError } from '../../../src/core/util/errors';
import { choosePort } from '../../../src/docker/runner';

describe('choosePort', () => {
  it('takes the requested port, tcp unless said otherwise', () => {
    assert.equal(choosePort('80', ['8080/tcp'], []), '80/tcp');
    assert.equal(choosePort('53/UDP', [], []), '53/udp');
  });

  it("defaults to the lowest TCP port A exposes, else B's, else none", () => {
    assert.equal(choosePort(undefined, ['9090/udp', '8443/tcp', '80/tcp'], ['3000/tcp']), '80/tcp');
    assert.equal(choosePort(undefined, [], ['3000/tcp']), '3000/tcp');
    assert.equal(choosePort(undefined, ['53/udp'], []), '53/udp');
    assert.equal(choosePort(undefined, [], []), undefined);
  });

  it('refuses what is not a port', () => {
    for (const bad of ['http', '0', '70000', '80/icmp', '-1']) {
      assert.throws(() => choosePort(bad, [], []), (e: unknown) => e instanceof CompareError && e.reason === 'badArgument');
    }
  });
});
