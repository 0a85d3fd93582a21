import type { ParseArgsConfig, parseArgs } from 'node:util';
import type { Cache } from '../../core/layers/cache';
import { parseFindingFilter, type FindingFilter } from '../../core/util/codes';
import { CompareError } from '../../core/util/errors';
import type { LoadOptions } from '../../core/sources/loader';
import type { DaemonClient } from '../../docker/daemonClient';
import type { Progress } from '../progress';

export const EXIT_SAME = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_ERROR = 2;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** What every subcommand is given: built once by main.ts from the shared options. */
export interface CommandContext {
  io: Io;
  signal?: AbortSignal;
  cache: Cache;
  progress: Progress;
  /** The engine's client, created on first use (archives and warm runs never load the Docker client). */
  daemon: () => DaemonClient;
  load: LoadOptions;
  /** Brings layers' bytes of `ref` into the cache (to read package databases): a registry fetches just those, the engine exports the image. */
  fetchLayers: (ref: string, diffIds: string[]) => Promise<void>;
}

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs makes of `O`: each option's value, undefined when not given. */
export type OptionValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>['values'];

/** One subcommand of the CLI, registered in commands.ts. */
export interface Command<O extends OptionsConfig = OptionsConfig> {
  /** The word after `container-compare`. */
  name: string;
  /** Its lines of --help's Usage section, as printed. */
  usage: readonly string[];
  /** Its options' lines of --help, as printed: in the shared Options section, or in a section of their own under `heading`. */
  help?: { heading?: string; lines: readonly string[] };
  /**
   * The options it reads. main.ts parses every command's and the shared ones
   * as one table: any option is accepted (and ignored) by any command, as it
   * always was.
   */
  options: O;
  /** Returns the exit code; errors are thrown (main.ts reports them). */
  run(ctx: CommandContext, args: string[], values: OptionValues<O>): Promise<number>;
}

export function need(args: string[], n: number, what: string): void {
  if (args.length !== n) throw usage(what);
}

export function usage(what: string): CompareError {
  return new CompareError('badArgument', `usage: container-compare ${what} (see --help)`);
}

/** `--ignore-finding CODE[:GLOB]`, repeatable: findings to leave out of the output (and of nothing else). */
export const IGNORE_FINDING_HELP = [
  '  --ignore-finding CODE[:GLOB]  leave out findings with this code (CC206), or only those about paths',
  '                      matching GLOB (CC206:/srv/www/**) (repeatable; the codes are listed in the README)',
];

export function parseFindingFilters(specs: readonly string[] | undefined): FindingFilter[] {
  return (specs ?? []).map((s) => {
    const f = parseFindingFilter(s);
    if (!f) throw new CompareError('badArgument', `--ignore-finding expects CODE or CODE:GLOB with a code like CC206, got "${s}"`);
    return f;
  });
}

export function parseCount(s: string, flag: string): number {
  if (!/^\d+$/.test(s)) throw new CompareError('badArgument', `${flag} expects a whole number, got "${s}"`);
  return Number(s);
}
