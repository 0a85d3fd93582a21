/**
 * Findings: the few things to read first about two images, "this is
 * probably why" rather than four thousand changed files. The rules
 * (rules.ts, one file each under rules/) read the comparison, the package
 * diff, each image's leftovers; a side-by-side run's findings are linked to
 * the causes they point at (linker.ts); all are ranked together (scores.ts,
 * rank.ts).
 */
import { FindingContext, type FindingInput } from './context';
import type { Finding } from './finding';
import { linkSymptoms } from './linker';
import { sortFindings } from './rank';
import { RULES } from './rules';

/** The findings of a comparison, ranked: the static ones, plus those of a run when given. */
export function rankFindings(input: FindingInput): Finding[] {
  const ctx = new FindingContext(input);
  for (const rule of RULES) rule.check(ctx);
  linkSymptoms(ctx);
  return sortFindings(ctx.list);
}
