import { parseArgs } from 'node:util';
import { Cache, DEFAULT_MAX_LAYER_BYTES } from '../core/layers/cache';
import { defaultCacheDir } from '../core/util/cacheDir';
import { isCompareError, messageOf } from '../core/util/errors';
import { parsePlatform } from '../core/image/layout';
import { loadImages, type LoadOptions } from '../core/sources/loader';
import { parseSize } from '../core/util/units';
import { parseMinRate } from '../core/registry/rate';
import { Progress } from './progress';
import { keepYoungGenerationSmall } from './youngGeneration';
import type * as DaemonClientModule from '../docker/daemonClient';
import type * as EndpointModule from '../docker/endpoint';
import { EXIT_ERROR, usage, type Io, type OptionsConfig } from './commands/command';
import { COMMANDS } from './commands/commands';
import { inert, inertText } from '../core/util/inert';

export { EXIT_DIFFERENT, EXIT_ERROR, EXIT_SAME } from './commands/command';
export { exitGuard } from './commands/run';

// --help is composed from these and each command's usage and options (commands/), in COMMANDS' order.
const IMAGES_HELP = [
  'Images: name:tag or an image id (Docker engine), docker-archive:PATH[:name:tag],',
  '        oci:DIR[:tag], oci-archive:PATH[:tag], registry://HOST[:PORT]/REPO:TAG (or @sha256:...)',
];

const SHARED_OPTIONS_HELP = [
  '  --host URL          Docker endpoint (default: DOCKER_HOST, the current docker context, /var/run/docker.sock)',
  "  --platform OS/ARCH  platform to pick from multi-platform indexes (default: this machine's)",
  '  --cache-dir DIR     cache folder (default: $CONTAINER_COMPARE_CACHE or the user cache dir)',
  '  --cache-size SIZE   bound of the layer byte store, e.g. 10G (default 10G; 0 keeps no bytes)',
  "  --no-fast-path      export engine images (docker save) instead of reading the engine's layer store",
];

const DEBUG_HELP = '  --debug             stack traces on errors';

const REGISTRIES_HELP = [
  'Registries (images read over the distribution API; only layers not indexed yet are downloaded):',
  "  --remote            plain names (host:5000/app:ci) are registry images, not the engine's",
  "  --insecure-registry HOST   plain HTTP / unverified TLS for HOST, HOST:PORT or a CIDR, as Docker's",
  '                      insecure-registries (repeatable; loopback registries are insecure by default, as in Docker)',
  '  --registry-ca FILE  a PEM CA trusted for registries (repeatable; also NODE_EXTRA_CA_CERTS, certs.d)',
  '  --docker-config DIR the docker config with credentials (default: $DOCKER_CONFIG, else ~/.docker)',
  '  --registry-min-rate RATE[/SECONDS]  give up on a registry sending less than RATE bytes a second over',
  '                      SECONDS, e.g. 1K/60s (the default; 0 turns it off)',
];

const EXIT_CODES_HELP = 'Exit codes: 0 no difference (or within --fail-on/--max-changes), 1 differences, 2 error (or cancelled).';

/** --help: Usage, images, options (the shared ones with those commands list there), registries, each command's own section, exit codes. */
function usageText(): string {
  const lines = (ls: readonly string[]): string => ls.map((l) => `${l}\n`).join('');
  const listed = COMMANDS.flatMap((c) => (c.help && c.help.heading === undefined ? c.help.lines : []));
  const sections = COMMANDS.flatMap((c) => (c.help?.heading !== undefined ? [lines([c.help.heading, ...c.help.lines])] : []));
  return [
    lines(['Usage:', ...COMMANDS.flatMap((c) => c.usage)]),
    lines(IMAGES_HELP),
    lines(['Options:', ...SHARED_OPTIONS_HELP, ...listed, DEBUG_HELP]),
    lines(REGISTRIES_HELP),
    ...sections,
    lines([EXIT_CODES_HELP]),
  ].join('\n');
}

