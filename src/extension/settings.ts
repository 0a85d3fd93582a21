import * as vscode from 'vscode';
import { defaultCacheDir } from '../core/cache';
import { CompareError } from '../core/errors';
import { parsePlatform, type Platform } from '../core/layout';
import { parseSize } from '../core/units';

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
  };
}

/** Settings that decide where images come from: a change invalidates loaded images and the engine client. */
export const SOURCE_SETTINGS = ['dockerHost', 'platform', 'cache.directory', 'cache.maxSize'].map((s) => `${SECTION}.${s}`);

export function settingsError(e: unknown): e is CompareError {
  return e instanceof CompareError && e.reason === 'badArgument';
}
