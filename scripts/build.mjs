// Bundles with esbuild: the CLI, the extension and its webviews (one file
// each, no node_modules at run time), and the extension-host test suite.
// The npm package ships the CLI's part of dist/ (package.json's `files`), the
// .vsix the extension's (.vscodeignore).
//
//   node scripts/build.mjs            dist/ (what ships) and out/test/ (extension-host tests)
//   node scripts/build.mjs --dist     dist/ only (packaging)
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The start-up check compares with engines.node, so the two cannot drift apart.
const minNode = /^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
if (!minNode) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR.PATCH", not "${pkg.engines.node}"`);
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: true, // less to parse at every start: a warm compare is start-up bound
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // ssh2 (through docker-modem) has optional native parts; they load lazily and are not needed for unix/tcp.
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
};

/**
 * dockerode (with ssh2 and protobufs) is most of the code but only needed to
 * export or run: it goes into its own file, required on first use, so runs
 * that only inspect (warm compares) never parse it.
 */
const dockerodeApart = {
  name: 'dockerode-apart',
  setup(b) {
    b.onResolve({ filter: /^dockerode$/ }, () => ({ path: './dockerode.js', external: true }));
  },
};

/**
 * The `container-compare` command (src/cli/bin.ts) checks the Node version,
 * then requires the CLI from its own file: a Node too old to parse the CLI
 * still runs the check.
 */
const cliApart = {
  name: 'cli-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/index$/, namespace: 'file' }, (args) => (args.importer.endsWith('src/cli/bin.ts') ? { path: './cliMain.js', external: true } : undefined));
  },
};

/**
 * sql.js (SQLite in wasm) reads rpm databases only: required on first use
 * from its own file, with its wasm beside it, so no start pays for parsing it.
 */
const sqljsApart = {
  name: 'sqljs-apart',
  setup(b) {
    b.onResolve({ filter: /^sql\.js$/ }, () => ({ path: './sql-wasm.js', external: true }));
  },
};
mkdirSync('dist', { recursive: true });
for (const f of ['sql-wasm.js', 'sql-wasm.wasm']) {
  copyFileSync(`node_modules/sql.js/dist/${f}`, `dist/${f}`);
  chmodSync(`dist/${f}`, 0o644); // sql.js ships its wasm executable; it is data
}

const builds = [
  // Readable and lowered to ES2015 syntax, so that an old Node can still say "too old" (checked on 12, 18, 20.2).
  build({ ...common, minify: false, sourcemap: false, target: 'es2015', define: { __MIN_NODE__: JSON.stringify(minNode) }, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [cliApart] }),
  // Its map (without the sources: 0.4 MB, not 1.2) ships so that --debug's stack traces name src/ lines.
  build({ ...common, sourcesContent: false, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cliMain.js', plugins: [dockerodeApart, sqljsApart] }),
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'], plugins: [dockerodeApart, sqljsApart] }),
  build({ ...common, entryPoints: ['node_modules/dockerode/lib/docker.js'], outfile: 'dist/dockerode.js' }),
  // The panels' browser code: one ES module each, @vscode-elements (lit) bundled in.
  build({ ...common, platform: 'browser', format: 'esm', target: 'chrome120', define: {}, external: [], entryPoints: ['webview/runPanel.ts', 'webview/report.ts'], outdir: 'dist/webview' }),
];

if (!process.argv.includes('--dist')) {
  // The suite runs inside the extension host: `vscode` is the host's, mocha comes from
  // this repo's node_modules (out/ is inside the repo, so require() finds it).
  const dir = 'test/extension';
  rmSync('out/test/extension', { recursive: true, force: true });
  const entries = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);
  builds.push(build({ ...common, minify: false, entryPoints: entries, outdir: 'out/test/extension', external: [...common.external, 'vscode', 'mocha'] }));
}

await Promise.all(builds);
