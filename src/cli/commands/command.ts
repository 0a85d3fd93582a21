import type { Cache } from '../../core/layers/cache';
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

export function need(args: string[], n: number, what: string): void {
  if (args.length !== n) throw usage(what);
}

export function usage(what: string): CompareError {
  return new CompareError('badArgument', `usage: container-compare ${what} (see --help)`);
}

export function parseCount(s: string, flag: string): number {
  if (!/^\d+$/.test(s)) throw new CompareError('badArgument', `${flag} expects a whole number, got "${s}"`);
  return Number(s);
}
