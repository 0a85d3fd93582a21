import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * The repository root: the nearest folder above this file with a package.json.
 * (__filename, not __dirname: under tsx's ESM loader (scripts/bench-registry.mjs)
 * __dirname is not a path; and bundled into out/test/extension this file is
 * two levels deeper than in test/helpers.)
 */
const ROOT = (() => {
  let d = dirname(__filename);
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
})();

/**
 * Fails loudly (never skips) when the registry tools are missing; as root it
 * installs them with scripts/setup-registry.sh (Debian's docker-registry,
 * apache2-utils, openssl, skopeo).
 */
export function requireRegistryTools(): void {
  try {
    execFileSync('bash', [join(ROOT, 'scripts/setup-registry.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`The registry tests need docker-registry, htpasswd, openssl and skopeo: ${err || (e as Error).message}. Run scripts/setup-registry.sh as root.`);
  }
}

/** A port nobody listens on right now (the registry binds it a moment later). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface RegistryConfig {
  /** The storage folder (several registries may serve one, read-only in practice). */
  storage: string;
  /** Where the config file goes. */
  dir: string;
  port?: number;
  tls?: { cert: string; key: string };
  /** An htpasswd file (bcrypt): basic auth. */
  htpasswd?: string;
  /** Distribution's token auth. */
  token?: { realm: string; service: string; issuer: string; rootcertbundle: string };
}

/** One access-log line of the registry: what a client asked and what it got. */
export interface AccessLine {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

/** A `docker-registry serve` (Distribution 2.8) on loopback, started by a test and stopped after. */
export class RegistryServer {
  private child?: ChildProcess;
  private logText = '';
  readonly host: string;

  private constructor(
    readonly config: RegistryConfig,
    readonly port: number,
    private readonly configFile: string,
  ) {
    this.host = `127.0.0.1:${port}`;
  }

  static async start(config: RegistryConfig): Promise<RegistryServer> {
    const port = config.port ?? (await freePort());
    const file = join(config.dir, `registry-${port}.yml`);
    const lines = [
      'version: 0.1',
      'log:',
      '  level: info',
      '  formatter: text',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${config.storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      ...(config.tls ? ['  tls:', `    certificate: ${config.tls.cert}`, `    key: ${config.tls.key}`] : []),
      ...(config.htpasswd ? ['auth:', '  htpasswd:', '    realm: cc-test', `    path: ${config.htpasswd}`] : []),
      ...(config.token
        ? ['auth:', '  token:', `    realm: ${config.token.realm}`, `    service: ${config.token.service}`, `    issuer: ${config.token.issuer}`, `    rootcertbundle: ${config.token.rootcertbundle}`]
        : []),
    ];
    writeFileSync(file, lines.join('\n') + '\n');
    const server = new RegistryServer(config, port, file);
    await server.launch();
    return server;
  }

  get url(): string {
    return `${this.config.tls ? 'https' : 'http'}://${this.host}`;
  }

  /** Everything the registry logged so far. */
  get log(): string {
    return this.logText;
  }

  /** The access log: one line per request answered (`"GET /v2/… HTTP/1.1" 200 1234`). */
  access(): AccessLine[] {
    const out: AccessLine[] = [];
    for (const m of this.logText.matchAll(/"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+)/g)) {
      out.push({ method: m[1], path: m[2], status: Number(m[3]), bytes: Number(m[4]) });
    }
    return out;
  }

  /** Digests of the blobs served with 200 since `from` (an index into access()). */
  blobsServed(from = 0): string[] {
    return this.access()
      .slice(from)
      .filter((l) => l.method === 'GET' && l.status === 200 && /\/blobs\/sha256:/.test(l.path))
      .map((l) => /(sha256:[a-f0-9]{64})/.exec(l.path)![1]);
  }

  private async launch(): Promise<void> {
    const child = spawn('docker-registry', ['serve', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const onData = (c: Buffer) => (this.logText += c.toString('utf8'));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(`docker-registry exited (${exited}) before answering:\n${this.logText.slice(-2000)}`);
      if (await this.answers()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    this.kill();
    throw new Error(`docker-registry did not answer on ${this.url} within 20 s:\n${this.logText.slice(-2000)}`);
  }

  private answers(): Promise<boolean> {
    return new Promise((res) => {
      const mod = this.config.tls ? https : http;
      const req = mod.get(`${this.url}/v2/`, { rejectUnauthorized: false, timeout: 1000 }, (r) => {
        r.resume();
        res(true);
      });
      req.on('error', () => res(false));
      req.on('timeout', () => req.destroy());
    });
  }

  /** Kills the registry at once (SIGKILL), as a crash would; in-flight responses are cut. */
  kill(): void {
    if (this.child && this.child.exitCode === null && !this.child.killed) this.child.kill('SIGKILL');
  }

  /** Starts the same registry again, same port and storage. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/** `skopeo copy docker-daemon:IMAGE docker://DEST` (layers gzip-compressed on the way, as a docker push does). */
export function pushImage(image: string, dest: string, opts: { creds?: string; format?: 'oci' | 'v2s2' } = {}): void {
  const args = ['copy', '--quiet', '--dest-tls-verify=false'];
  if (opts.creds) args.push('--dest-creds', opts.creds);
  if (opts.format) args.push('--format', opts.format);
  execFileSync('skopeo', [...args, `docker-daemon:${image}`, `docker://${dest}`], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An htpasswd file (bcrypt, `htpasswd -B`), as Distribution requires. */
export function writeHtpasswd(file: string, users: Record<string, string>): void {
  const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
  writeFileSync(file, lines.join('\n') + '\n');
}

/** A CA and a server certificate for 127.0.0.1 / localhost signed by it (openssl). */
export function makeTlsFiles(dir: string): { ca: string; cert: string; key: string } {
  const p = (n: string) => join(dir, n);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=Container Compare test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('san.ext'));
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key') };
}

/** What the test token server was asked. */
export interface TokenRequest {
  method: string;
  service?: string;
  scope?: string;
  account?: string;
  /** The user whose basic credentials were right; undefined for anonymous; null for wrong ones. */
  user?: string | null;
}

/**
 * A token server for Distribution's `auth: token` (the docker token spec):
 * checks basic credentials, and signs an RS256 JWT whose x5c header carries
 * a self-signed certificate that the registry trusts through rootcertbundle.
 * Anonymous requests get a token without access; wrong credentials a 401.
 */
export class TokenServer {
  readonly requests: TokenRequest[] = [];
  private server?: http.Server;
  port = 0;
  readonly issuer = 'cc-test-issuer';
  readonly service = 'cc-test-registry';
  readonly certFile: string;
  private readonly keyPem: string;
  private readonly certDer: string;

  constructor(
    dir: string,
    private readonly users: Record<string, string>,
  ) {
    this.certFile = join(dir, 'token.pem');
    const keyFile = join(dir, 'token.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', this.certFile, '-days', '2', '-subj', '/CN=cc-test-token-signer'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.keyPem = readFileSync(keyFile, 'utf8');
    this.certDer = new X509Certificate(readFileSync(this.certFile)).raw.toString('base64');
  }

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req, Buffer.concat(chunks).toString('utf8'), res));
  }

  /** GET with basic credentials (or none), or POST grant_type=refresh_token with `refresh-USER` as the identity token. */
  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
    const entry: TokenRequest = { method: req.method ?? '', service: q.get('service') ?? undefined, scope: q.get('scope') ?? undefined, account: q.get('account') ?? undefined };
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [u, ...rest] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      entry.user = this.users[u] !== undefined && this.users[u] === rest.join(':') ? u : null;
    }
    if (req.method === 'POST') {
      const refresh = q.get('grant_type') === 'refresh_token' ? /^refresh-(.+)$/.exec(q.get('refresh_token') ?? '')?.[1] : undefined;
      entry.user = refresh && this.users[refresh] !== undefined ? refresh : null;
    }
    this.requests.push(entry);
    if (url.pathname !== '/token' || entry.service !== this.service) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'bad request' }));
      return;
    }
    if (entry.user === null) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const access = entry.user
      ? (entry.scope ?? '')
          .split(' ')
          .filter(Boolean)
          .map((s) => {
            const [type, ...mid] = s.split(':');
            const actions = mid.pop()!.split(',').filter((a) => a === 'pull');
            return { type, name: mid.join(':'), actions };
          })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ typ: 'JWT', alg: 'RS256', x5c: [this.certDer] });
    const claims = b64({ iss: this.issuer, sub: entry.user ?? '', aud: this.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access });
    const sig = sign('sha256', Buffer.from(`${head}.${claims}`), createPrivateKey(this.keyPem)).toString('base64url');
    const token = `${head}.${claims}.${sig}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/** A docker config folder with the given config.json. */
export function writeDockerConfig(dir: string, config: object): string {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** base64 of user:password, as `docker login` stores it in auths. */
export const authOf = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

/** sha256 of bytes, "sha256:…". */
export const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
