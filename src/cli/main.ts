import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { Cache, DEFAULT_MAX_LAYER_BYTES, defaultCacheDir } from '../core/cache';
import { compareImages } from '../core/compare';
import { CompareError, isCompareError, messageOf } from '../core/errors';
import { findFile, readImageFile } from '../core/files';
import { FileTree, type MergedEntry } from '../core/fileTree';
import { parsePlatform } from '../core/layout';
import { loadImages, type LoadOptions } from '../core/loader';
import { evaluateGate, parseGateKinds, toReport } from '../core/report';
import { parseSize } from '../core/units';
import { renderLayers, renderListing, renderMarkdown, renderText } from './format';
import { Progress } from './progress';
import type * as DaemonClientModule from '../docker/daemonClient';
import type * as EndpointModule from '../docker/endpoint';

export const EXIT_SAME = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_ERROR = 2;

const USAGE = `Usage:
  container-compare diff A B [--json | --markdown] [--ignore GLOB]... [--fail-on KINDS] [--max-changes N]
  container-compare layers IMAGE [--json]
  container-compare ls IMAGE [PATH] [--layer N] [--json]
  container-compare cat IMAGE PATH [--layer N]

Images: name:tag or an image id (Docker engine), docker-archive:PATH[:name:tag],
        oci:DIR[:tag], oci-archive:PATH[:tag]

Options:
  --host URL          Docker endpoint (default: DOCKER_HOST, the current docker context, /var/run/docker.sock)
  --platform OS/ARCH  platform to pick from multi-platform indexes (default: this machine's)
  --cache-dir DIR     cache folder (default: $CONTAINER_COMPARE_CACHE or the user cache dir)
  --cache-size SIZE   bound of the layer byte store, e.g. 10G (default 10G; 0 keeps no bytes)
  --ignore GLOB       leave matching paths out, e.g. '/var/log/**' (repeatable)
  --fail-on KINDS     count only these differences: any, layers, files, config, added, removed,
                      modified, content, lineEndings, mode, owner, symlink, type (comma-separated)
  --max-changes N     exit 0 while at most N counted differences (default 0)
  --debug             stack traces on errors

Exit codes: 0 no difference (or within --fail-on/--max-changes), 1 differences, 2 error.
`;

