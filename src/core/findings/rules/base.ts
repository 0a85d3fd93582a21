import { plural } from '../../util/text';
import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES, mostNotable } from '../evidence';
import { SCORES } from '../scores';
import { CODES } from '../codes';

/** The FROM image moved: it explains most of what differs after it. */
export const baseImage: Rule = {
  name: 'the base image differs',
  check(ctx) {
    if (!ctx.baseChanged) return;
    const rows = ctx.rows.filter((l) => l.base && l.status !== 'identical');
    const total = ctx.rows.filter((l) => l.base).length;
    for (const l of rows) ctx.coveredRows.add(l.index);
    const files = rows.flatMap((l) => ctx.mergedByRow.get(l.index) ?? []);
    ctx.add(CODES.base, {
      kind: 'base',
      severity: 'warning',
      title: `The base image differs: ${rows.length} of its ${plural(total, 'layer')} ${rows.length === 1 ? 'is' : 'are'} not the same`,
      detail:
        `The FROM image resolved to other layers (the tag moved to a newer build, or another base was used)${files.length ? `, with ${plural(files.length, 'file')} of the final filesystem differing there` : ''}, ` +
        'and everything built on it may differ because of it; pin the base by digest (FROM image@sha256:…) to build the same thing twice.',
      evidence: { layerRows: rows.map((l) => l.index), files: mostNotable(files).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
      score: SCORES.base,
    });
  },
};
