/**
 * The Comparison Report as words: everything the report editor shows,
 * built from the comparison on the host so that the page only renders it
 * (and so that the words are tested without a browser). No vscode here.
 */
import { codeInfo } from '../../core/findings/codes';
import type { Finding } from '../../core/findings/finding';
import { describeChange, groupFiles, type ReportFile, type ReportLayer } from '../../core/report/report';
import type { RunReport } from '../../core/run/runModel';
import { shortId, two } from '../../core/util/text';
import { humanSize } from '../../core/util/units';
import type { EvidenceTarget, ReportConfigView, ReportFindingView, ReportGroupView, ReportLayerView, ReportSideView, ReportView } from '../../protocol/report';
import type { CurrentComparison } from '../comparisonSession';
import { evidenceLinks, findingPaths } from '../views/evidence';
import { capitalise, configFieldName, configFieldValue, configValue, displayNames, layerStatus, layerTitle, pairTitle, sizeNote, summaryLine } from '../views/labels';
import { viewFiles } from '../views/rowFiles';

/** Evidence links shown under a finding at most; the rest are counted. */
const MAX_EVIDENCE = 40;
/** Files listed per group at most (the Comparison view lists them all). */
const MAX_FILES = 200;

export interface ReportViewOptions {
  /** Show each finding's rule kind and score (containerCompare.debug.showInternals). */
  debug?: boolean;
  /** Findings left out by containerCompare.findings.ignore. */
  ignoredCount?: number;
  /** The run panel of this pair, when one is open. */
  run?: { phase: 'running' | 'up' | 'done'; report?: RunReport };
}

const SOURCE_WORDS: Record<string, string> = { daemon: 'the Docker engine', 'docker-archive': 'a docker save archive', oci: 'an OCI layout', 'oci-archive': 'an OCI archive', registry: 'a registry', snapshot: 'a snapshot' };

/** Where an evidence target is shown in the report, when it is. */
export function anchorOf(t: EvidenceTarget): string | undefined {
  switch (t.type) {
    case 'finding':
      return `finding:${t.index}`;
    case 'layerRow':
      return `layer:${t.row}`;
    case 'package':
      return `pkg:${t.ecosystem}:${t.name}`;
    case 'config':
      return `config:${t.field}`;
    case 'leftover':
      return `leftover:${t.evidence.side}:${t.evidence.layer}:${t.evidence.path}`;
    case 'change':
      return t.row === undefined ? `file:${t.path}` : undefined;
    default:
      return undefined;
  }
}

export function reportView(c: CurrentComparison, opts: ReportViewOptions = {}): ReportView {
  const r = c.report;
  const names = displayNames(r.a.name, r.b.name);
  const side = (letter: 'A' | 'B'): ReportSideView => {
    const s = letter === 'A' ? r.a : r.b;
    return { letter, ref: s.ref, id: s.id, shortId: shortId(s.id), size: humanSize(s.size), sizeNote: sizeNote(s.source), layers: s.layers, platform: s.platform || 'unknown platform', source: SOURCE_WORDS[s.source] ?? s.source };
  };
  const findings = (r.findings ?? []).map((f, i) => findingView(f, i, c, names, opts.debug));
  const count = findings.length;
  const ignored = opts.ignoredCount ?? 0;
  return {
    key: `${r.a.id}|${r.b.id}`,
    title: pairTitle(r.a.name, r.b.name),
    sides: [side('A'), side('B')],
    summary: summaryLine(r),
    findings,
    findingsNote: [count ? 'The likely causes, most likely first.' : 'Nothing here explains a difference better than the lists below.', ignored ? `${ignored} more ignored by containerCompare.findings.ignore.` : ''].filter(Boolean).join(' '),
    layers: layerViews(r.layers, names),
    fileGroups: groupViews(viewFiles(r.files), names),
    packages: (r.packages?.ecosystems ?? [])
      .filter((e) => e.changed.length + e.added.length + e.removed.length > 0)
      .map((e) => ({
        title: ECOSYSTEMS[e.kind] ?? e.kind,
        rows: [...e.changed, ...e.removed, ...e.added]
          .sort((x, y) => Number(y.securityRelevant) - Number(x.securityRelevant) || Number(y.direction === 'downgrade') - Number(x.direction === 'downgrade') || (x.name < y.name ? -1 : 1))
          .map((p) => ({
            anchor: `pkg:${e.kind}:${p.name}`,
            name: `${p.name}${p.arch ? `:${p.arch}` : ''}`,
            change: p.change === 'added' ? `only in ${names[1]}: ${p.b}` : p.change === 'removed' ? `only in ${names[0]}: ${p.a}` : `${p.a} → ${p.b}${p.direction === 'downgrade' ? ' (downgrade)' : ''}`,
            security: p.securityRelevant,
          })),
      })),
    leftovers: (['a', 'b'] as const).flatMap((s) =>
      (r.leftovers?.[s] ?? []).map((l) => ({
        anchor: `leftover:${s}:${l.layer}:${l.path}`,
        where: `${s === 'a' ? names[0] : names[1]} · layer ${two(l.layer)}${l.deletedInLayer !== undefined ? ` · deleted in ${two(l.deletedInLayer)}, still shipped` : ''}`,
        path: l.path,
        reason: l.reason,
        secret: !!l.secretKinds?.length,
        target: { type: 'leftover', evidence: { side: s, path: l.path, layer: l.layer } } as const,
      })),
    ),
    config: configViews(c),
    ...(opts.run ? { run: runLine(opts.run) } : {}),
    ignoredPaths: r.ignored,
  };
}

