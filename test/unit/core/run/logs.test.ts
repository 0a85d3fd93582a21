import { strict as assert } from 'node:assert';
import { diffLogMarkers, diffLogs, logMarkers, wordDiff } from '../../../../src/core/run/logDiff';
import type { LogDiff, LogRow } from '../../../../src/core/run/logDiff';
import { CompareError } from '../../../../src/core/util/errors';
import { compileRules, defaultLogRules, normalizeLine, normalizeLines, normalizeSegments, splitLogLines } from '../../../../src/core/run/logNormalize';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

// The startup log of the php-fcgid example (test/fixtures/examples/php-fcgid)
// with `LogLevel info`, then one request: the laptop image (A) starts
// mod_fcgid, the CI image (B) never loaded it. Each run has its own clock,
// pids, thread ids and addresses.
const LAPTOP = [
  "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.2. Set the 'ServerName' directive globally to suppress this message",
  "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.2. Set the 'ServerName' directive globally to suppress this message",
  '[Sun Nov 22 22:52:11.594461 2026] [fcgid:info] [pid 35:tid 140447791488064] mod_fcgid: Process manager 35 started',
  '[Sun Nov 22 22:52:11.597033 2026] [mpm_event:notice] [pid 34:tid 140447791488064] AH00489: Apache/2.4.68 (Debian) mod_fcgid/2.3.9 configured -- resuming normal operations',
  '[Sun Nov 22 22:52:11.597059 2026] [mpm_event:info] [pid 34:tid 140447791488064] AH00490: Server built: 2025-07-29T08:17:20',
  "[Sun Nov 22 22:52:11.597092 2026] [core:notice] [pid 34:tid 140447791488064] AH00094: Command line: '/usr/sbin/apache2 -D FOREGROUND'",
  '172.17.0.1 - - [22/Nov/2026:22:52:14 +0000] "GET /favicon.ico HTTP/1.1" 404 488 "-" "curl/8.5.0"',
];
const CI = [
  "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.3. Set the 'ServerName' directive globally to suppress this message",
  "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.3. Set the 'ServerName' directive globally to suppress this message",
  '[Mon Nov 23 09:14:03.101877 2026] [mpm_event:notice] [pid 41:tid 139870121047936] AH00489: Apache/2.4.68 (Debian) configured -- resuming normal operations',
  '[Mon Nov 23 09:14:03.101934 2026] [mpm_event:info] [pid 41:tid 139870121047936] AH00490: Server built: 2025-07-29T08:17:20',
  "[Mon Nov 23 09:14:03.101962 2026] [core:notice] [pid 41:tid 139870121047936] AH00094: Command line: '/usr/sbin/apache2 -D FOREGROUND'",
  '172.17.0.1 - - [23/Nov/2026:09:14:07 +0000] "GET /favicon.ico HTTP/1.1" 404 488 "-" "curl/8.5.0"',
];
// The laptop image started again: same events, another run.
const LAPTOP_AGAIN = [
  "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.5. Set the 'ServerName' directive globally to suppress this message",
  "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.5. Set the 'ServerName' directive globally to suppress this message",
  '[Tue Dec  1 07:03:59.000112 2026] [fcgid:info] [pid 12:tid 139801112233445] mod_fcgid: Process manager 12 started',
  '[Tue Dec  1 07:03:59.004518 2026] [mpm_event:notice] [pid 11:tid 139801112233445] AH00489: Apache/2.4.68 (Debian) mod_fcgid/2.3.9 configured -- resuming normal operations',
  '[Tue Dec  1 07:03:59.004602 2026] [mpm_event:info] [pid 11:tid 139801112233445] AH00490: Server built: 2025-07-29T08:17:20',
  "[Tue Dec  1 07:03:59.004640 2026] [core:notice] [pid 11:tid 139801112233445] AH00094: Command line: '/usr/sbin/apache2 -D FOREGROUND'",
  '172.17.0.1 - - [01/Dec/2026:07:04:02 +0000] "GET /favicon.ico HTTP/1.1" 404 488 "-" "curl/8.5.0"',
];

