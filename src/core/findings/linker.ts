/**
 * Links symptoms to their causes through evidence, never through list
 * order. A symptom is what one image does wrong: a start command that
 * names a missing file (found statically), or what a run saw (a failed
 * start, an exit, a log line, a module or a response that differs). It
 * names things: paths, libraries, modules. Each one is looked up among the
 * static findings' evidence; the finding that cites it, on the side that
 * misbehaves, is the cause. The cause then says what it explains and ranks
 * above it; a symptom nothing explains says so ("cause not found") rather
 * than borrowing the first difference in the list.
 */
import type { RunFinding, RunReport } from '../run/runModel';
import { otherSide, type Side } from '../util/side';
import { cut, list, lowerFirst } from '../util/text';
import { CODES } from './codes';
import type { FindingContext } from './context';
import type { Finding, FindingEvidence } from './finding';
import { base } from './phrasing';
import { portEvidence, portStories, type PortEvidence } from './portCause';
import { RUN_DETAIL_KINDS, RUN_SCORES } from './scores';

/** Findings that say the start command cannot run (or runs badly) on a side. */
const START_CODES = new Set([CODES.startMissing.code, CODES.startCrlf.code, CODES.startScriptCrlf.code, CODES.startNotExecutable.code]);

/** How much each explained symptom lifts its cause. */
const PER_SYMPTOM = 4;

/** What a symptom names, to look up in the evidence of the static findings. */
interface Names {
  paths: string[];
  /** File names or parts of them (libraries, modules): matched against the basenames of evidence files. */
  words: string[];
  /** Programs a shell or the engine could not find ("foo: not found"): matched against whole basenames. */
  commands?: string[];
  /** Environment variables it names ("FOO is not set", "$FOO"): matched against Env.* config evidence. */
  env?: string[];
}

