import { homedir } from 'os';
import { join } from 'path';

/**
 * The user's cache directory for this tool (XDG on Linux). Plain `os`/`path`
 * imports: the CLI's bin (src/cli/bin.ts) reads it too, and is built to run
 * on a Node too old for the rest of the tool, to say so.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string {
  if (env.CONTAINER_COMPARE_CACHE) return env.CONTAINER_COMPARE_CACHE;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'container-compare');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'container-compare', 'Cache');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'container-compare');
}
