import { posix } from 'node:path';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';
import type { ImageFile } from '../layers/files';
import { MergedLookup } from '../layers/mergedDiff';
import { RPM_DB_PATHS } from '../layers/cache';
import type { FileEntry, ImageModel } from '../image/model';
import {
  normalizePythonName,
  parseApkInstalled,
  parseDpkgStatus,
  parsePackageJson,
  parsePythonMetadata,
  rpmPackage,
  type InstalledPackage,
} from './formats';
import { readRpmDb } from './rpmdb';
import { compareVersions } from './versions';
import { byPath } from '../util/text';
import { ECOSYSTEMS, type Ecosystem } from './ecosystem';

export type { InstalledPackage } from './formats';

export { ECOSYSTEMS, type Ecosystem };

/** The packages one database (or, for python and node, one install tree) says are installed. */
export interface PackageSource {
  kind: Ecosystem;
  /**
   * What was read: the database file (/var/lib/dpkg/status, /lib/apk/db/installed,
   * .../rpmdb.sqlite), the folder of per-package files (/var/lib/dpkg/status.d),
   * or the tree the metadata files are in (a site-packages folder, a top node_modules).
   */
  source: string;
  /** The layer that last wrote it (for a tree: the newest layer among its files). */
  layer: number;
  /** Sorted by name, then arch, then version. */
  packages: InstalledPackage[];
}

/** A package database that could not be read: the set is incomplete for its ecosystem. */
export interface PackageProblem {
  kind: Ecosystem;
  path: string;
  message: string;
}

export interface PackageSet {
  /** Sorted by ecosystem (dpkg, apk, rpm, python, node), then source. */
  ecosystems: PackageSource[];
  problems: PackageProblem[];
}

/**
 * Reads a file of the image's merged filesystem, already located (path,
 * entry, layer): undefined (or a throw) when its bytes cannot be had.
 * `readFileBytes` in files.ts is the implementation over the cache.
 */
export type ReadImageFile = (file: ImageFile) => Promise<Buffer | undefined>;

export interface ReadPackagesOptions {
  signal?: AbortSignal;
  /** Ecosystems to read (default: all). */
  kinds?: readonly Ecosystem[];
  /**
   * Files larger than this are not read (reported as a problem). Default per
   * ecosystem: 512 MB for rpm databases, 256 MB for dpkg status and apk's db,
   * 16 MB for one package's metadata (python, node, a dpkg status.d file).
   */
  maxFileBytes?: number;
  /** Where sql.js' wasm is, when a bundle moved it (see rpmdb.ts). */
  sqlWasmPath?: string;
}

// ---------------------------------------------------------------- where package databases live

const DPKG_STATUS = '/var/lib/dpkg/status';
const DPKG_STATUS_D = '/var/lib/dpkg/status.d';
const APK_DBS = new Set(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);
/** The byte store keeps these binaries for this reader (layers/cache.ts). */
const RPM_DBS = RPM_DB_PATHS;
const OTHER_RPM_DBS = ['/var/lib/rpm/Packages', '/usr/lib/sysimage/rpm/Packages', '/usr/lib/sysimage/rpm/Packages.db', '/var/lib/rpm/Packages.db'];

/** The site folder a python metadata file belongs to, or undefined when `path` is not one. */
function pythonSite(path: string): string | undefined {
  // Called for every file of every layer: plain suffix tests first.
  if (path.endsWith('.dist-info/METADATA') || path.endsWith('.egg-info/PKG-INFO')) return posix.dirname(posix.dirname(path));
  // distutils installs write the egg-info as a single file.
  if (path.endsWith('.egg-info')) return posix.dirname(path);
  return undefined;
}

/**
 * The top node_modules folder a package.json belongs to, when it is the
 * manifest of an installed package: node_modules/NAME/package.json or
 * node_modules/@SCOPE/NAME/package.json, nested only through
 * node_modules/PKG/node_modules/... (and pnpm's node_modules/.pnpm/X/node_modules/).
 * package.json files elsewhere inside a package (test fixtures, examples,
 * "type": "module" markers in lib/) are not packages.
 */