/** Every line of both logs appears once, in order; same rows are equal once normalised, changed rows are not. */
function assertValidAlignment(d: LogDiff, a: readonly string[], b: readonly string[]): void {
  const fromA = d.rows.filter((r) => r.a).map((r) => r.a!.raw);
  const fromB = d.rows.filter((r) => r.b).map((r) => r.b!.raw);
  assert.deepEqual(fromA, a);
  assert.deepEqual(fromB, b);
  for (const r of d.rows) {
    assert.equal(r.a !== undefined, r.kind !== 'onlyB');
    assert.equal(r.b !== undefined, r.kind !== 'onlyA');
    if (r.kind === 'same') assert.equal(r.a!.normalized, r.b!.normalized);
    if (r.kind === 'changed') assert.notEqual(r.a!.normalized, r.b!.normalized);
  }
  const count = (k: LogRow['kind']) => d.rows.filter((r) => r.kind === k).length;
  assert.deepEqual(d.summary, { linesA: a.length, linesB: b.length, same: count('same'), changed: count('changed'), onlyA: count('onlyA'), onlyB: count('onlyB') });
}

/** Length of a longest common subsequence (of the normalised lines), by the textbook table. */
function lcs(a: readonly string[], b: readonly string[]): number {
  const x = a.map((l) => normalizeLine(l));
  const y = b.map((l) => normalizeLine(l));
  let prev = new Int32Array(y.length + 1);
  let cur = new Int32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  return prev[y.length];
}

