import type { Builder, HistoryStep, ImageConfig } from './model';

const BUILDKIT_COMMENT = 'buildkit.dockerfile.v0';

/** BuildKit marks its steps in the comment (and in created_by with "# buildkit"); the classic builder writes `/bin/sh -c #(nop)`. */
export function builderOf(createdBy: string, comment?: string): Builder {
  if (comment === BUILDKIT_COMMENT || /#\s*buildkit\s*$/.test(createdBy)) return 'buildkit';
  if (/^(\|\d+ .*?)?\/bin\/(ba)?sh -c /.test(createdBy)) return 'classic';
  return 'unknown';
}

/**
 * A readable Dockerfile-like instruction from a history entry's created_by:
 *   classic  `/bin/sh -c #(nop)  ENV A=b`              → `ENV A=b`
 *   classic  `/bin/sh -c #(nop) COPY file:3f2a… in /x` → `COPY file:3f2a… /x`
 *   classic  `|2 A=1 B=2 /bin/sh -c make`              → `RUN make`
 *   BuildKit `RUN /bin/sh -c make # buildkit`          → `RUN make`
 *   BuildKit `COPY docker/index.php /var/www/html/ # buildkit` → as is, minus the mark
 */
export function instructionOf(createdBy: string, comment?: string): string {
  let s = createdBy.replace(/\s+/g, ' ').trim().replace(/\s*#\s*buildkit$/, '');
  if (!s) return comment && /^imported/i.test(comment) ? 'IMPORT (docker import)' : '(no history)';
  const nop = /^\/bin\/(?:ba)?sh -c #\(nop\)\s*(.*)$/.exec(s);
  if (nop) {
    s = nop[1];
    const copy = /^(COPY|ADD) (?:--\S+ )*((?:file|dir|multi):[0-9a-f]+) in (.*)$/.exec(s);
    if (copy) return `${copy[1]} ${copy[2].replace(/^(\w+:[0-9a-f]{12})[0-9a-f]*/, '$1…')} ${copy[3].trim()}`;
    return s;
  }
  // BuildKit writes "RUN |2 A=1 B=2 /bin/sh -c cmd"; classic "|2 A=1 B=2 /bin/sh -c cmd".
  const run = /^(?:RUN )?(?:\|\d+ (?:\S+=\S* )*)?\/bin\/(?:ba)?sh -c (.*)$/.exec(s);
  if (run) return `RUN ${run[1]}`;
  if (/^[A-Z]+(\s|$)/.test(s)) return s;
  return `RUN ${s}`;
}

/**
 * Pairs history with layers: entries marked empty_layer (ENV, CMD, WORKDIR
 * in the classic builder...) produced no layer; the others map to the
 * layers in order. Missing history leaves later layers unexplained rather
 * than shifting them onto the wrong instruction.
 */
export function historySteps(config: ImageConfig, layerCount: number): HistoryStep[] {
  const steps: HistoryStep[] = [];
  let next = 0;
  for (const h of config.history ?? []) {
    const createdBy = h.created_by ?? '';
    const emptyLayer = h.empty_layer === true;
    const step: HistoryStep = {
      createdBy,
      instruction: instructionOf(createdBy, h.comment),
      emptyLayer,
      builder: builderOf(createdBy, h.comment),
    };
    if (h.comment) step.comment = h.comment;
    if (h.created) step.created = h.created;
    if (!emptyLayer && next < layerCount) step.layerIndex = next++;
    steps.push(step);
  }
  return steps;
}

/**
 * How many of an image's first layers belong to its base image (the FROM),
 * from its history alone — a config does not record the base. Two marks:
 * a base image's own last step is usually CMD or ENTRYPOINT (debian's
 * `CMD ["bash"]`), which in a derived image is followed by the derived
 * image's steps; and `docker import`ed bases (or layers without history)
 * come first. The base ends after the last layer before the last such CMD
 * that is followed by another layer; 0 when nothing marks it. A Dockerfile
 * that sets CMD between two RUNs moves the mark: a heuristic, said as one.
 */
export function baseLayerCount(steps: readonly HistoryStep[], layerCount: number): number {
  let base = 0;
  let layersSoFar = 0;
  let leading = true;
  // Whether a layer step comes after step i, for every i in one pass (not a scan per CMD: histories can be long).
  const layerAfter: boolean[] = new Array(steps.length).fill(false);
  for (let i = steps.length - 2; i >= 0; i--) layerAfter[i] = layerAfter[i + 1] || (!steps[i + 1].emptyLayer && steps[i + 1].layerIndex !== undefined);
  for (const [i, s] of steps.entries()) {
    if (!s.emptyLayer && s.layerIndex !== undefined) {
      layersSoFar = s.layerIndex + 1;
      // Imported or history-less layers at the bottom are a base of their own.
      if (leading && (s.createdBy.trim() === '' || /^IMPORT\b/.test(s.instruction))) base = layersSoFar;
      else leading = false;
      continue;
    }
    if (/^(CMD|ENTRYPOINT)\b/.test(s.instruction) && layerAfter[i]) base = Math.max(base, layersSoFar);
  }
  // History that stops short (fewer steps than layers) leaves later layers out of the base.
  return Math.min(base, layerCount);
}
