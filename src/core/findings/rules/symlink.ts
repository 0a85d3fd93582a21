import type { Rule } from '../context';
import { fileEvidence } from '../evidence';
import { SCORES } from '../scores';
import { CODES } from '../codes';

/** A link that points elsewhere: whatever follows it reads other files. */
export const symlink: Rule = {
  name: 'symlink targets',
  check(ctx) {
    const { names } = ctx;
    for (const f of ctx.files.filter((x) => x.change === 'modified' && x.reasons.includes('symlink')).slice(0, 10)) {
      ctx.add(CODES.symlink, {
        kind: 'symlink',
        severity: 'warning',
        title: `${f.path} points to ${f.b!.linkTarget} in ${names.b} (${f.a!.linkTarget} in ${names.a})`,
        detail: 'Whatever follows the link (a current release, a version, a config) reads other files.',
        evidence: { files: [fileEvidence(f)] },
        score: SCORES.symlink,
      });
    }
  },
};
