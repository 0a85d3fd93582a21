import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES } from '../evidence';
import { code, layerSize } from '../phrasing';
import { SCORES } from '../scores';
import { crlfScriptsOf, effectText, lesserSide, rowEffect, rowPackages, sameRunRows, stepInputs } from '../steps';
import { list } from '../../util/text';
import { CODES } from '../codes';

/**
 * The same Dockerfile RUN line did different work: a cause one level down
 * (what it ran on differed, or a command in it failed quietly). Only logs
 * and caches differing is noise; after a changed base it is expected.
 */
export const sameStep: Rule = {
  name: 'same step, different result',
  check(ctx) {
    const { names } = ctx;
    for (const row of sameRunRows(ctx)) {
      if (ctx.coveredRows.has(row.index) || crlfScriptsOf(ctx, row).length) continue; // an earlier rule explains it
      ctx.coveredRows.add(row.index);
      const e = rowEffect(ctx, row);
      const instr = row.a!.instruction;
      if (e.noiseOnly) {
        ctx.add(CODES.stepNoise, {
          kind: 'sameStepDifferentResult',
          severity: 'info',
          title: `${code(instr)} gave a different layer, but only in logs and caches`,
          detail: `The same Dockerfile line wrote other bytes only where every build differs (${list(e.files.map((f) => f.path), 3)}): nothing to worry about.`,
          evidence: { layerRows: [row.index], files: e.files.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
          score: SCORES.sameStepNoise,
        });
        continue;
      }
      const s = lesserSide(e);
      const { text, rest, notable } = effectText(e, s);
      const pkgs = rowPackages(ctx, e, s);
      const inputs = stepInputs(ctx, row, s);
      const also = [rest && `it also has ${rest}`, pkgs.text].filter(Boolean).join('; ');
      const because = inputs.length ? `what it runs or reads differs: ${list(inputs.map((i) => i.why), 2)}` : undefined;
      const f = ctx.add(CODES.sameStepDifferentResult, {
        kind: 'sameStepDifferentResult',
        severity: 'warning',
        side: s,
        title: `${code(instr)} did different work in ${names[s]}: ${text}`,
        detail:
          `${ctx.baseChanged ? 'The base image differs too, which alone changes what this step does; otherwise, the' : 'The'} same Dockerfile line produced a different layer (${names.a}: ${layerSize(row.a)}; ${names.b}: ${layerSize(row.b)}): ` +
          `${because ?? 'what it ran on differed (files copied before it, the network or a package mirror) or a command in it failed without failing the build'}${also ? `; ${also}` : ''}.`,
        evidence: {
          files: [...inputs.map((i) => fileEvidence(i.file, s)), ...(notable.length ? notable : e.files).slice(0, MAX_EVIDENCE_FILES - inputs.length).map((x) => fileEvidence(x))],
          layerRows: [row.index],
          ...(pkgs.evidence.length ? { packages: pkgs.evidence } : {}),
        },
        score: ctx.baseChanged ? SCORES.sameStepAfterBase : SCORES.sameStep,
      });
      ctx.causes.set(f, `${code(instr)} did different work in ${names[s]} (${text})`);
    }
  },
};
