import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback, parseProcNetTcp, reachable, socketText } from '../../../../src/core/run/listening';

const FIXTURES = join(__dirname, '../../../fixtures/procnet');
const sample = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const texts = (text: string, littleEndian?: boolean) => parseProcNetTcp(text, littleEndian).map(socketText);

describe('/proc/net/tcp parsing', () => {
  it('reads the LISTEN entries of real samples, IPv4 and IPv6, and skips the other states', () => {
    const cases: Array<[string, string[]]> = [
      // busybox httpd -p 127.0.0.1:8081 and -p 8080; TIME_WAIT (06) entries of two requests, one IPv4-mapped.
      ['busybox-httpd-tcp.txt', ['127.0.0.1:8081']],
      ['busybox-httpd-tcp6.txt', ['[::]:8080']],
      ['apache-tcp.txt', ['0.0.0.0:80']],
      ['apache-tcp6.txt', []],
      // Node in a fresh network namespace; an ESTABLISHED (01) connection to 9000 from both ends.
      ['node-tcp.txt', ['127.0.0.1:3000', '0.0.0.0:6379', '127.0.0.1:9000']],
      ['node-tcp6.txt', ['[::1]:3000', '[::]:5432']],
    ];
    for (const [file, expected] of cases) assert.deepEqual(texts(sample(file)), expected, file);
  });

  it('reads tcp and tcp6 one after the other (one `cat` of both), sorted by port, IPv4 first', () => {
    assert.deepEqual(texts(sample('node-tcp6.txt') + sample('node-tcp.txt')), ['127.0.0.1:3000', '[::1]:3000', '[::]:5432', '0.0.0.0:6379', '127.0.0.1:9000']);
    assert.deepEqual(texts(sample('busybox-httpd-tcp.txt') + sample('busybox-httpd-tcp6.txt')), ['[::]:8080', '127.0.0.1:8081']);
  });

  it('gives ports and addresses as numbers and text', () => {
    assert.deepEqual(parseProcNetTcp(sample('apache-tcp.txt')), [{ address: '0.0.0.0', port: 80 }]);
    assert.deepEqual(parseProcNetTcp(sample('node-tcp6.txt')), [
      { address: '::1', port: 3000 },
      { address: '::', port: 5432 },
    ]);
  });

  it('decodes IPv4-mapped, specific and compressible IPv6 addresses, and big-endian hosts', () => {
    const row = (addr: string, port: string, st = '0A') => `   0: ${addr}:${port} ${'0'.repeat(addr.length)}:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n`;
    // ::ffff:127.0.0.1 (an IPv6 socket bound to an IPv4 address), as the kernel prints it on x86.
    assert.deepEqual(texts(row('0000000000000000FFFF00000100007F', '1F90')), ['127.0.0.1:8080']);
    // fd00::2:1 → words 0x000000fd, 0, 0, 0x01000200 in little-endian order.
    assert.deepEqual(texts(row('000000FD000000000000000001000200', '0050')), ['[fd00::2:1]:80']);
    // 172.17.0.3, a container's own address.
    assert.deepEqual(texts(row('030011AC', '0050')), ['172.17.0.3:80']);
    // The same bytes from a big-endian host (s390x).
    assert.deepEqual(texts(row('AC110003', '0050'), false), ['172.17.0.3:80']);
    // Other states are not listeners; duplicates (SO_REUSEPORT) are one socket.
    assert.deepEqual(texts(row('030011AC', '0050', '01') + row('00000000', '1F90') + row('00000000', '1F90')), ['0.0.0.0:8080']);
    assert.deepEqual(texts('garbage\n\n  sl  local_address\n'), []);
  });

  it('tells loopback from addresses the published port can reach', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('127.0.0.11') && isLoopback('::1'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('::') && !isLoopback('172.17.0.3'));
    const bb = parseProcNetTcp(sample('busybox-httpd-tcp.txt') + sample('busybox-httpd-tcp6.txt'));
    assert.equal(reachable(bb, 8080), true, '[::]:8080 takes IPv4 too');
    assert.equal(reachable(bb, 8081), false, 'loopback only');
    assert.equal(reachable(bb, 80), false);
  });
});