function nodeRoot(path: string): string | undefined {
  if (!path.endsWith('/package.json')) return undefined;
  const parts = path.split('/');
  const first = parts.indexOf('node_modules');
  if (first < 0) return undefined;
  let i = first;
  for (;;) {
    let j = i + 1;
    if (parts[j] === '.pnpm') {
      if (parts[j + 2] !== 'node_modules') return undefined;
      i = j + 2;
      continue;
    }
    if (parts[j]?.startsWith('@')) j++;
    const name = parts[j];
    if (!name || name.startsWith('.') || name === 'package.json') return undefined;
    if (j + 2 === parts.length && parts[j + 1] === 'package.json') return parts.slice(0, first + 1).join('/');
    if (parts[j + 1] !== 'node_modules') return undefined;
    i = j + 1;
  }
}

/**
 * The ecosystem whose package database `path` is (or is part of), from the
 * path alone: dpkg status and status.d files, apk's installed db, the rpm
 * sqlite db, python dist-info/egg-info metadata, node_modules manifests.
 */
export function packageDbKind(path: string): Ecosystem | undefined {
  if (path === DPKG_STATUS) return 'dpkg';
  if (path.startsWith(DPKG_STATUS_D + '/') && posix.dirname(path) === DPKG_STATUS_D && !path.endsWith('.md5sums')) return 'dpkg';
  if (APK_DBS.has(path)) return 'apk';
  if (RPM_DBS.has(path)) return 'rpm';
  if (pythonSite(path) !== undefined) return 'python';
  if (nodeRoot(path) !== undefined) return 'node';
  return undefined;
}

/** A folder whose deletion takes package metadata with it. */
function packageTreeKind(path: string): Ecosystem | undefined {
  const base = posix.basename(path);
  if (path === DPKG_STATUS_D || path === '/var/lib/dpkg') return 'dpkg';
  if (path === '/lib/apk/db' || path === '/usr/lib/apk/db' || path === '/lib/apk' || path === '/usr/lib/apk') return 'apk';
  if (path === '/var/lib/rpm' || path === '/usr/lib/sysimage/rpm' || path === '/usr/lib/sysimage') return 'rpm';
  if (base.endsWith('.dist-info') || base.endsWith('.egg-info') || base === 'site-packages' || base === 'dist-packages') return 'python';
  if (base === 'node_modules' || nodeRoot(`${path}/package.json`) !== undefined) return 'node';
  return undefined;
}

/** A package database a layer writes or deletes. */
export interface LayerPackageDb {
  kind: Ecosystem;
  path: string;
  /** A whiteout or opaque marker: the layer deletes the file, or a folder holding package metadata. */
  deleted: boolean;
}

/**
 * The package databases one layer's own entries write or delete, from its
 * index alone (no bytes read): what lets a layer pair say "this layer changed
 * the dpkg database" cheaply. Sorted by path.
 */
export function layerPackageDbs(entries: readonly FileEntry[]): LayerPackageDb[] {
  const out: LayerPackageDb[] = [];
  for (const e of entries) {
    if (e.type === 'whiteout' || e.type === 'opaque') {
      const kind = packageDbKind(e.path) ?? packageTreeKind(e.path);
      if (kind) out.push({ kind, path: e.path, deleted: true });
    } else if (e.type === 'file' || e.type === 'hardlink') {
      const kind = packageDbKind(e.path);
      if (kind) out.push({ kind, path: e.path, deleted: false });
    }
  }
  return out.sort(byPath);
}

/** The ecosystems whose installed packages a layer may change. */
export function layerPackageKinds(entries: readonly FileEntry[]): Ecosystem[] {
  const kinds = new Set(layerPackageDbs(entries).map((d) => d.kind));
  return ECOSYSTEMS.filter((k) => kinds.has(k));
}

// ---------------------------------------------------------------- reading

const MB = 2 ** 20;
/** Real databases are far below these; a hostile image's "package.json" of 1 GB is not read into memory. */
const DEFAULT_MAX_FILE_BYTES: Record<Ecosystem, number> = { rpm: 512 * MB, dpkg: 256 * MB, apk: 256 * MB, python: 16 * MB, node: 16 * MB };
/** Package metadata files read at once (node images have thousands of small package.json files). */
const CONCURRENCY = 16;

interface Group {
  kind: Ecosystem;
  source: string;
  files: ImageFile[];
}

