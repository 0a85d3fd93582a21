import { inert, inertMarkdownInline } from '../core/util/inert';
import type { FindingSeverity } from '../core/run/runModel';

/** What text and Markdown show of a finding (run findings and ranked findings alike). */
export interface ShownFinding {
  code: string;
  severity: FindingSeverity;
  title: string;
  detail: string;
}

export const MARK: Record<FindingSeverity, string> = { error: '✗', warning: '!', info: '·' };

/** Text lines of a findings list: a mark, the code and the title, the detail indented below. */
export function findingLines(findings: readonly ShownFinding[], max = Infinity): string[] {
  const out: string[] = [findings.length ? 'Findings' : 'Findings: none'];
  for (const f of findings.slice(0, max)) out.push(`  ${MARK[f.severity]} ${f.code} ${inert(f.title)}`, `      ${inert(f.detail)}`);
  if (findings.length > max) out.push(`  … and ${findings.length - max} more (--json lists all)`);
  return out;
}

/** A numbered Markdown list, the most likely cause first. */
export function findingsMarkdown(findings: readonly ShownFinding[], max = 30): string[] {
  if (!findings.length) return ['No findings.'];
  const out = findings.slice(0, max).map((f, i) => `${i + 1}. ${MARK[f.severity]} \`${f.code}\` **${inertMarkdownInline(f.title)}**  \n   ${inertMarkdownInline(f.detail)}`);
  if (findings.length > max) out.push(`\n… and ${findings.length - max} more findings (the JSON report lists all).`);
  return out;
}
