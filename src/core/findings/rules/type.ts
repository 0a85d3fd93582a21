import type { Rule } from '../context';
import { fileEvidence } from '../evidence';
import { SCORES } from '../scores';
import { CODES } from '../codes';

/** A file became a directory, a link...: programs that expect one kind fail on the other. */
export const entryType: Rule = {
  name: 'entry types',
  check(ctx) {
    const { names } = ctx;
    for (const f of ctx.files.filter((x) => x.change === 'modified' && x.reasons.includes('type')).slice(0, 10)) {
      ctx.add(CODES.entryType, {
        kind: 'type',
        severity: 'warning',
        title: `${f.path} is a ${f.a!.type} in ${names.a}, a ${f.b!.type} in ${names.b}`,
        detail: 'Programs that expect one kind of entry fail on the other (a directory where a file was, a link where a directory was).',
        evidence: { files: [fileEvidence(f)] },
        score: SCORES.type,
      });
    }
  },
};