/** A package metadata file of an image's merged filesystem, and the database (or tree) it belongs to. */
export interface PackageFile {
  kind: Ecosystem;
  /** The PackageSource.source it is read into. */
  source: string;
  file: ImageFile;
}

const dbFilesOf = new WeakMap<readonly FileEntry[], Array<[string, Ecosystem]>>();

/** The files of one layer that may be package metadata, in order: once per index, which two images share for their common layers. */
function layerDbFiles(entries: readonly FileEntry[]): Array<[string, Ecosystem]> {
  let out = dbFilesOf.get(entries);
  if (!out) {
    out = [];
    for (const e of entries) {
      if (e.type !== 'file' && e.type !== 'hardlink') continue;
      const kind = packageDbKind(e.path);
      if (kind) out.push([e.path, kind]);
    }
    dbFilesOf.set(entries, out);
  }
  return out;
}

/**
 * The package metadata files still visible in an image's merged filesystem,
 * from its indexes alone (no bytes read): what readPackages reads, and what
 * lets a caller see that two images' databases are byte-identical (same
 * paths, same sha256) and skip reading them. Sorted by path.
 */
export function packageFiles(image: ImageModel, kinds: readonly Ecosystem[] = ECOSYSTEMS, lookup?: MergedLookup): PackageFile[] {
  const wanted = new Set(kinds);
  // Every path any layer wrote that may be package metadata; the merged view decides what is still there.
  const candidates = new Map<string, Ecosystem>();
  for (const entries of image.indexes) for (const [path, kind] of layerDbFiles(entries)) if (wanted.has(kind)) candidates.set(path, kind);
  const out: PackageFile[] = [];
  // The merged view costs a pass over every layer: only when there is something to look up.
  if (candidates.size) lookup ??= new MergedLookup(image.indexes);
  for (const [path, kind] of candidates) {
    const found = lookup!.get(path);
    if (!found || (found.entry.type !== 'file' && found.entry.type !== 'hardlink')) continue;
    const source = kind === 'python' ? pythonSite(path)! : kind === 'node' ? nodeRoot(path)! : kind === 'dpkg' && path !== DPKG_STATUS ? DPKG_STATUS_D : path;
    out.push({ kind, source, file: { path, entry: found.entry, layer: found.layer } });
  }
  return out.sort((x, y) => cmp(x.file.path, y.file.path));
}

/**
 * The packages installed in an image, read from the package managers' own
 * databases in its merged filesystem — no container is run. Candidate files
 * are found in the layer indexes by path; only they are read, through
 * `read`. A database that cannot be read or parsed becomes a problem, not
 * an error: the other ecosystems are still reported.
 */
