import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { Cache, DEFAULT_MAX_LAYER_BYTES, defaultCacheDir } from '../core/layers/cache';
import { analyzePair, takeSnapshot, type AnalysisSide } from '../core/report/analysis';
import { CompareError, isCompareError, messageOf } from '../core/util/errors';
import { findFile, readImageFile } from '../core/layers/files';
import { FileTree, type MergedEntry } from '../core/layers/fileTree';
import { parsePlatform } from '../core/image/layout';
import { loadImages, type LoadOptions } from '../core/sources/loader';
import { evaluateGate, parseGateKinds, parseSizeLimit } from '../core/report/report';
import { readSnapshotRef, serializeSnapshot } from '../core/report/snapshot';
import { parseSize } from '../core/util/units';
import { parseReference } from '../core/image/reference';
import { DEFAULT_RUN_OPTIONS, type RunOptions, type RunReport } from '../core/run/runModel';
import type { Finding } from '../core/findings/findings';
import type { ImageModel } from '../core/image/model';
import { renderLayers, renderListing, renderMarkdown, renderText } from './format';
import { Progress } from './progress';
import { renderRun, safeJson } from './runFormat';
import type * as DaemonClientModule from '../docker/daemonClient';
import type * as EndpointModule from '../docker/endpoint';
import type * as RunPairModule from '../docker/runPair';
import { EXIT_DIFFERENT, EXIT_ERROR, EXIT_SAME, need, parseCount, usage, type Io } from './commands/command';

export { EXIT_DIFFERENT, EXIT_ERROR, EXIT_SAME } from './commands/command';

const USAGE = `Usage:
  container-compare diff A B [--json | --markdown] [--ignore GLOB]... [--fail-on KINDS] [--max-changes N] [--max-size-change SIZE|PCT]
  container-compare snapshot IMAGE > baseline.json
  container-compare diff baseline.json IMAGE [...]   (a snapshot file as A or B: compare a new build to a baseline)
  container-compare layers IMAGE [--json]
  container-compare ls IMAGE [PATH] [--layer N] [--json]
  container-compare cat IMAGE PATH [--layer N]
  container-compare run A B [--port P] [--http PATH] [--probe CMD]... [--duration S] [--quiet S]
                            [--env K=V]... [--cmd CMD] [--entrypoint CMD] [--bind ADDR] [--no-presets] [--json]

Images: name:tag or an image id (Docker engine), docker-archive:PATH[:name:tag],
        oci:DIR[:tag], oci-archive:PATH[:tag], registry://HOST[:PORT]/REPO:TAG (or @sha256:...)

Options:
  --host URL          Docker endpoint (default: DOCKER_HOST, the current docker context, /var/run/docker.sock)
  --platform OS/ARCH  platform to pick from multi-platform indexes (default: this machine's)
  --cache-dir DIR     cache folder (default: $CONTAINER_COMPARE_CACHE or the user cache dir)
  --cache-size SIZE   bound of the layer byte store, e.g. 10G (default 10G; 0 keeps no bytes)
  --ignore GLOB       leave matching paths out, e.g. '/var/log/**' (repeatable)
  --fail-on KINDS     count only these differences: any, layers, files, config, added, removed,
                      modified, content, lineEndings, mode, owner, symlink, type, and (only when named)
                      packages, base, secrets (new in B), leftovers (new in B) (comma-separated)
  --max-changes N     exit 0 while at most N counted differences (default 0)
  --max-size-change SIZE|PCT  fail when the image size moves more than SIZE (10M) or PCT (5%) either way;
                      alone (without --fail-on/--max-changes) only the size is gated
  --debug             stack traces on errors

Registries (images read over the distribution API; only layers not indexed yet are downloaded):
  --remote            plain names (host:5000/app:ci) are registry images, not the engine's
  --insecure-registry HOST   plain HTTP / unverified TLS for HOST, HOST:PORT or a CIDR, as Docker's
                      insecure-registries (repeatable; loopback registries are insecure by default, as in Docker)
  --registry-ca FILE  a PEM CA trusted for registries (repeatable; also NODE_EXTRA_CA_CERTS, certs.d)
  --docker-config DIR the docker config with credentials (default: $DOCKER_CONFIG, else ~/.docker)

Run (one container per image, the same way; always removed afterwards):
  --port P            container port to publish, e.g. 80 or 8080/tcp (default: the lowest TCP port A, else B, exposes)
  --bind ADDR         host address the port is published on (default 127.0.0.1)
  --http PATH         GET PATH (e.g. /) on both published ports and compare the answers
  --probe CMD         a command run with sh -c in both containers after startup (repeatable)
  --no-presets        do not run the probes chosen by what the images contain (apache2ctl -M, php -m, env, id...)
  --quiet S           startup ends after S seconds without output (default ${DEFAULT_RUN_OPTIONS.quietMs / 1000})
  --duration S        ...or after S seconds at most (default ${DEFAULT_RUN_OPTIONS.maxMs / 1000})
  --env K=V           set in both containers (repeatable)
  --cmd CMD           replace both images' CMD (words as a shell splits them, or a JSON array)
  --entrypoint CMD    replace both images' ENTRYPOINT (same syntax)

Exit codes: 0 no difference (or within --fail-on/--max-changes), 1 differences, 2 error (or cancelled).
`;