const PATH = /(?:^|[\s'"`(=:,])(\/(?:[\w.@+-]+\/)*[\w.@+-]*[\w@+-])/g;
const LIBRARY = /\b(lib[\w+-]+\.so(?:\.\d+)*)\b/g;
/** Paths every container has, which explain nothing. */
const EVERYWHERE = /^\/(dev|proc|sys|tmp)(\/|$)/;

/** "sh: foo: not found", "foo: command not found", exec: "foo": executable file not found in $PATH. */
const NOT_FOUND = /(?:^|[\s:'"])([\w.+-]+)"?:? (?:command )?not found|exec: "([\w.+-]+)": executable file not found/g;
/** A variable a program complains about: "FOO is not set", "$FOO", "${FOO}", "FOO must be set". */
const ENV = /\$\{?([A-Z][A-Z0-9_]{2,})\}?|\b([A-Z][A-Z0-9_]*_[A-Z0-9_]+|[A-Z]{3,})\b(?= (?:is |must be |not )?(?:not )?(?:set|defined|empty|required))/g;

function namesIn(text: string): Names {
  const paths = [...text.matchAll(PATH)].map((m) => m[1]).filter((p) => !EVERYWHERE.test(p));
  const words = [...text.matchAll(LIBRARY)].map((m) => m[1]);
  const commands = [...text.matchAll(NOT_FOUND)].map((m) => m[1] ?? m[2]).filter((c) => c && !/^(sh|bash|line|file)$/.test(c));
  const env = [...text.matchAll(ENV)].map((m) => m[1] ?? m[2]);
  return { paths: [...new Set(paths)], words: [...new Set(words)], commands: [...new Set(commands)], env: [...new Set(env)] };
}

/** Module names from a run finding ("Apache module fcgid_module", "mod_fcgid/2.3.9", "[fcgid:info]"): their core words. */
function moduleWords(text: string): string[] {
  return [...new Set(text.split(/[\s,:;()[\]]+/).map((w) => w.replace(/\/[\d.]+$/, '').replace(/_module$/, '').replace(/^mod_/, '')).filter((w) => /^[a-z][\w-]{2,}$/.test(w)))];
}

/** The handlers that run server-side source: a body full of `<?php` means none of these is set up. */
const SOURCE_HANDLERS: Record<string, string[]> = { php: ['php', 'fcgid', 'fpm', 'cgi'] };

/**
 * The text a run finding stands on: what the container and the engine said
 * (the log lines it cites, the engine's error, quoted in its title), never
 * our own explanation of it, which names paths of its own ("/bin/sh\r").
 */
function runText(rf: RunFinding, run: RunReport): string {
  const rows = (rf.evidence.logRows ?? []).map((i) => run.logs?.rows[i]).filter((r) => r !== undefined);
  const lines = rows.flatMap((r) => [r.a?.raw, r.b?.raw]).filter((x): x is string => !!x);
  const error = rf.side ? run[rf.side]?.state.error : undefined;
  const said = /Its last output: "(.*)"\./.exec(rf.detail)?.[1];
  return [rf.title, ...lines, error ?? '', said ?? ''].join('\n');
}

class Links {
  /** Static findings that can be causes: everything but symptoms and the run's own findings. */
  readonly causes: Finding[];
  readonly explained = new Map<Finding, Finding[]>();

  constructor(
    private readonly ctx: FindingContext,
    symptoms: ReadonlySet<Finding>,
  ) {
    this.causes = ctx.list.filter((f) => !symptoms.has(f));
  }

  /** The best cause whose evidence names one of `names`, on side `side` (or on no side). */
  find(names: Names, side: Side | undefined, words: string[] = []): Finding | undefined {
    const fits = (f: Finding) => f.side === undefined || side === undefined || f.side === side;
    const cites = (f: Finding) => {
      const files = f.evidence.files ?? [];
      if (files.some((e) => names.paths.includes(e.path))) return 2;
      if (names.commands?.length && files.some((e) => names.commands!.includes(base(e.path)))) return 2;
      if (names.env?.length && f.evidence.config?.some((c) => names.env!.includes(c.replace(/^Env\./, '')) && c.startsWith('Env.'))) return 2;
      const all = [...names.words, ...words];
      if (all.length && files.some((e) => all.some((w) => base(e.path).includes(w)))) return 1;
      return 0;
    };
    return this.causes
      .map((f) => ({ f, c: fits(f) ? cites(f) : 0 }))
      .filter((x) => x.c > 0)
      .sort((x, y) => y.c - x.c || y.f.score - x.f.score)[0]?.f;
  }

  link(symptom: Finding, cause: Finding): void {
    const list = this.explained.get(cause) ?? [];
    list.push(symptom);
    this.explained.set(cause, list);
  }

  /** A short phrase for a cause. */
  phrase(cause: Finding): string {
    return lowerFirst(this.ctx.causes.get(cause) ?? cause.title);
  }
}

const merge = (into: FindingEvidence, from: FindingEvidence): FindingEvidence => {
  const out: FindingEvidence = { ...into };
  for (const k of ['files', 'layerRows', 'packages', 'config', 'logRows', 'http', 'listening', 'leftovers'] as const) {
    const xs = [...((into[k] as unknown[]) ?? []), ...((from[k] as unknown[]) ?? [])];
    if (!xs.length) continue;
    const seen = new Set<string>();
    (out as Record<string, unknown>)[k] = xs.filter((x) => {
      // A file once, as the finding first cited it.
      const key = k === 'files' ? (x as { path: string }).path : JSON.stringify(x);
      return !seen.has(key) && seen.add(key);
    });
  }
  if (from.probe && !out.probe) out.probe = from.probe;
  return out;
};

/** "/etc/app/app.conf in B says "port=8081" where A's says "port=8080"." */
function saysPort(side: Side, e: PortEvidence): string {
  const other = otherSide(side).toUpperCase();
  const line = (l: string) => `"${cut(l, 100)}"`;
  const theirs = e.otherLine !== undefined ? `where ${other}'s says ${line(e.otherLine)}` : e.inOther ? `where ${other}'s does not name ${e.names}` : `and ${other} has no such file`;
  return `${e.path} in ${side.toUpperCase()} says ${line(e.line)} ${theirs}.`;
}

/**
 * Links the static symptoms and the run's findings to their causes (see
 * the top of this file), then lifts each cause by what it explains: the
 * finding that explains the most symptoms comes first, each explained
 * symptom right after its cause.
 */
export function linkSymptoms(ctx: FindingContext): void {
  const { names } = ctx;
  const staticSymptoms = ctx.list.filter((f) => f.code === CODES.startMissing.code);
  const links = new Links(ctx, new Set(staticSymptoms));
  // Another OS or CPU: every binary differs, so whatever a run sees follows from it.
  const platform = ctx.list.find((f) => f.code === CODES.platform.code);

  // A start command that names a file only the other image has: the step that should have written it says why.
  for (const s of staticSymptoms) {
    const path = s.evidence.files?.[0]?.path;
    const cause = path ? links.find({ paths: [path], words: [] }, s.side) : undefined;
    if (!cause) continue;
    ctx.list.splice(ctx.list.indexOf(s), 1);
    cause.detail = `${cause.detail} That is why ${names[s.side!]} cannot start: its start command runs ${path}.`;
    cause.evidence = merge(cause.evidence, s.evidence);
    links.link(s, cause);
  }

  const run = ctx.input.run;
  const runFindings: Finding[] = [];
  const stories = portStories(run);
  if (run) {
    const causeOf = new Map<Side, Finding>();
    /** The cause of a port finding that says why that side did not answer HTTP. */
    const portCauseOf = new Map<Side, Finding>();
    const ordered = [...run.findings].sort((x, y) => Number(x.kind === 'httpStatus') - Number(y.kind === 'httpStatus'));
    for (const rf of ordered) {
      const f: Finding = { ...rf, evidence: { ...rf.evidence }, score: RUN_SCORES[rf.kind] - (rf.severity === 'info' && !RUN_DETAIL_KINDS.has(rf.kind) ? 30 : 0) };
      runFindings.push(f);
      if (RUN_DETAIL_KINDS.has(rf.kind) || rf.severity === 'info') continue;
      const text = runText(rf, run);
      let cause: Finding | undefined;
      let named = namesIn(text);
      if (platform) {
        cause = platform;
      } else if (rf.kind === 'moduleOnlyOne' && rf.side) {
        // "fcgid is loaded only in A": B is the one missing it.
        cause = links.find({ paths: [], words: [] }, otherSide(rf.side), moduleWords(`${rf.title} ${rf.detail}`));
      } else if (rf.kind === 'servedAsSource' && rf.side) {
        const lang = /<\?php/.test(rf.title) ? 'php' : undefined;
        cause = lang ? links.find({ paths: [], words: [] }, rf.side, SOURCE_HANDLERS[lang]) : undefined;
      } else if (rf.kind === 'port' && rf.side) {
        // A file that differs and names what this side listens on: the cause is the finding that explains that file.
        const story = stories.find((s) => s.side === rf.side);
        const shown = story && ctx.input.texts ? portEvidence(story, ctx.input.texts) : [];
        named = { paths: shown.map((e) => e.path), words: [] };
        cause = shown.length ? links.find(named, rf.side) : undefined;
        const cited = cause ? shown.find((e) => cause!.evidence.files?.some((x) => x.path === e.path)) : undefined;
        const e = cited ?? shown[0];
        if (e) {
          f.detail = `${f.detail} ${saysPort(rf.side, e)}`;
          f.evidence = merge(f.evidence, { files: [{ path: e.path, side: rf.side }] });
        }
      } else if (rf.kind === 'httpStatus' && rf.side && run[rf.side] && run[rf.side].state.status !== 'running') {
        // A side that stopped cannot answer: the same cause as its stop.
        cause = causeOf.get(rf.side);
        named = { paths: [], words: [] };
      } else if (rf.kind === 'httpStatus' && rf.side && portCauseOf.has(rf.side)) {
        // It listens elsewhere, and its port finding says that is why it did not answer: the same cause.
        cause = portCauseOf.get(rf.side);
        named = { paths: [], words: [] };
      } else {
        cause = links.find(named, rf.side);
        // Nothing it names differs, but the start command of that side is broken: the first thing a container does.
        if (!cause && (rf.kind === 'startFailed' || rf.kind === 'exited') && rf.side) {
          cause = links.causes.find((c) => c.side === rf.side && START_CODES.has(c.code) && c.severity !== 'info');
        }
      }
      if (cause) {
        links.link(f, cause);
        if (rf.side) causeOf.set(rf.side, cause);
        if (rf.kind === 'port' && rf.side && rf.severity === 'error') portCauseOf.set(rf.side, cause);
        f.detail = `${f.detail} The cause: ${links.phrase(cause)} (${cause.code}).`;
        f.evidence = merge(f.evidence, { files: cause.evidence.files?.slice(0, 5), layerRows: cause.evidence.layerRows, config: cause.evidence.config });
        cause.evidence = merge(cause.evidence, { logRows: rf.evidence.logRows, http: rf.evidence.http, probe: rf.evidence.probe, listening: rf.evidence.listening });
      } else if (rf.kind === 'port' && rf.side) {
        const story = stories.find((s) => s.side === rf.side);
        const what = story ? (story.loopback ? 'a loopback address' : list(story.ports.map(String), 3)) : undefined;
        f.detail = `${f.detail} Cause not found: ${
          !what
            ? 'it listens on no TCP port, which no file can name; its log may say why'
            : named.paths.length
              ? `no finding explains why ${list(named.paths, 3)} differs`
              : ctx.input.texts
                ? `no file that differs between the images names ${what} in ${rf.side.toUpperCase()} only`
                : `the files that differ between the images were not read for it`
        }.`;
      } else if (rf.kind === 'startFailed' || rf.kind === 'exited' || rf.kind === 'servedAsSource' || rf.kind === 'moduleOnlyOne') {
        const mentioned = [...named.paths, ...named.words, ...(named.commands ?? []), ...(named.env ?? []).map((v) => `$${v}`)];
        f.detail = `${f.detail} Cause not found: ${mentioned.length ? `nothing it names (${list(mentioned, 3)}) differs between the images in a way a finding explains` : 'it names no file, library, program, variable or module that differs between the images'}.`;
      }
    }
  }

  // Rank by what each cause explains: a cause inherits the rank of the worst symptom it explains, plus a little per symptom.
  const SEVERITY = { error: 0, warning: 1, info: 2 } as const;
  for (const [cause, symptoms] of links.explained) {
    const worst = Math.max(...symptoms.map((s) => s.score));
    cause.score = Math.max(cause.score, worst + 1) + PER_SYMPTOM * symptoms.length;
    for (const s of symptoms) if (SEVERITY[s.severity] < SEVERITY[cause.severity]) cause.severity = s.severity;
    // Right after its cause (ties keep the order found).
    for (const s of symptoms) if (runFindings.includes(s)) s.score = cause.score - 0.5;
  }
  for (const f of runFindings) ctx.list.push(f);
}
