import type { FileChange } from '../../diff/fileDiff';
import { octal, upperFirst } from '../../util/text';
import { candidatePaths, startCommand, startTargets } from '../commands';
import type { FindingCode } from '../../util/codes';
import { CODES } from '../codes';
import type { Rule } from '../context';
import { crlfSide, fileEvidence, isFileType } from '../evidence';
import { base, code } from '../phrasing';
import { SCORES } from '../scores';
import { otherSide } from '../../util/side';

/**
 * The start command cannot run on one side: the file it executes is
 * missing, has a CRLF #! line, or lost its execute bit. Predicts a failed
 * start; a run that saw one ranks it first and names this as its cause.
 */
export const entrypoint: Rule = {
  name: 'entrypoint',
  check(ctx) {
    const { names } = ctx;
    const byPath = new Map<string, FileChange>(ctx.files.map((f) => [f.path, f]));
    for (const side of ['a', 'b'] as const) {
      const config = ctx.images[side].config;
      const argv = startCommand(config);
      const { direct, interpreted } = startTargets(argv);
      const what = config.config?.Entrypoint?.length ? 'ENTRYPOINT' : 'CMD';
      const check = (word: string, directly: boolean) => {
        for (const path of candidatePaths(word, config)) {
          const f = byPath.get(path);
          if (!f) continue;
          const self = side === 'a' ? f.a : f.b;
          const peer = side === 'a' ? f.b : f.a;
          let title: string | undefined;
          let detail = '';
          let found: FindingCode = CODES.startMissing;
          if (!self && peer) {
            title = `${word} is missing in ${names[side]}: its ${what} cannot start`;
            detail = `${upperFirst(names[side])}'s start command ${code(argv.join(' '))} names a file only ${names[otherSide(side)]} has, so the container fails with "no such file or directory".`;
          } else if (self && peer && crlfSide(f) === side && directly) {
            found = CODES.startCrlf;
            title = `${base(path)} has CRLF line endings in ${names[side]}: its ${what} cannot start`;
            detail = `The kernel reads the #! line up to the line feed, so it looks for an interpreter named "/bin/sh\\r", which does not exist, and the container fails with "exec ${path}: no such file or directory"; store the script with LF (\`*.sh text eol=lf\` in .gitattributes).`;
          } else if (self && peer && crlfSide(f) === side) {
            found = CODES.startScriptCrlf;
            title = `${base(path)}, which the ${what} runs, has CRLF line endings in ${names[side]}`;
            detail = `${code(argv.join(' '))} hands the script to an interpreter that keeps the \\r at the end of every line, so commands fail or get arguments ending in \\r; store it with LF.`;
          } else if (self && peer && directly && isFileType(self) && (self.mode & 0o111) === 0 && (peer.mode & 0o111) !== 0) {
            found = CODES.startNotExecutable;
            title = `${base(path)} is not executable in ${names[side]} (${octal(self.mode)}): its ${what} cannot start`;
            detail = `The start command runs ${path} directly, and without an execute bit the container fails with "permission denied" (${names[otherSide(side)]} has it ${octal(peer.mode)}); set the mode in the Dockerfile (COPY --chmod=0755 or RUN chmod +x).`;
          }
          if (!title) continue;
          ctx.coveredFiles.add(path);
          ctx.modeExplained.add(path);
          ctx.add(found, {
            kind: 'entrypoint',
            severity: directly || !self ? 'error' : 'warning',
            side,
            title,
            detail,
            evidence: { files: [fileEvidence(f, side)], config: [what === 'ENTRYPOINT' ? 'Entrypoint' : 'Cmd'] },
            score: directly || !self ? SCORES.entrypoint : SCORES.entrypoint - 8,
          });
          return;
        }
      };
      for (const w of direct) check(w, true);
      for (const w of interpreted) check(w, false);
    }
  },
};
