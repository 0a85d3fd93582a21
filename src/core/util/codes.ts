/**
 * What every finding code says of itself, for the generated list in the
 * README (scripts/gen-findings-doc.mjs) and for `--ignore-finding CODE`.
 * Codes are stable: a code once published keeps its meaning.
 */
export interface FindingCode {
  /** CC followed by three digits: 1xx build steps, 2xx files, 3xx config, 4xx packages, 5xx secrets and leftovers, 6xx runs. */
  code: string;
  /** A few words, as a heading. */
  name: string;
  /** What it means, in one sentence. */
  means: string;
  /** Why it ranks where it does. */
  ranks: string;
  /** How to fix it. */
  fix: string;
}

/** `CODE` or `CODE:GLOB` (the finding's evidence names a path matching GLOB): what --ignore-finding and the setting take. */
export interface FindingFilter {
  code: string;
  path?: string;
}

export function parseFindingFilter(spec: string): FindingFilter | undefined {
  const m = /^(CC\d{3})(?::(.+))?$/i.exec(spec.trim());
  return m ? { code: m[1].toUpperCase(), ...(m[2] ? { path: m[2] } : {}) } : undefined;
}
