// The CLI as users get it: `npm pack` in a fresh clone of this checkout's
// committed HEAD (so a file missing from Git, or a build that only works in a
// developer's folder, fails here), `npm install -g` of the tarball into an
// empty prefix, then the installed `container-compare` on real images, run
// from a folder with no node_modules around it.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DiffReport } from '../../src/core/report/report';
import { requireImages } from '../helpers/docker';

const ROOT = resolve(__dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What the tarball must hold, exactly: the CLI's bundles, sql.js and its wasm, the CLI's source map, the documents. */
const SHIPPED = ['CHANGELOG.md', 'LICENSE', 'README.md', 'dist/cli.js', 'dist/cliMain.js', 'dist/cliMain.js.map', 'dist/dockerode.js', 'dist/sql-wasm.js', 'dist/sql-wasm.wasm', 'package.json'];

/**
 * The environment of a user's shell: no variables that `npm run` sets for
 * the script it runs (a prefix, a package's fields), which would steer the
 * npm commands below.
 */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const k of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_(prefix|global|local_prefix|global_prefix)$|^INIT_CWD$/i.test(k)) delete env[k];
  }
  return env;
}

/** Runs a command, failing with its output (the last lines of it) when it fails. */
function sh(cmd: string, args: string[], cwd: string, env = userEnv()): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`\`${cmd} ${args.join(' ')}\` in ${cwd} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
  }
  return r.stdout;
}

describe('the npm package: packed from a fresh clone, installed with npm install -g', function () {
  let dir: string;
  let tarball: string;
  let prefix: string;
  let bin: string;
  let elsewhere: string;

  before(function () {
    requireImages('cc-fixture/modes:a', 'cc-fixture/modes:b', 'cc-fixture/packages:a', 'cc-fixture/packages:b');
    dir = mkdtempSync(join(tmpdir(), 'cc-npm-'));
    const clone = join(dir, 'clone');
    sh('git', ['clone', '--quiet', ROOT, clone], dir);
    // A real install from the lockfile: the build on pack uses nothing from this checkout.
    sh('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], clone);
    mkdirSync(join(dir, 'packed'));
    sh('npm', ['pack', '--pack-destination', join(dir, 'packed')], clone);
    const packed = readdirSync(join(dir, 'packed'));
    assert.deepEqual(packed, [`container-compare-${VERSION}.tgz`]);
    tarball = join(dir, 'packed', packed[0]);
    prefix = join(dir, 'prefix');
    bin = join(prefix, 'bin', 'container-compare');
    elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('holds the CLI and its documents only: no tests, fixtures, sources, extension or other source maps', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''))
      .sort();
    for (const f of files) {
      assert.doesNotMatch(f, /^(test|src|webview|scripts|media|\.ci|out|node_modules)\//, `${f} should not ship in the npm package`);
      assert.doesNotMatch(f, /fixtures|\.ts$|\.vsix$|\.tgz$/, `${f} should not ship in the npm package`);
      assert.ok(!f.endsWith('.map') || f === 'dist/cliMain.js.map', `${f}: only the CLI's own map ships (for --debug)`);
      assert.doesNotMatch(f, /^dist\/(extension\.js|webview\/)/, `${f} is the extension's: it ships in the .vsix`);
    }
    assert.deepEqual(files, SHIPPED);
    const size = statSync(tarball).size;
    assert.ok(size < 1.5e6, `the tarball is ${size} bytes: more than the CLI should weigh`);
  });

  it('installs into an empty prefix as one package, needing nothing from a registry', () => {
    // An empty cache and --offline: any dependency to fetch would fail the install.
    sh('npm', ['install', '--global', '--prefix', prefix, '--offline', '--cache', join(dir, 'empty-cache'), '--no-audit', '--no-fund', tarball], elsewhere);
    assert.deepEqual(readdirSync(join(prefix, 'lib', 'node_modules')), ['container-compare']);
    const installed = join(prefix, 'lib', 'node_modules', 'container-compare');
    assert.ok(!existsSync(join(installed, 'node_modules')), 'the package pulled dependencies of its own');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: object };
    assert.equal(manifest.dependencies, undefined, 'every library is bundled: none is a runtime dependency');
    assert.equal(realpathSync(bin), join(realpathSync(installed), 'dist', 'cli.js'));
    accessSync(bin, constants.X_OK);
    assert.equal(execFileSync(bin, ['--version'], { cwd: elsewhere, env: userEnv(), encoding: 'utf8' }).trim(), VERSION);
  });

  it('compares two local images with the installed container-compare', () => {
    const r = spawnSync(bin, ['diff', 'cc-fixture/modes:a', 'cc-fixture/modes:b', '--json', '--cache-dir', join(dir, 'cache')], { cwd: elsewhere, env: userEnv(), encoding: 'utf8' });
    assert.equal(r.status, 1, `exit code 1 (different) expected; stderr: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as DiffReport;
    assert.equal(report.a.ref, 'cc-fixture/modes:a');
    assert.equal(report.b.ref, 'cc-fixture/modes:b');
    const runSh = report.files.find((f) => f.path === '/app/run.sh');
    assert.ok(runSh, `/app/run.sh should differ; files: ${report.files.map((f) => f.path).join(', ')}`);
    assert.deepEqual(runSh.reasons, ['mode']);
    assert.deepEqual([runSh.a?.mode, runSh.b?.mode], ['0755', '0644']);
  });

  it('reads an rpm database with sql.js wasm from where npm installed it', () => {
    const r = spawnSync(bin, ['diff', 'cc-fixture/packages:a', 'cc-fixture/packages:b', '--json', '--cache-dir', join(dir, 'cache')], { cwd: elsewhere, env: userEnv(), encoding: 'utf8' });
    assert.equal(r.status, 1, `stderr: ${r.stderr}`);
    const rpm = (JSON.parse(r.stdout) as DiffReport).packages?.ecosystems.find((e) => e.kind === 'rpm');
    assert.deepEqual(
      rpm?.changed.map((p) => [p.name, p.a, p.b]),
      [['cc-hello', '1.2.3-4', '1.2.4-1']],
    );
  });

  it('runs the same way through npx', () => {
    const out = sh('npx', ['--yes', '--offline', '--cache', join(dir, 'npx-cache'), '--package', tarball, '--', 'container-compare', '--version'], elsewhere);
    assert.equal(out.trim(), VERSION);
  });

  it('refuses an older Node in one line, with exit code 2, before loading the CLI', () => {
    // The installed entry under a Node that says it is 18: what it checks is process.versions.node.
    const preload = join(dir, 'node18.cjs');
    writeFileSync(preload, `Object.defineProperty(process.versions, 'node', { value: '18.20.8' });\n`);
    const r = spawnSync(process.execPath, ['--require', preload, bin, 'diff', 'cc-fixture/modes:a', 'cc-fixture/modes:b', '--cache-dir', join(dir, 'cache-old')], { cwd: elsewhere, env: userEnv(), encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^container-compare: Node\.js \d+\.\d+\.\d+ or newer is needed, and .+ is Node\.js 18\.20\.8: install a current Node\.js LTS/);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(join(dir, 'cache-old')), 'the CLI ran (it made its cache folder) although Node was too old');
  });
});
