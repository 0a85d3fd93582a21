import { strict as assert } from 'node:assert';
import { compareHttp, compareRuns, explainExecFailure, probeModules, sourceMarker } from '../../../../src/core/run/runCompare';
import { DEFAULT_RUN_OPTIONS, type HttpResult, type ProbeResult, type RunOptions, type SideRun, type StreamName } from '../../../../src/core/run/runModel';

const OPTIONS: RunOptions = { ...DEFAULT_RUN_OPTIONS, httpPath: '/' };

type Line = [StreamName, string];
const out = (text: string): Line => ['stdout', text];
const err = (text: string): Line => ['stderr', text];

function side(ref: string, id: string, lines: Line[], extra: Partial<SideRun> = {}): SideRun {
  return {
    ref,
    imageId: `sha256:${id.repeat(64).slice(0, 64)}`,
    containerId: id.repeat(64).slice(0, 64),
    containerName: `cc-run-0000000${id}-x`,
    published: { hostIp: '127.0.0.1', hostPort: 32000 + id.charCodeAt(0), containerPort: '80/tcp' },
    lines: lines.map(([stream, text], i) => ({ stream, text, at: 100 + 10 * i })),
    state: { status: 'running', restarts: 0 },
    probes: [],
    ...extra,
  };
}

const probe = (name: string, command: string[], stdout: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({ name, command, exitCode: 0, stdout, stderr: '', durationMs: 5, ...extra });
const answer = (status: number, body: string, headers: Record<string, string> = {}): HttpResult => ({ url: 'http://127.0.0.1:32000/', status, headers, body, bodyBytes: Buffer.byteLength(body), truncated: false, durationMs: 3 });

// As captured from cc-example/php-fcgid:laptop (A) and :ci (B): each container
// has its own hostname (its short id), address, pids and clock.
const APACHE_MODULES = (extra: string[]) =>
  ['Loaded Modules:', ' core_module (static)', ' so_module (static)', ' alias_module (shared)', ...extra, ' mime_module (shared)', ' mpm_event_module (shared)'].join('\n') + '\n';
const PHP_MODULES = '[PHP Modules]\ncgi-fcgi\nCore\ndate\njson\nZend OPcache\n\n[Zend Modules]\nZend OPcache\n\n';

function phpPair(): [SideRun, SideRun] {
  const a = side(
    'cc-example/php-fcgid:laptop',
    'a',
    [
      err("AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.3. Set the 'ServerName' directive globally to suppress this message"),
      err('[Wed Nov 25 02:51:34.780057 2026] [fcgid:info] [pid 8:tid 8] mod_fcgid: Process manager 8 started'),
      err('[Wed Nov 25 02:51:34.781124 2026] [mpm_event:notice] [pid 7:tid 7] AH00489: Apache/2.4.68 (Debian) mod_fcgid/2.3.9 configured -- resuming normal operations'),
      err("[Wed Nov 25 02:51:34.781197 2026] [core:notice] [pid 7:tid 7] AH00094: Command line: '/usr/sbin/apache2 -D FOREGROUND'"),
      out('172.17.0.1 - - [25/Nov/2026:02:51:37 +0000] "GET / HTTP/1.1" 200 69363 "-" "container-compare"'),
    ],
    {
      probes: [
        probe('apache modules', ['apache2ctl', '-M'], APACHE_MODULES([' fcgid_module (shared)']), { stderr: 'AH00558: apache2: Could not reliably determine the server\'s fully qualified domain name, using 172.17.0.3.\n' }),
        probe('php modules', ['php', '-m'], PHP_MODULES),
        probe('env', ['env'], `PATH=/usr/bin\nHOSTNAME=${'a'.repeat(12)}\nHOME=/root\n`),
      ],
      http: answer(200, '<!DOCTYPE html>\n<title>PHP version information</title>\n<h1>PHP Version 8.2.29</h1>\n', { 'content-type': 'text/html; charset=UTF-8', server: 'Apache/2.4.68 (Debian)' }),
    },
  );
  const b = side(
    'cc-example/php-fcgid:ci',
    'b',
    [
      err("AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.2. Set the 'ServerName' directive globally to suppress this message"),
      err('[Thu Nov 26 09:14:03.101877 2026] [mpm_event:notice] [pid 21:tid 21] AH00489: Apache/2.4.68 (Debian) configured -- resuming normal operations'),
      err("[Thu Nov 26 09:14:03.101962 2026] [core:notice] [pid 21:tid 21] AH00094: Command line: '/usr/sbin/apache2 -D FOREGROUND'"),
      out('172.17.0.1 - - [26/Nov/2026:09:14:07 +0000] "GET / HTTP/1.1" 200 69363 "-" "container-compare"'),
    ],
    {
      probes: [
        probe('apache modules', ['apache2ctl', '-M'], APACHE_MODULES([]), { stderr: 'AH00558: apache2: Could not reliably determine the server\'s fully qualified domain name, using 172.17.0.2.\n' }),
        probe('php modules', ['php', '-m'], PHP_MODULES),
        probe('env', ['env'], `PATH=/usr/bin\nHOSTNAME=${'b'.repeat(12)}\nHOME=/root\n`),
      ],
      http: answer(200, '<!DOCTYPE html>\n<title>PHP version information</title>\n<?php phpinfo(); ?>\n', { server: 'Apache/2.4.68 (Debian)' }),
    },
  );
  return [a, b];
}

describe('compareRuns', () => {
  it('the php-fcgid story: B serves PHP source, fcgid is loaded only in A, and the logs show it', () => {
    const [a, b] = phpPair();
    const r = compareRuns(a, b, OPTIONS);
    assert.equal(r.differ, true);
    assert.deepEqual(r.findings.map((f) => `${f.kind} ${f.side ?? '-'} ${f.severity}`), [
      'servedAsSource b error',
      'moduleOnlyOne a warning', // apache2ctl -M
      'moduleOnlyOne a warning', // the log's [fcgid:info] and mod_fcgid/2.3.9
      'httpHeader - warning',
      'logOnlyOne a info',
      'logChanged - info',
    ]);
    assert.deepEqual(r.http?.servedAsSource, { side: 'b', marker: '<?php' });
    assert.deepEqual(r.http?.differences, ['header content-type', 'body']);
    const fromProbe = r.findings[1];
    assert.equal(fromProbe.evidence.probe, 'apache modules');
    assert.match(fromProbe.title, /fcgid_module is loaded only in A/);
    assert.deepEqual(r.modules, { onlyA: ['fcgid_module', 'fcgid', 'mod_fcgid/2.3.9'], onlyB: [] });

    // The fcgid line is A's alone; the AH00489 line changed by exactly "mod_fcgid/2.3.9 ".
    const only = r.logs.rows.filter((x) => x.kind === 'onlyA');
    assert.deepEqual(only.map((x) => x.a!.raw), [a.lines[1].text]);
    const changed = r.logs.rows.filter((x) => x.kind === 'changed');
    assert.deepEqual(changed.flatMap((x) => x.words!.filter((w) => w.kind !== 'same').map((w) => `${w.kind}:${w.a ?? w.b}`)), ['onlyA:mod_fcgid/2.3.9 ']);
    // Rows point into each side's captured lines (stream, time).
    for (const row of r.logs.rows) {
      if (row.a) assert.equal(a.lines[row.a.line - 1].text, row.a.raw);
      if (row.b) assert.equal(b.lines[row.b.line - 1].text, row.b.raw);
    }
    assert.deepEqual(r.findings[2].evidence.logRows!.map((k) => r.logs.rows[k].kind), ['onlyA', 'changed']);
    // Hostnames (short ids) and addresses are masked: env and the AH00558 lines are the same.
    assert.deepEqual(r.probes.map((p) => [p.name, p.onlyA, p.onlyB]), [
      ['apache modules', [' fcgid_module (shared)'], []],
      ['php modules', [], []],
      ['env', [], []],
    ]);
    assert.equal(r.logs.summary.same, 3);
  });

  it('keeps stdout and stderr apart: the same lines interleaved differently are the same', () => {
    const a = side('x', 'a', [out('listening on :8080'), err('warning: no config'), out('ready')]);
    const b = side('y', 'b', [err('warning: no config'), out('listening on :8080'), out('ready')]);
    const r = compareRuns(a, b, DEFAULT_RUN_OPTIONS);
    assert.deepEqual(r.logs.rows.map((x) => x.kind), ['same', 'same', 'same']);
    assert.deepEqual(r.findings, []);
    assert.equal(r.differ, false);
    // ...but a line that moved to the other stream is one line on each side.
    const moved = compareRuns(a, side('y', 'b', [out('listening on :8080'), out('warning: no config'), out('ready')]), DEFAULT_RUN_OPTIONS);
    assert.deepEqual(moved.logs.rows.map((x) => x.kind).sort(), ['onlyA', 'onlyB', 'same', 'same']);
  });

  it('reports a start the engine refused first, with what the error usually means', () => {
    const error =
      'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/entrypoint.sh": stat /entrypoint.sh: no such file or directory: unknown';
    const a = side('app:lf', 'a', [out('serving /srv on port 8080')]);
    const b = side('app:crlf', 'b', [], { state: { status: 'failedToStart', error, restarts: 0 }, published: undefined });
    const r = compareRuns(a, b, DEFAULT_RUN_OPTIONS);
    assert.equal(r.findings[0].kind, 'startFailed');
    assert.equal(r.findings[0].side, 'b');
    assert.equal(r.findings[0].severity, 'error');
    assert.match(r.findings[0].title, /^B did not start: failed to create shim task/);
    assert.match(r.findings[0].detail, /\/entrypoint\.sh is missing from the image, or .*CRLF/);
    assert.equal(r.differ, true);
  });

  it('reports a container that exited at once with its last words (the CRLF shebang under runc 1.1)', () => {
    const a = side('app:lf', 'a', [out('serving /srv on port 8080')]);
    const b = side('app:crlf', 'b', [err('exec /entrypoint.sh: no such file or directory')], { state: { status: 'exited', exitCode: 1, restarts: 0 }, published: undefined });
    const r = compareRuns(a, b, DEFAULT_RUN_OPTIONS);
    const f = r.findings[0];
    assert.equal(f.kind, 'exited');
    assert.equal(f.side, 'b');
    assert.equal(f.title, 'B exited with code 1 while A is running');
    assert.match(f.detail, /exec \/entrypoint\.sh: no such file or directory/);
    assert.match(f.detail, /"\/bin\/sh\\r"/);
    assert.deepEqual(f.evidence.logRows!.map((k) => r.logs.rows[k].b?.raw), ['exec /entrypoint.sh: no such file or directory']);
  });

  it('says nothing of two one-shot containers that both exit 0, and does not count a shared failure as a difference', () => {
    const done = { status: 'exited' as const, exitCode: 0, restarts: 0 };
    assert.deepEqual(compareRuns(side('x', 'a', [out('done')], { state: done }), side('y', 'b', [out('done')], { state: done }), DEFAULT_RUN_OPTIONS).findings, []);
    const failed = { status: 'exited' as const, exitCode: 3, restarts: 0 };
    const r = compareRuns(side('x', 'a', [err('boom')], { state: failed }), side('y', 'b', [err('boom')], { state: failed }), DEFAULT_RUN_OPTIONS);
    assert.deepEqual(r.findings.map((f) => [f.kind, f.severity, f.title]), [['exited', 'info', 'Both containers exited with code 3']]);
    assert.equal(r.differ, false);
  });

  it('ranks the findings: start failure, exit, source, modules, HTTP status, health, restarts, probes, logs', () => {
    const a = side('x', 'a', [out('one'), out('same')], {
      state: { status: 'running', restarts: 0, health: 'healthy' },
      probes: [probe('id', ['id'], 'uid=0(root)\n'), probe('php modules', ['php', '-m'], '[PHP Modules]\ncore\nmbstring\n')],
      http: answer(200, 'ok'),
    });
    const b = side('y', 'b', [out('same'), out('two and more')], {
      state: { status: 'running', restarts: 2, health: 'unhealthy' },
      probes: [probe('id', ['id'], 'uid=1000(app)\n'), probe('php modules', ['php', '-m'], '[PHP Modules]\ncore\n')],
      http: answer(502, 'bad gateway'),
    });
    const r = compareRuns(a, b, OPTIONS);
    assert.deepEqual(r.findings.map((f) => f.kind), ['moduleOnlyOne', 'httpStatus', 'health', 'restarts', 'probeDiffers', 'httpBody', 'logOnlyOne', 'logOnlyOne']);
    assert.equal(r.findings[1].title, 'GET /: 200 in A, 502 in B');
    assert.equal(r.findings[2].side, 'b');
    assert.deepEqual(r.modules.onlyA, ['mbstring']);
  });

  it('shows a probe whose command is missing on one side', () => {
    const missing = { exitCode: null, error: 'exec: "apache2ctl": executable file not found in $PATH' };
    const a = side('x', 'a', [], { probes: [probe('apache modules', ['apache2ctl', '-M'], APACHE_MODULES([' rewrite_module (shared)']))] });
    const b = side('y', 'b', [], { probes: [probe('apache modules', ['apache2ctl', '-M'], '', missing)] });
    const r = compareRuns(a, b, DEFAULT_RUN_OPTIONS);
    assert.deepEqual(r.findings.map((f) => `${f.kind} ${f.side}`), ['moduleOnlyOne a', 'probeDiffers b']);
    assert.match(r.findings[0].detail, /could not run in B: exec: "apache2ctl": executable file not found/);
    assert.equal(r.findings[1].title, 'apache2ctl -M: exit 0 in A, could not run (exec: "apache2ctl": executable file not found in $PATH) in B');
  });

  it('does not compare the probes of a container that stopped (the exit says it all)', () => {
    const notRun = { exitCode: null, error: 'not run: the container exited with code 1' };
    const a = side('x', 'a', [], { probes: [probe('php modules', ['php', '-m'], PHP_MODULES)] });
    const b = side('y', 'b', [err('fatal')], { state: { status: 'exited', exitCode: 1, restarts: 0 }, probes: [probe('php modules', ['php', '-m'], '', notRun)] });
    const r = compareRuns(a, b, DEFAULT_RUN_OPTIONS);
    assert.deepEqual(r.findings.map((f) => f.kind), ['exited', 'logOnlyOne']);
    assert.deepEqual(r.modules, { onlyA: [], onlyB: [] });
  });
});

describe('served-as-source detection', () => {
  const php = answer(200, '<html><body>\n<?php echo getenv("DB_PASSWORD"); ?>\n</body></html>', { 'content-type': 'text/plain' });
  const ran = answer(200, '<html><body>\nhunter2\n</body></html>', { 'content-type': 'text/html' });

  it('calls out the side that sent source the other side executed', () => {
    assert.deepEqual(compareHttp('/', ran, php).servedAsSource, { side: 'b', marker: '<?php' });
    assert.deepEqual(compareHttp('/', php, ran).servedAsSource, { side: 'a', marker: '<?php' });
  });

  it('is silent when both sides send it (a page about PHP, or both broken alike)', () => {
    assert.equal(compareHttp('/', php, php).servedAsSource, undefined);
  });

  it('is silent when the other side did not run it: an error status or no answer', () => {
    assert.equal(compareHttp('/', answer(404, 'Not Found'), php).servedAsSource, undefined);
    assert.equal(compareHttp('/', answer(500, 'Internal Server Error'), php).servedAsSource, undefined);
    const refused: HttpResult = { url: 'http://127.0.0.1:1/', headers: {}, body: '', bodyBytes: 0, truncated: false, error: 'connect ECONNREFUSED', durationMs: 1 };
    assert.equal(compareHttp('/', refused, php).servedAsSource, undefined);
  });

  it('knows PHP, ASP/JSP and scripts sent whole; not XML or escaped code', () => {
    const cases: Array<[string, string | undefined]> = [
      ['<?PHP phpinfo();', '<?php'],
      ['<p><?= $title ?></p>', '<?='],
      ['<%@ page contentType="text/html" %>', '<%@'],
      ['<% Response.Write("x") %>', '<%'],
      ['#!/usr/bin/env python3\nprint("Content-Type: text/html")', '#!/usr/bin/env python3'],
      ['#!/usr/bin/perl -w\nuse CGI;', '#!/usr/bin/perl -w'],
      ['<?xml version="1.0"?><feed/>', undefined],
      ['<pre>&lt;?php phpinfo(); ?&gt;</pre>', undefined],
      ['text\n#!/bin/sh in the middle', undefined],
      ['100% <b>sure</b>', undefined],
    ];
    for (const [body, marker] of cases) assert.equal(sourceMarker(body), marker, body);
  });
});

describe('probeModules', () => {
  it('reads apache2ctl -M', () => {
    assert.deepEqual(probeModules(probe('apache modules', ['apache2ctl', '-M'], APACHE_MODULES([' fcgid_module (shared)']))), {
      source: 'apache',
      modules: ['core_module', 'so_module', 'alias_module', 'fcgid_module', 'mime_module', 'mpm_event_module'],
    });
  });

  it('reads php -m and php-cgi -m, Zend modules once', () => {
    assert.deepEqual(probeModules(probe('php modules', ['php-cgi', '-m'], PHP_MODULES)), { source: 'php', modules: ['cgi-fcgi', 'Core', 'date', 'json', 'Zend OPcache'] });
  });

  it('reads pip freeze, names in PEP 503 form, direct references too', () => {
    const freeze = 'Flask==3.0.3\nzope.interface==6.4\nmy_pkg @ file:///src/my_pkg\n-e git+https://example.com/x.git#egg=x\n';
    assert.deepEqual(probeModules(probe('python packages', ['python3', '-m', 'pip', 'freeze'], freeze)), { source: 'python', modules: ['flask', 'zope-interface', 'my-pkg'] });
  });

  it('reads nginx -V from stderr', () => {
    const v = 'nginx version: nginx/1.22.1\nconfigure arguments: --with-http_ssl_module --with-http_v2_module --add-dynamic-module=/build/modules/http-geoip2 --with-threads\n';
    assert.deepEqual(probeModules(probe('nginx build', ['nginx', '-V'], '', { stderr: v })), { source: 'nginx', modules: ['http_ssl_module', 'http_v2_module', 'http-geoip2'] });
  });

  it('leaves other probes alone', () => {
    assert.equal(probeModules(probe('id', ['id'], 'uid=0(root) gid=0(root)\n')), undefined);
  });
});

describe('explainExecFailure', () => {
  it('explains the usual runtime messages', () => {
    assert.match(explainExecFailure('exec /entrypoint.sh: no such file or directory')!, /CRLF/);
    assert.match(explainExecFailure('exec /app/server: exec format error')!, /CPU architecture/);
    assert.match(explainExecFailure('exec: "nginx": executable file not found in $PATH')!, /not installed/);
    assert.match(explainExecFailure('exec /run.sh: permission denied')!, /not executable/);
    assert.equal(explainExecFailure('listening on :80'), undefined);
  });
});

describe('compareRuns on a probe that fails on one side', () => {
  it('reports the failure with its message, not every module as missing', () => {
    const broken = { exitCode: 1, stderr: 'AH00526: Syntax error on line 3 of /etc/apache2/sites-enabled/app.conf:\nInvalid command\n' };
    const a = side('x', 'a', [], { probes: [probe('apache modules', ['apache2ctl', '-M'], APACHE_MODULES([]))] });
    const b = side('y', 'b', [], { probes: [probe('apache modules', ['apache2ctl', '-M'], '', broken)] });
    const r = compareRuns(a, b, DEFAULT_RUN_OPTIONS);
    assert.deepEqual(r.modules, { onlyA: [], onlyB: [] });
    assert.deepEqual(r.findings.map((f) => `${f.kind} ${f.side}`), ['probeDiffers b']);
    assert.equal(r.findings[0].title, 'apache2ctl -M: exit 0 in A, exit 1 ("AH00526: Syntax error on line 3 of /etc/apache2/sites-enabled/app.conf:") in B');
  });
});

describe('compareRuns on listening ports (CC606)', () => {
  const sock = (address: string, port: number) => ({ address, port });
  const listens = (...sockets: Array<{ address: string; port: number }>): Partial<SideRun> => ({ listening: { sockets, at: 2100, via: 'hostProc' } });
  const on8080 = (extra: Partial<SideRun> = {}): Partial<SideRun> => ({ published: { hostIp: '127.0.0.1', hostPort: 49153, containerPort: '8080/tcp' }, ...extra });
  const ok = answer(200, 'hello\n');
  const hungUp: HttpResult = { url: 'http://127.0.0.1:49154/', headers: {}, body: '', bodyBytes: 0, truncated: false, error: 'socket hang up', durationMs: 4 };
  const ports = (a: Partial<SideRun>, b: Partial<SideRun>) => compareRuns(side('a', 'a', [], a), side('b', 'b', [], b), OPTIONS).findings.filter((f) => f.kind === 'port');

  it('B listening on 8081 where 8080/tcp is published: an error when that is why B does not answer', () => {
    const [f, ...rest] = ports(on8080({ ...listens(sock('::', 8080)), http: ok }), on8080({ ...listens(sock('::', 8081)), http: hungUp }));
    assert.deepEqual(rest, []);
    assert.equal(f.code, 'CC606');
    assert.equal(f.side, 'b');
    assert.equal(f.severity, 'error');
    assert.equal(f.title, 'B listens on 8081 but 8080/tcp was published');
    assert.equal(
      f.detail,
      'Read from /proc/net/tcp in B at 2.1 s: [::]:8081. A listens on [::]:8080, where the published port leads. Connections to the published port (127.0.0.1:49153 → 8080/tcp) find nothing listening in B: that is why GET / got no answer (socket hang up).',
    );
    assert.deepEqual(f.evidence, { listening: ['b', 'a'], http: ['status'] });
  });

  it('a service bound to loopback inside the container, and one that listens on nothing; a warning while HTTP was not asked', () => {
    const [f] = ports(on8080(listens(sock('0.0.0.0', 8080))), on8080(listens(sock('127.0.0.1', 8080), sock('::1', 8080))));
    assert.equal(f.severity, 'warning');
    assert.equal(f.title, 'B listens on 127.0.0.1:8080 and [::1]:8080 only, so the published port gets no answer');
    assert.match(f.detail, /A loopback address takes connections from inside the container only; the engine forwards 127\.0\.0\.1:49153 → 8080\/tcp to the container's own address, where nothing listens on 8080\.$/);
    assert.deepEqual(f.evidence, { listening: ['b', 'a'] });
    const [g] = ports(on8080({ ...listens(), http: hungUp }), on8080({ ...listens(sock('::', 8080)), http: ok }));
    assert.deepEqual([g.side, g.severity, g.title], ['a', 'error', 'A listens on no TCP port (8080/tcp was published)']);
  });

  it('both wrong the same way: one finding, not a difference', () => {
    const r = compareRuns(side('a', 'a', [], on8080(listens(sock('0.0.0.0', 9000)))), side('b', 'b', [], on8080(listens(sock('0.0.0.0', 9000)))), { ...DEFAULT_RUN_OPTIONS });
    assert.deepEqual(r.findings.map((f) => [f.side, f.severity, f.title]), [[undefined, 'warning', 'Neither container listens on the published 8080/tcp: both listen on 9000']]);
    assert.equal(r.differ, false);
  });

  it('says nothing when both listen where the published port leads, whatever else they listen on', () => {
    assert.deepEqual(ports(on8080(listens(sock('::', 8080))), on8080(listens(sock('0.0.0.0', 8080), sock('127.0.0.1', 9000)))), []);
    // The container's own address counts: the engine forwards to it.
    assert.deepEqual(ports(on8080(listens(sock('172.17.0.3', 8080))), on8080(listens(sock('::', 8080)))), []);
  });

  it('says nothing for a side that stopped, whose sockets could not be read, or when nothing was read', () => {
    const exited: Partial<SideRun> = { state: { status: 'exited', exitCode: 1, restarts: 0 } };
    assert.deepEqual(ports(on8080(listens(sock('::', 8080))), on8080({ ...listens(), ...exited })), []);
    assert.deepEqual(ports(on8080(listens(sock('::', 8080))), on8080({ listening: { sockets: [], at: 2000, error: '/proc/net/tcp could not be read: exec: "cat": executable file not found in $PATH' } })), []);
    assert.deepEqual(ports(on8080(), on8080()), []);
    // One side unknown, the other wrong: still said, without the comparison.
    const [f] = ports(on8080(), on8080(listens(sock('::', 8081))));
    assert.deepEqual([f.side, f.evidence], ['b', { listening: ['b'] }]);
  });

  it('with no TCP port published, only a difference between the two', () => {
    const none = { published: undefined };
    const [f, ...rest] = ports({ ...none, ...listens(sock('::', 8080)) }, { ...none, ...listens(sock('::', 8081)) });
    assert.deepEqual(rest, []);
    assert.deepEqual([f.side, f.severity, f.title], [undefined, 'warning', 'A listens on 8080, B on 8081']);
    assert.deepEqual(ports({ ...none, ...listens(sock('::', 8080)) }, { ...none, ...listens(sock('::', 8080)) }), []);
    const udp = { published: { hostIp: '127.0.0.1', hostPort: 49160, containerPort: '53/udp' } };
    assert.deepEqual(ports({ ...udp, ...listens() }, { ...udp, ...listens() }), []);
  });
});
