import type { Rule } from '../context';
import { crlfSide, fileEvidence, MAX_EVIDENCE_FILES } from '../evidence';
import { base, code } from '../phrasing';
import { SCORES } from '../scores';
import { crlfScriptsOf, effectText, hasCr, rowEffect, rowPackages, sameRunRows, shownPath } from '../steps';
import { list, plural } from '../../util/text';
import { CODES } from '../codes';

/**
 * A cause with its effect seen: a script with CRLF line endings that a later
 * RUN executes, and that RUN (the same Dockerfile line on both sides) made a
 * different layer.
 */
export const crlfScript: Rule = {
  name: 'CRLF script run by a step',
  check(ctx) {
    for (const row of sameRunRows(ctx)) {
      if (ctx.coveredRows.has(row.index)) continue; // a step that wrote nothing says it
      const scripts = crlfScriptsOf(ctx, row);
      if (!scripts.length) continue;
      ctx.coveredRows.add(row.index);
      const all = rowEffect(ctx, row);
      const instr = row.a!.instruction;
      const s = crlfSide(scripts[0])!;
      // What a CRLF script writes where a line sets a directory: "/opt/app\r/bin/app\r", instead of /opt/app/bin/app.
      const crPaths = all.onlyIn[s].filter((f) => hasCr(f.path));
      const e = { ...all, onlyIn: { ...all.onlyIn, [s]: all.onlyIn[s].filter((f) => !hasCr(f.path)) } };
      const { text, rest, notable } = effectText(e, s);
      const pkgs = rowPackages(ctx, e, s);
      // The same checkout converted the files copied with it: one cause, not one finding each.
      const siblings = ctx.files.filter((f) => crlfSide(f) === s && !scripts.includes(f) && scripts.some((x) => x.layer === f.layer));
      for (const f of [...scripts, ...siblings, ...crPaths]) ctx.coveredFiles.add(f.path);
      const also = [
        crPaths.length && `it wrote ${plural(crPaths.length, 'path')} whose names end in \\r instead (${list(crPaths.map((f) => shownPath(f.path)), 2)})`,
        rest && `the layer also has ${rest}`,
        pkgs.text,
        siblings.length && `${list(siblings.map((f) => base(f.path)), 3)}, copied with it, ${siblings.length === 1 ? 'has' : 'have'} CRLF line endings too`,
      ]
        .filter(Boolean)
        .join('; ');
      const f = ctx.add(CODES.crlfScript, {
        kind: 'crlfScript',
        severity: 'error',
        side: s,
        title: `${base(scripts[0].path)} has CRLF line endings in ${ctx.names[s]}; ${code(instr)} then produced a different layer: ${text}`,
        detail:
          `With CRLF every line of the script ends in \\r, which the shell keeps as part of each command's last word, so its commands fail while the step can still exit 0 and the build goes on` +
          `${also ? `; ${also}` : ''}. Store the script with LF (\`*.sh text eol=lf\` in .gitattributes) and start it with \`set -e\`.`,
        evidence: {
          files: [...scripts.map((x) => fileEvidence(x, s)), ...notable.slice(0, MAX_EVIDENCE_FILES - scripts.length).map((x) => fileEvidence(x)), ...crPaths.slice(0, 5).map((x) => fileEvidence(x, s))],
          layerRows: [row.index],
          ...(pkgs.evidence.length ? { packages: pkgs.evidence } : {}),
        },
        score: SCORES.crlfScript,
      });
      ctx.causes.set(f, `${base(scripts[0].path)} has CRLF line endings in ${ctx.names[s]}, so ${code(instr)} did different work (${text})`);
    }
  },
};
