import { FileTree } from '../core/layers/fileTree';
import type { ImageModel } from '../core/image/model';
import { compareRuns } from '../core/run/runCompare';
import type { RunEvent, RunOptions, RunReport } from '../core/run/runModel';
import { presetProbes } from '../core/run/presets';
import type { DaemonClient } from './daemonClient';
import { runSideBySide } from './runner';
import type { RunOwnership } from './run/ownership';

export interface RunPairHooks {
  signal?: AbortSignal;
  /** See RunHooks.ownership: the cache folder's key. */
  ownership?: RunOwnership;
  onEvent?: (e: RunEvent) => void;
  /**
   * Keeps both containers up once the startup window, probes and HTTP
   * request are done: called with the report, the containers stay until the
   * promise settles or the signal aborts (a Stop, not a cancel). Capture goes
   * on meanwhile, so the report returned at the end may have more lines.
   */
  whileUp?: (report: RunReport) => Promise<void>;
}

/**
 * Runs two loaded images side by side and compares the runs: the flow the
 * CLI's `run` and the extension's panel share. Probe presets come from what
 * each image contains (both containers run the union).
 */
export async function runPair(client: DaemonClient, images: readonly [ImageModel, ImageModel], refs: readonly [string, string], options: RunOptions, hooks: RunPairHooks = {}): Promise<RunReport> {
  const inputs = images.map((img, i) => ({
    ref: refs[i],
    imageId: img.id,
    exposedPorts: Object.keys(img.config.config?.ExposedPorts ?? {}),
    presets: options.presets ? presetProbes(hasPath(img)) : [],
  }));
  const whileUp = hooks.whileUp;
  const sides = await runSideBySide(client, [inputs[0], inputs[1]], options, {
    signal: hooks.signal,
    ...(hooks.ownership ? { ownership: hooks.ownership } : {}),
    onEvent: hooks.onEvent,
    ...(whileUp ? { hold: (runs) => whileUp(compareRuns(runs[0], runs[1], options)) } : {}),
  });
  return compareRuns(sides[0], sides[1], options);
}

function hasPath(image: ImageModel): (path: string) => boolean {
  const tree = FileTree.merge(image.indexes);
  return (p) => tree.resolve(p) !== undefined;
}
