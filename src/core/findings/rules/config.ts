import { cut, list, plural, upperFirst } from '../../util/text';
import type { Rule } from '../context';
import { code } from '../phrasing';
import { SCORES } from '../scores';
import { CODES } from '../codes';

/** How the container starts and what it starts with: the start command, the user, WORKDIR, ports, volumes, env, labels. */
export const config: Rule = {
  name: 'config fields',
  check(ctx) {
    const { names } = ctx;
    const show = (v: unknown) => (v === null || v === undefined ? '(none)' : cut(typeof v === 'string' ? v : JSON.stringify(v), 80));
    const fields = ctx.input.comparison.config.filter((c) => c.field !== 'Platform' && !c.field.startsWith('History['));
    const start = fields.filter((c) => c.field === 'Entrypoint' || c.field === 'Cmd');
    if (start.length) {
      ctx.add(CODES.startCommand, {
        kind: 'config',
        severity: 'warning',
        title: `The start command differs: ${start.map((c) => `${c.field === 'Cmd' ? 'CMD' : 'ENTRYPOINT'} ${code(show(c.a), 60)} → ${code(show(c.b), 60)}`).join(', ')}`,
        detail: `${upperFirst(names.b)} starts another program or passes other arguments, so it behaves differently even with the same files.`,
        evidence: { config: start.map((c) => c.field) },
        score: SCORES.configStart,
      });
    }
    const user = fields.find((c) => c.field === 'User');
    if (user) {
      ctx.add(CODES.user, {
        kind: 'config',
        severity: 'warning',
        title: `${upperFirst(names.b)} runs as ${show(user.b ?? 'root')} (${names.a}: ${show(user.a ?? 'root')})`,
        detail: 'Another user changes what the process may read and write (files owned by root, ports below 1024) and what an attacker gets if it is compromised.',
        evidence: { config: ['User'] },
        score: SCORES.configStart,
      });
    }
    const WHY: Record<string, string> = {
      WorkingDir: 'relative paths in the start command and the application resolve elsewhere',
      ExposedPorts: 'what the image says it listens on changed (run -P, orchestrators and health checks use it)',
      Volumes: 'data written there lives outside the container, and files the image puts there are hidden by the volume',
      StopSignal: 'the container is asked to stop another way',
      Healthcheck: 'the engine judges the container healthy by another test',
    };
    for (const c of fields) {
      if (!WHY[c.field]) continue;
      ctx.add(CODES.configField, {
        kind: 'config',
        severity: 'info',
        title: `${c.field}: ${show(c.a)} in ${names.a}, ${show(c.b)} in ${names.b}`,
        detail: `${upperFirst(WHY[c.field])}.`,
        evidence: { config: [c.field] },
        score: SCORES.config,
      });
    }
    const env = fields.filter((c) => c.field.startsWith('Env.'));
    if (env.length) {
      const key = (c: { field: string }) => c.field.slice(4);
      const added = env.filter((c) => c.a === null).map(key);
      const removed = env.filter((c) => c.b === null).map(key);
      const changed = env.filter((c) => c.a !== null && c.b !== null).map(key);
      const parts = [changed.length && `changed ${list(changed)}`, added.length && `only in ${names.b}: ${list(added)}`, removed.length && `only in ${names.a}: ${list(removed)}`].filter(Boolean);
      ctx.add(CODES.env, {
        kind: 'config',
        severity: 'info',
        // Names only: environment values may be credentials (the JSON's config section has them for those who need them).
        title: `${plural(env.length, 'environment variable')} ${env.length === 1 ? 'differs' : 'differ'}: ${parts.join('; ')}`,
        detail: 'The program starts with other settings (modes, hosts, feature flags), which can change its behaviour with the same files.',
        evidence: { config: env.map((c) => c.field) },
        score: SCORES.config,
      });
    }
    const labels = fields.filter((c) => c.field.startsWith('Labels.'));
    if (labels.length) {
      ctx.add(CODES.labels, {
        kind: 'config',
        severity: 'info',
        title: `${plural(labels.length, 'label')} ${labels.length === 1 ? 'differs' : 'differ'}: ${list(labels.map((c) => c.field.slice(7)))}`,
        detail: 'Metadata only (versions, build info, ownership): it does not change what runs.',
        evidence: { config: labels.map((c) => c.field) },
        score: SCORES.labels,
      });
    }

  },
};