describe('log normalisation', () => {
  const cases: Array<[string, string, string]> = [
    // timestamps
    ['Apache error log', '[Sun Nov 22 22:52:11.594461 2026] [core:notice] x', '[<time>] [core:notice] x'],
    ['Apache, one-digit day', '[Tue Dec  1 07:03:59.000112 2026] [core:notice] x', '[<time>] [core:notice] x'],
    ['date(1)', 'Sun Nov 22 22:52:11 UTC 2026 booting', '<time> booting'],
    ['ISO 8601 with Z', '2026-11-22T22:52:11Z ready', '<time> ready'],
    ['ISO 8601 with fraction and offset', '2026-11-22T22:52:11.594461+01:00 ready', '<time> ready'],
    ['ISO 8601 without zone', 'Server built: 2025-07-29T08:17:20', 'Server built: <time>'],
    ['Python logging, the level is not a zone', '2026-11-22 22:52:11,123 INFO started', '<time> INFO started'],
    ['Postgres', '2026-11-22 22:52:11.123 UTC [1] LOG:  database system is ready', '<time> [1] LOG:  database system is ready'],
    ['syslog', 'Nov 22 22:52:11 web sshd[1234]: Accepted key', '<time> web sshd[<pid>]: Accepted key'],
    ['syslog, padded day', 'Nov  2 02:05:09 web cron[77]: job', '<time> web cron[<pid>]: job'],
    ['nginx error log', '2026/11/22 22:52:11 [notice] 1#1: start worker process 29', '<time> [notice] <pid>#<tid>: start worker process <pid>'],
    ['nginx connection serial', '2026/11/22 22:52:11 [error] 7#7: *1234 upstream timed out', '<time> [error] <pid>#<tid>: *<conn> upstream timed out'],
    ['Common Log Format', '172.17.0.1 - - [22/Nov/2026:22:52:11 +0000] "GET / HTTP/1.1" 200 615', '<ip> - - [<time>] "GET / HTTP/1.1" 200 615'],
    ['RFC 2822 / HTTP date', 'Date: Sun, 22 Nov 2026 22:52:11 GMT', 'Date: <time>'],
    ['Redis', '1:M 22 Nov 2026 22:52:11.594 * Ready to accept connections tcp', '<pid>:M <time> * Ready to accept connections tcp'],
    ['Tomcat', '22-Nov-2026 22:52:11.594 INFO [main] Catalina.start', '<time> INFO [main] Catalina.start'],
    ['Java', 'Nov 22, 2026 10:52:11 PM org.apache.Foo start', '<time> org.apache.Foo start'],
    ['epoch seconds, millis, fraction', 'ts=1795387931 ms=1795387931594 f=1795387931.594', 'ts=<time> ms=<time> f=<time>'],
    ['not an epoch: too short, out of range', 'size=123456789 n=3000000000', 'size=123456789 n=3000000000'],
    ['time of day alone', 'started at 22:52:11.5', 'started at <time>'],
    // process and thread ids
    ['Apache pid and tid', '[pid 35:tid 140447791488064] x', '[pid <pid>:tid <tid>] x'],
    ['the line\'s pid mentioned again', '[pid 35:tid 1404] mod_fcgid: Process manager 35 started', '[pid <pid>:tid <tid>] mod_fcgid: Process manager <pid> started'],
    ['a one-digit pid is not looked for again', 'pid 1: 1 worker, 35 idle', 'pid <pid>: 1 worker, 35 idle'],
    ['pid=, PID:, ppid, thread, process', 'pid=7 PID: 12 ppid 1 thread 9 process 29', 'pid=<pid> PID: <pid> ppid <pid> thread <tid> process <pid>'],
    ['numbers without an id word', 'loaded 1234 modules in 2 passes', 'loaded 1234 modules in 2 passes'],
    // container ids and hex
    ['64-hex id', 'container 4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b started', 'container <id> started'],
    ['12-hex short id', 'hostname 4f3c2b1a0e9d ok', 'hostname <id> ok'],
    ['12 digits are a number', 'order 123456789012 ok', 'order 123456789012 ok'],
    ['digest', 'sha256:4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b', 'sha256:<id>'],
    ['pointer', 'object at 0x7f3a2b1c4d5e', 'object at <addr>'],
    ['short hex values are flags', 'flags=0x3 mode 0x1ff', 'flags=0x3 mode 0x1ff'],
    ['UUID, not an id', 'request 3f2a1b2c-1d2e-4f5a-8b9c-0123456789ab done', 'request <uuid> done'],
    ['upper-case UUID', 'id=3F2A1B2C-1D2E-4F5A-8B9C-0123456789AB', 'id=<uuid>'],
    ['MAC address', 'eth0 02:42:ac:11:00:02 up', 'eth0 <mac> up'],
    // addresses
    ['IPv4 with port', 'connect to 172.17.0.2:80 failed', 'connect to <ip>:<port> failed'],
    ['IPv4 ending a sentence', 'using 172.17.0.2. Set', 'using <ip>. Set'],
    ['IPv4 in a URL', 'upstream: "fastcgi://172.18.0.4:9000"', 'upstream: "fastcgi://<ip>:<port>"'],
    ['IPv6', 'from fe80::42:acff:fe11:2 and 2001:db8::1', 'from <ip> and <ip>'],
    ['bracketed IPv6 with port', 'listening on [2001:db8::1]:8080', 'listening on [<ip>]:<port>'],
    ['loopback, unspecified and netmasks are configuration', 'bind 0.0.0.0:80 127.0.0.1:8080 [::]:443 ::1 mask 255.255.0.0', 'bind 0.0.0.0:80 127.0.0.1:8080 [::]:443 ::1 mask 255.255.0.0'],
    ['C++ and Perl names are not IPv6', 'std::string a::b Foo::Bar', 'std::string a::b Foo::Bar'],
    // durations
    ['durations', 'took 12ms, 1.5s, 3m20s, 250µs, 0.003 seconds, 45 milliseconds', 'took <dur>, <dur>, <dur>, <dur>, <dur>, <dur>'],
    ['a JVM option is not a duration', 'java -Xmx512m -jar app.jar', 'java -Xmx512m -jar app.jar'],
    // versions: what differs between images must stay
    ['Apache and module versions', 'Apache/2.4.68 (Debian) mod_fcgid/2.3.9 OpenSSL/3.0.15 configured', 'Apache/2.4.68 (Debian) mod_fcgid/2.3.9 OpenSSL/3.0.15 configured'],
    ['PHP version', 'PHP 8.2.29 (cli) (built: Jul  3 2025)', 'PHP 8.2.29 (cli) (built: Jul  3 2025)'],
    ['four-part version after a name', 'mod_perl/2.0.12.1 Perl/v5.36.0', 'mod_perl/2.0.12.1 Perl/v5.36.0'],
    ['version after a colon or equals', 'redis_version:7.2.4 Redis version=7.2.4 nginx/1.27.3', 'redis_version:7.2.4 Redis version=7.2.4 nginx/1.27.3'],
    ['Debian package version', 'php8.2-cgi 8.2.29-1~deb12u1', 'php8.2-cgi 8.2.29-1~deb12u1'],
    // terminal noise
    ['ANSI colours and CR', '\x1b[32mINFO\x1b[0m ready\r', 'INFO ready'],
    ['OSC title, bell, C1 controls; tabs stay', '\x1b]0;title\x07a\tb\x07c\x85d', 'a\tbcd'],
    ['trailing blanks', 'ready   ', 'ready'],
  ];
  for (const [name, raw, normalized] of cases) {
    it(`${name}: ${JSON.stringify(raw).slice(0, 60)}`, () => {
      assert.equal(normalizeLine(raw), normalized);
    });
  }

  it('keeps the raw line as is next to the normalised one', () => {
    const [l] = normalizeLines(['\x1b[31mERROR\x1b[0m at 22:52:11\r']);
    assert.deepEqual(l, { line: 1, raw: '\x1b[31mERROR\x1b[0m at 22:52:11\r', normalized: 'ERROR at <time>' });
  });

  it("masks the containers' own hostnames and ids exactly", () => {
    const rules = compileRules({ hosts: ['web-1', 'app.internal'], ids: ['9f86d081884c'] });
    assert.equal(normalizeLine('web-1 (app.internal) is 9f86d081884c; web-10 is not', rules), '<host> (<host>) is <id>; web-10 is not');
    // Known names still leave the built-in masks to do their part.
    assert.equal(normalizeLine('web-1 started at 22:52:11', rules), '<host> started at <time>');
  });

  it("applies users' rules first, in order, and protects what they mask", () => {
    const rules = compileRules({
      rules: [
        { pattern: 'req-[0-9a-f]+', replacement: '<req>' },
        { pattern: 'session=(\\w+)', replacement: 'session=<$1-len>' },
        { pattern: 'build \\S+' },
        { pattern: 'WORKER', flags: 'i' },
      ],
    });
    assert.equal(
      normalizeLine('req-4f3c at 22:52:11 session=abc build 2026-11-22T22:52:11Z worker 3', rules),
      '<req> at <time> session=<abc-len> <masked> <masked> 3',
    );
  });

  const bad: Array<[string, { pattern: string; flags?: string }, RegExp]> = [
    ['an invalid expression', { pattern: 'pid=(\\d+' }, /rule 1 \("pid=\(\\d\+"\) is not a valid regular expression/],
    ['a pattern matching the empty string', { pattern: 'x*' }, /rule 1 \("x\*"\) matches the empty string/],
    ['an empty pattern', { pattern: '' }, /the pattern is empty/],
    ['unsupported flags', { pattern: 'x', flags: 'gy' }, /unsupported flags "gy"/],
  ];
  for (const [name, rule, message] of bad) {
    it(`rejects ${name} with a message naming it`, () => {
      assert.throws(
        () => compileRules({ rules: [rule] }),
        (e: unknown) => e instanceof CompareError && e.reason === 'badArgument' && message.test(e.message),
      );
    });
  }

  it('names the second rule when the second is bad', () => {
    assert.throws(() => compileRules({ rules: [{ pattern: 'ok' }, { pattern: '[' }] }), /rule 2 \("\["\)/);
  });

  it('rejects an unknown built-in mask name', () => {
    assert.throws(() => compileRules({ disable: ['time', 'colour' as never] }), (e: unknown) => e instanceof CompareError && e.reason === 'badArgument');
  });

  it('turns built-in masks off by name', () => {
    const rules = compileRules({ disable: ['dur', 'pid'] });
    assert.equal(normalizeLine('pid 35 took 12ms at 22:52:11', rules), 'pid 35 took 12ms at <time>');
  });

  it('steps over a user pattern that matches nothing in context instead of looping', () => {
    const rules = compileRules({ rules: [{ pattern: '\\b', replacement: '|' }, { pattern: 'b' }] });
    assert.equal(normalizeLine('a b', rules), 'a <masked>');
  });

  const lines = [...LAPTOP, ...CI, ...cases.map(([, raw]) => raw), '', '   ', '\x1b[0m', 'pid 35 35 35'];

  it('gives the same result on the fast path as with users\' rules that match nothing', () => {
    const slow = compileRules({ rules: [{ pattern: 'matches-nothing-here' }] });
    for (const l of lines) assert.equal(normalizeLine(l, slow), normalizeLine(l), JSON.stringify(l));
    const withHost = compileRules({ hosts: ['Process'] });
    assert.equal(normalizeLine(LAPTOP[2], withHost), normalizeLine(LAPTOP[2]).replace('Process', '<host>'));
  });

  it('cuts lines into segments that add up to the raw and to the normalised line', () => {
    for (const rules of [defaultLogRules(), compileRules({ rules: [{ pattern: 'AH\\d+', replacement: '<code>' }], hosts: ['web'] })]) {
      for (const l of lines) {
        const segments = normalizeSegments(l, rules);
        assert.equal(segments.map((s) => s.raw).join(''), l);
        assert.equal(segments.map((s) => s.normalized).join(''), normalizeLine(l, rules));
        for (const s of segments) if (!s.masked) assert.ok(s.raw.startsWith(s.normalized), JSON.stringify(s));
      }
    }
  });

  it('splits a log into lines: LF or CRLF, no empty line for the final newline', () => {
    assert.deepEqual(splitLogLines(''), []);
    assert.deepEqual(splitLogLines('a\r\nb\n\nc\n'), ['a', 'b', '', 'c']);
    assert.deepEqual(splitLogLines('a'), ['a']);
  });
});

