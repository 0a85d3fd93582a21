import { SIDES, otherSide } from '../../util/side';
import { octal, upperFirst } from '../../util/text';
import { CODES } from '../codes';
import { candidatePaths, CONFIG_EXT, SCRIPT_EXT, startCommand } from '../commands';
import type { Rule } from '../context';
import { fileEvidence, isFileType, owner } from '../evidence';
import { base } from '../phrasing';
import { SCORES } from '../scores';
import { canRead } from '../users';

/**
 * A file the image's user can read on one side and not on the other: a
 * service that runs as a non-root USER fails with "Permission denied" on
 * its own configuration, while every file is there.
 */
export const unreadable: Rule = {
  name: "files the image's user cannot read",
  check(ctx) {
    const { names } = ctx;
    for (const side of SIDES) {
      const other = otherSide(side);
      const user = ctx.input.users?.[side];
      const theirUser = ctx.input.users?.[other];
      if (!user || !theirUser || user.uid === 0) continue;
      const argv = startCommand(ctx.images[side].config);
      const named = new Set(argv.filter((w) => w.includes('/')).flatMap((w) => candidatePaths(w, ctx.images[side].config)));
      const files = ctx.files.filter((f) => f.change === 'modified' && (f.reasons.includes('mode') || f.reasons.includes('owner')) && isFileType(f[side]) && isFileType(f[other]));
      for (const f of files) {
        const mine = f[side]!;
        const theirs = f[other]!;
        if (canRead(mine, user) || !canRead(theirs, theirUser)) continue;
        const important = named.has(f.path) || f.path.startsWith('/etc/') || CONFIG_EXT.test(f.path) || SCRIPT_EXT.test(f.path);
        ctx.coveredFiles.add(f.path);
        ctx.modeExplained.add(f.path);
        const found = ctx.add(CODES.unreadable, {
          kind: 'unreadable',
          severity: important ? 'error' : 'warning',
          side,
          title: `${base(f.path)} is ${octal(mine.mode)} ${owner(mine)} in ${names[side]}: USER ${user.spec} (uid ${user.uid}) cannot read it (${octal(theirs.mode)} ${owner(theirs)} in ${names[other]})`,
          detail:
            `${upperFirst(names[side])} runs as ${user.name}, which may not read ${f.path} with that mode and owner, so whatever reads it fails with "Permission denied"` +
            `${named.has(f.path) ? ' (the start command names it)' : ''}; COPY keeps the build context's mode and makes the file root's unless --chown says otherwise: set COPY --chmod=0644 or --chown=${user.name}, or fix the checkout's umask.`,
          evidence: { files: [fileEvidence(f, side)], config: ['User'] },
          score: important ? SCORES.unreadable : SCORES.unreadableSoft,
        });
        ctx.causes.set(found, `${f.path} is ${octal(mine.mode)} ${owner(mine)} in ${names[side]}, which USER ${user.spec} cannot read`);
      }
    }
  },
};