export async function readPackages(image: ImageModel, read: ReadImageFile, opts: ReadPackagesOptions = {}): Promise<PackageSet> {
  const kinds = new Set(opts.kinds ?? ECOSYSTEMS);
  const lookup = new MergedLookup(image.indexes);
  const problems: PackageProblem[] = [];
  const groups = new Map<string, Group>();
  for (const { kind, source, file } of packageFiles(image, [...kinds], lookup)) {
    const key = `${kind}\0${source}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind, source, files: [] }));
    g.files.push(file);
  }

  const readOne = async (kind: Ecosystem, f: ImageFile): Promise<Buffer | undefined> => {
    const maxBytes = opts.maxFileBytes ?? (kind === 'dpkg' && f.path !== DPKG_STATUS ? DEFAULT_MAX_FILE_BYTES.python : DEFAULT_MAX_FILE_BYTES[kind]);
    if (f.entry.size > maxBytes) {
      problems.push({ kind, path: f.path, message: `${f.path} is ${f.entry.size} bytes, more than the ${maxBytes} read for package metadata` });
      return undefined;
    }
    try {
      const bytes = await read(f);
      if (!bytes) problems.push({ kind, path: f.path, message: `${f.path}: its bytes are not available` });
      return bytes;
    } catch (e) {
      if (e instanceof CompareError && e.reason === 'cancelled') throw e;
      problems.push({ kind, path: f.path, message: `${f.path}: ${messageOf(e)}` });
      return undefined;
    }
  };

  const sources: PackageSource[] = [];
  for (const g of groups.values()) {
    throwIfAborted(opts.signal);
    const layer = g.files.reduce((m, f) => Math.max(m, f.layer), 0);
    const packages: InstalledPackage[] = [];
    await eachLimited(g.files, CONCURRENCY, opts.signal, async (f) => {
      const bytes = await readOne(g.kind, f);
      if (!bytes) return;
      try {
        packages.push(...(await parseFile(g.kind, f, bytes, opts)));
      } catch (e) {
        problems.push({ kind: g.kind, path: f.path, message: `${f.path}: ${messageOf(e)}` });
      }
    });
    if (g.kind === 'rpm') {
      // rpm keeps rpmdb.sqlite in WAL mode; a WAL left with content holds transactions not in the main file.
      const wal = lookup.get(`${g.source}-wal`);
      if (wal && wal.entry.size > 0) {
        problems.push({ kind: 'rpm', path: `${g.source}-wal`, message: `${g.source}-wal holds ${wal.entry.size} bytes not checkpointed into the database: the last installs may be missing` });
      }
    }
    sources.push({ kind: g.kind, source: g.source, layer, packages: packages.sort(byPackage) });
  }
  if (kinds.has('rpm') && !sources.some((x) => x.kind === 'rpm')) {
    // rpm < 4.16 (RHEL/CentOS ≤ 8: Berkeley DB) and SUSE's ndb keep other formats, not read here: say so rather than report no packages.
    for (const path of OTHER_RPM_DBS) {
      const found = lookup.get(path);
      if (found && found.entry.type === 'file' && found.entry.size > 0) {
        problems.push({ kind: 'rpm', path, message: `${path} is an rpm database in ${path.endsWith('.db') ? 'ndb' : 'Berkeley DB'} format, which is not read (only rpmdb.sqlite is)` });
      }
    }
  }
  sources.sort((x, y) => ECOSYSTEMS.indexOf(x.kind) - ECOSYSTEMS.indexOf(y.kind) || (x.source < y.source ? -1 : x.source > y.source ? 1 : 0));
  problems.sort(byPath);
  return { ecosystems: sources, problems };
}

async function parseFile(kind: Ecosystem, f: ImageFile, bytes: Buffer, opts: ReadPackagesOptions): Promise<InstalledPackage[]> {
  switch (kind) {
    case 'dpkg': {
      const pkgs = parseDpkgStatus(bytes.toString('utf8'));
      return f.path === DPKG_STATUS ? pkgs : pkgs.map((p) => ({ ...p, path: f.path }));
    }
    case 'apk':
      return parseApkInstalled(bytes.toString('utf8'));
    case 'rpm':
      return (await readRpmDb(bytes, { sqlWasmPath: opts.sqlWasmPath })).map(rpmPackage);
    case 'python': {
      const m = parsePythonMetadata(bytes.toString('utf8'));
      return m ? [{ ...m, path: f.path }] : [];
    }
    case 'node': {
      const m = parsePackageJson(bytes.toString('utf8'));
      return m ? [{ ...m, path: f.path }] : [];
    }
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, signal: AbortSignal | undefined, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      throwIfAborted(signal);
      await fn(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function byPackage(x: InstalledPackage, y: InstalledPackage): number {
  return cmp(x.name, y.name) || cmp(x.arch ?? '', y.arch ?? '') || cmp(x.version, y.version) || cmp(x.path ?? '', y.path ?? '');
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------- security relevance

/** Why a package matters for security when its version moves. */
export type SecurityCategory =
  | 'tls' // TLS and crypto libraries
  | 'ssh'
  | 'libc'
  | 'compression' // zlib, xz/liblzma, bzip2, zstd: parse untrusted input, and xz had a backdoor
  | 'http' // HTTP clients
  | 'privilege' // sudo, su/login/PAM, polkit
  | 'trust' // CA certificates, signature checking, package managers
  | 'kernel'
  | 'runtime'; // language runtimes: python, node, php, ruby, java, go, perl

const OS_SECURITY: Array<[RegExp, SecurityCategory]> = [
  [/^(openssl|openssl-libs|libssl[\d.]*(-dev)?|libcrypto[\d.]*|gnutls.*|libgnutls.*|nss|nss-.*|libnss3.*|mbedtls.*|libmbedtls.*|wolfssl.*|libwolfssl.*|libgcrypt.*)$/, 'tls'],
  [/^(openssh.*|libssh.*|dropbear.*)$/, 'ssh'],
  [/^(libc6.*|libc-bin|libc-dev-bin|libc-utils|glibc.*|musl|musl-.*)$/, 'libc'],
  [/^(zlib.*|zlib1g.*|xz|xz-utils|xz-libs|liblzma.*|bzip2.*|libbz2.*|zstd|libzstd.*)$/, 'compression'],
  [/^(curl|libcurl.*|wget|wget2|libnghttp2.*|nghttp2.*)$/, 'http'],
  [/^(sudo|doas|opendoas|shadow|shadow-utils|passwd|login|util-linux|libpam.*|pam|linux-pam|polkit.*|libpolkit.*)$/, 'privilege'],
  [/^(ca-certificates.*|gnupg.*|gpgv.*|gnupg2|apt|libapt-pkg.*|apk-tools|rpm|rpm-libs|dpkg|debian-archive-keyring|alpine-keys)$/, 'trust'],
  [/^(linux-image.*|linux-modules.*|kernel|kernel-core|kernel-modules.*|linux-lts|linux-virt)$/, 'kernel'],
  [
    /^(python\d?(\.\d+)?|python\d(\.\d+)?-minimal|libpython\d(\.\d+)?(-minimal|-stdlib)?|nodejs(-current)?|node|php\d*(\.\d+)?(-cli|-fpm|-cgi|-common)?|ruby\d*(\.\d+)?|libruby\d*(\.\d+)?|openjdk\d*(-\d+)?(-jre|-jdk)?(-headless)?|java-[\d.]+-openjdk(-headless)?|golang(-[\d.]+)?(-go)?|go|perl|perl-base)$/,
    'runtime',
  ],
];

const PYTHON_SECURITY: Record<string, SecurityCategory> = {
  cryptography: 'tls',
  pyopenssl: 'tls',
  certifi: 'trust',
  requests: 'http',
  urllib3: 'http',
  paramiko: 'ssh',
};

const NODE_SECURITY: Record<string, SecurityCategory> = {
  'node-forge': 'tls',
  ssh2: 'ssh',
};

/** The security category of a package, when it is one whose version changes matter. */
export function securityCategory(kind: Ecosystem, name: string): SecurityCategory | undefined {
  if (kind === 'python') return PYTHON_SECURITY[normalizePythonName(name)];
  if (kind === 'node') return NODE_SECURITY[name];
  const n = name.toLowerCase();
  return OS_SECURITY.find(([re]) => re.test(n))?.[1];
}

// ---------------------------------------------------------------- diff

export type PackageChangeKind = 'added' | 'removed' | 'changed';
/** How b's version orders against a's, per the ecosystem's own rules. */
export type VersionDirection = 'upgrade' | 'downgrade' | 'same';

export interface PackageChange {
  kind: Ecosystem;
  name: string;
  arch?: string;
  change: PackageChangeKind;
  /** Version in A (removed, changed). */
  a?: string;
  /** Version in B (added, changed). */
  b?: string;
  /** For changed: a downgrade is more alarming than an upgrade; "same" when the versions only differ in spelling (1.0 vs 1.0.0) or the arch moved. */
  direction?: VersionDirection;
  /** Whether the package matters for security (TLS, libc, ssh, sudo, CA certificates, runtimes...). */
  securityRelevant: boolean;
  security?: SecurityCategory;
}

export interface EcosystemDiff {
  kind: Ecosystem;
  /** Each sorted by name, then arch. */
  added: PackageChange[];
  removed: PackageChange[];
  changed: PackageChange[];
}

/** What changed in the installed packages, per ecosystem: the report's `packages`. */
export interface PackageComparison {
  /**
   * Every ecosystem with a package database on either side, in ECOSYSTEMS
   * order. `identical`: its database files have the same sha256 on both
   * sides, so they were not read and nothing can have changed.
   */
  ecosystems: Array<EcosystemDiff & { identical?: true }>;
  /** Databases that could not be read: that ecosystem's lists may be incomplete. */
  problems: Array<PackageProblem & { side: 'a' | 'b' }>;
}

export interface PackageDiff {
  /** Every ecosystem present on either side, in ECOSYSTEMS order; lists may be empty. */
  ecosystems: EcosystemDiff[];
}

interface Instance {
  name: string;
  version: string;
  arch?: string;
}

/** The packages of one ecosystem by identity: dpkg/apk/rpm/node by name, python by normalised name; one name may have several instances (multiarch, nested node_modules). */
function byName(set: PackageSet, kind: Ecosystem): Map<string, Instance[]> {
  const out = new Map<string, Instance[]>();
  const seen = new Set<string>();
  for (const s of set.ecosystems) {
    if (s.kind !== kind) continue;
    for (const p of s.packages) {
      const key = kind === 'python' ? normalizePythonName(p.name) : p.name;
      const id = `${key}\0${p.arch ?? ''}\0${p.version}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const list = out.get(key) ?? [];
      list.push({ name: p.name, version: p.version, arch: p.arch });
      out.set(key, list);
    }
  }
  return out;
}

