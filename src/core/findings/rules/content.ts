import { packageDbKind } from '../../packages/packages';
import { list, plural } from '../../util/text';
import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES, mostNotable, NOISE } from '../evidence';
import { SCORES } from '../scores';
import { otherSide } from '../../util/side';
import { CODES } from '../codes';

/** Content and one-sided files that no finding above explains (rows covered by a step, base or instruction finding are). */
export const content: Rule = {
  name: 'content and files in one image only',
  check(ctx) {
    const { names } = ctx;
    const left = ctx.files.filter((f) => !ctx.coveredRows.has(f.layer) && !ctx.coveredFiles.has(f.path) && !(ctx.input.packages && packageDbKind(f.path)));
    const content = left.filter((f) => f.change === 'modified' && f.reasons.includes('content'));
    if (content.length) {
      const top = mostNotable(content);
      const noise = content.every((f) => NOISE.test(f.path));
      ctx.add(CODES.content, {
        kind: 'content',
        severity: 'info',
        title: `${plural(content.length, 'file')} differ${content.length === 1 ? 's' : ''} in content: ${list(top.map((f) => f.path), 3)}`,
        detail: noise ? 'Only logs and caches, which every build writes anew.' : `The bytes differ (not only line endings): the sources copied in, or what a step generated, changed between the builds.`,
        evidence: { files: top.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
        score: noise ? SCORES.noise : SCORES.content,
      });
    }
    for (const [change, side] of [['removed', 'a'], ['added', 'b']] as const) {
      const fs = left.filter((f) => f.change === change);
      if (!fs.length) continue;
      const top = mostNotable(fs);
      ctx.add(CODES.filesOnlyOne, {
        kind: 'files',
        severity: 'info',
        side,
        title: `${plural(fs.length, 'file')} only in ${names[side]}: ${list(top.map((f) => f.path), 3)}`,
        detail: `Present in ${names[side]} only: the build context or a generated output differs, or a step of ${names[otherSide(side)]} deleted ${fs.length === 1 ? 'it' : 'them'}.`,
        evidence: { files: top.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f, side)) },
        score: SCORES.content,
      });
    }

  },
};
