import { MergedLookup, type LayerView } from '../layers/mergedDiff';
import type { FileEntry, ImageModel, SecretKind } from '../image/model';
import { credentialFileOf } from '../layers/secrets';
import { byPath } from '../util/text';

export type LeftoverKind =
  | 'shellHistory'
  | 'vcs' // a .git / .svn / .hg folder
  | 'envFile'
  | 'packageManagerConfig' // .npmrc, .yarnrc(.yml), .pypirc
  | 'netrc'
  | 'gitCredentials'
  | 'dockerConfig'
  | 'cloudCredentials' // ~/.aws/credentials, gcloud credentials, ~/.azure/, ~/.kube/config
  | 'privateKey'
  | 'ssh' // other ~/.ssh/ contents: authorized_keys, known_hosts, config
  | 'secret'; // any other file whose content holds a secret

/**
 * A file that should not ship in an image, found in one layer's tar. Never
 * carries the secret itself: only what kind of file it is and which kinds
 * of secret its content holds.
 */
export interface Leftover {
  /** The file, or for a folder-shaped leftover (.git, .azure) the folder. */
  path: string;
  /** The layer whose tar holds it. */
  layer: number;
  kind: LeftoverKind;
  /** One sentence: why it should not ship. */
  reason: string;
  /**
   * A later layer deletes it (whiteout, opaque folder): it is not in the
   * running container, but its bytes still ship in `layer` and come back
   * with `docker save` or a registry pull.
   */
  deletedInLayer?: number;
  /** A later layer writes the same path again: this layer's version still ships. */
  replacedInLayer?: number;
  /** Kinds of secret found in the content (never the values). */
  secretKinds?: SecretKind[];
  /** Under node_modules, site-packages, a system or a test folder: more likely a library's fixture than a leak. */
  thirdParty?: boolean;
}

const REASONS: Record<LeftoverKind, string> = {
  shellHistory: 'A shell history records the commands run while building or debugging, often with passwords and tokens typed on the command line.',
  vcs: 'A version-control folder ships the repository’s whole history, including files deleted from the working tree and any secret ever committed.',
  envFile: 'An environment file holds configuration meant to be injected at run time, typically database passwords and API keys.',
  packageManagerConfig: 'A package manager’s config file is where registry credentials are kept (npm login, yarn and twine write them there).',
  netrc: 'A .netrc file holds login names and passwords for remote hosts.',
  gitCredentials: 'Git’s credential store keeps passwords and tokens in plain text.',
  dockerConfig: 'A Docker client config holds registry logins (base64 user:password or identity tokens).',
  cloudCredentials: 'Cloud and cluster credentials give whoever pulls the image access to the account or cluster.',
  privateKey: 'A private key in an image can be read by anyone who can pull the image.',
  ssh: 'SSH client files belong to a person’s machine, not an image: they grant logins or reveal the hosts the build reached.',
  secret: 'The file’s content holds a credential, readable by anyone who can pull the image.',
};

const HISTORIES = new Set(['.bash_history', '.zsh_history', '.ash_history', '.sh_history', '.history', '.python_history', '.node_repl_history', '.mysql_history', '.psql_history', '.sqlite_history', '.rediscli_history', '.lesshst', '.viminfo']);
const VCS_DIRS = new Set(['.git', '.svn', '.hg']);
/** Templates of .env files, committed on purpose: reported only when they hold a secret. */
const ENV_TEMPLATES = /^\.env\.(example|sample|template|dist|defaults|tmpl|tpl)$/;
const THIRD_PARTY = /\/node_modules\/|\/(site|dist)-packages\/|^\/usr\/(share|lib|lib64|include|src)\/|\/(tests?|testdata|test-data|fixtures|__fixtures__|examples?)\//;
/** Inside these, a file is reported only for its content or as a private key: packages ship dotfiles by accident, harmlessly. */
const PACKAGE_TREE = /\/node_modules\/|\/(site|dist)-packages\//;

interface Match {
  kind: LeftoverKind;
  /** For folder-shaped leftovers, the folder. */
  root?: string;
}

