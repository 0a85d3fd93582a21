import type { SecretKind } from '../../image/model';
import type { FindingSeverity, Side } from '../../run/runModel';
import { list, plural, upperFirst } from '../../util/text';
import type { Rule } from '../context';
import type { FindingEvidence } from '../finding';
import { isSecret, type Leftover } from '../leftovers';
import { SCORES } from '../scores';
import { CODES } from '../codes';

const MAX_SECRETS = 10;

const SECRET_LABEL: Record<SecretKind, string> = {
  privateKey: 'a private key',
  awsAccessKey: 'an AWS access key',
  awsSecretKey: 'an AWS secret key',
  githubToken: 'a GitHub token',
  npmToken: 'an npm token',
  slackToken: 'a Slack token',
  password: 'a password',
  dockerAuth: 'a registry login',
};

const LEFTOVER_LABEL: Record<Leftover['kind'], string> = {
  shellHistory: 'shell history',
  vcs: 'version control',
  envFile: 'environment file',
  packageManagerConfig: 'package manager config',
  netrc: '.netrc',
  gitCredentials: 'git credentials',
  dockerConfig: 'docker config',
  cloudCredentials: 'cloud credentials',
  privateKey: 'private key',
  ssh: 'SSH files',
  secret: 'a file with a secret',
};

function secretWeight(l: Leftover): number {
  const strong = l.kind === 'privateKey' || l.kind === 'cloudCredentials' || l.secretKinds?.some((k) => k === 'privateKey' || k === 'awsSecretKey' || k === 'awsAccessKey');
  return (strong ? 1 : 0) + (l.deletedInLayer !== undefined || l.replacedInLayer !== undefined ? 1 : 0);
}

function secretWhat(l: Leftover): string {
  const kinds = l.secretKinds?.length ? l.secretKinds : ['privateKey' as SecretKind];
  return list(kinds.map((k) => SECRET_LABEL[k]), 3).replace(/, ([^,]+)$/, ' and $1');
}

function where(l: Leftover): string {
  if (l.deletedInLayer !== undefined) return `It is in layer ${l.layer}'s tar; layer ${l.deletedInLayer} deletes it, but its bytes still ship with the image (docker save, a registry pull)`;
  if (l.replacedInLayer !== undefined) return `It is in layer ${l.layer}'s tar; layer ${l.replacedInLayer} writes the path again, but this version still ships with the image`;
  return `It is in layer ${l.layer}`;
}


/**
 * Files that should not ship: secrets (new in B first, a key or cloud
 * credential before a password, one a later layer hides before one in
 * plain sight), then other leftovers.
 */
export const leftovers: Rule = {
  name: 'secrets and leftovers',
  check(ctx) {
    const { names } = ctx;
    const lo = ctx.input.leftovers;
    if (!lo) return;
    const { a, b } = lo;
    const key = (l: Leftover) => `${l.kind}\0${l.path}`;
    const secretsA = new Map(a.filter(isSecret).map((l) => [key(l), l]));
    const secretsB = new Map(b.filter(isSecret).map((l) => [key(l), l]));
    const ev = (side: Side, ls: readonly Leftover[]): FindingEvidence => ({ leftovers: ls.map((l) => ({ side, path: l.path, layer: l.layer })) });
    const secretFinding = (side: Side, l: Leftover, status: 'new' | 'kept' | 'gone') => {
      const what = secretWhat(l);
      const title =
        status === 'new'
          ? `${upperFirst(names.b)} ships ${what} that ${names.a} does not: ${l.path}`
          : status === 'kept'
            ? `Both images ship ${what}: ${l.path}`
            : `${upperFirst(names.a)} ships ${what} that ${names.b} no longer does: ${l.path}`;
      const advice = status === 'gone' ? 'fixed in the other image, but whoever can pull this one can read it: rotate it' : 'remove it from the build (a secret mount, a multi-stage build) and rotate it: whoever pulled the image can read it';
      ctx.add(status === 'new' ? CODES.secretNew : status === 'kept' ? CODES.secretKept : CODES.secretGone, {
        kind: 'secret',
        severity: l.thirdParty ? 'info' : status === 'gone' ? 'warning' : 'error',
        side,
        title: l.thirdParty ? `${title} (probably a library's test fixture)` : title,
        detail: `${where(l)}. ${l.reason.replace(/\.$/, '')}; ${advice} (the value is not shown).`,
        evidence: ev(side, [l]),
        // Within a band: a key or cloud credential before a password, and one hidden by a later layer first of all.
        score: (l.thirdParty ? SCORES.thirdParty : status === 'new' ? SCORES.secretNew : status === 'kept' ? SCORES.secretKept : SCORES.secretGone) + secretWeight(l),
      });
    };
    let n = 0;
    for (const [k, l] of secretsB) if (n++ < MAX_SECRETS) secretFinding('b', l, secretsA.has(k) ? 'kept' : 'new');
    n = 0;
    for (const [k, l] of secretsA) if (!secretsB.has(k) && n++ < MAX_SECRETS) secretFinding('a', l, 'gone');
    const more = [...secretsB.values()].slice(MAX_SECRETS);
    if (more.length) {
      ctx.add(CODES.secretKept, { kind: 'secret', severity: 'error', side: 'b', title: `${plural(more.length, 'more secret')} in ${names.b}: ${list(more.map((l) => l.path))}`, detail: 'Files with credentials, beyond those listed above (the values are not shown).', evidence: ev('b', more), score: SCORES.secretKept });
    }

    const plain = (ls: readonly Leftover[]) => ls.filter((l) => !isSecret(l) && !l.thirdParty);
    const keysA = new Set(a.map(key));
    const keysB = new Set(b.map(key));
    const groups: Array<[Side, Leftover[], string, string, number, FindingSeverity]> = [
      ['b', plain(b).filter((l) => !keysA.has(key(l))), `${upperFirst(names.b)} ships`, `that ${names.a} does not`, SCORES.leftoverNew, 'warning'],
      ['b', plain(b).filter((l) => keysA.has(key(l))), 'Both images ship', '', SCORES.leftoverKnown, 'info'],
      ['a', plain(a).filter((l) => !keysB.has(key(l))), `${upperFirst(names.a)} ships`, `that ${names.b} no longer does`, SCORES.leftoverKnown, 'info'],
    ];
    for (const [side, ls, lead, tail, score, severity] of groups) {
      if (!ls.length) continue;
      ctx.add(score === SCORES.leftoverNew ? CODES.leftoverNew : CODES.leftoverKnown, {
        kind: 'leftover',
        severity,
        side,
        title: `${lead} ${plural(ls.length, 'file')} that should not ship${tail ? ` ${tail}` : ''}: ${list(ls.map((l) => `${l.path} (${LEFTOVER_LABEL[l.kind]})`), 3)}`,
        detail: `${ls[0].reason}${ls[0].deletedInLayer !== undefined ? ` A later layer deletes ${ls[0].path}, but its bytes still ship.` : ''}`,
        evidence: ev(side, ls),
        score,
      });
    }

  },
};
