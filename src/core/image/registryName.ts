import { CompareError } from '../util/errors';

/** An image in a registry, as `registry://HOST[:PORT]/REPO[:TAG][@DIGEST]` or a plain name said to be remote. */
export interface RegistryName {
  /** host[:port] as the user wrote it ("docker.io" for Docker Hub, also when no host was written). */
  registry: string;
  /** The repository path inside the registry ("library/nginx" on Docker Hub). */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

// The grammar of github.com/distribution/reference, slightly looser on hosts (any IPv6 literal in brackets).
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Parses `HOST[:PORT]/REPO[:TAG][@sha256:…]` with Docker's rule for the
 * host: the first path component is a registry host when it contains a dot
 * or a colon, or is `localhost` (or an IPv6 literal); otherwise the name is on
 * Docker Hub (`nginx` is docker.io/library/nginx). No tag means `latest`,
 * unless a digest pins the manifest.
 */
export function parseRegistryName(name: string, raw = name): RegistryName {
  const bad = (why: string) => new CompareError('badReference', `"${raw}" is not a registry image reference: ${why} (expected HOST[:PORT]/REPO[:TAG] or HOST[:PORT]/REPO@sha256:DIGEST)`);
  let rest = name;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a sha256 digest`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = DOCKER_HUB;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    rest = rest.slice(slash + 1);
    if (!HOST.test(registry)) throw bad(`"${registry}" is not a host[:port]`);
    const port = /:(\d+)$/.exec(registry)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw bad(`port ${port} is out of range`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  if (!rest) throw bad('no repository');
  const parts = rest.split('/');
  for (const p of parts) if (!COMPONENT.test(p)) throw bad(`"${p}" is not a valid repository component (lowercase letters, digits, . _ -)`);
  if (rest.length > 255) throw bad('the repository name is longer than 255 characters');
  if ((registry === DOCKER_HUB || registry === 'index.docker.io') && parts.length === 1) rest = `library/${rest}`;
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `host/repo:tag`, `host/repo@sha256:…`, or both (the digest is what is fetched then). */
export function formatRegistryName(n: RegistryName): string {
  return `${n.registry}/${n.repository}${n.tag ? `:${n.tag}` : ''}${n.digest ? `@${n.digest}` : ''}`;
}
