import * as vscode from 'vscode';
import { defaultCacheDir } from '../core/util/cacheDir';
import { parsePlatform, type Platform } from '../core/image/layout';
import { DEFAULT_RUN_OPTIONS, type RunOptions } from '../core/run/runModel';
import { parseFindingFilter, type FindingFilter } from '../core/util/codes';
import { parseSize } from '../core/util/units';
import { parseMinRate, type MinRate } from '../core/registry/rate';

export const SECTION = 'containerCompare';

/** The extension's settings, validated (package.json documents each one). */
export interface Settings {
  /** Empty: DOCKER_HOST, the current docker context, the default socket. */
  dockerHost?: string;
  platform?: Platform;
  ignore: string[];
  cacheDir: string;
  cacheMaxBytes: number;
  followEngine: boolean;
  /** containerCompare.findings.ignore: codes, or codes for paths, left out of every comparison. */
  findingsIgnore: FindingFilter[];
  /** Show the rules' kinds and scores beside findings (for bug reports). */
  showInternals: boolean;
  /** Read local images from the engine's layer store instead of exporting them, when the engine allows it. */
  fastPath: boolean;
  registries: {
    /** HOST[:PORT]/REPOSITORY entries shown under Registries. */
    repositories: string[];
    insecure: string[];
    caFiles: string[];
    /** Empty: $DOCKER_CONFIG, else ~/.docker. */
    dockerConfig?: string;
    minRate: MinRate;
  };
}

/** Reads the settings; a malformed value throws a CompareError that names the setting. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const host = c.get<string>('dockerHost', '').trim();
  const platform = c.get<string>('platform', '').trim();
  const dir = c.get<string>('cache.directory', '').trim();
  return {
    dockerHost: host || undefined,
    platform: platform ? parsePlatform(platform) : undefined,
    ignore: c.get<string[]>('ignore', []).filter((g) => typeof g === 'string' && g.trim() !== ''),
    cacheDir: dir || defaultCacheDir(),
    cacheMaxBytes: parseSize(c.get<string>('cache.maxSize', '10G'), `The setting ${SECTION}.cache.maxSize`),
    followEngine: c.get<boolean>('followEngine', true),
    findingsIgnore: findingFilters(c.get<unknown>('findings.ignore', [])),
    showInternals: c.get<boolean>('debug.showInternals', false),
    fastPath: c.get<boolean>('fastPath', true),
    registries: {
      repositories: strings(c.get<string[]>('registries.repositories', [])),
      insecure: strings(c.get<string[]>('registries.insecure', [])),
      caFiles: strings(c.get<string[]>('registries.caFiles', [])),
      dockerConfig: c.get<string>('registries.dockerConfig', '').trim() || undefined,
      minRate: parseMinRate(c.get<string>('registries.minRate', '1K/60s'), `The setting ${SECTION}.registries.minRate`),
    },
  };
}

/** The valid entries of containerCompare.findings.ignore (the settings editor flags the others by their pattern). */
export function findingFilters(v: unknown): FindingFilter[] {
  return strings(v).flatMap((x) => parseFindingFilter(x) ?? []);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

/** Settings that decide where images come from: a change invalidates loaded images and the engine client. */
export const SOURCE_SETTINGS = ['dockerHost', 'platform', 'fastPath', 'cache.directory', 'cache.maxSize', 'registries.insecure', 'registries.caFiles', 'registries.dockerConfig', 'registries.minRate'].map((s) => `${SECTION}.${s}`);


/** Run Side by Side options from the settings (the CLI takes the same from flags). */
export function runOptionsFromSettings(): RunOptions {
  const c = vscode.workspace.getConfiguration(SECTION);
  const port = c.get<string>('run.port', '').trim();
  const httpPath = c.get<string>('run.httpPath', '/').trim();
  return {
    ...DEFAULT_RUN_OPTIONS,
    quietMs: Math.round(1000 * c.get<number>('run.quietSeconds', DEFAULT_RUN_OPTIONS.quietMs / 1000)),
    maxMs: Math.round(1000 * c.get<number>('run.maxSeconds', DEFAULT_RUN_OPTIONS.maxMs / 1000)),
    bindAddress: c.get<string>('run.bindAddress', '127.0.0.1').trim() || '127.0.0.1',
    env: c.get<string[]>('run.env', []),
    presets: c.get<boolean>('run.presetProbes', true),
    probes: c.get<string[]>('run.probes', []).filter((p) => p.trim() !== ''),
    logRules: c.get<Array<{ pattern: string; replacement?: string }>>('logs.maskRules', []),
    ...(port ? { port } : {}),
    ...(httpPath ? { httpPath: httpPath.startsWith('/') ? httpPath : `/${httpPath}` } : {}),
  };
}
