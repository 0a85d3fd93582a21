import { CompareError } from '../util/errors';
import { formatRegistryName, parseRegistryName, type RegistryName } from './registryName';

/** Where an image comes from, parsed from the reference syntax shared by the CLI and the extension. */
export type ImageRef =
  | { kind: 'daemon'; raw: string; name: string }
  | { kind: 'docker-archive'; raw: string; path: string; name?: string }
  | { kind: 'oci'; raw: string; path: string; name?: string }
  | { kind: 'oci-archive'; raw: string; path: string; name?: string }
  | ({ kind: 'registry'; raw: string; name: string } & RegistryName);

const PREFIXES = ['docker-archive', 'oci-archive', 'oci', 'docker-daemon', 'daemon'] as const;
// Loose on purpose: the daemon is the judge of what it knows; this only keeps obvious garbage out.
const DAEMON_REF = /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/;

/**
 * Parses `name:tag` / image id (daemon), `docker-archive:PATH[:name:tag]`,
 * `oci:DIR[:tag]`, `oci-archive:PATH[:tag]`, `registry://HOST[:PORT]/REPO[:TAG|@DIGEST]`.
 * A bare path (starting with /, ./ or ../, or ending in .tar / .tar.gz) is
 * read as an archive of either layout.
 */
export function parseReference(raw: string): ImageRef {
  return parseImageReference(raw, {});
}

/** parseReference, with `remote`: a plain name (what would go to the daemon) names an image in a registry. */
export function parseImageReference(raw: string, opts: { remote?: boolean }): ImageRef {
  const ref = raw.trim();
  if (!ref) throw new CompareError('badReference', 'Empty image reference');
  if (ref.startsWith('registry://')) return registry(ref, ref.slice('registry://'.length));
  if (/^(https?|ssh):\/\//.test(ref)) {
    throw new CompareError('unsupported', `"${ref}": URLs are not image references; for an image in a registry write registry://HOST[:PORT]/REPO:TAG`);
  }
  for (const prefix of PREFIXES) {
    if (!ref.startsWith(prefix + ':')) continue;
    const rest = ref.slice(prefix.length + 1);
    if (prefix === 'daemon' || prefix === 'docker-daemon') return daemon(ref, rest);
    const { path, name } = splitPath(rest);
    if (!path) throw new CompareError('badReference', `"${ref}": ${prefix}: needs a path`);
    return { kind: prefix, raw: ref, path, ...(name ? { name } : {}) };
  }
  if (/^(\/|\.\.?\/)/.test(ref) || /\.(tar|tar\.gz|tgz)$/.test(ref)) {
    return { kind: 'docker-archive', raw: ref, path: ref };
  }
  return opts.remote ? registry(ref, ref) : daemon(ref, ref);
}

function registry(raw: string, name: string): ImageRef {
  const n = parseRegistryName(name, raw);
  return { kind: 'registry', raw, name: formatRegistryName(n), ...n };
}

function daemon(raw: string, name: string): ImageRef {
  if (!DAEMON_REF.test(name)) {
    throw new CompareError('badReference', `"${raw}" is not an image reference (expected name:tag, an image id, docker-archive:PATH, oci:DIR or oci-archive:PATH)`);
  }
  return { kind: 'daemon', raw, name };
}

/** PATH[:rest], where a Windows drive letter is part of the path. */
function splitPath(rest: string): { path: string; name?: string } {
  const skip = /^[A-Za-z]:[\\/]/.test(rest) ? 2 : 0;
  const i = rest.indexOf(':', skip);
  if (i === -1) return { path: rest };
  return { path: rest.slice(0, i), name: rest.slice(i + 1) || undefined };
}

/** The forms under which a daemon or archive may list `name`: docker.io/library/x:latest, x:latest, x. */
export function nameVariants(name: string): string[] {
  let n = name;
  const hasTag = /:[^/]+$/.test(n) || n.includes('@');
  if (!hasTag) n += ':latest';
  const out = new Set([name, n]);
  const short = n.replace(/^docker\.io\//, '').replace(/^library\//, '');
  out.add(short);
  out.add(short.includes('/') ? `docker.io/${short}` : `docker.io/library/${short}`);
  return [...out];
}