/**
 * What changed in the installed packages from A to B, per ecosystem:
 * packages added, removed, and changed (with both versions and whether B's
 * is an upgrade or a downgrade by the ecosystem's own version ordering).
 * Several instances of one name (libc6:amd64 and libc6:i386; lodash nested
 * at two versions) are paired by arch, then by version order.
 */
export function diffPackages(a: PackageSet, b: PackageSet): PackageDiff {
  const present = new Set([...a.ecosystems, ...b.ecosystems].map((s) => s.kind));
  const ecosystems: EcosystemDiff[] = [];
  for (const kind of ECOSYSTEMS) {
    if (!present.has(kind)) continue;
    const d: EcosystemDiff = { kind, added: [], removed: [], changed: [] };
    const ma = byName(a, kind);
    const mb = byName(b, kind);
    const order = (x: Instance, y: Instance) => cmp(x.arch ?? '', y.arch ?? '') || compareVersions(kind, x.version, y.version);
    for (const key of new Set([...ma.keys(), ...mb.keys()])) {
      let xs = [...(ma.get(key) ?? [])].sort(order);
      let ys = [...(mb.get(key) ?? [])].sort(order);
      const same = (x: Instance, y: Instance) => x.version === y.version && (x.arch ?? '') === (y.arch ?? '');
      xs = xs.filter((x) => !ys.some((y) => same(x, y)));
      ys = ys.filter((y) => !(ma.get(key) ?? []).some((x) => same(x, y)));
      const pairs: Array<[Instance, Instance]> = [];
      for (const x of [...xs]) {
        const y = ys.find((c) => (c.arch ?? '') === (x.arch ?? ''));
        if (!y) continue;
        pairs.push([x, y]);
        xs = xs.filter((v) => v !== x);
        ys = ys.filter((v) => v !== y);
      }
      while (xs.length && ys.length) pairs.push([xs.shift()!, ys.shift()!]);
      const security = securityCategory(kind, (ma.get(key) ?? mb.get(key))![0].name);
      const base = (i: Instance) => {
        const c = { kind, name: i.name } as PackageChange;
        if (i.arch) c.arch = i.arch;
        return c;
      };
      const tag = (c: PackageChange): PackageChange => {
        c.securityRelevant = security !== undefined;
        if (security) c.security = security;
        return c;
      };
      for (const [x, y] of pairs) {
        const r = compareVersions(kind, x.version, y.version);
        d.changed.push(tag({ ...base(y), change: 'changed', a: x.version, b: y.version, direction: r < 0 ? 'upgrade' : r > 0 ? 'downgrade' : 'same' }));
      }
      for (const x of xs) d.removed.push(tag({ ...base(x), change: 'removed', a: x.version }));
      for (const y of ys) d.added.push(tag({ ...base(y), change: 'added', b: y.version }));
    }
    const sortChanges = (l: PackageChange[]) => l.sort((x, y) => cmp(x.name, y.name) || cmp(x.arch ?? '', y.arch ?? '') || cmp(x.a ?? x.b ?? '', y.a ?? y.b ?? ''));
    sortChanges(d.added);
    sortChanges(d.removed);
    sortChanges(d.changed);
    ecosystems.push(d);
  }
  return { ecosystems };
}
