import { analyzePair } from '../../core/report/analysis';
import { CompareError, isCompareError, messageOf } from '../../core/util/errors';
import { loadImages } from '../../core/sources/loader';
import { parseReference } from '../../core/image/reference';
import { DEFAULT_RUN_OPTIONS, type RunOptions, type RunReport } from '../../core/run/runModel';
import type { Finding } from '../../core/findings/finding';
import type { ImageModel } from '../../core/image/model';
import { renderRun } from '../runFormat';
import { inert, inertJson } from '../../core/util/inert';
import type * as RunPairModule from '../../docker/runPair';
import type * as OwnershipModule from '../../docker/run/ownership';
import { silencer } from '../../core/findings/findings';
import { EXIT_DIFFERENT, EXIT_SAME, need, parseFindingFilters, type Command, type OptionValues, type OptionsConfig } from './command';

const options = {
  json: { type: 'boolean' },
  ignore: { type: 'string', multiple: true },
  'ignore-finding': { type: 'string', multiple: true },
  port: { type: 'string' },
  bind: { type: 'string' },
  http: { type: 'string' },
  'no-http': { type: 'boolean' },
  probe: { type: 'string', multiple: true },
  'no-presets': { type: 'boolean' },
  quiet: { type: 'string' },
  duration: { type: 'string' },
  env: { type: 'string', multiple: true },
  cmd: { type: 'string' },
  entrypoint: { type: 'string' },
} satisfies OptionsConfig;

/**
 * While above zero, a run's containers are being used or removed: the
 * process entry point (index.ts) then lets a second Ctrl-C wait for the
 * removal instead of exiting over it.
 */
export const exitGuard = { active: 0 };

export const runCommand: Command<typeof options> = {
  name: 'run',
  usage: [
    '  container-compare run A B [--port P] [--http PATH | --no-http] [--probe CMD]... [--duration S] [--quiet S]',
    '                            [--env K=V]... [--cmd CMD] [--entrypoint CMD] [--bind ADDR] [--no-presets] [--json]',
  ],
  help: {
    heading: 'Run (one container per image, the same way; always removed afterwards):',
    lines: [
      '  --port P            container port to publish, e.g. 80 or 8080/tcp (default: the lowest TCP port A, else B, exposes)',
      '  --bind ADDR         host address the port is published on (default 127.0.0.1)',
      '  --http PATH         GET PATH on both published ports after startup and compare the answers (default /)',
      '  --no-http           request nothing',
      '  --probe CMD         a command run with sh -c in both containers after startup (repeatable)',
      '  --no-presets        do not run the probes chosen by what the images contain (apache2ctl -M, php -m, env, id...)',
      `  --quiet S           startup ends after S seconds without output (default ${DEFAULT_RUN_OPTIONS.quietMs / 1000})`,
      `  --duration S        ...or after S seconds at most (default ${DEFAULT_RUN_OPTIONS.maxMs / 1000})`,
      '  --env K=V           set in both containers (repeatable)',
      "  --cmd CMD           replace both images' CMD (words as a shell splits them, or a JSON array)",
      "  --entrypoint CMD    replace both images' ENTRYPOINT (same syntax)",
    ],
  },
  options,
  async run({ io, cache, progress, signal, daemon, load, fetchLayers }, args, values) {
    need(args, 2, 'run A B');
    const runOpts = runOptions(values);
    const ignoreFindings = parseFindingFilters(values['ignore-finding']);
    for (const ref of args) {
      const kind = parseReference(ref).kind;
      if (kind !== 'daemon') {
        const fix = kind === 'registry' ? 'docker pull it first' : 'docker load it first';
        throw new CompareError('badArgument', `run starts containers, so its images must be in the Docker engine; ${ref} is ${kind === 'registry' ? 'in a registry' : 'an archive or layout'} (${fix})`);
      }
    }
    const images = (await loadImages(args, load)) as [ImageModel, ImageModel];
    progress.done();
    // Loaded on demand, as the daemon client is: only a run needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runPair } = require('../../docker/runPair') as typeof RunPairModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RunOwnership } = require('../../docker/run/ownership') as typeof OwnershipModule;
    // The cache folder's key signs our containers: a sweep removes no container it did not create.
    const ownership = await RunOwnership.load(cache.dir);
    exitGuard.active++;
    let report;
    try {
      report = await runPair(daemon(), images, [args[0], args[1]], runOpts, {
        signal,
        ownership,
        onEvent: (e) => {
          if (e.type === 'phase') progress.update({ message: e.message });
        },
      });
    } finally {
      exitGuard.active--;
      progress.done();
    }
    for (const side of [report.a, report.b]) if (side.cleanupError) io.stderr.write(`container-compare: warning: ${inert(side.cleanupError)}\n`);
    // The run's findings ranked with the images' comparison: the cause next to the symptom.
    let findings: readonly Finding[] | RunReport['findings'] = report.findings.filter((f) => !silencer(ignoreFindings)({ ...f, score: 0 }));
    try {
      progress.update({ message: 'Comparing the images' });
      const { report: diff } = await analyzePair({ model: images[0] }, { model: images[1] }, { cache, ignore: values.ignore, ignoreFindings, signal, run: report, fetchLayers: (side, d) => fetchLayers(args[side === 'a' ? 0 : 1], d) });
      findings = diff.findings ?? findings;
    } catch (e) {
      if (isCompareError(e) && e.reason === 'cancelled') throw e;
      io.stderr.write(`container-compare: warning: the images could not be compared (${inert(messageOf(e))}); showing the run's findings only\n`);
    } finally {
      progress.done();
    }
    io.stdout.write(values.json ? inertJson({ ...report, findings }) + '\n' : renderRun(report, findings));
    return report.differ ? EXIT_DIFFERENT : EXIT_SAME;
  },
};

/** What `run` requests when neither --http nor --no-http is given. */
export const DEFAULT_HTTP_PATH = '/';

/** The run's options from the command line (exported for tests). */
export function runOptions(values: OptionValues<typeof options>): RunOptions {
  const seconds = (s: string | undefined, flag: string, fallback: number): number => {
    if (s === undefined) return fallback;
    if (!/^\d+(\.\d+)?$/.test(s) || Number(s) <= 0) throw new CompareError('badArgument', `${flag} expects a number of seconds above 0, got "${s}"`);
    return Math.round(Number(s) * 1000);
  };
  for (const kv of values.env ?? []) {
    if (!/^[^=\s]+=/.test(kv)) throw new CompareError('badArgument', `--env expects KEY=VALUE, got "${kv}"`);
  }
  const http = values.http;
  if (http !== undefined && values['no-http']) throw new CompareError('badArgument', '--http and --no-http contradict each other: choose one');
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
    // GET / by default, as the extension's run.httpPath setting does.
    ...(values['no-http'] ? {} : { httpPath: http ?? DEFAULT_HTTP_PATH }),
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