/** Names classify() knows that hold no "/." (no dotfile or dot-folder on the way). */
const PLAIN_NAMES = /^(?:id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|npmrc|_netrc)$|\.(?:p12|pfx|key)$/;
const PLAIN_ENDINGS = new Set([...'a9kc2xy'].map((c) => c.charCodeAt(0)));

/**
 * A cheap first look, for the hundred thousand files of a large image: every
 * rule of classify() needs a secret found in the content, a dotfile or
 * dot-folder in the path, or one of a few plain names.
 */
function maybeLeftover(e: FileEntry): boolean {
  if ((e.secrets?.length ?? 0) > 0 || e.path.includes('/.')) return true;
  // PLAIN_NAMES all end in one of these characters: most paths are out after one comparison.
  const last = e.path.charCodeAt(e.path.length - 1);
  return PLAIN_ENDINGS.has(last) && PLAIN_NAMES.test(e.path.slice(e.path.lastIndexOf('/') + 1));
}

/** What a file of a layer is, as a leftover, from its path and content facts. */
function classify(e: FileEntry): Match | undefined {
  const path = e.path;
  const parts = path.split('/');
  const vcs = parts.findIndex((p) => VCS_DIRS.has(p));
  if (vcs > 0) return { kind: 'vcs', root: parts.slice(0, vcs + 1).join('/') };
  const azure = parts.indexOf('.azure');
  if (azure > 0) return { kind: 'cloudCredentials', root: parts.slice(0, azure + 1).join('/') };
  if (e.type !== 'file' && e.type !== 'hardlink') return undefined;

  const base = parts[parts.length - 1];
  const parent = parts[parts.length - 2] ?? '';
  const secrets = e.secrets ?? [];
  if (HISTORIES.has(base)) return { kind: 'shellHistory' };
  if (base === '.env' || (base.startsWith('.env.') && (!ENV_TEMPLATES.test(base) || secrets.length))) return { kind: 'envFile' };
  const cred = credentialFileOf(path);
  if (cred === 'npmrc' || cred === 'pypirc') return { kind: 'packageManagerConfig' };
  if (cred === 'netrc') return { kind: 'netrc' };
  if (cred === 'gitCredentials') return { kind: 'gitCredentials' };
  if (cred === 'dockerConfig') return { kind: 'dockerConfig' };
  if (cred === 'awsCredentials') return { kind: 'cloudCredentials' };
  if (parent === '.kube' && base === 'config') return { kind: 'cloudCredentials' };
  if (path.includes('/.config/gcloud/') && /credentials|access_tokens|adc\.json/.test(base)) return { kind: 'cloudCredentials' };
  if (/^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base) || /\.(p12|pfx)$/.test(base)) return { kind: 'privateKey' };
  // A .pem or .key may be a certificate or a public key: by content (a binary .key is a DER key).
  if (secrets.includes('privateKey') || (/\.key$/.test(base) && e.text === false)) return { kind: 'privateKey' };
  if (parts.includes('.ssh') && !base.endsWith('.pub')) return { kind: 'ssh' };
  if (secrets.length) return { kind: 'secret' };
  return undefined;
}

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let i = p.indexOf('/', 1); i !== -1; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i));
  return out;
}

/** What the layers above `layer` do to `path`: the first one that deletes it or writes it again. */
function fateAbove(views: readonly LayerView[], path: string, layer: number, isDir: boolean): { deletedInLayer?: number; replacedInLayer?: number } {
  const up = ancestors(path);
  for (let l = layer + 1; l < views.length; l++) {
    const v = views[l];
    if (v.whiteouts.has(path) || (isDir && v.opaques.has(path))) return { deletedInLayer: l };
    for (const a of up) {
      const ae = v.files.get(a);
      if (v.whiteouts.has(a) || v.opaques.has(a) || (ae && ae.type !== 'dir')) return { deletedInLayer: l };
    }
    const again = v.files.get(path);
    if (again && !(isDir && again.type === 'dir')) return again.type === 'dir' && !isDir ? { deletedInLayer: l } : { replacedInLayer: l };
  }
  return {};
}

/** What one layer's own entries hold that should not ship, before looking at the layers above it. */
/** Files that should not ship, in each image: the report's `leftovers` (never the secret values, only where they are). */
export interface LeftoverComparison {
  a: Leftover[];
  b: Leftover[];
}

