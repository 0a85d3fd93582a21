import type { Side } from '../../run/runModel';
import { upperFirst } from '../../util/text';
import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES } from '../evidence';
import { code, layerSize } from '../phrasing';
import { SCORES } from '../scores';
import { otherSide } from '../../util/side';
import { CODES } from '../codes';

/** A step one image has and the other does not. */
export const layerOnlyOne: Rule = {
  name: 'a step in one image only',
  check(ctx) {
    const { names } = ctx;
    for (const row of ctx.rows) {
      if ((row.status !== 'onlyA' && row.status !== 'onlyB') || row.base || ctx.coveredRows.has(row.index)) continue;
      const side: Side = row.status === 'onlyA' ? 'a' : 'b';
      const l = row[side]!;
      ctx.coveredRows.add(row.index);
      ctx.add(CODES.layerOnlyOne, {
        kind: 'layerOnlyOne',
        severity: 'info',
        side,
        title: `${upperFirst(names[side])} has a step ${names[otherSide(side)]} does not: ${code(l.instruction)}`,
        detail: `The Dockerfiles differ: this layer (${layerSize(l)}) exists only in ${names[side]}.`,
        evidence: { layerRows: [row.index], files: (ctx.mergedByRow.get(row.index) ?? []).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
        score: SCORES.layerOnlyOne,
      });
    }
  },
};
