/** Small text helpers shared by the views. */
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
