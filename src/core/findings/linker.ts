/**
 * Links what a run saw (a failed start, a module missing, source served)
 * to the static finding that explains it, so the symptom says its cause.
 */
import type { Side } from '../run/runModel';
import { lowerFirst } from '../util/text';
import type { FindingContext } from './context';
import type { Finding } from './finding';
import { RUN_DETAIL_KINDS, RUN_SCORES } from './scores';
import { otherSide } from '../util/side';

/** Adds the run's findings, each with the static cause it links to (when one does). */
export function linkRun(ctx: FindingContext): void {
  const run = ctx.input.run;
  if (!run) return;
  const statics = [...ctx.list];
  const entry = (s: Side | undefined) => statics.find((f) => f.kind === 'entrypoint' && f.side === s && f.severity === 'error');
  const cause = (s: Side | undefined) => statics.find((f) => (f.kind === 'crlfScript' || (f.kind === 'sameStepDifferentResult' && f.severity === 'warning')) && f.side === s);
  for (const rf of run.findings) {
    const f: Finding = { ...rf, evidence: { ...rf.evidence }, score: RUN_SCORES[rf.kind] - (rf.severity === 'info' && !RUN_DETAIL_KINDS.has(rf.kind) ? 30 : 0) };
    let because: Finding | undefined;
    if (rf.kind === 'startFailed' || rf.kind === 'exited') because = entry(rf.side);
    else if (rf.kind === 'servedAsSource' || rf.kind === 'httpStatus') because = cause(rf.side);
    // "fcgid_module is loaded only in A": B is the one missing it.
    else if (rf.kind === 'moduleOnlyOne' && rf.side) because = cause(otherSide(rf.side));
    if (because) {
      f.detail = `${f.detail} The likely cause: ${lowerFirst(ctx.causes.get(because) ?? because.title)}.`;
      if (because.evidence.files) f.evidence.files = because.evidence.files.slice(0, 5);
      if (because.evidence.layerRows) f.evidence.layerRows = because.evidence.layerRows;
    }
    ctx.add(f);
  }
}
