/** Config differences: the fields that change how a container starts and runs, Env and Labels key by key. */
import type { ImageConfig } from '../image/model';

export interface ConfigChange {
  field: string;
  a: unknown;
  b: unknown;
}

/** Config fields compared, in the order people read them. Env and Labels are compared per key. The history is compared as steps, by the alignment. */
export function diffConfig(a: ImageConfig, b: ImageConfig): ConfigChange[] {
  const out: ConfigChange[] = [];
  const push = (field: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x ?? null) !== JSON.stringify(y ?? null)) out.push({ field, a: x ?? null, b: y ?? null });
  };
  push('Platform', platformOf(a), platformOf(b));
  const ca = a.config ?? {};
  const cb = b.config ?? {};
  push('User', ca.User || null, cb.User || null);
  push('WorkingDir', ca.WorkingDir || null, cb.WorkingDir || null);
  push('Entrypoint', ca.Entrypoint, cb.Entrypoint);
  push('Cmd', ca.Cmd, cb.Cmd);
  keyed('Env', envMap(ca.Env), envMap(cb.Env), push);
  push('ExposedPorts', keysOf(ca.ExposedPorts), keysOf(cb.ExposedPorts));
  push('Volumes', keysOf(ca.Volumes), keysOf(cb.Volumes));
  keyed('Labels', ca.Labels ?? {}, cb.Labels ?? {}, push);
  push('StopSignal', ca.StopSignal || null, cb.StopSignal || null);
  push('Healthcheck', ca.Healthcheck, cb.Healthcheck);
  // The history is not a config field here: its steps are the alignment's rows (align.ts), empty ones included.
  return out;
}

function platformOf(c: ImageConfig): string | null {
  return c.os || c.architecture ? [c.os, c.architecture, c.variant].filter(Boolean).join('/') : null;
}

function keysOf(o: Record<string, unknown> | null | undefined): string[] | null {
  const k = Object.keys(o ?? {}).sort();
  return k.length ? k : null;
}

function envMap(env: string[] | undefined): Record<string, string> {
  const m: Record<string, string> = {};
  for (const kv of env ?? []) {
    const i = kv.indexOf('=');
    if (i === -1) m[kv] = '';
    else m[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return m;
}

function keyed(field: string, a: Record<string, string>, b: Record<string, string>, push: (f: string, x: unknown, y: unknown) => void): void {
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) push(`${field}.${k}`, a[k], b[k]);
}
