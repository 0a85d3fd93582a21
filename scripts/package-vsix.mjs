// `npm run package`: builds dist/ and writes container-compare.vsix.
//
// package.json's `files` is the npm package's list (the CLI) and .vscodeignore
// the extension's; vsce refuses to package a folder that has both. So vsce
// packs a copy: the files .vscodeignore lets through, with a package.json
// without `files`. What ships is still decided by .vscodeignore alone
// (`npx vsce ls` lists it), and the published manifest is the same but for
// that one field.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vsce from '@vscode/vsce';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'container-compare.vsix');

execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--dist'], { cwd: root, stdio: 'inherit' });

const stage = mkdtempSync(join(tmpdir(), 'cc-vsix-'));
try {
  const files = await vsce.listFiles({ cwd: root, packageManager: vsce.PackageManager.None });
  for (const f of [...files, '.vscodeignore']) {
    if (f === 'package.json') continue;
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    copyFileSync(join(root, f), join(stage, f));
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  delete manifest.files;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await vsce.createVSIX({ cwd: stage, packagePath: out, dependencies: false });
} finally {
  rmSync(stage, { recursive: true, force: true });
}
