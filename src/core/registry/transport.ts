import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type * as http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { lazy } from '../util/lazy';
import { CompareError, messageOf } from '../util/errors';
import { DEFAULT_MIN_RATE, TransferTooSlow, watchRate, type MinRate } from './rate';

/** How to reach registries: which hosts may skip TLS (verification), whose CAs to trust, how hard to retry. */
export interface TransportOptions {
  /**
   * Docker's insecure-registries: `host`, `host:port` or a CIDR (`10.0.0.0/8`,
   * matched against the host's resolved addresses). Such a registry is tried
   * over HTTPS without verifying its certificate, then over plain HTTP.
   */
  insecure?: readonly string[];
  /**
   * Loopback registries (127.0.0.0/8, ::1, and names resolving there) are
   * insecure, as Docker's daemon has them by default. False: verify them like any other.
   */
  insecureLoopback?: boolean;
  /** PEM files of CAs trusted for registries' TLS, on top of Node's roots and NODE_EXTRA_CA_CERTS. */
  caFiles?: readonly string[];
  /**
   * Docker's per-registry certificates: DIR/HOST[:PORT]/*.crt are CAs, *.cert
   * with *.key a client certificate. Default: where Docker reads them
   * (/etc/docker/certs.d; ~/.docker/certs.d on macOS; %ProgramData%\docker\certs.d
   * on Windows); '' reads none.
   */
  certsDir?: string;
  /** For NODE_EXTRA_CA_CERTS. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Attempts at a request answered 429/5xx or failing to connect (default 4). */
  attempts?: number;
  /** First wait between attempts, doubled each time (default 500 ms); a Retry-After wins. */
  retryDelayMs?: number;
  /** Longest Retry-After honoured; a registry asking for more fails now (default 60 s). */
  maxRetryAfterMs?: number;
  /** A connection silent for this long is given up (default 60 s). */
  idleTimeoutMs?: number;
  /**
   * The slowest transfer accepted (rate.ts; default 1 KiB/s over 60 s,
   * bytesPerSecond 0 turns it off): a registry sending less, headers or
   * body, fails the request with TransferTooSlow, which is not retried.
   */
  minRate?: MinRate;
  /** Told about every HTTP exchange (tests, --debug, counting). */
  onRequest?: (e: RequestEvent) => void;
}

export interface RequestEvent {
  method: string;
  url: string;
  status?: number;
  /** Set when no answer came (connection refused, TLS, timeout). */
  error?: string;
  attempt: number;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: string;
  body: http.IncomingMessage;
}

export interface RequestInit {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;
const MAX_REDIRECTS = 5;
/** Where Docker looks for per-registry certificates on this platform. */
export function defaultCertsDir(platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'docker', 'certs.d');
  if (platform === 'darwin') return join(homedir(), '.docker', 'certs.d');
  return '/etc/docker/certs.d';
}

/**
 * HTTP(S) for registry clients: keep-alive agents per host, Docker's rules
 * for insecure registries and per-registry certificates, redirects (blob
 * storage elsewhere never sees the registry's Authorization), and retries
 * with backoff on 429/5xx and failed connections, honouring Retry-After.
 */
export class Transport {
  private readonly schemes = new Map<string, Promise<'https' | 'http'>>();
  private readonly insecureHosts = new Map<string, Promise<boolean>>();
  private readonly agents = new Map<string, http.Agent>();
  private extraCas?: string[];
  private readonly attempts: number;

  constructor(readonly opts: TransportOptions = {}) {
    this.attempts = Math.max(1, opts.attempts ?? 4);
  }

  /** Whether `host` (host[:port]) is an insecure registry: listed, in a listed CIDR, or on loopback. */
  isInsecure(host: string): Promise<boolean> {
    const key = host.toLowerCase();
    let p = this.insecureHosts.get(key);
    if (!p) this.insecureHosts.set(key, (p = this.decideInsecure(key)));
    return p;
  }

  private async decideInsecure(host: string): Promise<boolean> {
    const name = hostname(host);
    const cidrs = new BlockList();
    let anyCidr = false;
    for (const entry of this.opts.insecure ?? []) {
      const e = entry.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/$/, '');
      const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
      if (cidr && isIP(cidr[1])) {
        cidrs.addSubnet(cidr[1], Number(cidr[2]), isIP(cidr[1]) === 6 ? 'ipv6' : 'ipv4');
        anyCidr = true;
      } else if (e === host || e === name) return true;
    }
    if (this.opts.insecureLoopback !== false) {
      cidrs.addSubnet('127.0.0.0', 8, 'ipv4');
      cidrs.addSubnet('::1', 128, 'ipv6');
      anyCidr = true;
    }
    if (!anyCidr) return false;
    // Like Docker: an address literal as it is, a name by what it resolves to (no answer: no match).
    const addresses = isIP(name) ? [{ address: name, family: isIP(name) }] : await lazy.dns().lookup(name, { all: true }).catch(() => []);
    return addresses.some((a) => cidrs.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'));
  }

