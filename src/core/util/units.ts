import { CompareError } from './errors';

/**
 * 455300672 → "455 MB": decimal units and three significant digits, as
 * `docker images` prints sizes (go-units HumanSizeWithPrecision), so that a
 * size shown here is the number the engine shows.
 */
export function humanSize(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1000;
  let u = 0;
  // Rounded to three digits, 999.96 kB reads 1000 kB: go one unit up instead.
  while (Number(v.toPrecision(3)) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Number(v.toPrecision(3))} ${units[u]}`;
}

/** "500M", "10G", "1.5 GiB", "0" → bytes; `what` names the setting or flag in the error. */
export function parseSize(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new CompareError('badArgument', `${what} expects a size like 500M or 10G, got "${s}"`);
  return Math.round(Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}

/** "3 minutes ago", "2 days ago": how old an image is, as `docker images` says it. */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown age';
  const s = Math.max(0, Math.round((now - t) / 1000));
  const steps: Array<[number, string]> = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let v = s;
  for (const [size, unit] of steps) {
    if (v < size) {
      const n = Math.floor(v);
      return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
    v /= size;
  }
  return 'long ago';
}
