/** What a command line runs: the words of RUN lines and start commands, and the files they name. */
import { posix } from 'node:path';
import type { ImageConfig } from '../image/model';
import { base } from './phrasing';

/** Scripts usually started through their #! line. */
export const SCRIPT_EXT = /\.(sh|bash|ksh|zsh|py|pl|rb)$/;
export const CONFIG_EXT = /\.(conf|cnf|cfg|ini|ya?ml|json|toml|properties|env|xml|htaccess|htpasswd|service|rules)$/;
export const BIN_DIR = /^\/(usr\/)?(local\/)?s?bin\//;
const SHELL = /^(\/usr)?(\/bin\/)?(sh|bash|dash|ash|zsh|ksh)$/;
const INTERPRETER = /^(\/usr)?(\/(local\/)?bin\/)?(sh|bash|dash|ash|zsh|ksh|python[\d.]*|perl|php[\d.]*|php-cgi|node|ruby|source|\.)$/;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The words of a shell command line, for "does this command mention that file". */
export const words = (cmd: string) => cmd.split(/[\s;&|()'"`<>]+/).filter(Boolean);

/** Whether a RUN's command line names the file at `path` (absolutely, or by its name as `./name` or `name`). */
export function mentions(cmd: string, path: string): boolean {
  const name = base(path);
  return words(cmd).some((w) => w === path || (name.length >= 3 && (w === name || w === `./${name}`)) || (!w.startsWith('/') && w.includes('/') && path.endsWith(`/${w.replace(/^\.\//, '')}`)));
}

/** Whether a command line runs the file through an interpreter (`sh x.sh`, `. x.sh`): then its execute bit and #! line do not matter. */
export function interprets(cmd: string, path: string): boolean {
  const w = words(cmd);
  return w.some((x, i) => i > 0 && INTERPRETER.test(w[i - 1]) && mentions(x, path));
}

/** The start command of an image, as the engine runs it: ENTRYPOINT followed by CMD as its arguments. */
export function startCommand(config: ImageConfig): string[] {
  const c = config.config ?? {};
  return [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
}

/** The programs a start command executes directly (their #! line and execute bit matter) and the scripts it hands to an interpreter. */
export function startTargets(argv: readonly string[]): { direct: string[]; interpreted: string[] } {
  if (!argv.length) return { direct: [], interpreted: [] };
  const [p, ...rest] = argv;
  if (SHELL.test(p) && rest[0] === '-c' && rest[1] !== undefined) {
    const w = words(rest[1]);
    const first = w[0] === 'exec' ? w[1] : w[0];
    return { direct: first ? [first] : [], interpreted: w.filter((_, i) => i > 0 && INTERPRETER.test(w[i - 1])) };
  }
  if (INTERPRETER.test(p)) {
    const script = rest.find((x) => !x.startsWith('-'));
    return { direct: [], interpreted: script ? [script] : [] };
  }
  return { direct: [p], interpreted: [] };
}

/** The paths a command word may name: absolute, relative to WORKDIR, or looked up in PATH. */
export function candidatePaths(word: string, config: ImageConfig): string[] {
  if (word.startsWith('/')) return [posix.normalize(word)];
  if (word.includes('/')) return [posix.join(config.config?.WorkingDir || '/', word)];
  const env = (config.config?.Env ?? []).find((e) => e.startsWith('PATH='));
  const dirs = (env ? env.slice(5) : DEFAULT_PATH).split(':').filter((d) => d.startsWith('/'));
  return dirs.map((d) => posix.join(d, word));
}
