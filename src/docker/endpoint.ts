import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Agent } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { lazy } from '../core/util/lazy';
import { CompareError, messageOf } from '../core/util/errors';

/**
 * Where the Docker-compatible engine is and how to talk to it. Rootless Docker
 * and Podman need nothing special: users point DOCKER_HOST (or the host
 * option) at their socket, e.g. unix:///run/user/1000/podman/podman.sock or
 * unix:///run/user/1000/docker.sock, exactly as they do for the docker CLI.
 */
export interface Endpoint {
  /** As a user writes it: unix:///var/run/docker.sock, tcp://host:2376. */
  url: string;
  /** Which setting chose it, for messages ("from DOCKER_HOST"). */
  source: 'option' | 'DOCKER_HOST' | 'context' | 'default';
  /** The docker CLI context, when source is 'context'. */
  contextName?: string;
  /** Whether the connection uses TLS. */
  tls: boolean;
  /**
   * Complete options for dockerode. Build the client with createDockerode()
   * (daemonClient.ts), not `new Dockerode(...)`: docker-modem merges
   * DOCKER_HOST from process.env underneath these and would silently win over
   * a unix socket chosen here.
   */
  dockerodeOptions: DockerodeOptions;
}

/** dockerode passes `agent` through to docker-modem, which its typings omit. */
export type DockerodeOptions = Dockerode.DockerOptions & { agent?: Agent };

export interface ResolveEndpointOptions {
  /** The extension setting or the CLI's --host; wins over everything. */
  host?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to os.homedir(); only used when DOCKER_CONFIG is unset. */
  homeDir?: string;
  /** Defaults to process.platform; decides the default socket. */
  platform?: NodeJS.Platform;
}

const defaultUnixSocket = '/var/run/docker.sock';
const defaultNamedPipe = '//./pipe/docker_engine';

/**
 * Resolves the engine endpoint with the docker CLI's precedence: the host
 * option, then DOCKER_HOST, then DOCKER_CONTEXT or the config's
 * currentContext, then the platform's default socket. Reads only the docker
 * config directory and TLS files; throws CompareError 'badArgument' for
 * values that cannot work and 'unsupported' for transports we do not speak.
 */
export function resolveEndpoint(opts: ResolveEndpointOptions = {}): Endpoint {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const configDir = env.DOCKER_CONFIG || join(opts.homeDir ?? homedir(), '.docker');

  if (opts.host !== undefined && opts.host.trim() !== '') {
    return fromHost(opts.host.trim(), 'the host option', 'option', envTls(env, configDir));
  }
  if (env.DOCKER_HOST) {
    return fromHost(env.DOCKER_HOST.trim(), 'DOCKER_HOST', 'DOCKER_HOST', envTls(env, configDir));
  }

  // The context named "default" is the docker CLI's name for "no context": the default socket.
  const context = currentContext(env, configDir);
  if (context && context.name !== 'default') return fromContext(context.name, context.origin, configDir);

  const url = platform === 'win32' ? `npipe://${defaultNamedPipe}` : `unix://${defaultUnixSocket}`;
  return fromHost(url, 'the default endpoint', 'default', envTls(env, configDir));
}

/** TLS settings as the docker CLI reads them from the environment (only for non-context endpoints). */
interface TlsSettings {
  kind: 'env';
  /** The engine's certificate must be verified. */
  verify: boolean;
  /** Where ca.pem, cert.pem and key.pem live, and who said so (for messages). */
  dir?: { path: string; origin: string; required: boolean };
}

function envTls(env: NodeJS.ProcessEnv, configDir: string): TlsSettings {
  // The docker CLI treats any non-empty DOCKER_TLS_VERIFY as "on", "0" included.
  const verify = !!env.DOCKER_TLS_VERIFY;
  if (env.DOCKER_CERT_PATH) return { kind: 'env', verify, dir: { path: env.DOCKER_CERT_PATH, origin: 'DOCKER_CERT_PATH', required: true } };
  // DOCKER_TLS_VERIFY alone uses the config directory, like the docker CLI.
  if (verify) return { kind: 'env', verify, dir: { path: configDir, origin: 'DOCKER_TLS_VERIFY', required: false } };
  return { kind: 'env', verify };
}

