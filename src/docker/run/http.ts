import { lazy } from '../../core/util/lazy';
import { CompareError, messageOf } from '../../core/util/errors';
import type { HttpResult } from '../../core/run/runModel';
import { describeState } from '../../core/run/runCompare';
import type { RunningSide } from './runningSide';

// Bounds: a server that never answers, or never stops sending, ends its request, not the run.
const HTTP_TIMEOUT_MS = 10_000;
const HTTP_BODY_CAP = 64 * 1024;
/** Bytes of a response read (and counted) beyond the kept 64 KiB before giving up on knowing its size. */
const HTTP_COUNT_CAP = 16 * 1024 * 1024;
/** Headers compared between the two sides; the rest (dates, lengths, etags) change per request. */
const KEY_HEADERS = [
  'content-type',
  'server',
  'x-powered-by',
  'location',
  'content-encoding',
  'cache-control',
  'www-authenticate',
  'x-frame-options',
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'allow',
];

/** GETs `path` on the port a side published; what stands in the way (no port, a stopped container) is the answer's error. */
export async function requestSide(port: string | undefined, s: RunningSide, path: string, signal: AbortSignal | undefined): Promise<HttpResult> {
  const fail = (url: string, error: string): HttpResult => ({ url, headers: {}, body: '', bodyBytes: 0, truncated: false, error, durationMs: 0 });
  if (!port) return fail('', 'not requested: no port is published (neither image exposes a port; choose one with --port)');
  if (!port.endsWith('/tcp')) return fail('', `not requested: ${port} is not a TCP port`);
  if (!s.published) return fail('', `not requested: the container ${describeState(s.state)}, so ${port} is not published`);
  const ip = s.published.hostIp;
  // A wildcard bind is reachable on loopback; the address itself otherwise.
  const host = ip === '' || ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${s.published.hostPort}${path}`;
  if (s.state.status !== 'running') return fail(url, `not requested: the container ${describeState(s.state)}`);
  return httpGet(url, signal);
}

/** GET with a deadline, a few retries while the port is not answering yet, the body kept up to 64 KiB. */
async function httpGet(url: string, signal: AbortSignal | undefined): Promise<HttpResult> {
  const t0 = Date.now();
  const deadline = AbortSignal.timeout(HTTP_TIMEOUT_MS);
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return { ...(await getOnce(url, both)), durationMs: Date.now() - t0 };
    } catch (e) {
      if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
      last = e;
      const code = (e as NodeJS.ErrnoException).code;
      // docker-proxy accepts and then drops connections until the server in the container listens.
      if (deadline.aborted || !(code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE')) break;
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
  const error = deadline.aborted ? `no answer within ${HTTP_TIMEOUT_MS / 1000} s` : messageOf(last);
  return { url, headers: {}, body: '', bodyBytes: 0, truncated: false, error, durationMs: Date.now() - t0 };
}

function getOnce(url: string, signal: AbortSignal): Promise<Omit<HttpResult, 'durationMs'>> {
  return new Promise((resolve, reject) => {
    const req = lazy.http().get(url, { signal, headers: { 'user-agent': 'container-compare', connection: 'close' } }, (res) => {
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let bytes = 0;
      let settled = false;
      const finish = (truncated: boolean): void => {
        if (settled) return;
        settled = true;
        const headers: Record<string, string> = {};
        for (const k of KEY_HEADERS) {
          const v = res.headers[k];
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const length = Number(res.headers['content-length']);
        resolve({
          url,
          status: res.statusCode,
          headers,
          body: Buffer.concat(kept).toString('utf8'),
          bodyBytes: truncated && Number.isFinite(length) && length > bytes ? length : bytes,
          truncated: truncated || bytes > keptBytes,
        });
      };
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keptBytes < HTTP_BODY_CAP) {
          const part = c.subarray(0, HTTP_BODY_CAP - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        if (bytes >= HTTP_COUNT_CAP) {
          finish(true);
          res.destroy();
        }
      });
      res.on('end', () => finish(false));
      // A body cut short by the server (or our deadline) still tells what it began with.
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    req.on('error', reject);
  });
}
