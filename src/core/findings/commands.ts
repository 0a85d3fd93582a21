/** What a command line runs: the words of RUN lines and start commands, and the files they name. */
import { posix } from 'node:path';
import type { HistoryStep, ImageConfig } from '../image/model';
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

/** Words that run the next word as the command (`exec foo`, `sudo -u x foo`). */
const PREFIX = /^(exec|sudo|env|nohup|time|command|nice|chroot|su-exec|gosu|tini)$/;

export interface StepCommands {
  /**
   * What the step executes: each simple command's program (`directly`: its
   * #! line and execute bit matter) and the scripts it hands to an
   * interpreter or sources (`directly: false`).
   */
  runs: Array<{ word: string; directly: boolean }>;
  /** Other arguments that name files (a path, or a name with an extension). */
  reads: string[];
  /** What hides a failure: `|| true`, `|| echo …`, `|| :`, `|| exit 0`. */
  swallows?: string;
}

/** Splits a shell command line into simple commands of words, keeping quoted text in one word. */
function simpleCommands(cmd: string): string[][] {
  const out: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) out.push(words);
    words = [];
  };
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === "'" || c === '"') {
      const end = cmd.indexOf(c, i + 1);
      word += cmd.slice(i + 1, end === -1 ? cmd.length : end);
      inWord = true;
      i = end === -1 ? cmd.length : end;
    } else if (c === '\\' && i + 1 < cmd.length) {
      word += cmd[++i];
      inWord = true;
    } else if (/[;&|\n(){}]/.test(c)) endCommand();
    else if (/\s/.test(c)) endWord();
    else if (c === '<' || c === '>') {
      // A redirection: the target is written (>) or read (<), never run.
      endWord();
      words.push(c);
      if (cmd[i + 1] === c) i++;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return out;
}

const looksLikeFile = (w: string) => !w.startsWith('-') && !/[\s<>$=*?]/.test(w) && (w.includes('/') || /^[\w.-]+\.[A-Za-z0-9]{1,5}$/.test(w));

/** What a RUN line executes and reads, and what hides its failures (see StepCommands). */
export function stepCommands(cmd: string): StepCommands {
  const runs: StepCommands['runs'] = [];
  const reads: string[] = [];
  for (const all of simpleCommands(cmd)) {
    let w = all;
    while (w.length && (/^\w+=/.test(w[0]) || PREFIX.test(w[0]))) w = w.slice(1).filter((x, i) => i > 0 || !x.startsWith('-'));
    if (!w.length) continue;
    const [program, ...args] = w;
    const isShellC = SHELL.test(program) && args[0] === '-c' && args[1] !== undefined;
    if (isShellC) {
      const inner = stepCommands(args[1]);
      runs.push(...inner.runs);
      reads.push(...inner.reads);
      continue;
    }
    if (program === '.' || program === 'source' || INTERPRETER.test(program)) {
      const script = args.find((x) => !x.startsWith('-') && x !== '<' && x !== '>');
      if (script) runs.push({ word: script, directly: false });
      if (program !== '.' && program !== 'source') runs.push({ word: program, directly: true });
    } else runs.push({ word: program, directly: true });
    for (let k = 0; k < args.length; k++) {
      if (args[k] === '>') k++; // written, not read
      else if (args[k] === '<' && args[k + 1]) reads.push(args[++k]);
      else if (looksLikeFile(args[k]) && !runs.some((r) => r.word === args[k])) reads.push(args[k]);
    }
  }
  const swallow = /\|\|\s*(true|:|exit 0|(?:echo|printf)\b[^;&|]*)/.exec(cmd);
  return { runs, reads, ...(swallow ? { swallows: `|| ${swallow[1].trim()}` } : {}) };
}

/** The WORKDIR in effect when history step `at` ran (relative WORKDIRs resolve against the one before). */
export function workdirAt(history: readonly HistoryStep[], at: number): string {
  let dir = '/';
  for (const h of history.slice(0, at)) {
    const m = /^WORKDIR\s+(.+)$/.exec(h.instruction);
    if (m) dir = posix.resolve(dir, m[1].trim());
  }
  return dir;
}
