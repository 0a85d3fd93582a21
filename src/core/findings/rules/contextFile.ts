import { sameInstruction } from '../../diff/align';
import { SIDES, otherSide } from '../../util/side';
import { list, plural } from '../../util/text';
import { CODES } from '../codes';
import { BIN_DIR, CONFIG_EXT, SCRIPT_EXT } from '../commands';
import type { Rule } from '../context';
import { fileEvidence, MAX_EVIDENCE_FILES } from '../evidence';
import { base, code } from '../phrasing';
import { SCORES } from '../scores';
import { rowEffect } from '../steps';

/** What a service needs at start: configuration, scripts, programs. */
const needed = (p: string) => p.startsWith('/etc/') || CONFIG_EXT.test(p) || SCRIPT_EXT.test(p) || BIN_DIR.test(p);

/**
 * The same COPY or ADD line copied files into one image only: the other
 * build context did not have them (a git-ignored file on a laptop, a file
 * a .dockerignore or a sparse checkout left out).
 */
export const contextFile: Rule = {
  name: 'files one build context lacked',
  check(ctx) {
    const { names } = ctx;
    for (const row of ctx.rows) {
      if (row.status !== 'different' || !row.a || !row.b || row.base || !/^(COPY|ADD)\b/.test(row.a.instruction) || !sameInstruction(row.a, row.b)) continue;
      const e = rowEffect(ctx, row);
      for (const idle of SIDES) {
        const doer = otherSide(idle);
        const missing = e.onlyIn[doer].filter((f) => f[doer]!.type !== 'dir' && !ctx.coveredFiles.has(f.path));
        if (!missing.length) continue;
        const important = missing.filter((f) => needed(f.path));
        for (const f of missing) ctx.coveredFiles.add(f.path);
        const instr = (row[doer] ?? row.a).instruction;
        const found = ctx.add(CODES.contextFile, {
          kind: 'contextFile',
          severity: important.length ? 'warning' : 'info',
          side: idle,
          title: `${code(instr, 60)} copied ${list(missing.map((f) => f.path), 3)} into ${names[doer]} only: ${names[idle]}'s build context lacked ${missing.length === 1 ? 'it' : 'them'}`,
          detail:
            `The same Dockerfile line copies whatever the build context holds; ${names[idle]}'s had ${missing.length === 1 ? `no ${base(missing[0].path)}` : `none of these ${plural(missing.length, 'file')}`}` +
            `${important.length ? `, and ${important.length === missing.length ? (missing.length === 1 ? 'it is' : 'they are') : `${list(important.map((f) => base(f.path)), 3)} ${important.length === 1 ? 'is' : 'are'}`} what a program reads or runs at start` : ''}: ` +
            'a file git ignores (so only one checkout has it), a .dockerignore entry, or a build run from another folder.',
          evidence: { files: missing.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f, doer)), layerRows: [row.index] },
          score: important.length ? SCORES.contextFile : SCORES.contextFileInfo,
        });
        ctx.causes.set(found, `${list(missing.map((f) => f.path), 2)} ${missing.length === 1 ? 'is' : 'are'} only in ${names[doer]} (${names[idle]}'s build context lacked ${missing.length === 1 ? 'it' : 'them'})`);
      }
    }
  },
};