const OPTIONS = {
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  ignore: { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  'max-changes': { type: 'string' },
  'max-size-change': { type: 'string' },
  layer: { type: 'string' },
  host: { type: 'string' },
  platform: { type: 'string' },
  'cache-dir': { type: 'string' },
  'cache-size': { type: 'string' },
  remote: { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
  'registry-ca': { type: 'string', multiple: true },
  'docker-config': { type: 'string' },
  port: { type: 'string' },
  bind: { type: 'string' },
  http: { type: 'string' },
  probe: { type: 'string', multiple: true },
  'no-presets': { type: 'boolean' },
  quiet: { type: 'string' },
  duration: { type: 'string' },
  env: { type: 'string', multiple: true },
  cmd: { type: 'string' },
  entrypoint: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

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
    let client: DaemonClientModule.DaemonClient | undefined;
    const daemon = (): DaemonClientModule.DaemonClient => {
      // Loaded on demand: archives and warm runs should not pay for the Docker client's start-up.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { DaemonClient } = require('../docker/daemonClient') as typeof DaemonClientModule;
      const { resolveEndpoint } = require('../docker/endpoint') as typeof EndpointModule;
      /* eslint-enable @typescript-eslint/no-require-imports */
      return (client ??= new DaemonClient(resolveEndpoint({ host: values.host, env: io.env })));
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
      onProgress: (p) => progress.update(p),
      remote: !!values.remote,
      registry: {
        insecure: values['insecure-registry'] ?? [],
        caFiles: values['registry-ca'] ?? [],
        env: io.env,
        ...(values['docker-config'] ? { configDir: values['docker-config'] } : {}),
      },
    };
    try {
      switch (command) {
        case 'diff': {
          need(args, 2, 'diff A B');
          if (values.json && values.markdown) throw new CompareError('badArgument', 'Choose one of --json and --markdown');
          const failOn = values['fail-on'] ? parseGateKinds(values['fail-on']) : undefined;
          const maxChanges = values['max-changes'] === undefined ? 0 : parseCount(values['max-changes'], '--max-changes');
          const maxSizeChange = values['max-size-change'] === undefined ? undefined : parseSizeLimit(values['max-size-change']);
          const [a, b] = await loadSides(args, load);
          progress.update({ message: 'Comparing' });
          const { report } = await analyzePair(a, b, { cache, ignore: values.ignore, signal, fetchLayers: (side, d) => fetchLayers(args[side === 'a' ? 0 : 1], d) });
          // --max-size-change alone gates the size only; with --fail-on or --max-changes, both.
          const countChanges = !(maxSizeChange && failOn === undefined && values['max-changes'] === undefined);
          const gate = evaluateGate(report, failOn, maxChanges, { maxSizeChange, countChanges });
          progress.done();
          io.stdout.write(values.json ? JSON.stringify({ ...report, gate }, null, 2) + '\n' : values.markdown ? renderMarkdown(report, gate) : renderText(report, gate));
          return gate.fail ? EXIT_DIFFERENT : EXIT_SAME;
        }
        case 'snapshot': {
          need(args, 1, 'snapshot IMAGE');
          // A snapshot of a snapshot checks it and writes it again.
          let snapshot = await readSnapshotRef(args[0]);
          if (!snapshot) {
            const [image] = await loadImages(args, load);
            progress.update({ message: `Reading the package databases of ${args[0]}` });
            snapshot = await takeSnapshot(image, { cache, signal, fetchLayers: (d) => fetchLayers(args[0], d) });
          }
          progress.done();
          io.stdout.write(serializeSnapshot(snapshot));
          return 0;
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
          const layer = values.layer === undefined ? undefined : parseCount(values.layer, '--layer');
          // Index first, then fetch only the layer that holds the file (a registry image downloads just that one).
          let [image] = await loadImages(args.slice(0, 1), load);
          let file = findFile(image, args[1], layer);
          const diffId = image.layers[file.layer].diffId;
          if (!cache.layers.has(diffId)) {
            [image] = await loadImages(args.slice(0, 1), { ...load, needLayerBytes: [diffId] });
            file = findFile(image, args[1], layer);
          }
          progress.done();
          await pipeline(await readImageFile(cache, image, file), io.stdout, { end: false });
          return 0;
        }
        case 'run': {
          need(args, 2, 'run A B');
          const options = runOptions(values);
          for (const ref of args) {
            const kind = parseReference(ref).kind;
            if (kind !== 'daemon') {
              const fix = kind === 'registry' ? 'docker pull it first' : 'docker load it first';
              throw new CompareError('badArgument', `run starts containers, so its images must be in the Docker engine; ${ref} is ${kind === 'registry' ? 'in a registry' : 'an archive or layout'} (${fix})`);
            }
          }
          const images = (await loadImages(args, load)) as [ImageModel, ImageModel];
          progress.done();
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { runPair } = require('../docker/runPair') as typeof RunPairModule;
          exitGuard.active++;
          let report;
          try {
            report = await runPair(daemon(), images, [args[0], args[1]], options, {
              signal,
              onEvent: (e) => {
                if (e.type === 'phase') progress.update({ message: e.message });
              },
            });
          } finally {
            exitGuard.active--;
            progress.done();
          }
          for (const side of [report.a, report.b]) if (side.cleanupError) io.stderr.write(`container-compare: warning: ${side.cleanupError}\n`);
          // The run's findings ranked with the images' comparison: the cause next to the symptom.
          let findings: readonly Finding[] | RunReport['findings'] = report.findings;
          try {
            progress.update({ message: 'Comparing the images' });
            const { report: diff } = await analyzePair({ model: images[0] }, { model: images[1] }, { cache, ignore: values.ignore, signal, run: report, fetchLayers: (side, d) => fetchLayers(args[side === 'a' ? 0 : 1], d) });
            findings = diff.findings ?? findings;
          } catch (e) {
            if (isCompareError(e) && e.reason === 'cancelled') throw e;
            io.stderr.write(`container-compare: warning: the images could not be compared (${messageOf(e)}); showing the run's findings only\n`);
          } finally {
            progress.done();
          }
          io.stdout.write(values.json ? safeJson({ ...report, findings }) + '\n' : renderRun(report, findings));
          return report.differ ? EXIT_DIFFERENT : EXIT_SAME;
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

/** Each reference as an image to load, or a snapshot file (detected by its content) to compare without one. */
async function loadSides(refs: readonly string[], load: LoadOptions): Promise<AnalysisSide[]> {
  const snapshots = await Promise.all(refs.map((r) => readSnapshotRef(r)));
  const images = refs.filter((_, i) => !snapshots[i]);
  const models = images.length ? await loadImages(images, load) : [];
  let next = 0;
  return refs.map((file, i) => {
    const snapshot = snapshots[i];
    return snapshot ? { snapshot, file } : { model: models[next++] };
  });
}

function reportError(e: unknown, io: Io, debug: boolean): number {
  if (isCompareError(e) && e.reason === 'cancelled') {
    // "Cancelled. Also: could not remove ...": what cleaning up left behind is worth saying.
    const also = e.message.startsWith('Cancelled. ') ? ` (${e.message.slice('Cancelled. '.length)})` : '';
    io.stderr.write(`container-compare: cancelled${also}\n`);
    return EXIT_ERROR;
  }
  const known = isCompareError(e) || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
  io.stderr.write(`container-compare: ${known ? messageOf(e) : `unexpected error: ${messageOf(e)}`}\n`);
  if (debug && e instanceof Error) io.stderr.write(`${e.stack}\n`);
  else if (!known) io.stderr.write('Run again with --debug for details.\n');
  return EXIT_ERROR;
}

/**
 * While above zero, a run's containers are being used or removed: the
 * process entry point (index.ts) then lets a second Ctrl-C wait for the
 * removal instead of exiting over it.
 */
export const exitGuard = { active: 0 };

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

function runOptions(values: Values): RunOptions {
  const seconds = (s: string | undefined, flag: string, fallback: number): number => {
    if (s === undefined) return fallback;
    if (!/^\d+(\.\d+)?$/.test(s) || Number(s) <= 0) throw new CompareError('badArgument', `${flag} expects a number of seconds above 0, got "${s}"`);
    return Math.round(Number(s) * 1000);
  };
  for (const kv of values.env ?? []) {
    if (!/^[^=\s]+=/.test(kv)) throw new CompareError('badArgument', `--env expects KEY=VALUE, got "${kv}"`);
  }
  const http = values.http;
  if (http !== undefined && !http.startsWith('/')) throw new CompareError('badArgument', `--http expects a path starting with /, got "${http}"`);
  return {
    ...(values.cmd !== undefined ? { cmd: parseCommand(values.cmd, '--cmd') } : {}),
    ...(values.entrypoint !== undefined ? { entrypoint: parseCommand(values.entrypoint, '--entrypoint') } : {}),
    ...(values.env?.length ? { env: values.env } : {}),
    ...(values.port !== undefined ? { port: values.port } : {}),
    ...(values.bind !== undefined ? { bindAddress: values.bind } : {}),
    quietMs: seconds(values.quiet, '--quiet', DEFAULT_RUN_OPTIONS.quietMs),
    maxMs: seconds(values.duration, '--duration', DEFAULT_RUN_OPTIONS.maxMs),
    presets: !values['no-presets'],
    probes: values.probe ?? [],
    ...(http !== undefined ? { httpPath: http } : {}),
  };
}

/** A command line as a POSIX shell splits it (quotes, backslashes; no expansion), or a JSON array of strings. */
export function parseCommand(text: string, flag: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      v = undefined;
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new CompareError('badArgument', `${flag}: a JSON array of strings was expected, got ${t}`);
    return v as string[];
  }
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === "'") {
      const end = t.indexOf("'", i + 1);
      if (end < 0) throw new CompareError('badArgument', `${flag}: unterminated ' in ${t}`);
      word = (word ?? '') + t.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let part = '';
      for (; j < t.length && t[j] !== '"'; j++) {
        if (t[j] === '\\' && j + 1 < t.length && '"\\$`'.includes(t[j + 1])) j++;
        part += t[j];
      }
      if (j >= t.length) throw new CompareError('badArgument', `${flag}: unterminated " in ${t}`);
      word = (word ?? '') + part;
      i = j;
    } else if (c === '\\' && i + 1 < t.length) {
      word = (word ?? '') + t[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw new CompareError('badArgument', `${flag} is empty`);
  return words;
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
