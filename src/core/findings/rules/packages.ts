import type { PackageChange, SecurityCategory } from '../../packages/packages';
import type { Side } from '../../run/runModel';
import { list, plural } from '../../util/text';
import type { Rule } from '../context';
import type { FindingEvidence } from '../finding';
import { SCORES } from '../scores';
import { CODES } from '../codes';

/** Security-relevant packages reported one by one (per ecosystem); the rest are grouped. */
const MAX_SECURITY_PACKAGES = 8;

const SECURITY_LABEL: Record<SecurityCategory, string> = {
  tls: 'TLS and crypto',
  ssh: 'SSH',
  libc: 'the C library',
  compression: 'compression, parses untrusted input',
  http: 'HTTP client',
  privilege: 'privileges',
  trust: 'certificates and signatures',
  kernel: 'kernel',
  runtime: 'language runtime',
};

/**
 * Installed packages that differ: security-relevant ones one by one
 * (a downgrade first), the rest grouped by what happened to them.
 */
export const packages: Rule = {
  name: 'installed packages',
  check(ctx) {
    const { names } = ctx;
    for (const eco of ctx.input.packages?.ecosystems ?? []) {
      const ev = (cs: readonly PackageChange[]): FindingEvidence => ({ packages: cs.map((c) => ({ ecosystem: eco.kind, name: c.name })) });
      const secLabel = (c: PackageChange) => (c.security ? SECURITY_LABEL[c.security] : 'security');
      const security = [...eco.changed.filter((c) => c.direction !== 'same'), ...eco.removed, ...eco.added].filter((c) => c.securityRelevant);
      const one = security.slice(0, MAX_SECURITY_PACKAGES);
      for (const c of one) {
        if (c.change === 'changed') {
          const down = c.direction === 'downgrade';
          ctx.add(down ? CODES.securityDowngrade : CODES.securityChange, {
            kind: 'package',
            severity: down ? 'warning' : 'info',
            title: `${c.name} ${down ? 'downgraded' : 'upgraded'} in ${names.b}: ${c.a} → ${c.b} (${eco.kind}; ${secLabel(c)})`,
            detail: down
              ? `A package that matters for security went back to an older version, so fixes of the newer one are gone: check where ${names.b} gets it from (a stale mirror, a pinned version, a cached layer).`
              : 'A package that matters for security moved to a newer version, usually because the base image or the package mirror moved: expected drift, but it can change behaviour (protocol defaults, certificates).',
            evidence: ev([c]),
            score: down ? SCORES.securityDowngrade : SCORES.securityChange,
          });
        } else {
          const side: Side = c.change === 'removed' ? 'a' : 'b';
          ctx.add(CODES.securityChange, {
            kind: 'package',
            severity: c.change === 'removed' ? 'warning' : 'info',
            side,
            title: `${c.name} ${side === 'a' ? c.a : c.b} is installed only in ${names[side]} (${eco.kind}; ${secLabel(c)})`,
            detail: `A package that matters for security is ${side === 'a' ? `gone from ${names.b}` : `new in ${names.b}`}: ${side === 'a' ? 'whatever needed it (TLS, certificates, logins) may fail' : 'more code that needs updates, or a dependency that came along unasked'}.`,
            evidence: ev([c]),
            score: c.change === 'removed' ? SCORES.securityChange : SCORES.securityAdded,
          });
        }
      }
      const rest = (cs: readonly PackageChange[]) => cs.filter((c) => !one.includes(c));
      const downs = rest(eco.changed.filter((c) => c.direction === 'downgrade'));
      const ups = rest(eco.changed.filter((c) => c.direction === 'upgrade'));
      const removed = rest(eco.removed);
      const added = rest(eco.added);
      const versions = (cs: readonly PackageChange[]) => list(cs.map((c) => `${c.name} ${c.a} → ${c.b}`));
      const names_ = (cs: readonly PackageChange[], side: Side) => list(cs.map((c) => `${c.name} ${side === 'a' ? c.a : c.b}`));
      if (downs.length) {
        ctx.add(CODES.downgrades, {
          kind: 'package',
          severity: 'warning',
          title: `${plural(downs.length, 'package')} downgraded in ${names.b} (${eco.kind}): ${versions(downs)}`,
          detail: `Older versions than ${names.a}'s: a stale mirror, a pin, or a cached layer from an older build.`,
          evidence: ev(downs),
          score: SCORES.downgrade,
        });
      }
      if (removed.length) {
        ctx.add(CODES.packageDrift, {
          kind: 'package',
          severity: 'info',
          side: 'a',
          title: `${plural(removed.length, 'package')} installed only in ${names.a} (${eco.kind}): ${names_(removed, 'a')}`,
          detail: `What ${removed.length === 1 ? 'it provides' : 'they provide'} is missing in ${names.b}: an install step that failed quietly, or a changed dependency list.`,
          evidence: ev(removed),
          score: SCORES.packages,
        });
      }
      if (added.length) {
        ctx.add(CODES.packageDrift, {
          kind: 'package',
          severity: 'info',
          side: 'b',
          title: `${plural(added.length, 'package')} installed only in ${names.b} (${eco.kind}): ${names_(added, 'b')}`,
          detail: 'New dependencies, asked for or pulled in by others.',
          evidence: ev(added),
          score: SCORES.packages,
        });
      }
      if (ups.length) {
        ctx.add(CODES.packageDrift, {
          kind: 'package',
          severity: 'info',
          title: `${plural(ups.length, 'package')} upgraded in ${names.b} (${eco.kind}): ${versions(ups)}`,
          detail: 'Newer versions, usually because the base image or the package mirror moved between the builds; pin versions or the base digest for repeatable builds.',
          evidence: ev(ups),
          score: SCORES.packages,
        });
      }
    }

  },
};