const OPTIONS = {
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  ignore: { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  'max-changes': { type: 'string' },
  layer: { type: 'string' },
  host: { type: 'string' },
  platform: { type: 'string' },
  'cache-dir': { type: 'string' },
  'cache-size': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Runs the CLI and returns its exit code; never exits the process itself (tests call it in-process). */
export async function run(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }, signal?: AbortSignal): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    debug = !!values.debug;
    if (values.version) {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const [command, ...args] = positionals;
    if (values.help || !command) {
      (values.help ? io.stdout : io.stderr).write(USAGE);
      return values.help ? 0 : EXIT_ERROR;
    }
    const progress = new Progress(io.stderr);
    const cache = await Cache.open(values['cache-dir'] ?? defaultCacheDir(io.env), values['cache-size'] === undefined ? DEFAULT_MAX_LAYER_BYTES : parseSize(values['cache-size'], '--cache-size'));
    const load: LoadOptions = {
      cache,
      daemon: async () => {
        // Loaded on demand: archives and warm runs should not pay for the Docker client's start-up.
        /* eslint-disable @typescript-eslint/no-require-imports */
        const { DaemonClient } = require('../docker/daemonClient') as typeof DaemonClientModule;
        const { resolveEndpoint } = require('../docker/endpoint') as typeof EndpointModule;
        /* eslint-enable @typescript-eslint/no-require-imports */
        return new DaemonClient(resolveEndpoint({ host: values.host, env: io.env }));
      },
      platform: values.platform ? parsePlatform(values.platform) : undefined,
      signal,
      onProgress: (p) => progress.update(p),
    };
    try {
      switch (command) {
        case 'diff': {
          need(args, 2, 'diff A B');
          if (values.json && values.markdown) throw new CompareError('badArgument', 'Choose one of --json and --markdown');
          const failOn = values['fail-on'] ? parseGateKinds(values['fail-on']) : undefined;
          const maxChanges = values['max-changes'] === undefined ? 0 : parseCount(values['max-changes'], '--max-changes');
          const [a, b] = await loadImages(args, load);
          progress.update({ message: 'Comparing' });
          const report = toReport(compareImages(a, b, { ignore: values.ignore }));
          const gate = evaluateGate(report, failOn, maxChanges);
          progress.done();
          io.stdout.write(values.json ? JSON.stringify({ ...report, gate }, null, 2) + '\n' : values.markdown ? renderMarkdown(report, gate) : renderText(report, gate));
          return gate.fail ? EXIT_DIFFERENT : EXIT_SAME;
        }
        case 'layers': {
          need(args, 1, 'layers IMAGE');
          const [image] = await loadImages(args, load);
          progress.done();
          if (values.json) {
            io.stdout.write(JSON.stringify({ name: image.name, id: image.id, layers: image.layers, history: image.history }, null, 2) + '\n');
          } else io.stdout.write(renderLayers(image));
          return 0;
        }
        case 'ls': {
          if (args.length < 1 || args.length > 2) throw usage('ls IMAGE [PATH]');
          const [image] = await loadImages(args.slice(0, 1), load);
          progress.done();
          const dir = '/' + (args[1] ?? '/').split('/').filter(Boolean).join('/');
          const layer = values.layer === undefined ? undefined : parseCount(values.layer, '--layer');
          let entries: MergedEntry[];
          if (layer !== undefined) {
            if (layer >= image.layers.length) throw new CompareError('badArgument', `${image.name} has layers 0 to ${image.layers.length - 1}`);
            const prefix = dir === '/' ? '/' : dir + '/';
            entries = image.indexes[layer].filter((e) => e.path === dir || e.path.startsWith(prefix)).map((e) => ({ ...e, layer }));
          } else {
            const tree = FileTree.merge(image.indexes);
            const target = tree.resolve(dir);
            if (!target) throw new CompareError('notFound', `${dir}: no such file or directory in ${image.name}`);
            entries = target.entry.type === 'dir' ? tree.list(target.path) ?? [] : [target.entry];
          }
          io.stdout.write(values.json ? JSON.stringify(entries, null, 2) + '\n' : renderListing(entries));
          return 0;
        }
        case 'cat': {
          need(args, 2, 'cat IMAGE PATH');
          const [image] = await loadImages(args.slice(0, 1), { ...load, needBytes: true });
          progress.done();
          const layer = values.layer === undefined ? undefined : parseCount(values.layer, '--layer');
          const file = findFile(image, args[1], layer);
          await pipeline(await readImageFile(cache, image, file), io.stdout, { end: false });
          return 0;
        }
        default:
          throw usage(`unknown command "${command}"`);
      }
    } finally {
      progress.done();
    }
  } catch (e) {
    return reportError(e, io, debug);
  }
}

function reportError(e: unknown, io: Io, debug: boolean): number {
  if (isCompareError(e) && e.reason === 'cancelled') {
    io.stderr.write('container-compare: cancelled\n');
    return EXIT_ERROR;
  }
  const known = isCompareError(e) || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
  io.stderr.write(`container-compare: ${known ? messageOf(e) : `unexpected error: ${messageOf(e)}`}\n`);
  if (debug && e instanceof Error) io.stderr.write(`${e.stack}\n`);
  else if (!known) io.stderr.write('Run again with --debug for details.\n');
  return EXIT_ERROR;
}

function need(args: string[], n: number, what: string): void {
  if (args.length !== n) throw usage(what);
}

function usage(what: string): CompareError {
  return new CompareError('badArgument', `usage: container-compare ${what} (see --help)`);
}

function parseCount(s: string, flag: string): number {
  if (!/^\d+$/.test(s)) throw new CompareError('badArgument', `${flag} expects a whole number, got "${s}"`);
  return Number(s);
}


declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
