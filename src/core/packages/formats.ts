/**
 * Parsers of the package databases an image carries, each taking the bytes
 * of one file. They are lenient the way the package managers are (unknown
 * fields ignored, entries without a name or version skipped) and never throw
 * on odd text; only rpm headers, a binary format, reject what is malformed.
 */

/** One installed package. */
export interface InstalledPackage {
  name: string;
  /** As the package manager writes it: "1:2.36-9+deb12u4", "1.2.4-r2", "3.0.7-27.el9", "2.31.0". */
  version: string;
  arch?: string;
  /** The source package it was built from (dpkg Source, apk origin, rpm source rpm name), when it differs from name. */
  source?: string;
  /** The file it was read from, for ecosystems with one file per package (python, node, dpkg status.d). */
  path?: string;
}

/** RFC 822-style paragraphs (dpkg): "Field: value", continuation lines indented, blank lines between paragraphs. */
function* paragraphs(text: string): Generator<Map<string, string>> {
  let cur = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (cur.size) yield cur;
      cur = new Map();
      last = undefined;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      cur.set(last, `${cur.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    if (!cur.has(last)) cur.set(last, line.slice(colon + 1).trim());
  }
  if (cur.size) yield cur;
}

/** dpkg states whose files are not on disk: the package is not installed. */
const DPKG_ABSENT = new Set(['not-installed', 'config-files']);

/**
 * /var/lib/dpkg/status, or one file of distroless' /var/lib/dpkg/status.d/
 * (same format, one package, no Status field).
 */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const p of paragraphs(text)) {
    const name = p.get('package');
    const version = p.get('version');
    if (!name || !version) continue;
    const status = p.get('status')?.split(/\s+/);
    if (status && DPKG_ABSENT.has(status[status.length - 1])) continue;
    const pkg: InstalledPackage = { name, version };
    const arch = p.get('architecture');
    if (arch) pkg.arch = arch;
    // "Source: glibc (2.36-9+deb12u4)": the source package, with its version when it differs.
    const source = p.get('source')?.split(/\s+/)[0];
    if (source && source !== name) pkg.source = source;
    out.push(pkg);
  }
  return out;
}

/** /lib/apk/db/installed: "K:value" lines, one package per paragraph (P name, V version, A arch, o origin). */
export function parseApkInstalled(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  let cur: Partial<Record<'P' | 'V' | 'A' | 'o', string>> = {};
  const flush = () => {
    if (cur.P && cur.V) {
      const pkg: InstalledPackage = { name: cur.P, version: cur.V };
      if (cur.A) pkg.arch = cur.A;
      if (cur.o && cur.o !== cur.P) pkg.source = cur.o;
      out.push(pkg);
    }
    cur = {};
  };
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      flush();
      continue;
    }
    if (line[1] !== ':') continue;
    const k = line[0];
    if ((k === 'P' || k === 'V' || k === 'A' || k === 'o') && cur[k] === undefined) cur[k] = line.slice(2);
  }
  flush();
  return out;
}

/** A *.dist-info/METADATA or *.egg-info/PKG-INFO file (core metadata: email-style headers, then the description). */
export function parsePythonMetadata(text: string): { name: string; version: string } | undefined {
  let name: string | undefined;
  let version: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // the headers end at the first blank line; the long description follows
    const m = /^(Name|Version):\s*(.*?)\s*$/i.exec(line);
    if (!m) continue;
    if (m[1].toLowerCase() === 'name') name ??= m[2];
    else version ??= m[2];
  }
  return name && version ? { name, version } : undefined;
}

/** PEP 503 normalisation: the name pip and PyPI compare ("Foo_Bar" is "foo-bar"). */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** A node_modules/<name>/package.json: its name and version, if it declares both. */
export function parsePackageJson(text: string): { name: string; version: string } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const { name, version } = doc as { name?: unknown; version?: unknown };
  return typeof name === 'string' && name && typeof version === 'string' && version ? { name, version } : undefined;
}

// ---------------------------------------------------------------- rpm headers

/** The few rpm header tags read here (rpmtag.h). */
const RPMTAG = { NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, ARCH: 1022, SOURCERPM: 1044 } as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;
/** rpm's own bounds on a header: 0xffff index entries, 256 MB of data (header_internal.h). */
const MAX_INDEX = 0xffff;
const MAX_DATA = 256 * 2 ** 20;

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
}

/**
 * One package header as rpmdb stores it (the blob column of rpmdb.sqlite's
 * Packages table): big-endian index count `il` and data length `dl`, `il`
 * 16-byte index entries (tag, type, offset, count), then `dl` bytes of data.
 * The on-disk header in an .rpm file has 8 more bytes in front (magic,
 * reserved); both are accepted.
 */
export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  let buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length >= 8 && buf[0] === 0x8e && buf[1] === 0xad && buf[2] === 0xe8) buf = buf.subarray(8);
  if (buf.length < 8) throw new Error(`rpm header of ${buf.length} bytes is too short`);
  const il = buf.readUInt32BE(0);
  const dl = buf.readUInt32BE(4);
  if (il < 1 || il > MAX_INDEX || dl > MAX_DATA) throw new Error(`rpm header claims ${il} entries and ${dl} bytes of data`);
  const dataStart = 8 + il * 16;
  if (dataStart + dl > buf.length) throw new Error(`rpm header is truncated (${buf.length} bytes, needs ${dataStart + dl})`);
  const data = buf.subarray(dataStart, dataStart + dl);

  const str = (offset: number): string | undefined => {
    if (offset < 0 || offset >= data.length) return undefined;
    const end = data.indexOf(0, offset);
    return data.toString('utf8', offset, end === -1 ? data.length : end);
  };
  const tags = new Map<number, string | number>();
  const wanted = new Set<number>(Object.values(RPMTAG));
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = buf.readUInt32BE(at);
    if (!wanted.has(tag) || tags.has(tag)) continue;
    const type = buf.readUInt32BE(at + 4);
    const offset = buf.readInt32BE(at + 8);
    if (type === TYPE_STRING || type === TYPE_I18NSTRING || type === TYPE_STRING_ARRAY) {
      const s = str(offset);
      if (s !== undefined) tags.set(tag, s);
    } else if (type === TYPE_INT32 && offset >= 0 && offset + 4 <= data.length) {
      tags.set(tag, data.readUInt32BE(offset));
    }
  }
  const name = tags.get(RPMTAG.NAME);
  const version = tags.get(RPMTAG.VERSION);
  const release = tags.get(RPMTAG.RELEASE);
  if (typeof name !== 'string' || !name || typeof version !== 'string' || typeof release !== 'string') {
    throw new Error('rpm header has no name, version and release');
  }
  const h: RpmHeader = { name, version, release };
  const epoch = tags.get(RPMTAG.EPOCH);
  if (typeof epoch === 'number') h.epoch = epoch;
  const arch = tags.get(RPMTAG.ARCH);
  if (typeof arch === 'string' && arch) h.arch = arch;
  const srpm = tags.get(RPMTAG.SOURCERPM);
  if (typeof srpm === 'string' && srpm) h.sourceRpm = srpm;
  return h;
}

/** An rpm header as an installed package: version is rpm's [epoch:]version-release. */
export function rpmPackage(h: RpmHeader): InstalledPackage {
  const pkg: InstalledPackage = { name: h.name, version: `${h.epoch !== undefined ? `${h.epoch}:` : ''}${h.version}-${h.release}` };
  if (h.arch) pkg.arch = h.arch;
  // "openssl-3.0.7-27.el9.src.rpm" → "openssl"
  const source = h.sourceRpm && /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(h.sourceRpm)?.[1];
  if (source && source !== h.name) pkg.source = source;
  return pkg;
}
