/**
 * Probe presets for "Run Side by Side": commands run in both containers after
 * startup whose outputs are compared (loaded Apache modules, PHP extensions,
 * Python packages, the environment, the user). Which ones depends on what the
 * images contain; both containers always run the same set, so that a command
 * that exists only in A shows up as missing in B instead of being left out.
 */

/** One command run in both containers (argv, executed without a shell). */
export interface ProbeSpec {
  /** Short name shown and used as the probe's key: "apache modules", "php modules", "env". */
  name: string;
  command: string[];
}

// Where images put programs. Commands are run by bare name, so the container's
// own PATH finds them wherever this image has them.
const BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/apache2/bin'];

interface Preset {
  name: string;
  /** The first program the image has decides the command; none: the preset is not chosen. */
  variants: Array<{ program: string; args: string[]; also?: string[] }>;
}

/**
 * The catalogue, in the order probes run and are shown. `also` lists more
 * programs a variant needs: pip freeze only where pip is installed (a bare
 * python3 would only print "No module named pip").
 */
const CATALOGUE: readonly Preset[] = [
  { name: 'apache modules', variants: [{ program: 'apache2ctl', args: ['-M'] }, { program: 'apachectl', args: ['-M'] }] },
  {
    name: 'php modules',
    // php-cgi alone is what mod_fcgid setups install; php-fpm images often lack the CLI too.
    variants: [{ program: 'php', args: ['-m'] }, { program: 'php-cgi', args: ['-m'] }, { program: 'php-fpm', args: ['-m'] }],
  },
  { name: 'nginx build', variants: [{ program: 'nginx', args: ['-V'] }] },
  { name: 'python version', variants: [{ program: 'python3', args: ['--version'] }] },
  {
    name: 'python packages',
    variants: [
      { program: 'python3', args: ['-m', 'pip', 'freeze'], also: ['pip3'] },
      { program: 'python3', args: ['-m', 'pip', 'freeze'], also: ['pip'] },
    ],
  },
  { name: 'node version', variants: [{ program: 'node', args: ['--version'] }] },
  { name: 'java version', variants: [{ program: 'java', args: ['-version'] }] },
  { name: 'env', variants: [{ program: 'env', args: [] }] },
  { name: 'id', variants: [{ program: 'id', args: [] }] },
];

/**
 * The presets an image calls for, in catalogue order. `has(path)` says
 * whether the image's merged filesystem has that absolute path (following
 * symlinks: Debian's /usr/bin/php is a link through /etc/alternatives), e.g.
 * `(p) => FileTree.merge(image.indexes).resolve(p) !== undefined`. Pass
 * `(p) => hasA(p) || hasB(p)` to get the set both containers should run.
 */
export function presetProbes(has: (path: string) => boolean): ProbeSpec[] {
  const found = new Map<string, boolean>();
  const exists = (program: string): boolean => {
    let f = found.get(program);
    if (f === undefined) found.set(program, (f = BIN_DIRS.some((d) => has(`${d}/${program}`))));
    return f;
  };
  const out: ProbeSpec[] = [];
  for (const preset of CATALOGUE) {
    const v = preset.variants.find((x) => exists(x.program) && (x.also ?? []).every(exists));
    if (v) out.push({ name: preset.name, command: [v.program, ...v.args] });
  }
  return out;
}

/**
 * The probes both containers run: A's presets and B's together, each command
 * once, in catalogue order (A's first where A and B chose different commands
 * for one preset, e.g. `php -m` and `php-cgi -m`: both run on both sides, the
 * second named with its program).
 */
export function unionProbes(a: readonly ProbeSpec[], b: readonly ProbeSpec[]): ProbeSpec[] {
  const rank = (p: ProbeSpec): number => {
    const i = CATALOGUE.findIndex((c) => c.name === p.name);
    return i < 0 ? CATALOGUE.length : i;
  };
  const seen = new Set<string>();
  const names = new Set<string>();
  const all = [...a, ...b].map((p, order) => ({ p, order })).sort((x, y) => rank(x.p) - rank(y.p) || x.order - y.order);
  const out: ProbeSpec[] = [];
  for (const { p } of all) {
    const key = JSON.stringify(p.command);
    if (seen.has(key)) continue;
    seen.add(key);
    const name = names.has(p.name) ? `${p.name} (${p.command[0]})` : p.name;
    names.add(name);
    out.push({ name, command: [...p.command] });
  }
  return out;
}
