import { sameInstruction } from '../../diff/align';
import { plural } from '../../util/text';
import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES, mostNotable } from '../evidence';
import { around, code } from '../phrasing';
import { SCORES } from '../scores';
import { rowEffect } from '../steps';
import { CODES } from '../codes';

/** The Dockerfile line itself differs: its layer differs by intent. */
export const instruction: Rule = {
  name: 'the Dockerfile line differs',
  check(ctx) {
    const { names } = ctx;
    for (const row of ctx.rows) {
      if (row.status !== 'different' || !row.a || !row.b || row.base || sameInstruction(row.a, row.b)) continue;
      ctx.coveredRows.add(row.index);
      const e = rowEffect(ctx, row);
      const n = e.files.length;
      ctx.add(CODES.instruction, {
        kind: 'instruction',
        severity: 'info',
        title: `Step ${String(row.index).padStart(2, '0')} differs in the Dockerfile: ${code(around(row.a.instruction, row.b.instruction), 70)} in ${names.a}, ${code(around(row.b.instruction, row.a.instruction), 70)} in ${names.b}`,
        detail: `The Dockerfile line itself changed, so its layer differs by intent${n ? ` (${plural(n, 'file')} of the final filesystem ${n === 1 ? 'differs' : 'differ'} there)` : ''}.`,
        evidence: { layerRows: [row.index], files: mostNotable(e.files).slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
        score: SCORES.instruction,
      });
    }
  },
};
