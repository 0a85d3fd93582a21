// The `container-compare` command. Built apart from the CLI (scripts/build.mjs)
// for old Node, so that an old Node gets one clear line and exit code 2 instead
// of a SyntaxError or a TypeError halfway through a run: the CLI itself is
// built for Node 20 and needs AbortSignal.any (Node 20.3).
import { join } from 'path';
import { defaultCacheDir } from '../core/util/cacheDir';
import { cacheDirArg, runBundle } from './codeCache';
import { nodeTooOld } from './nodeVersion';

declare const __MIN_NODE__: string;

const refusal = nodeTooOld(process.versions.node, __MIN_NODE__, process.execPath);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exitCode = 2;
} else {
  const argv = process.argv.slice(2);
  if (argv.indexOf('--debug') >= 0) {
    // --debug prints stack traces; dist/cliMain.js.map turns them into src/ lines.
    // Maps are read when a module loads, so this comes before the CLI loads.
    process.setSourceMapsEnabled(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('./index');
  } else {
    runBundle(join(__dirname, 'cliMain.js'), argv, cacheDirArg(argv) ?? defaultCacheDir());
  }
}
