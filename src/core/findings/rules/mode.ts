import type { FileChange } from '../../diff/fileDiff';
import type { LayerInfo } from '../../image/model';
import type { Side } from '../../run/runModel';
import { list, octal, upperFirst } from '../../util/text';
import { BIN_DIR, candidatePaths, interprets, SCRIPT_EXT, startCommand, startTargets } from '../commands';
import type { Rule } from '../context';
import { fileEvidence, isFileType, MAX_EVIDENCE_FILES } from '../evidence';
import { base } from '../phrasing';
import { SCORES } from '../scores';
import type { FindingCode } from '../../util/codes';
import { CODES } from '../codes';

/** 0755 on one side, 0644 on the other, as a Windows build context gives against a git checkout. */
const WINDOWS_LIKE = /^0?7[57]7$|^0?755$/;

/**
 * Permission bits: an execute bit lost on something run directly, setuid or
 * setgid gained, world-writable gained rank as warnings; the rest is one
 * info (usually a Windows build context).
 */
export const mode: Rule = {
  name: 'file modes',
  check(ctx) {
    const { names } = ctx;
    const files = ctx.files.filter((f) => f.change === 'modified' && f.reasons.includes('mode') && f.a && f.b && !ctx.modeExplained.has(f.path));
    if (!files.length) return;
    const runCmds = ctx.rows
      .flatMap((l) => [l.a, l.b])
      .filter((l): l is LayerInfo => !!l && /^RUN\b/.test(l.instruction))
      .map((l) => l.createdBy);
    const interpretedTargets = (['a', 'b'] as const).flatMap((s) => startTargets(startCommand(ctx.images[s].config)).interpreted.flatMap((w) => candidatePaths(w, ctx.images[s].config)));
    /** Run only through an interpreter (`sh x.sh`) somewhere we can see: its execute bit does not matter there. */
    const interpretedOnly = (p: string) => interpretedTargets.includes(p) || runCmds.some((c) => interprets(c, p));
    const execLost: Array<{ f: FileChange; side: Side }> = [];
    const setuid: Array<{ f: FileChange; side: Side }> = [];
    const worldWritable: Array<{ f: FileChange; side: Side }> = [];
    const other: FileChange[] = [];
    for (const f of files) {
      const ma = f.a!.mode;
      const mb = f.b!.mode;
      const lacking: Side | undefined = ma & 0o111 && !(mb & 0o111) ? 'b' : mb & 0o111 && !(ma & 0o111) ? 'a' : undefined;
      const gained = (bits: number): Side | undefined => (mb & bits && !(ma & bits) ? 'b' : ma & bits && !(mb & bits) ? 'a' : undefined);
      const su = gained(0o6000);
      const ww = f.a!.type !== 'symlink' ? gained(0o002) : undefined;
      if (su) setuid.push({ f, side: su });
      else if (ww) worldWritable.push({ f, side: ww });
      else if (lacking && isFileType(f[lacking]) && (SCRIPT_EXT.test(f.path) || BIN_DIR.test(f.path)) && !interpretedOnly(f.path)) execLost.push({ f, side: lacking });
      else other.push(f);
    }
    const groups: Array<[typeof execLost, string, string, number, FindingCode]> = [
      [execLost, 'is not executable', 'Running it directly fails with "permission denied"; set the mode in the Dockerfile (COPY --chmod=0755 or RUN chmod +x) rather than relying on the checkout', SCORES.execLost, CODES.execLost],
      [setuid, 'is setuid/setgid', "A setuid or setgid program runs with its owner's privileges, whoever starts it: a privilege change worth a review", SCORES.setuid, CODES.setuid],
      [worldWritable, 'is world-writable', 'Any user in the container can change it (a script, a config, a directory others trust); typical of a build context from Windows or a permissive umask', SCORES.worldWritable, CODES.worldWritable],
    ];
    for (const [items, what, why, score, code] of groups) {
      for (const s of ['a', 'b'] as const) {
        const mine = items.filter((x) => x.side === s);
        if (!mine.length) continue;
        const f0 = mine[0].f;
        ctx.add(code, {
          kind: 'mode',
          severity: 'warning',
          side: s,
          title:
            mine.length === 1
              ? `${base(f0.path)} ${what} in ${names[s]} (${octal(f0.a!.mode)} in ${names.a}, ${octal(f0.b!.mode)} in ${names.b})`
              : `${mine.length} files ${what.replace(/^is /, 'are ')} in ${names[s]}: ${list(mine.map((x) => base(x.f.path)))}`,
          detail: `${why}.`,
          evidence: { files: mine.slice(0, MAX_EVIDENCE_FILES).map((x) => fileEvidence(x.f)) },
          score,
        });
      }
    }
    if (other.length) {
      const f0 = other[0];
      const uniform = other.every((f) => f.a!.mode === f0.a!.mode && f.b!.mode === f0.b!.mode);
      const windowsLike = other.every((f) => WINDOWS_LIKE.test(octal(f.a!.mode)) !== WINDOWS_LIKE.test(octal(f.b!.mode)));
      const notes: string[] = [];
      const directRisk = other.filter((f) => (f.a!.mode & 0o111) !== (f.b!.mode & 0o111) && isFileType(f.a));
      const soft = directRisk.filter((f) => interpretedOnly(f.path));
      if (windowsLike) notes.push('0755 on one side and 0644 on the other is what a build context sent from Windows (every file 0755) gives against a git checkout (0644)');
      if (directRisk.length > soft.length) notes.push('running a file directly needs the execute bit ("permission denied" without it)');
      if (soft.length) notes.push(`the build runs ${list(soft.map((f) => base(f.path)), 3)} through an interpreter (sh …), which does not need it`);
      ctx.add(CODES.mode, {
        kind: 'mode',
        severity: 'info',
        title:
          other.length === 1
            ? `${base(f0.path)} is ${octal(f0.a!.mode)} in ${names.a}, ${octal(f0.b!.mode)} in ${names.b}`
            : uniform
              ? `${other.length} files are ${octal(f0.a!.mode)} in ${names.a}, ${octal(f0.b!.mode)} in ${names.b}: ${list(other.map((f) => base(f.path)))}`
              : `${other.length} files differ in mode: ${list(other.map((f) => base(f.path)))}`,
        detail: `${upperFirst(notes.length ? notes.join('; ') : 'only the permission bits differ')}.`,
        evidence: { files: other.slice(0, MAX_EVIDENCE_FILES).map((f) => fileEvidence(f)) },
        score: SCORES.modeOther,
      });
    }
  },
};