export interface LayerFind {
  path: string;
  kind: LeftoverKind;
  /** A folder-shaped leftover (.git): its fate above is a folder's. */
  folder: boolean;
  secretKinds?: SecretKind[];
}

/** The leftovers a layer's entries hold: by name and by the secret kinds the indexer found. */
function layerFinds(entries: readonly FileEntry[]): LayerFind[] {
  const out: LayerFind[] = [];
  const roots = new Map<string, LayerFind>();
  for (const e of entries) {
    if (e.type === 'whiteout' || e.type === 'opaque') continue;
    if (!maybeLeftover(e)) continue;
    const m = classify(e);
    if (!m) continue;
    const secrets = e.secrets?.length ? e.secrets : undefined;
    if (PACKAGE_TREE.test(e.path) && !secrets && m.kind !== 'privateKey') continue;
    const known = m.root ? roots.get(m.root) : undefined;
    if (known) {
      // A folder's secrets are those of any file in it (a token in .git/config).
      if (secrets) known.secretKinds = [...new Set([...(known.secretKinds ?? []), ...secrets])].sort();
      continue;
    }
    const found: LayerFind = { path: m.root ?? e.path, kind: m.kind, folder: m.root !== undefined };
    if (secrets) found.secretKinds = [...secrets];
    if (m.root) roots.set(m.root, found);
    out.push(found);
  }
  return out;
}

/**
 * Files that should not ship, found in every layer of the image from the
 * indexes alone: by name (shell histories, .git, .env, credential files,
 * private keys, ~/.ssh) and by the secret kinds the indexer found in the
 * content. A file a later layer deletes is still reported, in the layer
 * that holds its bytes, with `deletedInLayer`. Folder-shaped leftovers
 * (.git) are reported once per layer that writes into them. Sorted by
 * layer, then path. `perLayer` (by diffID) lets two images that share
 * layers look at each shared layer once; `sharedViews`, the layer views a
 * comparison of the same models built already.
 */
export function findLeftovers(image: ImageModel, perLayer?: Map<string, LayerFind[]>, sharedViews?: Map<string, LayerView>): Leftover[] {
  // Built only when something is found: most images have no leftover, and the views cost a pass over every layer.
  let views: readonly LayerView[] | undefined;
  const out: Leftover[] = [];
  image.indexes.forEach((entries, layer) => {
    const key = image.layers[layer]?.diffId;
    let finds = key !== undefined ? perLayer?.get(key) : undefined;
    if (!finds) {
      finds = layerFinds(entries);
      if (key !== undefined) perLayer?.set(key, finds);
    }
    for (const f of finds) {
      views ??= new MergedLookup(image.indexes, sharedViews && image.layers.map((l) => l.diffId), sharedViews).layerViews;
      const found: Leftover = { path: f.path, layer, kind: f.kind, reason: REASONS[f.kind], ...fateAbove(views, f.path, layer, f.folder) };
      if (f.secretKinds) found.secretKinds = [...f.secretKinds];
      if (THIRD_PARTY.test(f.path)) found.thirdParty = true;
      out.push(found);
    }
  });
  return out.sort((x, y) => x.layer - y.layer || byPath(x, y));
}

/** A leftover that holds a credential (found in its content), or is a private key by name. */
export function isSecret(l: Leftover): boolean {
  return (l.secretKinds?.length ?? 0) > 0 || l.kind === 'privateKey';
}

const leftoverKey = (l: Leftover) => `${l.kind}\0${l.path}`;

/**
 * Leftovers of B that A does not have (by kind and path, whatever the
 * layer): what a new build brought in. With `secretsOnly`, B's secrets that
 * A does not hold at that path (a file that gained a token counts). Library
 * fixtures (thirdParty) are not counted.
 */
export function newLeftovers(a: readonly Leftover[], b: readonly Leftover[], opts: { secretsOnly?: boolean } = {}): Leftover[] {
  const seen = new Set(a.filter((l) => !opts.secretsOnly || isSecret(l)).map(leftoverKey));
  return b.filter((l) => !l.thirdParty && (!opts.secretsOnly || isSecret(l)) && !seen.has(leftoverKey(l)));
}