describe('log diff', () => {
  it('shows the fcgid line on the laptop side only and the AH00489 line as changed, the rest as same', () => {
    const d = diffLogs(LAPTOP, CI);
    assertValidAlignment(d, LAPTOP, CI);
    assert.deepEqual(
      d.rows.map((r) => [r.kind, r.a?.line, r.b?.line]),
      [
        ['same', 1, 1],
        ['same', 2, 2],
        ['onlyA', 3, undefined],
        ['changed', 4, 3],
        ['same', 5, 4],
        ['same', 6, 5],
        ['same', 7, 6],
      ],
    );
    assert.deepEqual(d.summary, { linesA: 7, linesB: 6, same: 5, changed: 1, onlyA: 1, onlyB: 0 });

    const words = d.rows[3].words!;
    assert.deepEqual(
      words.filter((w) => w.kind !== 'same').map((w) => [w.kind, (w.a ?? w.b)!.trim()]),
      [['onlyA', 'mod_fcgid/2.3.9']],
    );
    // Parts rebuild both raw lines; the masked timestamp, pid and tid differ in raw text yet count as same.
    assert.equal(words.map((w) => w.a ?? '').join(''), LAPTOP[3]);
    assert.equal(words.map((w) => w.b ?? '').join(''), CI[2]);
    assert.ok(words[0].kind === 'same' && words[0].a!.includes('22:52:11') && words[0].b!.includes('09:14:03'));
  });

  it('finds nothing between two runs of the same image', () => {
    const d = diffLogs(LAPTOP, LAPTOP_AGAIN);
    assertValidAlignment(d, LAPTOP, LAPTOP_AGAIN);
    assert.ok(d.rows.every((r) => r.kind === 'same'));
    assert.notEqual(LAPTOP[2], LAPTOP_AGAIN[2]);
  });

  it('takes normalised LogLines as well as strings', () => {
    const rules = compileRules();
    const d = diffLogs(normalizeLines(LAPTOP, rules), normalizeLines(CI, rules), { rules });
    assert.deepEqual(d.summary, diffLogs(LAPTOP, CI).summary);
  });

  it('handles empty logs and one empty side', () => {
    assert.deepEqual(diffLogs([], []), { rows: [], summary: { linesA: 0, linesB: 0, same: 0, changed: 0, onlyA: 0, onlyB: 0 } });
    const onlyA = diffLogs(CI, []);
    assertValidAlignment(onlyA, CI, []);
    assert.ok(onlyA.rows.every((r) => r.kind === 'onlyA'));
    const onlyB = diffLogs([], CI);
    assertValidAlignment(onlyB, [], CI);
    assert.ok(onlyB.rows.every((r) => r.kind === 'onlyB'));
  });

  it('pairs removed and added lines by similarity, not by position', () => {
    const a = ['start', 'cache warmed up in 3 passes', 'listening on port 8080 with 4 workers', 'end'];
    const b = ['start', 'listening on port 8081 with 4 workers', 'end'];
    const d = diffLogs(a, b);
    assertValidAlignment(d, a, b);
    assert.deepEqual(
      d.rows.map((r) => r.kind),
      ['same', 'onlyA', 'changed', 'same'],
    );
    assert.deepEqual(
      d.rows[2].words!.filter((w) => w.kind !== 'same'),
      [
        { kind: 'onlyA', a: '8080' },
        { kind: 'onlyB', b: '8081' },
      ],
    );
  });

  it('leaves dissimilar lines unpaired, even with a word in common', () => {
    const d = diffLogs(['a', 'worker 3 ready', 'z'], ['a', 'worker pool exhausted, request dropped', 'z']);
    assert.deepEqual(
      d.rows.map((r) => r.kind),
      ['same', 'onlyA', 'onlyB', 'same'],
    );
  });

  it('joins a blank between two replacements into one change', () => {
    const words = wordDiff('"GET / HTTP/1.1" 200 8547 "-"', '"GET / HTTP/1.1" 502 0 "-"');
    assert.deepEqual(words, [
      { kind: 'same', a: '"GET / HTTP/1.1" ', b: '"GET / HTTP/1.1" ' },
      { kind: 'onlyA', a: '200 8547' },
      { kind: 'onlyB', b: '502 0' },
      { kind: 'same', a: ' "-"', b: ' "-"' },
    ]);
  });

  it('keeps escape sequences in the raw parts without comparing them', () => {
    const a = '\x1b[32mINFO\x1b[0m worker 3 ready';
    const b = '\x1b[33mWARN\x1b[0m worker 3 ready';
    const words = wordDiff(a, b);
    assert.equal(words.map((w) => w.a ?? '').join(''), a);
    assert.equal(words.map((w) => w.b ?? '').join(''), b);
    assert.deepEqual(
      words.filter((w) => w.kind !== 'same').map((w) => w.a ?? w.b),
      ['INFO', 'WARN'],
    );
    // A colour alone is no difference.
    assert.equal(diffLogs(['\x1b[32mready\x1b[0m'], ['\x1b[1mready']).rows[0].kind, 'same');
  });

  it('gives long lines a coarse word diff: the differing middle whole', () => {
    const a = `start ${'x '.repeat(50)}alpha beta end`;
    const b = `start ${'x '.repeat(50)}gamma beta end`;
    const fine = diffLogs([a], [b]).rows[0].words!;
    const coarse = diffLogs([a], [b], { maxWordDiffLength: 40 }).rows[0].words!;
    assert.deepEqual(fine.filter((w) => w.kind !== 'same').map((w) => w.a ?? w.b), ['alpha', 'gamma']);
    assert.deepEqual(coarse.filter((w) => w.kind !== 'same').map((w) => w.a ?? w.b), ['alpha', 'gamma']);
    const a2 = 'k alpha z beta k';
    const b2 = 'k gamma z delta k';
    assert.deepEqual(wordDiff(a2, b2, defaultLogRules(), 4).filter((w) => w.kind !== 'same').map((w) => w.a ?? w.b), ['alpha z beta', 'gamma z delta']);
    assert.deepEqual(wordDiff(a2, b2).filter((w) => w.kind !== 'same').map((w) => w.a ?? w.b), ['alpha', 'gamma', 'beta', 'delta']);
  });

  it('is a minimal alignment on small random logs (same rows = longest common subsequence)', () => {
    const words = ['GET /', 'GET /a', 'POST /b', 'error', 'ready', 'pid 3 started'];
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const gen = (n: number) => Array.from({ length: n }, () => words[Math.floor(r() * words.length)]);
      const a = gen(Math.floor(r() * 25));
      const b = r() < 0.5 ? gen(Math.floor(r() * 25)) : a.filter(() => r() < 0.8).concat(gen(3));
      const d = diffLogs(a, b);
      assertValidAlignment(d, a, b);
      assert.equal(d.summary.same, lcs(a, b), `seed ${seed}`);
    }
  });

  it('stays close to minimal when the logs are large, repetitive and differ a lot (no unique line, no full Myers)', () => {
    const r = rng(7);
    const templates = ['GET /{} 200', 'worker {} ready', 'cache miss {}', 'PHP Warning in line {}', 'ready'];
    const line = () => templates[Math.floor(r() * templates.length)].replace('{}', String(Math.floor(r() * 50)));
    const a = Array.from({ length: 5000 }, line);
    const b: string[] = [];
    for (const l of a) {
      const k = r();
      if (k < 0.1) continue;
      else if (k < 0.2) b.push(line());
      else if (k < 0.3) b.push(l, line());
      else b.push(l);
    }
    const d = diffLogs(a, b);
    assertValidAlignment(d, a, b);
    assert.ok(d.summary.same >= 0.99 * lcs(a, b), JSON.stringify(d.summary));
  });

  it('finds nothing in common between unrelated logs, quickly', function () {
    // A guard against quadratic work (minutes), not a timing of the diff: generous on a loaded machine.
    this.timeout(20_000);
    const x = Array.from({ length: 20000 }, (_, i) => `alpha ${i}`);
    const y = Array.from({ length: 20000 }, (_, i) => `beta ${i}`);
    const dx = diffLogs(x, y);
    assertValidAlignment(dx, x, y);
    assert.equal(dx.summary.same, 0);
  });

  it('stops when cancelled', () => {
    const ac = new AbortController();
    ac.abort();
    assert.throws(() => diffLogs(LAPTOP, CI, { signal: ac.signal }), (e: unknown) => e instanceof CompareError && e.reason === 'cancelled');
  });
});

