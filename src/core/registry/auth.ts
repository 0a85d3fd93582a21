import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { helperGet } from './credentialHelper';
import { CompareError, messageOf } from '../util/errors';
import { DOCKER_HUB } from '../image/registryName';

/** Credentials for one registry, and where they came from (named in every auth error). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user): exchanged at the token endpoint. */
  identityToken?: string;
  /** 'auths["host:5000"] in /home/u/.docker/config.json', 'docker-credential-pass (credsStore in …)'. */
  source: string;
}

/** What the docker config says about a registry: credentials, or why there are none. */
export interface CredentialLookup {
  credentials?: RegistryCredentials;
  /** When there are none: what was looked at ("no entry for host:5000 in …/config.json"). */
  none?: string;
}

export interface DockerConfigOptions {
  /** The docker config folder. Default: $DOCKER_CONFIG, else ~/.docker. */
  configDir?: string;
  /** For DOCKER_CONFIG, and the PATH helpers are found on. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string } | null>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The key under which the docker CLI stores Docker Hub's credentials (and hands to helpers). */
const HUB_SERVER = 'https://index.docker.io/v1/';

/** The server address the docker CLI uses for `docker login HOST`: what helpers are asked about. */
export function credentialServer(registry: string): string {
  return registry === DOCKER_HUB ? HUB_SERVER : registry;
}

/**
 * Finds credentials for `registry` the way the docker CLI does:
 * `credHelpers[host]`, else `credsStore`, through `docker-credential-NAME get`;
 * else (or when the helper has nothing) the base64 `auth` of `auths[host]`.
 * A helper that cannot be run is not fatal: the registry may allow anonymous
 * pulls, and if it does not, the 401 message says what went wrong.
 */
export async function findCredentials(registry: string, opts: DockerConfigOptions = {}): Promise<CredentialLookup> {
  const env = opts.env ?? process.env;
  const dir = opts.configDir ?? (env.DOCKER_CONFIG || join(homedir(), '.docker'));
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { none: `no ${file}` };
    throw new CompareError('badArgument', `Cannot read ${file} (${messageOf(e)})`, { cause: e });
  }
  let config: DockerConfigFile;
  try {
    config = (text.trim() === '' ? {} : JSON.parse(text)) as DockerConfigFile;
  } catch (e) {
    throw new CompareError('badArgument', `${file} is not valid JSON (${messageOf(e)})`, { cause: e });
  }
  const server = credentialServer(registry);
  const notes: string[] = [];

  const helperEntry = Object.entries(config.credHelpers ?? {}).find(([k]) => sameRegistry(k, registry));
  const helper = helperEntry?.[1] ?? (config.credsStore || undefined);
  if (helper) {
    const why = helperEntry ? `credHelpers in ${file}` : `credsStore in ${file}`;
    const source = `docker-credential-${helper} (${why})`;
    try {
      const got = await helperGet(helper, server, { env, signal: opts.signal });
      if (got) {
        return {
          credentials: got.username === '<token>' ? { identityToken: got.secret, source } : { username: got.username, password: got.secret, source },
        };
      }
      notes.push(`${source} has nothing for ${server}`);
    } catch (e) {
      if (e instanceof CompareError) throw e;
      notes.push(`${source} failed: ${messageOf(e)}`);
    }
  }

  const entry = Object.entries(config.auths ?? {}).find(([k]) => sameRegistry(k, registry));
  if (entry?.[1]) {
    const [key, value] = entry;
    const source = `auths["${key}"] in ${file}`;
    if (value.identitytoken) return { credentials: { identityToken: value.identitytoken, source } };
    if (value.auth) {
      const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source } };
      notes.push(`${source} has an "auth" that is not base64 of user:password`);
    } else if (value.username && value.password) {
      return { credentials: { username: value.username, password: value.password, source } };
    }
  }
  if (!helper && !entry) notes.push(`no entry for ${server} in ${file}`);
  return { none: notes.join('; ') };
}

/**
 * The registries the docker config has credentials or helpers for (hosts of
 * `auths` and `credHelpers`, Docker Hub as docker.io): what a user has logged
 * in to. A missing or unreadable config lists none.
 */
export async function configuredRegistries(opts: Pick<DockerConfigOptions, 'configDir' | 'env'> = {}): Promise<string[]> {
  const env = opts.env ?? process.env;
  const file = join(opts.configDir ?? (env.DOCKER_CONFIG || join(homedir(), '.docker')), 'config.json');
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile;
  } catch {
    return [];
  }
  const hosts = [...Object.keys(config.auths ?? {}), ...Object.keys(config.credHelpers ?? {})].map((k) => {
    const host = k.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0].toLowerCase();
    return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
  });
  return [...new Set(hosts.filter(Boolean))].sort();
}

/** Keys of auths/credHelpers are written many ways: host, host:port, https://host/v1/. */
function sameRegistry(key: string, registry: string): boolean {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0].toLowerCase();
  const want = registry.toLowerCase();
  if (want === DOCKER_HUB) return host === DOCKER_HUB || host === 'index.docker.io' || host === 'registry-1.docker.io';
  return host === want;
}

/** One challenge of a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  /** Lowercased: 'bearer', 'basic'. */
  scheme: string;
  /** Parameter names lowercased, values unquoted. */
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (RFC 9110 §11.6.1), one or several challenges. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const token = /[A-Za-z0-9!#$%&'*+.^_`|~-]+/y;
  let i = 0;
  const skip = () => {
    while (i < header.length && /[\s,]/.test(header[i])) i++;
  };
  while (true) {
    skip();
    if (i >= header.length) break;
    token.lastIndex = i;
    const m = token.exec(header);
    if (!m) {
      i++; // garbage: step over it
      continue;
    }
    i = token.lastIndex;
    let j = i;
    while (j < header.length && header[j] === ' ') j++;
    if (header[j] === '=' && out.length) {
      // name=value, value a token or a quoted string.
      i = j + 1;
      while (header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i++];
        }
        i++;
      } else {
        while (i < header.length && header[i] !== ',' && !/\s/.test(header[i])) value += header[i++];
      }
      out[out.length - 1].params[m[0].toLowerCase()] = value;
    } else if (header[j] === '=') {
      // token68 without a scheme before it: ignore
      while (i < header.length && header[i] !== ',') i++;
    } else {
      out.push({ scheme: m[0].toLowerCase(), params: {} });
    }
  }
  return out;
}
