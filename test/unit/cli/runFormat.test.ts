import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommand, runOptions } from '../../../src/cli/commands/run';
import { listeningLine, renderRun } from '../../../src/cli/runFormat';
import { inert, inertJson } from '../../../src/core/util/inert';
import { compareRuns } from '../../../src/core/run/runCompare';
import { DEFAULT_RUN_OPTIONS, type SideRun } from '../../../src/core/run/runModel';
import { runCli } from '../../helpers/runCli';

// What the cc-fixture/noisylogs images write, and worse.
const HOSTILE = [
  '<b>bold</b> <img src=x onerror=alert(1)> <script>alert(1)</script>',
  '\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J\x1b[H bell\x07 back\bspace',
  'nul:\x00: c1-csi:\x9b2J bidi:\u202edesrever\u202c cr:\rover',
];

const side = (ref: string, lines: string[]): SideRun => ({
  ref,
  imageId: `sha256:${'c'.repeat(64)}`,
  lines: lines.map((text, i) => ({ stream: 'stdout', text, at: i })),
  state: { status: 'running', restarts: 0 },
  probes: [{ name: 'env', command: ['env'], exitCode: 0, stdout: `X=${lines[0]}\n`, stderr: '', durationMs: 1 }],
  http: { url: 'http://127.0.0.1:1/', status: 200, headers: { server: 'evil\x1b]0;t\x07' }, body: '', bodyBytes: 0, truncated: false, durationMs: 1 },
});

describe('run output', () => {
  it('inert() shows every character a terminal acts on as an escape, and leaves text alone', () => {
    assert.equal(inert(HOSTILE[1]), '\\x1b[31mred\\x1b[0m \\x1b]0;pwned\\x07 \\x1b[2J\\x1b[H bell\\x07 back\\x08space');
    assert.equal(inert(HOSTILE[2]), 'nul:\\x00: c1-csi:\\x9b2J bidi:\\u{202e}desrever\\u{202c} cr:\\x0dover');
    assert.equal(inert('tab\tand <b>html</b> and ünïcödé €'), 'tab\tand <b>html</b> and ünïcödé €');
  });

  it('renders container text inert: no control, C1 or bidi character reaches the terminal', () => {
    const report = compareRuns(side('a', HOSTILE), side('b', ['plain']), { ...DEFAULT_RUN_OPTIONS, httpPath: '/' });
    const text = renderRun(report);
    assert.doesNotMatch(text.replace(/\n/g, ''), /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    assert.match(text, /- A out {2}\\x1b\[31mred\\x1b\[0m/);
    assert.match(text, /<script>alert\(1\)<\/script>/);
    assert.match(text, /^Different: /m);
  });

  it('inertJson() is valid JSON with the same data, C1 and bidi characters escaped', () => {
    const value = { line: HOSTILE[2], nested: [HOSTILE[1]] };
    const json = inertJson(value);
    assert.deepEqual(JSON.parse(json), value);
    assert.doesNotMatch(json, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  });

  it('parseCommand() splits like a shell (quotes, backslashes) or reads a JSON array', () => {
    assert.deepEqual(parseCommand(`httpd -f -p 8080 -h '/srv/my app'`, '--cmd'), ['httpd', '-f', '-p', '8080', '-h', '/srv/my app']);
    assert.deepEqual(parseCommand(`sh -c "echo \\"hi\\" \\$HOME" x\\ y`, '--cmd'), ['sh', '-c', 'echo "hi" $HOME', 'x y']);
    assert.deepEqual(parseCommand('["/bin/sh", "-c", "exit 3"]', '--cmd'), ['/bin/sh', '-c', 'exit 3']);
    assert.deepEqual(parseCommand(`a''b ""`, '--cmd'), ['ab', '']);
    assert.throws(() => parseCommand(`echo 'open`, '--cmd'), /unterminated '/);
    assert.throws(() => parseCommand('[1, 2]', '--entrypoint'), /--entrypoint: a JSON array of strings/);
  });

  it('shows what each side listens on, a line per side, and why it could not be read', () => {
    const a = { ...side('a', ['x']), listening: { sockets: [{ address: '::', port: 8080 }, { address: '127.0.0.1', port: 9000 }], at: 2140, via: 'hostProc' as const } };
    const b = { ...side('b', ['x']), listening: { sockets: [], at: 2150, via: 'exec' as const } };
    const lines = renderRun(compareRuns(a, b, DEFAULT_RUN_OPTIONS)).split('\n');
    assert.deepEqual(lines.slice(2, 4), ['   A listens on [::]:8080, 127.0.0.1:9000 (at 2.1 s)', '   B listens on no TCP port (at 2.1 s)']);
    assert.equal(listeningLine('B', { sockets: [], at: 2000, error: '/proc/net/tcp could not be read: exec: "cat": executable file not found in $PATH' }), 'B: /proc/net/tcp could not be read: exec: "cat": executable file not found in $PATH');
    // Not read (the container never ran): no line.
    assert.doesNotMatch(renderRun(compareRuns(side('a', ['x']), side('b', ['x']), DEFAULT_RUN_OPTIONS)), /listens/);
  });

  it('run requests GET / by default, --http PATH another path, --no-http nothing', async () => {
    assert.equal(runOptions({}).httpPath, '/');
    assert.equal(runOptions({ http: '/index.php' }).httpPath, '/index.php');
    assert.ok(!('httpPath' in runOptions({ 'no-http': true })));
    const help = (await runCli(['--help'])).stdout;
    assert.match(help, /--http PATH +GET PATH on both published ports after startup and compare the answers \(default \/\)/);
    assert.match(help, /--no-http +request nothing/);
  });

  it('run refuses bad flags and archives before touching the engine (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', 'a', 'b', '--http', '/', '--no-http'], /--http and --no-http contradict each other/],
      [['run', 'a', 'b', '--quiet', 'soon'], /--quiet expects a number of seconds/],
      [['run', 'a', 'b', '--env', 'NOEQUALS'], /--env expects KEY=VALUE/],
      [['run', 'a', 'b', '--http', 'index.php'], /--http expects a path starting with \//],
      [['run', 'docker-archive:/tmp/x.tar', 'b'], /images must be in the Docker engine; docker-archive:\/tmp\/x\.tar is an archive/],
      [['run', 'a'], /usage: container-compare run A B/],
    ];
    const dir = await mkdtemp(join(tmpdir(), 'cc-run-args-'));
    try {
      for (const [args, message] of cases) {
        const r = await runCli([...args, '--host', 'unix:///nonexistent/docker.sock', '--cache-dir', dir]);
        assert.equal(r.code, 2, args.join(' '));
        assert.match(r.stderr, message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