/** A context's TLS: files in the context store, and its SkipTLSVerify flag. */
interface ContextTls {
  kind: 'context';
  context: string;
  skipVerify: boolean;
  dir: string;
}

function fromHost(
  raw: string,
  origin: string,
  source: Endpoint['source'],
  tls: TlsSettings | ContextTls,
  contextName?: string,
): Endpoint {
  const { scheme, rest } = splitScheme(raw, origin);
  switch (scheme) {
    case 'unix': {
      if (rest.includes('://')) throw badHost(raw, origin);
      const path = rest || defaultUnixSocket;
      return { url: `unix://${path}`, source, contextName, tls: false, dockerodeOptions: { socketPath: path } };
    }
    case 'npipe': {
      const path = rest || defaultNamedPipe;
      return { url: `npipe://${path}`, source, contextName, tls: false, dockerodeOptions: { socketPath: path } };
    }
    case 'tcp':
      return fromTcp(raw, rest, origin, source, tls, contextName);
    case 'ssh':
      throw new CompareError(
        'unsupported',
        `${origin} is ${raw}: ssh:// endpoints are not supported. Forward the socket (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and use unix:///tmp/docker.sock.`,
      );
    case 'fd':
      throw new CompareError('unsupported', `${origin} is ${raw}: fd:// endpoints are only meaningful to dockerd itself.`);
    default:
      throw badHost(raw, origin);
  }
}

function splitScheme(raw: string, origin: string): { scheme: string; rest: string } {
  const at = raw.indexOf('://');
  // Like the docker CLI, "host:2375" without a scheme means tcp.
  if (at < 0) return { scheme: 'tcp', rest: raw };
  const scheme = raw.slice(0, at).toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw badHost(raw, origin);
  return { scheme, rest: raw.slice(at + 3) };
}

function badHost(raw: string, origin: string): CompareError {
  return new CompareError(
    'badArgument',
    `${origin} is "${raw}", which is not a Docker endpoint. Use unix:///path/to/docker.sock or tcp://host:port.`,
  );
}

function fromTcp(
  raw: string,
  rest: string,
  origin: string,
  source: Endpoint['source'],
  tls: TlsSettings | ContextTls,
  contextName: string | undefined,
): Endpoint {
  let parsed: URL;
  try {
    // WHATWG URL rejects an empty host with a port; the docker CLI defaults it.
    parsed = new URL(`tcp://${rest === '' || rest.startsWith(':') ? `127.0.0.1${rest}` : rest}`);
  } catch (e) {
    throw new CompareError('badArgument', `${origin} is "${raw}", which is not a valid tcp:// address.`, { cause: e });
  }
  if (parsed.pathname && parsed.pathname !== '/') {
    throw new CompareError('unsupported', `${origin} is "${raw}": a path after the address is not supported.`);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) throw badHost(raw, origin);
  // Defaults as in the docker CLI's ParseTCPAddr.
  const host = parsed.hostname || '127.0.0.1';
  const port = parsed.port || '2375';
  const url = `tcp://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  // Node wants IPv6 literals without brackets.
  const bareHost = host.replace(/^\[(.*)\]$/, '$1');

  const material = tls.kind === 'context' ? contextTlsMaterial(tls.dir, tls.context) : envTlsMaterial(tls);
  // 2376 is the registered docker-over-TLS port; docker-machine and dockerode assume TLS there.
  const useTls = material.any || (tls.kind === 'env' && tls.verify) || port === '2376';
  const options: DockerodeOptions = { host: bareHost, port, protocol: useTls ? 'https' : 'http' };
  if (useTls) {
    if (material.ca) options.ca = material.ca;
    if (material.cert) options.cert = material.cert;
    if (material.key) options.key = material.key;
    // Only the explicit "do not verify" settings turn verification off: the
    // context's SkipTLSVerify, or DOCKER_CERT_PATH without DOCKER_TLS_VERIFY
    // (the CLI's --tls without --tlsverify). Port 2376 alone still verifies
    // against the system CAs. docker-modem does not pass rejectUnauthorized
    // to https.request, but an agent's options win over the request's.
    const skip = tls.kind === 'context' ? tls.skipVerify : !tls.verify && tls.dir !== undefined;
    if (skip) options.agent = new (lazy.https().Agent)({ rejectUnauthorized: false });
  }
  return { url, source, contextName, tls: useTls, dockerodeOptions: options };
}

interface TlsMaterial {
  any: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function envTlsMaterial(tls: TlsSettings): TlsMaterial {
  if (!tls.dir) return { any: false };
  const { path, origin, required } = tls.dir;
  if (required && !isDirectory(path)) {
    throw new CompareError('badArgument', `${origin} is ${path}, which is not a directory.`);
  }
  const m = readTlsDir(path, origin);
  if (tls.verify && !m.ca && (required || m.any)) {
    throw new CompareError('badArgument', `${origin}: ${join(path, 'ca.pem')} is missing, so the engine's certificate cannot be verified.`);
  }
  return m;
}

