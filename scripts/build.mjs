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
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // ssh2 (through docker-modem) has optional native parts; they load lazily and are not needed for unix/tcp.
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
};

await build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