/** The options all commands share (cache, engine, registries, --help); each command declares its own beside it. */
const SHARED_OPTIONS = {
  host: { type: 'string' },
  platform: { type: 'string' },
  'cache-dir': { type: 'string' },
  'cache-size': { type: 'string' },
  'no-fast-path': { type: 'boolean' },
  remote: { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
  'registry-ca': { type: 'string', multiple: true },
  'docker-config': { type: 'string' },
  'registry-min-rate': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} satisfies OptionsConfig;

/** One table for parseArgs: any command accepts (and ignores) another's options, as when they were all in one switch. */
const OPTIONS: OptionsConfig & typeof SHARED_OPTIONS = Object.assign({}, ...COMMANDS.map((c) => c.options), SHARED_OPTIONS);

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
      (values.help ? io.stdout : io.stderr).write(usageText());
      return values.help ? 0 : EXIT_ERROR;
    }
    const progress = new Progress(io.stderr);
    const cache = await Cache.open(values['cache-dir'] ?? defaultCacheDir(io.env), values['cache-size'] === undefined ? DEFAULT_MAX_LAYER_BYTES : parseSize(values['cache-size'], '--cache-size'));
    let client: DaemonClientModule.DaemonClient | undefined;
    const daemon = (): DaemonClientModule.DaemonClient => {
      // Loaded on demand: archives and warm runs should not pay for the Docker client's start-up.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { DaemonClient } = require('../docker/daemonClient') as typeof DaemonClientModule;
      const { resolveEndpoint } = require('../docker/endpoint') as typeof EndpointModule;
      /* eslint-enable @typescript-eslint/no-require-imports */
      return (client ??= new DaemonClient(resolveEndpoint({ host: values.host, env: io.env }), { env: io.env }));
    };
    /** Brings layers' bytes of `ref` into the cache (to read package databases): a registry fetches just those, the engine exports the image. */
    const fetchLayers = async (ref: string, diffIds: string[]): Promise<void> => {
      await loadImages([ref], { ...load, needLayerBytes: diffIds });
    };
    const load: LoadOptions = {
      cache,
      daemon,
      platform: values.platform ? parsePlatform(values.platform) : undefined,
      signal,
      onProgress: (p) => {
        if (p.bytes !== undefined) keepYoungGenerationSmall();
        progress.update(p);
      },
      fastPath: !values['no-fast-path'],
      onNote: (n) => {
        if (n.level === 'warning' || debug) io.stderr.write(`container-compare: ${n.level === 'warning' ? 'warning: ' : ''}${n.message}\n`);
      },
      remote: !!values.remote,
      registry: {
        insecure: values['insecure-registry'] ?? [],
        caFiles: values['registry-ca'] ?? [],
        env: io.env,
        ...(values['docker-config'] ? { configDir: values['docker-config'] } : {}),
        ...(values['registry-min-rate'] !== undefined ? { minRate: parseMinRate(values['registry-min-rate'], '--registry-min-rate') } : {}),
      },
    };
    try {
      const cmd = COMMANDS.find((c) => c.name === command);
      if (!cmd) throw usage(`unknown command "${command}"`);
      return await cmd.run({ io, signal, cache, progress, daemon, load, fetchLayers }, args, values);
    } finally {
      progress.done();
    }
  } catch (e) {
    return reportError(e, io, debug);
  }
}

function reportError(e: unknown, io: Io, debug: boolean): number {
  if (isCompareError(e) && e.reason === 'cancelled') {
    // "Cancelled. Also: could not remove ...": what cleaning up left behind is worth saying.
    const also = e.message.startsWith('Cancelled. ') ? ` (${e.message.slice('Cancelled. '.length)})` : '';
    io.stderr.write(`container-compare: cancelled${inert(also)}\n`);
    return EXIT_ERROR;
  }
  const known = isCompareError(e) || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
  // Messages quote names, config values and registries' answers: one inert line.
  io.stderr.write(`container-compare: ${inert(known ? messageOf(e) : `unexpected error: ${messageOf(e)}`)}\n`);
  if (debug && e instanceof Error) io.stderr.write(`${inertText(e.stack ?? '')}\n`);
  else if (!known) io.stderr.write('Run again with --debug for details.\n');
  return EXIT_ERROR;
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