function contextTlsMaterial(dir: string, context: string): TlsMaterial {
  return isDirectory(dir) ? readTlsDir(dir, `context "${context}"`) : { any: false };
}

function readTlsDir(dir: string, origin: string): TlsMaterial {
  const read = (name: string): Buffer | undefined => {
    const file = join(dir, name);
    if (!existsSync(file)) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new CompareError('badArgument', `${origin}: cannot read ${file} (${messageOf(e)}).`, { cause: e });
    }
  };
  const ca = read('ca.pem');
  const cert = read('cert.pem');
  const key = read('key.pem');
  // A certificate without its key (or the reverse) is a broken setup, not "no client auth".
  if (!!cert !== !!key) {
    throw new CompareError('badArgument', `${origin}: ${join(dir, cert ? 'key.pem' : 'cert.pem')} is missing (the client certificate and key come as a pair).`);
  }
  return { any: !!(ca || cert), ca, cert, key };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The context the docker CLI would use, and which setting named it. */
function currentContext(env: NodeJS.ProcessEnv, configDir: string): { name: string; origin: string } | undefined {
  if (env.DOCKER_CONTEXT) return { name: env.DOCKER_CONTEXT, origin: 'DOCKER_CONTEXT' };
  const configFile = join(configDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CompareError('badArgument', `Cannot read ${configFile} (${messageOf(e)}).`, { cause: e });
  }
  let config: unknown;
  try {
    config = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new CompareError('badArgument', `${configFile} is not valid JSON (${messageOf(e)}).`, { cause: e });
  }
  const name = (config as { currentContext?: unknown } | null)?.currentContext;
  return typeof name === 'string' && name !== '' ? { name, origin: `currentContext in ${configFile}` } : undefined;
}

function fromContext(name: string, origin: string, configDir: string): Endpoint {
  // The context store names directories by the SHA-256 of the context name.
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CompareError('badArgument', `${origin} names the Docker context "${name}", which does not exist (no ${metaFile}).`, { cause: e });
    }
    throw new CompareError('badArgument', `Cannot read the Docker context "${name}" from ${metaFile} (${messageOf(e)}).`, { cause: e });
  }
  const docker = (meta as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } } | null)?.Endpoints?.docker;
  if (!docker || typeof docker.Host !== 'string' || docker.Host === '') {
    throw new CompareError('badArgument', `The Docker context "${name}" has no docker endpoint host (${metaFile}).`);
  }
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  return fromHost(
    docker.Host,
    `The Docker context "${name}" (${metaFile})`,
    'context',
    { kind: 'context', context: name, skipVerify: docker.SkipTLSVerify === true, dir: tlsDir },
    name,
  );
}
