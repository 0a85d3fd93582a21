import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDirArg, CODE_DIR, commandOf, readOwnFile } from '../../../src/cli/codeCache';

const ROOT = join(__dirname, '..', '..', '..');

describe('the CLI code cache (bin start-up)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cc-codecache-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads --cache-dir the way the CLI does: either form, the last one, not after --', () => {
    assert.equal(cacheDirArg(['diff', 'a', 'b', '--cache-dir', '/x']), '/x');
    assert.equal(cacheDirArg(['--cache-dir=/y', 'diff']), '/y');
    assert.equal(cacheDirArg(['--cache-dir', '/x', '--cache-dir=/z']), '/z');
    assert.equal(cacheDirArg(['diff', '--', '--cache-dir', '/x']), undefined);
    assert.equal(cacheDirArg(['diff', '--cache-dir']), undefined);
    assert.equal(cacheDirArg(['diff', '--cache-dir=']), undefined);
  });

  it('names the cache after the subcommand, and nothing an argument could make a path of', () => {
    assert.equal(commandOf(['--json', 'diff', 'a', 'b']), 'diff');
    assert.equal(commandOf(['--version']), 'none');
    assert.equal(commandOf(['../../etc/passwd']), 'none');
    assert.equal(commandOf(['Diff']), 'none');
  });

  it('uses only a regular file of ours that no one else may write', () => {
    const f = join(dir, 'c.bin');
    writeFileSync(f, 'bytes', { mode: 0o600 });
    assert.equal(readOwnFile(f)?.toString(), 'bytes');
    chmodSync(f, 0o620);
    assert.equal(readOwnFile(f), undefined, 'group-writable');
    chmodSync(f, 0o602);
    assert.equal(readOwnFile(f), undefined, 'world-writable');
    assert.equal(readOwnFile(dir), undefined, 'a directory');
    assert.equal(readOwnFile(join(dir, 'missing')), undefined);
  });

  describe('through the built bin (dist/cli.js)', () => {
    before(function () {
      if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
    });
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args, '--cache-dir', dir], { encoding: 'utf8', env: { ...process.env, CONTAINER_COMPARE_CACHE: '' } });
    const files = () => (existsSync(join(dir, CODE_DIR)) ? readdirSync(join(dir, CODE_DIR)) : []);

    it('makes the cache after a run that did its work, keeps it while it is used, and the CLI works the same with it', () => {
      // `ls` of a missing archive: a run that fails, quickly, with no engine: it leaves no cache of what it compiled.
      const failed = cli('ls', join(dir, 'missing.tar'));
      assert.equal(failed.status, 2, failed.stderr);
      assert.deepEqual(files(), [], 'no cache from a run that stopped at an error');
      const first = cli('--version');
      assert.equal(first.status, 0, first.stderr);
      const made = files();
      assert.equal(made.length, 1, `one cache file: ${made.join(', ')}`);
      assert.match(made[0], /^[0-9a-f]{16}-v8-[\w.-]+-none\.bin$/);
      const file = join(dir, CODE_DIR, made[0]);
      assert.equal(statSync(file).mode & 0o077, 0, 'private to the user');
      const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      utimesSync(file, past, past);
      const second = cli('--version');
      assert.equal(second.status, first.status);
      assert.equal(second.stdout, first.stdout);
      assert.equal(Math.round(statSync(file).mtimeMs), past.getTime(), 'a usable cache is not written again');
    });

    it('makes it again when V8 refuses it, and removes an old cache of another bundle', () => {
      cli('--version');
      const [name] = files();
      writeFileSync(join(dir, CODE_DIR, name), 'not a code cache', { mode: 0o600 });
      const stale = join(dir, CODE_DIR, '0000000000000000-v8-0-none.bin');
      writeFileSync(stale, 'x', { mode: 0o600 });
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(stale, old, old);
      const r = cli('--version');
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(files(), [name]);
      assert.ok(statSync(join(dir, CODE_DIR, name)).size > 1000, 'a real cache replaced the refused one');
    });

    it('leaves nothing behind for a run that made no cache folder', () => {
      const none = join(dir, 'none');
      const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--version', '--cache-dir', none], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(existsSync(none), false);
    });

    it('writes the cache where --cache-dir says, never beside the bundle', () => {
      mkdirSync(join(dir, 'c'));
      const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--version', '--cache-dir', join(dir, 'c')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readdirSync(join(dir, 'c', CODE_DIR)).length, 1);
      assert.equal(readdirSync(join(ROOT, 'dist')).some((f) => f.endsWith('.bin')), false);
    });
  });
});