function runLine(run: NonNullable<ReportViewOptions['run']>): NonNullable<ReportView['run']> {
  const n = run.report?.findings.length ?? 0;
  if (run.phase === 'running') return { text: 'Run Side by Side is starting both containers…', running: true };
  const found = run.report ? (run.report.differ ? `${n} finding${n === 1 ? '' : 's'} from the run, ranked with the ones below` : 'the two containers behave the same') : 'no report';
  return { text: `Run Side by Side: ${found}${run.phase === 'up' ? '; both containers are still up' : ''}.`, running: run.phase === 'up' };
}

const ECOSYSTEMS: Record<string, string> = { dpkg: 'Debian packages (dpkg)', apk: 'Alpine packages (apk)', rpm: 'RPM packages', python: 'Python packages', node: 'Node packages' };

function findingView(f: Finding, index: number, c: CurrentComparison, names: [string, string], debug?: boolean): ReportFindingView {
  const links = evidenceLinks(f, { report: c.report, ...(c.run ? { run: c.run } : {}), names });
  const doc = codeInfo(f.code);
  const fromRun = /^CC6/.test(f.code);
  const tags = [index === 0 ? 'most likely' : '', f.side ? `about ${f.side === 'a' ? names[0] : names[1]}` : '', fromRun ? 'from the run' : ''].filter(Boolean);
  return {
    anchor: `finding:${index}`,
    code: f.code,
    severity: f.severity,
    tags,
    title: f.title,
    detail: f.detail,
    ...(doc ? { about: { name: doc.name, means: doc.means, ranks: doc.ranks, fix: doc.fix } } : {}),
    evidence: links.slice(0, MAX_EVIDENCE).map(({ label, hint, target }) => ({ label, target, ...(hint ? { hint } : {}) })),
    moreEvidence: Math.max(0, links.length - MAX_EVIDENCE),
    paths: findingPaths(f),
    ...(debug ? { debug: `${f.kind} · score ${f.score}` } : {}),
  };
}

/**
 * The config differences, then the fields findings cite that are the same
 * in both images (the CMD that runs a broken script, the USER that cannot
 * read a file): a finding's evidence always has a row to land on.
 */
function configViews(c: CurrentComparison): ReportConfigView[] {
  const r = c.report;
  const out: ReportConfigView[] = r.config.map((x) => ({ anchor: `config:${x.field}`, name: configFieldName(x.field), a: configValue(x.a, 400), b: configValue(x.b, 400) }));
  const images = c.comparison ? [c.comparison.a.config, c.comparison.b.config] : undefined;
  const cited = [...new Set((r.findings ?? []).flatMap((f) => f.evidence.config ?? []))].filter((f) => !r.config.some((x) => x.field === f));
  for (const field of cited) {
    const [a, b] = images ? images.map((cfg) => configValue(configFieldValue(cfg, field), 400)) : ['', ''];
    out.push({ anchor: `config:${field}`, name: configFieldName(field), a, b, same: true });
  }
  return out;
}

function layerViews(rows: readonly ReportLayer[], names: [string, string]): ReportLayerView[] {
  return rows.map((row) => {
    const files = viewFiles(row.files ?? []).length;
    const side = (s: ReportLayer['a']) => s && { instruction: layerTitle(s.instruction), size: humanSize(s.size) };
    const a = side(row.a);
    const b = side(row.b);
    return {
      anchor: `layer:${row.index}`,
      index: two(row.index),
      status: row.status,
      statusText: layerStatus(row, names[0], names[1]),
      ...(a ? { a } : {}),
      ...(b ? { b } : {}),
      detail: row.status === 'identical' ? 'shared' : files ? `${files} file${files === 1 ? '' : 's'} differ${files === 1 ? 's' : ''}` : row.status === 'sameContent' ? 'no file differs' : 'nothing of its own',
      ...(files ? { open: { type: 'layerRow', row: row.index } as const } : {}),
    };
  });
}

function groupViews(files: readonly ReportFile[], names: [string, string]): ReportGroupView[] {
  return groupFiles(files).map((g) => ({
    title: g.key === 'added' ? `Only in ${names[1]}` : g.key === 'removed' ? `Only in ${names[0]}` : capitalise(g.title),
    count: g.files.length,
    files: g.files.slice(0, MAX_FILES).map((f) => ({
      anchor: `file:${f.path}`,
      path: f.path,
      detail: describeChange(f),
      target: { type: 'change', path: f.path } as const,
    })),
    more: Math.max(0, g.files.length - MAX_FILES),
  }));
}