  /**
   * A request to `path` on registry `host`. The first request to an insecure
   * host finds its scheme: HTTPS (unverified) if it answers, else plain HTTP.
   */
  async registryRequest(host: string, path: string, init: RequestInit = {}): Promise<Response> {
    const known = this.schemes.get(host);
    if (known) return this.request(new URL(`${await known}://${host}${path}`), init);
    if (!(await this.isInsecure(host))) {
      this.schemes.set(host, Promise.resolve('https'));
      return this.request(new URL(`https://${host}${path}`), init);
    }
    try {
      const res = await this.request(new URL(`https://${host}${path}`), init, { retryConnect: false });
      this.schemes.set(host, Promise.resolve('https'));
      return res;
    } catch (e) {
      if (e instanceof CompareError && e.reason === 'cancelled') throw e;
      const viaHttps = (e as { cause?: { code?: string } }).cause?.code ?? 'failed';
      this.schemes.set(host, Promise.resolve('http'));
      try {
        return await this.request(new URL(`http://${host}${path}`), init);
      } catch (e2) {
        if (e2 instanceof CompareError && e2.reason === 'registry') {
          throw new CompareError('registry', `${e2.message}; HTTPS was tried first (${viaHttps}), as for any insecure registry`, { cause: e2 });
        }
        throw e2;
      }
    }
  }

  /** A request to an absolute URL (token realms, redirects), with retries and redirects. */
  async request(url: URL, init: RequestInit = {}, how: { retryConnect?: boolean } = {}): Promise<Response> {
    const method = init.method ?? 'GET';
    let current = url;
    let headers = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.withRetries(current, method, headers, init, how.retryConnect !== false);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || method === 'POST') return res;
      res.body.resume();
      if (hop >= MAX_REDIRECTS) throw new CompareError('registry', `${url.host}: more than ${MAX_REDIRECTS} redirects from ${url.href}`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new CompareError('registry', `${url.host}: redirected to ${next.protocol} URL`);
      if (next.protocol === 'http:' && current.protocol === 'https:' && !(await this.isInsecure(next.host))) {
        throw new CompareError('registry', `${url.host}: redirected from HTTPS to plain HTTP (${next.origin}), which is not an insecure registry`);
      }
      // Blob storage (S3, a CDN) gets a signed URL, never the registry's credentials.
      if (next.origin !== current.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      current = next;
    }
  }

