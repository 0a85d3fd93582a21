// Bundles the CLI (and later the extension) with esbuild: one file each, no node_modules at run time.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
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

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [dockerodeApart] }),
  build({ ...common, entryPoints: ['node_modules/dockerode/lib/docker.js'], outfile: 'dist/dockerode.js' }),
]);
