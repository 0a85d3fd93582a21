import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES, owner as ownerOf } from '../evidence';
import { base } from '../phrasing';
import { SCORES } from '../scores';
import { list } from '../../util/text';
import { CODES } from '../codes';

/** Another owner: a process running as another user may no longer read or write the file. */
export const owner: Rule = {
  name: 'file owners',
  check(ctx) {
    const { names } = ctx;
    const owners = ctx.files.filter((f) => f.change === 'modified' && f.reasons.includes('owner') && !f.reasons.includes('type'));
    if (!owners.length) return;
    const f0 = owners[0];
    ctx.add(CODES.owner, {
      kind: 'owner',
      severity: 'warning',
      title:
        owners.length === 1
          ? `${f0.path} is owned by ${ownerOf(f0.b!)} in ${names.b} (${ownerOf(f0.a!)} in ${names.a})`
          : `${owners.length} files have another owner in ${names.b}: ${list(owners.map((f) => `${base(f.path)} ${ownerOf(f.a!)} → ${ownerOf(f.b!)}`))}`,
      detail: `A process running as another user may no longer read or write ${owners.length === 1 ? 'it' : 'them'}, or may now write what it should not; this comes from COPY --chown, a USER change before the step, or files made by another build user.`,
      evidence: { files: owners.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
      score: SCORES.owner,
    });
  },
};
