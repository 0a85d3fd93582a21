// How the `container-compare` command loads the CLI's bundle (dist/cliMain.js,
// ~380 kB): V8 compiles it as it loads, then each function the first time it
// runs. A warm compare takes about a third of a second, and compiling was a
// tenth of it. So the bundle is loaded through vm.Script with V8's code cache,
// kept in the cache folder (code/) and made at the end of a run, so that the
// functions that ran are in it.
//
// A cache file is named by the bundle's digest, the V8 version and the command
// (a `--version` run compiles little of what `diff` needs). V8 refuses a cache
// made by another version or with other flags (it is then made again), but it
// checks the source only by its length: hence the digest. A cache file is
// code: one that another user owns, or that others may write, is not used.
//
// Plain `fs`/`vm` imports: this runs from the bin, which an old Node parses.
import { createHash } from 'crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { Script } from 'vm';

export const CODE_DIR = 'code';
/** Caches of another bundle are removed once this old: two installs sharing a cache folder must not keep removing each other's. */
const STALE_MS = 60 * 60 * 1000;
const MAX_BYTES = 64 * 2 ** 20;

/** Runs the CommonJS bundle `file` as `require` would, with V8's code cache from `cacheRoot` when it has a usable one. */
export function runBundle(file: string, argv: readonly string[], cacheRoot: string): void {
  const source = readFileSync(file, 'utf8');
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const name = `${digest}-v8-${process.versions.v8.replace(/[^\w.-]/g, '_')}-${commandOf(argv)}.bin`;
  const dir = join(cacheRoot, CODE_DIR);
  const cachedData = readOwnFile(join(dir, name));
  // The wrapper Node's CommonJS loader puts around a module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, { filename: file, cachedData });
  // Only a run that did its work (0: same, 1: different) has compiled what the next one needs; one that
  // stopped at an error would leave a cache of little use, never made again.
  if (!cachedData || script.cachedDataRejected) process.once('exit', (code) => (code === 0 || code === 1) && save(script, cacheRoot, name, digest));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
}

/** The subcommand, as a file-name part (the first argument that is not an option). */
export function commandOf(argv: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith('-'));
  return first && /^[a-z][a-z-]{0,31}$/.test(first) ? first : 'none';
}

/** `--cache-dir DIR` or `--cache-dir=DIR` from the arguments, the way the CLI reads them (the last one counts). */
export function cacheDirArg(argv: readonly string[]): string | undefined {
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--cache-dir' && i + 1 < argv.length) dir = argv[++i];
    else if (argv[i].startsWith('--cache-dir=')) dir = argv[i].slice('--cache-dir='.length);
  }
  return dir || undefined;
}

/** The file's bytes if it is a regular file of ours that no one else may write, else undefined. */
export function readOwnFile(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || st.size > MAX_BYTES || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function save(script: Script, cacheRoot: string, name: string, digest: string): void {
  try {
    // A run that made no cache folder (--help, a bad argument) leaves none behind.
    if (!existsSync(cacheRoot)) return;
    const dir = join(cacheRoot, CODE_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, join(dir, name));
    const now = Date.now();
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (!f.startsWith(digest) && now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { force: true });
    }
  } catch {
    // A cache that cannot be written costs the next run time, nothing else.
  }
}
