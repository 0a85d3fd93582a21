// The extension-host suite in desktop VS Code, through @vscode/test-electron:
// the same test/extension files that scripts/test-vscode.sh runs in
// code-server. It downloads VS Code (a version that runs this extension's
// engines.vscode) into .vscode-test/, so it needs access to
// update.code.visualstudio.com, and a display (xvfb-run on a server):
//
//   npm run build && xvfb-run -a npm run test:desktop
//
// Expects the Docker engine and fixture images, as every tier does.
import { runTests } from '@vscode/test-electron';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const version = process.env.CC_VSCODE_VERSION ?? '1.100.3';
try {
  const code = await runTests({
    version,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out/test/extension/index.js'),
    launchArgs: [mkdtempSync(join(tmpdir(), 'cc-desktop-ws-')), '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: { CONTAINER_COMPARE_CACHE: mkdtempSync(join(tmpdir(), 'cc-desktop-cache-')) },
  });
  process.exit(code);
} catch (e) {
  console.error(`test:desktop: ${e instanceof Error ? e.message : String(e)}`);
  console.error(`Desktop VS Code ${version} could not be downloaded or started. This runner needs access to update.code.visualstudio.com and a display (xvfb-run -a). Without them, run the same suite in code-server: bash scripts/test-vscode.sh extension`);
  process.exit(2);
}