describe('log markers', () => {
  it('names the module and the product version seen on the laptop side only', () => {
    assert.deepEqual(diffLogMarkers(LAPTOP, CI), { onlyA: ['fcgid', 'mod_fcgid/2.3.9'], onlyB: [] });
    assert.deepEqual(diffLogMarkers(CI, LAPTOP), { onlyA: [], onlyB: ['fcgid', 'mod_fcgid/2.3.9'] });
    assert.deepEqual(diffLogMarkers(LAPTOP, LAPTOP_AGAIN), { onlyA: [], onlyB: [] });
  });

  it('lists tags and product tokens in order of first mention, not paths, dates or access-log clients', () => {
    assert.deepEqual(logMarkers(LAPTOP), ['fcgid', 'mpm_event', 'Apache/2.4.68', 'mod_fcgid/2.3.9', 'core']);
    assert.deepEqual(logMarkers(['/usr/lib/php/8.2/x 2026/11/22 [not:a-level] \x1b[1mPHP/8.2.29-1~deb12u1\x1b[0m.']), ['PHP/8.2.29-1~deb12u1']);
  });

  it('takes LogLines as well', () => {
    assert.deepEqual(diffLogMarkers(normalizeLines(LAPTOP), normalizeLines(CI)).onlyA, ['fcgid', 'mod_fcgid/2.3.9']);
  });
});