  private async withRetries(url: URL, method: string, headers: Record<string, string>, init: RequestInit, retryConnect: boolean): Promise<Response> {
    const delayBase = this.opts.retryDelayMs ?? 500;
    const maxAfter = this.opts.maxRetryAfterMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.attempts;
      let res: Response;
      try {
        res = await this.once(url, method, headers, init);
      } catch (e) {
        if (init.signal?.aborted || (e as Error)?.name === 'AbortError') throw new CompareError('cancelled', 'Cancelled', { cause: e });
        const code = (e as NodeJS.ErrnoException).code ?? '';
        this.opts.onRequest?.({ method, url: url.href, error: code || messageOf(e), attempt });
        if (!retryConnect || last || !RETRY_CODES.has(code)) throw await this.explainFailure(e, url, attempt);
        await sleep(delayBase * 2 ** (attempt - 1), init.signal);
        continue;
      }
      this.opts.onRequest?.({ method, url: url.href, status: res.status, attempt });
      if (!RETRY_STATUS.has(res.status) || last) return res;
      const after = retryAfter(res.headers['retry-after']);
      res.body.resume();
      if (after !== undefined && after > maxAfter) {
        throw new CompareError('registry', `${url.host} answered ${res.status} and asks to retry after ${Math.round(after / 1000)} s (${method} ${url.href}); try again later`);
      }
      await sleep(after ?? delayBase * 2 ** (attempt - 1), init.signal);
    }
  }

  private once(url: URL, method: string, headers: Record<string, string>, init: RequestInit): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      (async () => {
        const secure = url.protocol === 'https:';
        const agent = await this.agent(url, secure);
        const mod = secure ? lazy.https() : lazy.http();
        const req = mod.request(url, { method, headers: { 'User-Agent': 'container-compare', ...headers }, agent, signal: init.signal }, (body) => {
          resolve({ status: body.statusCode ?? 0, headers: body.headers, url: url.href, body });
        });
        const idle = this.opts.idleTimeoutMs ?? 60_000;
        req.setTimeout(idle, () => req.destroy(Object.assign(new Error(`no data for ${Math.round(idle / 1000)} s`), { code: 'ETIMEDOUT' })));
        // The idle timeout never fires on a registry that sends a byte now and then.
        const rate = this.opts.minRate ?? DEFAULT_MIN_RATE;
        watchRate(req, rate, (received, ms) => new TransferTooSlow(url.host, received, ms, rate, `${method} ${url.href}`));
        req.on('error', reject);
        req.end(init.body);
      })().catch(reject);
    });
  }

  private async explainFailure(e: unknown, url: URL, attempts: number): Promise<CompareError> {
    if (e instanceof CompareError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    // OpenSSL's messages carry file names and line numbers: keep the reason.
    const msg = /wrong version number/i.test(messageOf(e)) ? 'the answer is not TLS' : messageOf(e).split('\n')[0];
    const tries = attempts > 1 ? `, ${attempts} attempts` : '';
    if (CERT_CODES.test(code) || CERT_CODES.test(msg)) {
      const dir = this.opts.certsDir ?? defaultCertsDir(process.platform, this.opts.env);
      return new CompareError(
        'registry',
        `${url.host}: its TLS certificate is not trusted (${code || msg}) at ${url.origin}. Trust the registry's CA (a CA file option, NODE_EXTRA_CA_CERTS${dir ? `, or ${join(dir, url.host, 'ca.crt')}` : ''}), or mark ${url.host} as an insecure registry`,
        { cause: e },
      );
    }
    if (/not TLS|packet length too long|EPROTO/i.test(`${code} ${msg}`) && url.protocol === 'https:') {
      return new CompareError('registry', `${url.host} does not speak TLS at ${url.origin} (${msg}); if it serves plain HTTP, mark it as an insecure registry`, { cause: e });
    }
    return new CompareError('registry', `Cannot reach ${url.host} (${code ? `${code}: ` : ''}${msg}; ${url.origin}${tries})`, { cause: e });
  }

  private async agent(url: URL, secure: boolean): Promise<http.Agent> {
    const verify = !secure || !(await this.isInsecure(url.host));
    const key = `${url.protocol}//${url.host}${verify ? '' : ' unverified'}`;
    let agent = this.agents.get(key);
    if (agent) return agent;
    if (!secure) agent = new (lazy.http().Agent)({ keepAlive: true });
    else {
      const own = this.hostCerts(url.host);
      const extra = [...this.extraCaList(), ...own.ca];
      agent = new (lazy.https().Agent)({
        keepAlive: true,
        rejectUnauthorized: verify,
        // `ca` replaces Node's roots: keep them (and NODE_EXTRA_CA_CERTS) alongside the added ones.
        ...(extra.length ? { ca: [...lazy.tls().rootCertificates, ...this.nodeExtraCas(), ...extra] } : {}),
        ...(own.cert && own.key ? { cert: own.cert, key: own.key } : {}),
      });
    }
    this.agents.set(key, agent);
    return agent;
  }

  private extraCaList(): string[] {
    this.extraCas ??= (this.opts.caFiles ?? []).map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new CompareError('badArgument', `Cannot read the CA file ${f} (${messageOf(e)})`, { cause: e });
      }
    });
    return this.extraCas;
  }

  private nodeExtraCas(): string[] {
    const file = (this.opts.env ?? process.env).NODE_EXTRA_CA_CERTS;
    if (!file) return [];
    try {
      return [readFileSync(file, 'utf8')];
    } catch {
      return []; // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start-up
    }
  }

  /** Docker's certs.d/HOST[:PORT]: *.crt CAs, and a *.cert / *.key client pair. */
  private hostCerts(host: string): { ca: string[]; cert?: string; key?: string } {
    const base = this.opts.certsDir ?? defaultCertsDir(process.platform, this.opts.env);
    const dir = base ? join(base, host) : '';
    if (!dir || !existsSync(dir)) return { ca: [] };
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return { ca: [] };
    }
    const read = (n: string) => readFileSync(join(dir, n), 'utf8');
    const ca = names.filter((n) => n.endsWith('.crt')).map(read);
    const certName = names.find((n) => n.endsWith('.cert') && names.includes(n.replace(/\.cert$/, '.key')));
    return certName ? { ca, cert: read(certName), key: read(certName.replace(/\.cert$/, '.key')) } : { ca };
  }

  /** Closes idle keep-alive connections (so a finished run does not keep the process alive). */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** The host name of host[:port] ([v6] without brackets). */
function hostname(host: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(host);
  if (v6) return v6[1];
  return host.replace(/:\d+$/, '');
}

/** Retry-After: seconds, or an HTTP date. */
function retryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CompareError('cancelled', 'Cancelled'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CompareError('cancelled', 'Cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(res: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (declared > limit) {
    res.body.destroy();
    throw new CompareError('registry', `${what} is ${declared} bytes, more than the ${limit} expected at most`);
  }
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res.body) {
      n += (c as Buffer).length;
      if (n > limit) {
        res.body.destroy();
        throw new CompareError('registry', `${what} is more than ${limit} bytes`);
      }
      parts.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof CompareError) throw e;
    if ((e as Error)?.name === 'AbortError') throw new CompareError('cancelled', 'Cancelled', { cause: e });
    throw new CompareError('registry', `${what}: the connection broke off (${messageOf(e)})`, { cause: e });
  }
  return Buffer.concat(parts);
}
