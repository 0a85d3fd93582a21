/** The order findings are read in (the bands are in scores.ts). */
import type { FindingSeverity, Side } from '../run/runModel';
import type { Finding } from './finding';

const SEVERITY_ORDER: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };
const SIDE_ORDER = (s: Side | undefined): number => (s === 'a' ? 0 : s === 'b' ? 1 : 2);

/** Sorted by score, then severity, then side (A first), then the order found. */
export function sortFindings(list: readonly Finding[]): Finding[] {
  return list
    .map((f, i) => ({ f, i }))
    .sort((x, y) => y.f.score - x.f.score || SEVERITY_ORDER[x.f.severity] - SEVERITY_ORDER[y.f.severity] || SIDE_ORDER(x.f.side) - SIDE_ORDER(y.f.side) || x.i - y.i)
    .map((x) => x.f);
}
