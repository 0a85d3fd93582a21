// Runs a mocha suite inside a real VS Code extension host (code-server + chromium)
// and exits with its result:
//
//   npx tsx scripts/run-extension-tests.ts <extensionDevelopmentPath> <extensionTestsPath.js> [folder]
//
// The folder the window opens defaults to the extension's own folder.
import { runExtensionHostTests } from '../test/harness/codeServer';

async function main(argv: string[]): Promise<number> {
  const [extensionDevelopmentPath, extensionTestsPath, folder = extensionDevelopmentPath] = argv;
  if (!extensionDevelopmentPath || !extensionTestsPath || argv.length > 3) {
    process.stderr.write('usage: run-extension-tests <extensionDevelopmentPath> <extensionTestsPath(.js)> [folder]\n');
    return 2;
  }
  // Cold caches export real images: minutes, not seconds, on a slow machine.
  return runExtensionHostTests({ extensionDevelopmentPath, extensionTestsPath, folder, timeoutMs: 15 * 60_000 });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`run-extension-tests: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
