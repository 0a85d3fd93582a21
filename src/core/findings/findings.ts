/**
 * Findings: the few things to read first about two images, "this is
 * probably why" rather than four thousand changed files. The rules
 * (rules.ts, one file each under rules/) read the comparison, the package
 * diff, each image's leftovers; a side-by-side run's findings are linked to
 * the causes they point at (linker.ts); all are ranked together (scores.ts,
 * rank.ts).
 */
import type { FindingFilter } from '../util/codes';
import { FindingContext, type FindingInput } from './context';
import type { Finding } from './finding';
import { linkSymptoms } from './linker';
import { sortFindings } from './rank';
import { RULES } from './rules';
import { runAsync, runSync, type Steps } from '../util/turns';
import { lazy } from '../util/lazy';

/** The findings of a comparison, ranked: the static ones, plus those of a run when given; the silenced ones left out. */
export function rankFindings(input: FindingInput): Finding[] {
  return runSync(rankSteps(input));
}

/** rankFindings with a turn of the event loop between rules, checking `signal` (a huge pair takes seconds). */
export function rankFindingsAsync(input: FindingInput, signal?: AbortSignal): Promise<Finding[]> {
  return runAsync(rankSteps(input), signal);
}

function* rankSteps(input: FindingInput): Steps<Finding[]> {
  const ctx = new FindingContext(input);
  yield;
  for (const rule of RULES) {
    rule.check(ctx);
    yield;
  }
  linkSymptoms(ctx);
  yield;
  const silenced = silencer(input.ignore ?? []);
  return sortFindings(ctx.list.filter((f) => !silenced(f)));
}

/**
 * Whether a finding is silenced: its code is named, alone or with a glob
 * that one of the paths it cites matches (`CC206:/srv/www/**`). Silencing
 * happens after linking, so a symptom still names a cause that is silenced.
 */
export function silencer(filters: readonly FindingFilter[]): (f: Finding) => boolean {
  const rules = filters.map((x) => ({ code: x.code, match: x.path ? lazy.picomatch()(x.path.startsWith('/') || x.path.startsWith('**') ? x.path : `/${x.path}`, { dot: true }) : undefined }));
  return (f) =>
    rules.some((r) => {
      if (r.code !== f.code) return false;
      if (!r.match) return true;
      const paths = [...(f.evidence.files ?? []).map((e) => e.path), ...(f.evidence.leftovers ?? []).map((l) => l.path)];
      return paths.length > 0 && paths.some((p) => r.match!(p));
    });
}
