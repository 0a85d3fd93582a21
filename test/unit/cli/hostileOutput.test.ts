import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inert, inertCode, inertJson, inertMarkdown, inertMarkdownInline, inertText } from '../../../src/core/util/inert';
import { renderListing } from '../../../src/cli/format';
import { runCli } from '../../helpers/runCli';
import { makeImageArchive, makeTar } from '../../helpers/tarBuilder';

/** Everything a terminal acts on except the line feed and the tab (the structure of the output itself). */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// File names that would retitle the window, clear the screen, reorder text or fake lines of the report.
const FAKE_LINES = 'etc/a\nFindings\n  ✗ CC999 fake finding';
const OSC = 'etc/\x1b]0;pwned\x07title';
const NAMES = [FAKE_LINES, OSC, 'etc/bidi\u202eevil.sh', 'etc/c1\x9b2J', 'etc/sep\u2028line\u2029para', 'etc/del\x7fx', 'etc/cr\rover', 'etc/isolate\u2066x\u2069'];
const LINK_TARGET = '/\x1b[2J\n+ fake link';
const HISTORY = '/bin/sh -c echo \x1b]0;pwned\x07 \x1b[2J\nRUN fake step \u202e';
const CONFIG = {
  Env: ['PATH=/usr/bin', 'EVIL=\x1b[31mred\u202e\nFAKE=1'],
  Labels: { 'x\x1bk': 'v\x9b2J\n\u2028' },
  Cmd: ['sh', '-c', 'echo \x07\x1b]0;t\x07'],
  User: 'root\u2066',
};

function assertInert(out: string, what: string): void {
  const m = RAW.exec(out);
  assert.equal(m, null, `${what}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(out.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`);
  // A newline in a name cannot make a line of its own.
  for (const fake of [/^\s*✗ CC999 fake finding/m, /^\+ fake link/m, /^RUN fake step/m, /^FAKE=1/m]) assert.doesNotMatch(out, fake, `${what}: a faked line`);
}

