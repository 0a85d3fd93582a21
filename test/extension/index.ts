// Entry of the extension-host suite: the workbench loads this file inside
// VS Code's extension host (code-server's, or desktop VS Code's through
// @vscode/test-electron) and waits for run().
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type MochaType from 'mocha';
import { addNoise } from '../helpers/noise';

// mocha 12 is an ES module: require() gives its namespace (Node 20.19+ require(esm)).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Mocha = (require('mocha') as { default: typeof MochaType }).default;

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180_000, slow: 10_000 });
  const only = process.env.CC_EXT_TESTS?.split(',');
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.js') && (!only || only.some((o) => f.startsWith(o))));
  if (!files.length) return Promise.reject(new Error(`No test files in ${__dirname}`));
  for (const f of files.sort()) mocha.addFile(join(__dirname, f));
  // A machine with thirty other repositories: the suite must not depend on its rows being the only ones.
  const noise = addNoise();
  return new Promise<void>((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} test${failures === 1 ? '' : 's'} failed`)) : resolve()));
  }).finally(() => noise.remove());
}
