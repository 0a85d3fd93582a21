import type { Rule } from '../context';
import { crlfSide, fileEvidence, MAX_EVIDENCE_FILES } from '../evidence';
import { base, code } from '../phrasing';
import { SCORES } from '../scores';
import { crlfScriptsOf, effectText, rowEffect, rowPackages, sameRunRows } from '../steps';

/**
 * A cause with its effect seen: a script with CRLF line endings that a later
 * RUN executes, and that RUN (the same Dockerfile line on both sides) made a
 * different layer.
 */
export const crlfScript: Rule = {
  name: 'CRLF script run by a step',
  check(ctx) {
    for (const row of sameRunRows(ctx)) {
      const scripts = crlfScriptsOf(ctx, row);
      if (!scripts.length) continue;
      ctx.coveredRows.add(row.index);
      const e = rowEffect(ctx, row);
      const instr = row.a!.instruction;
      const s = crlfSide(scripts[0])!;
      const { text, rest, notable } = effectText(e, s);
      const pkgs = rowPackages(ctx, e, s);
      for (const f of scripts) ctx.coveredFiles.add(f.path);
      const also = [rest && `the layer also has ${rest}`, pkgs.text].filter(Boolean).join('; ');
      const f = ctx.add({
        kind: 'crlfScript',
        severity: 'error',
        side: s,
        title: `${base(scripts[0].path)} has CRLF line endings in ${ctx.names[s]}; ${code(instr)} then produced a different layer: ${text}`,
        detail:
          `With CRLF every line of the script ends in \\r, which the shell keeps as part of each command's last word, so its commands fail while the step can still exit 0 and the build goes on` +
          `${also ? `; ${also}` : ''}. Store the script with LF (\`*.sh text eol=lf\` in .gitattributes) and start it with \`set -e\`.`,
        evidence: {
          files: [...scripts.map((x) => fileEvidence(x, s)), ...notable.slice(0, MAX_EVIDENCE_FILES - scripts.length).map((x) => fileEvidence(x))],
          layerRows: [row.index],
          ...(pkgs.evidence.length ? { packages: pkgs.evidence } : {}),
        },
        score: SCORES.crlfScript,
      });
      ctx.causes.set(f, `${base(scripts[0].path)} has CRLF line endings in ${ctx.names[s]}, so ${code(instr)} did different work (${text})`);
    }
  },
};
