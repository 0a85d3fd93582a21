/** Small text helpers shared by the views. */
import type { ImageConfig, SourceKind } from '../../core/image/model';
import type { DiffReport, ReportLayer } from '../../core/report/report';
import { cut } from '../../core/util/text';
import { inertMarkdown } from '../../core/util/inert';


export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1) || '/';
}

/** Any text on one line, cut to what a tree row can show. */
function oneLine(s: string, max = 120): string {
  return cut(s.replace(/\s+/g, ' ').trim(), max);
}

/**
 * A layer's instruction as a tree row shows it. The classic builder records a
 * COPY as the hash of what it copied ("COPY file:3794…c0 /etc/x.conf"): in a
 * narrow view the destination says more, so the hash goes (the tooltip keeps
 * the whole created_by).
 */
export function layerTitle(instruction: string): string {
  return oneLine(instruction.replace(/^(COPY|ADD) ((?:--\S+ )*)(?:file|dir|multi):[0-9a-f]+…? /, '$1 $2→ '));
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Text from images (names, comments) inside Markdown tooltips: inert, no markup of its own. */
export function escapeMd(s: string): string {
  return inertMarkdown(s, true);
}

/**
 * A config difference named by what it is, not by the field of the image
 * config ("Environment variable PATH", not "Env.PATH"). Reports written by
 * older versions still carry the history as `History[i]`: a Dockerfile step.
 */
export function configFieldName(field: string): string {
  const dot = field.indexOf('.');
  if (dot > 0) {
    const head = field.slice(0, dot);
    const key = field.slice(dot + 1);
    if (head === 'Env') return `Environment variable ${key}`;
    if (head === 'Labels') return `Label ${key}`;
  }
  const step = /^History\[(\d+)\]$/.exec(field);
  if (step) return `Dockerfile step ${Number(step[1]) + 1}`;
  return CONFIG_NAMES[field] ?? field;
}

const CONFIG_NAMES: Record<string, string> = {
  Platform: 'Platform (OS and architecture)',
  User: 'User (USER)',
  WorkingDir: 'Working directory (WORKDIR)',
  Entrypoint: 'Entrypoint (ENTRYPOINT)',
  Cmd: 'Default command (CMD)',
  ExposedPorts: 'Exposed ports (EXPOSE)',
  Volumes: 'Volumes (VOLUME)',
  StopSignal: 'Stop signal (STOPSIGNAL)',
  Healthcheck: 'Health check (HEALTHCHECK)',
};

/** A config value as one line: strings as they are, lists joined, nothing as "(none)". */
export function configValue(v: unknown, max = 60): string {
  if (v === null || v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(' ') : JSON.stringify(v);
  return cut(s, max);
}

/** The two images' short names for titles: the tags alone when both are tags of one repository. */
export function displayNames(a: string, b: string): [string, string] {
  const split = (n: string) => {
    const i = n.lastIndexOf(':');
    return i > n.lastIndexOf('/') ? [n.slice(0, i), n.slice(i + 1)] : [n, ''];
  };
  const [ra, ta] = split(a);
  const [rb, tb] = split(b);
  return ra === rb && ta && tb && ta !== tb ? [ta, tb] : a === b ? [`A: ${a}`, `B: ${b}`] : [a, b];
}

/**
 * What names a comparison in a narrow place (a view's description, a tab):
 * the repository once and both tags ("php-fcgid: laptop ↔ ci"), so two
 * comparisons of different repositories never look the same.
 */
export function pairTitle(a: string, b: string): string {
  const [na, nb] = displayNames(a, b);
  if (na === a || na.startsWith('A: ')) return `${lastPart(a)} ↔ ${lastPart(b)}`;
  const repo = a.slice(0, a.length - na.length - 1);
  return `${lastPart(repo)}: ${na} ↔ ${nb}`;
}

/** "registry:5000/team/app:1" → "app:1": the last path segment, what a tab has room for. */
function lastPart(ref: string): string {
  const clean = ref.replace(/^(registry|docker-archive|oci-archive|oci):\/{0,2}/, '');
  const slash = clean.lastIndexOf('/');
  return slash >= 0 ? clean.slice(slash + 1) : clean;
}

/** A layer row's status in words, with the images' names ("only in laptop; ci ran the same step and it wrote nothing"). */
export function layerStatus(row: Pick<ReportLayer, 'status' | 'emptyStep'>, nameA: string, nameB: string): string {
  switch (row.status) {
    case 'identical':
      return 'identical';
    case 'sameContent':
      return 'same content, other timestamps';
    case 'different':
      return 'different';
    case 'onlyA':
    case 'onlyB': {
      const [here, there] = row.status === 'onlyA' ? [nameA, nameB] : [nameB, nameA];
      return row.emptyStep ? `only in ${here}: the same step wrote nothing in ${there}` : `only in ${here}`;
    }
  }
}

/** Where an image's size comes from, for tooltips: one definition, said once. */
export function sizeNote(source: SourceKind): string {
  if (source === 'daemon') return 'the size the engine reports (as docker images shows it)';
  if (source === 'snapshot') return 'the size recorded in the snapshot';
  return 'the sum of its uncompressed layers (an archive or a registry says no more; an engine that loads it may report a little less)';
}

/** "4 of 7 layers differ · 42 files differ (11 modified, 31 removed) · 3 config differences". */
export function summaryLine(r: DiffReport): string {
  const s = r.summary;
  const rows = r.layers.length;
  const differ = s.layers.different + s.layers.onlyA + s.layers.onlyB;
  const files = s.files.modified + s.files.added + s.files.removed;
  const stamps = s.layers.sameContent;
  if (!differ && !files && !s.config) return stamps ? `The images have the same content; ${stamps} layer${stamps === 1 ? ' differs' : 's differ'} only in timestamps.` : 'The images are identical.';
  const parts = [`${differ} of ${rows} layers differ${stamps ? ` (${stamps} more only in timestamps)` : ''}`];
  const detail = [s.files.modified && `${s.files.modified} modified`, s.files.added && `${s.files.added} added`, s.files.removed && `${s.files.removed} removed`].filter(Boolean);
  parts.push(`${files} file${files === 1 ? '' : 's'} differ${files === 1 ? 's' : ''}${detail.length ? ` (${detail.join(', ')})` : ''}`);
  if (s.config) parts.push(`${s.config} config difference${s.config === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** A config field's value in one image, named as a config difference names it (`Env.PATH`, `Cmd`, `ExposedPorts`). */
export function configFieldValue(config: ImageConfig, field: string): unknown {
  const c = config.config ?? {};
  if (field === 'Platform') return [config.os, config.architecture, config.variant].filter(Boolean).join('/') || null;
  if (field.startsWith('Env.')) {
    const key = field.slice(4);
    const kv = (c.Env ?? []).find((e) => e === key || e.startsWith(`${key}=`));
    return kv === undefined ? null : kv.slice(key.length + 1);
  }
  if (field.startsWith('Labels.')) return c.Labels?.[field.slice(7)] ?? null;
  const v = c[field];
  if (field === 'ExposedPorts' || field === 'Volumes') return v && typeof v === 'object' ? Object.keys(v).sort() : null;
  return v ?? null;
}
