import { baseLayerCount } from '../../image/history';
import type { Side } from '../../run/runModel';
import { upperFirst } from '../../util/text';
import type { Rule } from '../context';
import { SCORES } from '../scores';
import { CODES } from '../codes';

/** BuildKit on one side, the classic builder on the other: can explain small differences. */
export const builder: Rule = {
  name: 'builders',
  check(ctx) {
    const { names } = ctx;
    const used = (s: Side): string[] => {
      const steps = ctx.images[s].history;
      const own = baseLayerCount(steps, ctx.images[s].layers.length);
      return [...new Set(steps.filter((h) => h.layerIndex === undefined || h.layerIndex >= own).map((h) => h.builder).filter((b) => b !== 'unknown'))].sort();
    };
    const ua = used('a');
    const ub = used('b');
    if (!ua.length || !ub.length || ua.join() === ub.join()) return;
    const label = (bs: string[]) => bs.map((b) => (b === 'buildkit' ? 'BuildKit' : 'the classic builder')).join(' and ');
    ctx.add(CODES.builder, {
      kind: 'builder',
      severity: 'info',
      title: `${upperFirst(names.a)} was built with ${label(ua)}, ${names.b} with ${label(ub)}`,
      detail: 'The two builders can turn the same Dockerfile into different layers (how COPY sets modes and owners, how RUN is invoked, which cached layers are reused), and they record history differently.',
      evidence: { layerRows: ctx.rows.filter((l) => !l.base && l.status !== 'identical').map((l) => l.index) },
      score: SCORES.builder,
    });

  },
};
