import { list, upperFirst } from '../../util/text';
import { BIN_DIR, CONFIG_EXT, SCRIPT_EXT } from '../commands';
import type { Rule } from '../context';
import { crlfSide, fileEvidence, MAX_EVIDENCE_FILES } from '../evidence';
import { base } from '../phrasing';
import { SCORES } from '../scores';
import { otherSide } from '../../util/side';
import { CODES } from '../codes';

/** Text equal but for CRLF: breaks scripts and some config parsers (what no earlier rule explained). */
export const lineEndings: Rule = {
  name: 'CRLF line endings',
  check(ctx) {
    const { names } = ctx;
    for (const s of ['a', 'b'] as const) {
      const files = ctx.files.filter((f) => crlfSide(f) === s && !ctx.coveredFiles.has(f.path));
      if (!files.length) continue;
      const configs = files.filter((f) => CONFIG_EXT.test(f.path) || f.path.startsWith('/etc/'));
      // An execute bit alone says little on the CRLF side: a Windows build context makes every file 0755.
      const scripts = files.filter((f) => !configs.includes(f) && (SCRIPT_EXT.test(f.path) || BIN_DIR.test(f.path) || ((f.a!.mode & 0o111) !== 0 && (f.b!.mode & 0o111) !== 0)));
      const why: string[] = [];
      if (scripts.length) why.push(`a script with CRLF fails when run directly (its #! line asks for "/bin/sh\\r": "no such file or directory") and a shell reads every command with a trailing \\r`);
      if (configs.length) why.push(`in configuration files the \\r stays at the end of values (a port "8080\\r", a path "/srv\\r"), which many programs do not strip`);
      if (!why.length) why.push('the text is otherwise the same');
      ctx.add(CODES.lineEndings, {
        kind: 'lineEndings',
        severity: scripts.length || configs.length ? 'warning' : 'info',
        side: s,
        title:
          files.length === 1
            ? `${base(files[0].path)} has CRLF line endings in ${names[s]} (LF in ${names[otherSide(s)]})`
            : `${files.length} text files have CRLF line endings in ${names[s]} (LF in ${names[otherSide(s)]}): ${list(files.map((f) => base(f.path)))}`,
        detail: `${upperFirst(why.join('; '))}. This is what a Windows checkout with core.autocrlf=true gives; \`* text eol=lf\` in .gitattributes keeps them LF.`,
        evidence: { files: files.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f, s)) },
        score: scripts.length || configs.length ? SCORES.lineEndings : SCORES.lineEndingsText,
      });
      for (const f of files) ctx.coveredFiles.add(f.path);
    }
  },
};
