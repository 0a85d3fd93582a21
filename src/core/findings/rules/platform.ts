import type { Rule } from '../context';
import { SCORES } from '../scores';
import { upperFirst } from '../../util/text';
import { CODES } from '../codes';

/** Another OS or CPU: every binary differs, so every other difference follows from this one. */
export const platform: Rule = {
  name: 'platform',
  check(ctx) {
    const c = ctx.input.comparison.config.find((x) => x.field === 'Platform');
    if (!c) return;
    const { names } = ctx;
    ctx.add(CODES.platform, {
      kind: 'config',
      severity: 'error',
      title: `${upperFirst(names.b)} is built for ${c.b ?? 'an unknown platform'}, ${names.a} for ${c.a ?? 'an unknown platform'}`,
      detail: 'Images for another OS or CPU architecture differ in every binary, so the other differences follow from this one; build or pull both for the same --platform.',
      evidence: { config: ['Platform'] },
      score: SCORES.platform,
    });
  },
};