describe('IPv4-mapped IPv6 addresses', () => {
  it('masks them whole, with their port (busybox httpd, Node and Java servers log IPv4 clients so)', () => {
    assert.equal(normalizeLine('[::ffff:172.17.0.1]:53396: response:200'), '[<ip>]:<port>: response:200');
    assert.equal(normalizeLine('request from ::ffff:10.1.2.3 done'), 'request from <ip> done');
    assert.equal(normalizeLine('listening on [::]:8080 and ::1'), 'listening on [::]:8080 and ::1');
  });
});

describe('logMarkers: what is not a module', () => {
  it('skips protocol tokens and the client tokens of access-log lines', () => {
    const lines = [
      '172.17.0.1 - - [22/Nov/2026:22:52:11 +0000] "GET / HTTP/1.1" 200 8547 "-" "curl/8.0.1"',
      '10.0.0.1 - - [22/Nov/2026:22:52:12 +0000] "GET /x HTTP/2.0" 404 12 "-" "Mozilla/5.0 (X11; Linux x86_64)"',
      'upstream sent HTTP/1.0 response',
      'AH00489: Apache/2.4.68 (Debian) mod_fcgid/2.3.9 configured -- resuming normal operations',
    ];
    assert.deepEqual(logMarkers(lines), ['Apache/2.4.68', 'mod_fcgid/2.3.9']);
  });
});