describe('output of hostile images: no raw control character reaches any output', () => {
  let dir: string;
  let archive: string;
  let plain: string;
  let cacheArgs: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-hostile-out-'));
    cacheArgs = ['--cache-dir', join(dir, 'cache')];
    const layer = await makeTar([
      { name: 'etc/', type: 'directory' },
      ...NAMES.map((name) => ({ name, content: 'x\n' })),
      { name: 'etc/link', type: 'symlink' as const, linkname: LINK_TARGET },
    ]);
    archive = join(dir, 'hostile.tar');
    await writeFile(archive, await makeImageArchive([{ tags: ['app:hostile'], layers: [layer], history: [{ created_by: HISTORY, comment: 'bidi \u202e comment \x1b[5m' }], config: CONFIG }], 'legacy'));
    plain = join(dir, 'plain.tar');
    await writeFile(plain, await makeImageArchive([{ tags: ['app:plain'], layers: [await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/ok', content: 'ok\n' }])] }], 'oci'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const H = () => `docker-archive:${archive}`;
  const P = () => `oci-archive:${plain}`;

  it('the names are read as they are (the archive is not refused)', async () => {
    const r = await runCli(['ls', H(), '/etc', '--json', ...cacheArgs]);
    assert.equal(r.code, 0, r.stderr);
    const paths = (JSON.parse(r.stdout) as Array<{ path: string; linkTarget?: string }>).map((e) => e.path);
    for (const n of NAMES) assert.ok(paths.includes(`/${n}`), `${JSON.stringify(n)} is listed`);
  });

  const commands: Array<[string, () => string[], number]> = [
    ['ls', () => ['ls', H(), '/etc'], 0],
    ['ls --json', () => ['ls', H(), '/etc', '--json'], 0],
    ['ls --layer', () => ['ls', H(), '/etc', '--layer', '0'], 0],
    ['ls of one file', () => ['ls', H(), `/${FAKE_LINES}`], 0],
    ['layers', () => ['layers', H()], 0],
    ['layers --json', () => ['layers', H(), '--json'], 0],
    ['diff', () => ['diff', H(), P()], 1],
    ['diff --json', () => ['diff', H(), P(), '--json'], 1],
    ['diff --markdown', () => ['diff', H(), P(), '--markdown'], 1],
    ['diff B A --markdown', () => ['diff', P(), H(), '--markdown'], 1],
    ['snapshot', () => ['snapshot', H()], 0],
    ['cat of a missing path', () => ['cat', H(), '/etc/\x1b]0;gone\x07\nFAKE=1'], 2],
    ['ls of a missing path', () => ['ls', H(), '/nope\x1b[2J\u202e'], 2],
    ['an unknown command', () => ['\x1b]0;x\x07'], 2],
  ];
  for (const [what, args, code] of commands) {
    it(`${what}: exit ${code}, stdout and stderr inert`, async () => {
      const r = await runCli([...args(), ...cacheArgs]);
      assert.equal(r.code, code, r.stderr);
      assertInert(r.stdout, `${what} stdout`);
      assertInert(r.stderr, `${what} stderr`);
      if (code === 2) assert.match(r.stderr, /^container-compare: [^\n]+\n$/, 'one line');
    });
  }

  it('JSON keeps the data: the hostile strings parse back exactly', async () => {
    const ls = JSON.parse((await runCli(['ls', H(), '/etc', '--json', ...cacheArgs])).stdout) as Array<{ path: string; linkTarget?: string }>;
    assert.equal(ls.find((e) => e.path === '/etc/link')?.linkTarget, LINK_TARGET);
    const layers = JSON.parse((await runCli(['layers', H(), '--json', ...cacheArgs])).stdout) as { layers: Array<{ createdBy: string }> };
    assert.equal(layers.layers[0].createdBy, HISTORY);
    const diff = JSON.parse((await runCli(['diff', H(), P(), '--json', ...cacheArgs])).stdout) as { config: Array<{ field: string; a: unknown }> };
    assert.deepEqual(diff.config.find((c) => c.field === 'Env.EVIL')?.a, CONFIG.Env[1].slice('EVIL='.length));
    assert.deepEqual(diff.config.find((c) => c.field === 'Labels.x\x1bk')?.a, CONFIG.Labels['x\x1bk']);
    assert.deepEqual(diff.config.find((c) => c.field === 'User')?.a, CONFIG.User);
  });

  it('a snapshot file with hostile names is inert, and reads back as the same image', async () => {
    const snap = await runCli(['snapshot', H(), ...cacheArgs]);
    const file = join(dir, 'baseline.json');
    await writeFile(file, snap.stdout);
    assert.match(snap.stdout, /\\u202e/);
    const again = await runCli(['snapshot', file, ...cacheArgs]);
    assert.equal(again.stdout, snap.stdout);
    const same = await runCli(['diff', file, H(), ...cacheArgs]);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assertInert(same.stdout, 'diff of the snapshot');
  });

  it('text shows each name on its own line, escaped', async () => {
    const r = await runCli(['ls', H(), '/etc', ...cacheArgs]);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, NAMES.length + 1, r.stdout);
    assert.ok(lines.some((l) => l.endsWith('/etc/a\\x0aFindings\\x0a  ✗ CC999 fake finding')));
    assert.ok(lines.some((l) => l.endsWith('/etc/\\x1b]0;pwned\\x07title')));
    assert.ok(lines.some((l) => l.endsWith('/etc/link -> /\\x1b[2J\\x0a+ fake link')));
    assert.ok(lines.some((l) => l.endsWith('/etc/bidi\\u{202e}evil.sh')));
    const layers = await runCli(['layers', H(), ...cacheArgs]);
    // The instruction is the history line on one line (history.ts); its escapes stay visible.
    assert.match(layers.stdout, /RUN echo \\x1b\]0;pwned\\x07 \\x1b\[2J RUN fake step \\u\{202e\}\n$/);
    const text = await runCli(['diff', H(), P(), ...cacheArgs]);
    assert.match(text.stdout, /Env\.EVIL: "\\u001b\[31mred\\u\{202e\}\\nFAKE=1" → \(none\)/);
    const md = await runCli(['diff', H(), P(), '--markdown', ...cacheArgs]);
    assert.match(md.stdout, /\| `\/etc\/a\\x0aFindings\\x0a {2}✗ CC999 fake finding` \| file, 2 B \| 00 \|/);
  });

  it('nothing is written outside the cache folder', async () => {
    const before = (await readdir(dir)).sort();
    await runCli(['diff', H(), P(), '--markdown', ...cacheArgs]);
    assert.deepEqual((await readdir(dir)).sort(), before);
  });
});

describe('core/util/inert: the one rule', () => {
  const every = [...Array(0x20).keys()].map((n) => String.fromCharCode(n)).join('') + '\x7f' + [...Array(0x20).keys()].map((n) => String.fromCharCode(0x80 + n)).join('') + '\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069';

  it('inert(): one line, every character a terminal acts on escaped, tabs and text kept', () => {
    const out = inert(`a${every}b`);
    assert.doesNotMatch(out, /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    assert.ok(out.includes('\t'));
    assert.equal(inert('\x1b]0;t\x07\n\u202e'), '\\x1b]0;t\\x07\\x0a\\u{202e}');
    assert.equal(inert('ünïcödé € <b>'), 'ünïcödé € <b>');
    assert.equal(inert(inert(every)), inert(every), 'idempotent');
  });

  it('inertText() keeps line feeds only', () => {
    assert.equal(inertText('a\nb\rc\x1bd\u2028'), 'a\nb\\x0dc\\x1bd\\u{2028}');
  });

  it('inertJson(): valid JSON, the same data, no raw C0, C1, bidi or separator', () => {
    const value = { [`k${every}`]: [`v${every}`, { n: 1 }] };
    const json = inertJson(value);
    assert.deepEqual(JSON.parse(json), value);
    assert.doesNotMatch(json, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  });

  it('Markdown: markup escaped, controls inert, code spans without backticks or table breaks', () => {
    assert.equal(inertMarkdown('a|b*c\x1b\n'), 'a\\|b\\*c\\\\x1b\\\\x0a');
    assert.equal(inertMarkdown('# 1. (x)', true), '\\# 1\\. \\(x\\)');
    assert.equal(inertCode('a`b|c\x1b'), "`a'b\\|c\\x1b`");
    assert.equal(inertMarkdownInline('run `sh\x1b x` now_'), 'run `sh\\x1b x` now\\_');
  });

  it('renderListing(): a name with a newline stays on its line', () => {
    const text = renderListing([{ path: '/a\nb', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, layer: 0 }]);
    assert.equal(text.split('\n').length, 2);
    assert.match(text, /\/a\\x0ab\n$/);
  });
});
