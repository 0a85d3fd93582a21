import { sameInstruction, type LayerPair } from '../../diff/align';
import type { FileChange } from '../../diff/fileDiff';
import { otherSide, type Side } from '../../util/side';
import { list, plural, upperFirst } from '../../util/text';
import { CODES } from '../codes';
import { stepCommands } from '../commands';
import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES, mostNotable, notability } from '../evidence';
import { code } from '../phrasing';
import { SCORES } from '../scores';
import { rowEffect, rowPackages, shownPath, stepInputs, stepInstruction } from '../steps';

/** The side whose step wrote nothing while the other's wrote files, for a row of the same RUN line. */
function idleSide(row: LayerPair): Side | undefined {
  if (!/^RUN\b/.test(stepInstruction(row))) return undefined;
  if (row.emptyStep) return row.emptyStep.side;
  if (row.status !== 'different' || !row.a || !row.b || !row.written || !sameInstruction(row.a, row.b)) return undefined;
  if (row.written.b === 0 && row.written.a > 0) return 'b';
  if (row.written.a === 0 && row.written.b > 0) return 'a';
  return undefined;
}

/**
 * The same RUN line wrote files on one side and nothing on the other: its
 * command failed there, and something hid the failure (`|| echo`, a script
 * without `set -e`), so the build went on. What it would have written is
 * missing from every later step and from the start; why it failed is in
 * what it runs or reads that differs.
 */
export const stepDidNothing: Rule = {
  name: 'a step that wrote nothing on one side',
  check(ctx) {
    const { names } = ctx;
    for (const row of ctx.rows) {
      if (row.base) continue;
      const idle = idleSide(row);
      if (!idle) continue;
      const doer = otherSide(idle);
      const instr = stepInstruction(row);
      const e = rowEffect(ctx, row);
      const missing: FileChange[] = e.onlyIn[doer];
      const notable = mostNotable(missing).filter((f) => notability(f) >= 2);
      const inputs = stepInputs(ctx, row, idle);
      const { swallows } = stepCommands(instr.replace(/^RUN\s+/, ''));
      const cause = inputs[0];
      const why = cause ? `${cause.why}${cause.run ? ', so the step could not run it' : ''}` : 'nothing it runs or reads differs (the network or a package mirror may have failed it)';
      const hid = swallows ? `, and \`${swallows}\` hid the failure` : '';
      const wrote = row.emptyStep ? 'The engine recorded an empty layer for it' : 'Its layer holds nothing of its own';
      ctx.coveredRows.add(row.index);
      for (const i of inputs) ctx.coveredFiles.add(i.file.path);
      if (cause) ctx.modeExplained.add(cause.file.path);
      for (const f of missing) ctx.coveredFiles.add(f.path);
      const pkgs = rowPackages(ctx, e, idle);
      const found = ctx.add(CODES.stepDidNothing, {
        kind: 'stepDidNothing',
        severity: cause || notable.length ? 'error' : 'warning',
        side: idle,
        title: `${code(instr)} did nothing in ${names[idle]}: ${why}${hid}`,
        detail:
          `In ${names[doer]} the same step wrote ${plural(row.written?.[doer] ?? missing.length, 'file')}` +
          `${notable.length ? ` (among them ${list(notable.map((f) => shownPath(f.path)), 3)})` : ''}; ${names[idle]} has none of ${missing.length === 1 ? 'it' : 'them'}` +
          `${pkgs.text ? `, and ${pkgs.text}` : ''}. ${wrote} in ${names[idle]}. ` +
          `${cause ? upperFirst(cause.fix) : 'Run the step by hand in the image it starts from to see why'}, and make a failing command fail the build${swallows ? ` (drop \`${swallows}\`)` : ''}.`,
        evidence: {
          files: [...inputs.map((i) => fileEvidence(i.file, idle)), ...(notable.length ? notable : missing).slice(0, MAX_EVIDENCE_FILES - inputs.length).map((f) => fileEvidence(f, doer))],
          layerRows: [...new Set([...inputs.map((i) => i.file.layer), row.index])].sort((x, y) => x - y),
          ...(pkgs.evidence.length ? { packages: pkgs.evidence } : {}),
        },
        score: cause || notable.length ? SCORES.stepDidNothing : SCORES.sameStep,
      });
      ctx.causes.set(found, `${code(instr)} did nothing in ${names[idle]} (${why})`);
    }
  },
};
