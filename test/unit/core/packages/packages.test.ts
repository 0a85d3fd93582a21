import { strict as assert } from 'node:assert';
import { imageOf } from '../../../helpers/images';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '../../../../src/core/layers/cache';
import { readFileBytes, type ImageFile } from '../../../../src/core/layers/files';
import { loadImages } from '../../../../src/core/sources/loader';
import type { FileEntry, ImageModel } from '../../../../src/core/image/model';
import {
  normalizePythonName,
  parseApkInstalled,
  parseDpkgStatus,
  parsePackageJson,
  parsePythonMetadata,
  parseRpmHeader,
  rpmPackage,
} from '../../../../src/core/packages/formats';
import { diffPackages, layerPackageDbs, layerPackageKinds, packageDbKind, readPackages, securityCategory, type PackageSet } from '../../../../src/core/packages/packages';
import { readRpmDb } from '../../../../src/core/packages/rpmdb';
import { makeImageArchive, makeTar } from '../../../helpers/tarBuilder';

const FIXTURES = join(__dirname, '../../../fixtures/packages');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

/** A real dist-info METADATA (PyYAML 6.0 as Debian ships it), with a description that must not be read as headers. */
const PYYAML_METADATA = `Metadata-Version: 2.1
Name: PyYAML
Version: 6.0
Summary: YAML parser and emitter for Python
Home-page: https://pyyaml.org/
Download-URL: https://pypi.org/project/PyYAML/
Author: Kirill Simonov
Author-email: xi@resolvent.net
License: MIT
Project-URL: Bug Tracker, https://github.com/yaml/pyyaml/issues
Platform: Any
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.6
License-File: LICENSE

YAML is a data serialization format designed for human readability
and interaction with scripting languages.
Name: not-a-header
Version: 9.9
`;

/** A real package.json, as npm leaves it in node_modules (trimmed). */
const TAR_STREAM_PACKAGE_JSON = JSON.stringify(
  {
    name: 'tar-stream',
    version: '3.2.2',
    description: 'tar-stream is a streaming tar parser and generator and nothing else.',
    main: 'index.js',
    files: ['*.js', 'index.d.ts'],
    dependencies: { b4a: '^1.6.4', 'fast-fifo': '^1.2.0', streamx: '^2.15.0' },
    repository: { type: 'git', url: 'git+https://github.com/mafintosh/tar-stream.git' },
    license: 'MIT',
  },
  null,
  2,
);

// ---------------------------------------------------------------- rpm header blobs

const RPMTAG = { NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, ARCH: 1022, SOURCERPM: 1044 };
/** An rpm header blob as rpmdb stores it: il, dl, index entries, data (strings NUL-terminated, int32 aligned). */
function rpmHeader(tags: Array<[number, string | number]>): Buffer {
  const index = Buffer.alloc(16 * tags.length);
  const data: Buffer[] = [];
  let off = 0;
  tags.forEach(([tag, value], i) => {
    let bytes: Buffer;
    let type: number;
    if (typeof value === 'number') {
      const pad = (4 - (off % 4)) % 4;
      if (pad) data.push(Buffer.alloc(pad));
      off += pad;
      bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value);
      type = 4;
    } else {
      bytes = Buffer.from(`${value}\0`);
      type = 6;
    }
    index.writeUInt32BE(tag, i * 16);
    index.writeUInt32BE(type, i * 16 + 4);
    index.writeUInt32BE(off, i * 16 + 8);
    index.writeUInt32BE(1, i * 16 + 12);
    data.push(bytes);
    off += bytes.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0);
  head.writeUInt32BE(off, 4);
  return Buffer.concat([head, index, ...data]);
}

/** An rpmdb.sqlite as rpm 4.16+ writes it (same Packages table), made with sql.js. */
async function rpmDb(blobs: Buffer[], wal = true): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const initSqlJs = require('sql.js') as () => Promise<{ Database: new () => { run(sql: string, params?: unknown[]): void; export(): Uint8Array; close(): void } }>;
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)");
  db.run("CREATE TABLE IF NOT EXISTS 'Name' (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY(key, hnum, idx)) WITHOUT ROWID");
  for (const b of blobs) db.run('INSERT INTO Packages (blob) VALUES (?)', [new Uint8Array(b)]);
  const bytes = Buffer.from(db.export());
  db.close();
  // rpm leaves its database in WAL mode (file format bytes 18-19 = 2).
  if (wal) bytes[18] = bytes[19] = 2;
  return bytes;
}

// ---------------------------------------------------------------- synthetic images

let fileOffset = 0;
const file = (path: string, extra: Partial<FileEntry> = {}): FileEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, offset: (fileOffset += 1024), ...extra });
const dir = (path: string): FileEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
const whiteout = (path: string): FileEntry => ({ path, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0 });

/** An image whose files' bytes come from a map keyed "layer:path". */
function fakeImage(layers: Array<Record<string, string | Buffer | null>>): { image: ImageModel; read: (f: ImageFile) => Promise<Buffer | undefined>; reads: string[] } {
  const bytes = new Map<string, Buffer>();
  const reads: string[] = [];
  const indexes = layers.map((files, layer) =>
    Object.entries(files).map(([path, content]) => {
      if (content === null) return whiteout(path);
      const b = Buffer.from(content);
      bytes.set(`${layer}:${path}`, b);
      return file(path, { size: b.length });
    }),
  );
  return {
    image: imageOf(indexes),
    reads,
    read: async (f) => {
      reads.push(`${f.layer}:${f.path}`);
      return bytes.get(`${f.layer}:${f.path}`);
    },
  };
}

const names = (set: PackageSet, kind: string) => set.ecosystems.filter((e) => e.kind === kind).flatMap((e) => e.packages.map((p) => `${p.name}@${p.version}${p.arch ? `:${p.arch}` : ''}`));

describe('package databases', () => {
  describe('formats', () => {
    it('dpkg status: installed packages with arch and source, not the ones only their config files remain of', () => {
      assert.deepEqual(parseDpkgStatus(fixture('dpkg-status').toString()), [
        { name: 'base-files', version: '12.4+deb12u15', arch: 'amd64' },
        { name: 'libc6', version: '2.36-9+deb12u14', arch: 'amd64', source: 'glibc' },
        { name: 'libgnutls30', version: '3.7.9-2+deb12u7', arch: 'amd64', source: 'gnutls28' },
        { name: 'zlib1g', version: '1:1.2.13.dfsg-1', arch: 'amd64', source: 'zlib' },
      ]);
    });

    it('dpkg status.d (distroless): one paragraph without a Status field', () => {
      const text = 'Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl (3.0.15-1~deb12u1)\nDescription: Secure Sockets Layer toolkit\n';
      assert.deepEqual(parseDpkgStatus(text), [{ name: 'libssl3', version: '3.0.15-1~deb12u1', arch: 'amd64', source: 'openssl' }]);
    });

    it('apk installed db: packages with arch and origin, skipping one without a version', () => {
      assert.deepEqual(parseApkInstalled(fixture('apk-installed').toString()), [
        { name: 'musl', version: '1.2.4_git20230717-r4', arch: 'x86_64' },
        { name: 'busybox', version: '1.36.1-r15', arch: 'x86_64' },
        { name: 'zlib', version: '1.3.1-r0', arch: 'x86_64' },
        { name: 'libssl3', version: '3.1.4-r5', arch: 'x86_64', source: 'openssl' },
      ]);
    });

    it('python METADATA / PKG-INFO: the headers only, never the description', () => {
      assert.deepEqual(parsePythonMetadata(PYYAML_METADATA), { name: 'PyYAML', version: '6.0' });
      assert.deepEqual(parsePythonMetadata('Metadata-Version: 1.1\r\nName: crcmod\r\nVersion: 1.7\r\n'), { name: 'crcmod', version: '1.7' });
      assert.equal(parsePythonMetadata('Metadata-Version: 2.1\nName: broken\n'), undefined);
      assert.equal(normalizePythonName('Foo_Bar.baz'), 'foo-bar-baz');
    });

    it('package.json: name and version, or nothing', () => {
      assert.deepEqual(parsePackageJson(TAR_STREAM_PACKAGE_JSON), { name: 'tar-stream', version: '3.2.2' });
      assert.deepEqual(parsePackageJson(`\ufeff{"name":"@scope/x","version":"1.0.0"}`), { name: '@scope/x', version: '1.0.0' });
      assert.equal(parsePackageJson('{"type":"module"}'), undefined);
      assert.equal(parsePackageJson('{"name":"x","version":1}'), undefined);
      assert.equal(parsePackageJson('not json'), undefined);
    });

    it('rpm header: a real one from an rpmdb.sqlite written by rpm 4.18', () => {
      const h = parseRpmHeader(fixture('cc-hello-1.2.3-4.noarch.rpmheader'));
      assert.deepEqual(h, { name: 'cc-hello', version: '1.2.3', release: '4', arch: 'noarch', sourceRpm: 'cc-hello-1.2.3-4.src.rpm' });
      assert.deepEqual(rpmPackage(h), { name: 'cc-hello', version: '1.2.3-4', arch: 'noarch' });
    });

    it('rpm header: epoch and source package', () => {
      const blob = rpmHeader([
        [RPMTAG.NAME, 'openssl-libs'],
        [RPMTAG.VERSION, '3.0.7'],
        [RPMTAG.RELEASE, '27.el9'],
        [RPMTAG.EPOCH, 1],
        [RPMTAG.ARCH, 'x86_64'],
        [RPMTAG.SOURCERPM, 'openssl-3.0.7-27.el9.src.rpm'],
      ]);
      assert.deepEqual(rpmPackage(parseRpmHeader(blob)), { name: 'openssl-libs', version: '1:3.0.7-27.el9', arch: 'x86_64', source: 'openssl' });
    });

    it('rpm header: refuses truncated or absurd headers instead of reading past them', () => {
      const blob = rpmHeader([[RPMTAG.NAME, 'x'], [RPMTAG.VERSION, '1'], [RPMTAG.RELEASE, '1']]);
      assert.throws(() => parseRpmHeader(blob.subarray(0, blob.length - 3)), /truncated/);
      const absurd = Buffer.from(blob);
      absurd.writeUInt32BE(0x7fffffff, 0);
      assert.throws(() => parseRpmHeader(absurd), /claims/);
      assert.throws(() => parseRpmHeader(Buffer.alloc(4)), /too short/);
      const offsets = Buffer.from(blob);
      offsets.writeUInt32BE(0xfffffff0, 8 + 8); // NAME's offset far outside the data
      assert.throws(() => parseRpmHeader(offsets), /no name/);
      assert.throws(() => parseRpmHeader(rpmHeader([[RPMTAG.NAME, 'x']])), /no name, version and release/);
    });

    it('rpmdb.sqlite: every package but gpg-pubkey, in WAL mode or not', async () => {
      const real = fixture('cc-hello-1.2.3-4.noarch.rpmheader');
      const key = rpmHeader([[RPMTAG.NAME, 'gpg-pubkey'], [RPMTAG.VERSION, 'fd431d51'], [RPMTAG.RELEASE, '4ae0493b']]);
      for (const wal of [true, false]) {
        const headers = await readRpmDb(await rpmDb([real, key], wal));
        assert.deepEqual(headers.map((h) => `${h.name}-${h.version}-${h.release}.${h.arch}`), ['cc-hello-1.2.3-4.noarch']);
      }
      await assert.rejects(readRpmDb(Buffer.from('SQLite format 2\0 not really')), /not an SQLite database/);
    });
  });

  describe('where they are', () => {
    const kinds: Array<[string, string | undefined]> = [
      ['/var/lib/dpkg/status', 'dpkg'],
      ['/var/lib/dpkg/status-old', undefined],
      ['/var/lib/dpkg/status.d/libssl3', 'dpkg'],
      ['/var/lib/dpkg/status.d/libssl3.md5sums', undefined],
      ['/lib/apk/db/installed', 'apk'],
      ['/usr/lib/apk/db/installed', 'apk'],
      ['/var/lib/rpm/rpmdb.sqlite', 'rpm'],
      ['/usr/lib/sysimage/rpm/rpmdb.sqlite', 'rpm'],
      ['/var/lib/rpm/Packages', undefined],
      ['/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA', 'python'],
      ['/usr/local/lib/python3.12/site-packages/requests-2.32.3.dist-info/METADATA', 'python'],
      ['/usr/lib/python3/dist-packages/crcmod-1.7.egg-info/PKG-INFO', 'python'],
      ['/usr/lib/python3/dist-packages/six-1.16.0.egg-info', 'python'],
      ['/usr/lib/python3/dist-packages/yaml/__init__.py', undefined],
      ['/app/node_modules/lodash/package.json', 'node'],
      ['/app/node_modules/@types/node/package.json', 'node'],
      ['/app/node_modules/a/node_modules/b/package.json', 'node'],
      ['/app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json', 'node'],
      ['/app/node_modules/lodash/fp/package.json', undefined],
      ['/app/node_modules/resolve/test/resolver/nested_symlinks/mylib/node_modules/buffer/package.json', undefined],
      ['/app/node_modules/.bin/package.json', undefined],
      ['/app/package.json', undefined],
    ];
    for (const [path, kind] of kinds) it(`${path}: ${kind ?? 'not a package database'}`, () => assert.equal(packageDbKind(path), kind));

    it('says which package databases a layer writes or deletes, from its index alone', () => {
      const entries = [
        dir('/var/lib/dpkg'),
        file('/var/lib/dpkg/status'),
        file('/var/lib/dpkg/status-old'),
        file('/usr/bin/curl'),
        whiteout('/app/node_modules'),
        whiteout('/usr/lib/python3/dist-packages/six-1.16.0.dist-info'),
        file('/app/node_modules/lodash/package.json'),
      ];
      assert.deepEqual(layerPackageDbs(entries), [
        { kind: 'node', path: '/app/node_modules', deleted: true },
        { kind: 'node', path: '/app/node_modules/lodash/package.json', deleted: false },
        { kind: 'python', path: '/usr/lib/python3/dist-packages/six-1.16.0.dist-info', deleted: true },
        { kind: 'dpkg', path: '/var/lib/dpkg/status', deleted: false },
      ]);
      assert.deepEqual(layerPackageKinds(entries), ['dpkg', 'python', 'node']);
      assert.deepEqual(layerPackageKinds([file('/etc/hosts')]), []);
    });
  });

  describe('readPackages', () => {
    it('reads only the package metadata the merged filesystem still has, each file once', async () => {
      const { image, read, reads } = fakeImage([
        {
          '/var/lib/dpkg/status': 'Package: old\nStatus: install ok installed\nVersion: 1\n',
          '/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA': 'Name: six\nVersion: 1.16.0\n',
          '/usr/lib/python3/dist-packages/gone-1.0.dist-info/METADATA': 'Name: gone\nVersion: 1.0\n',
          '/etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
        },
        {
          '/var/lib/dpkg/status': fixture('dpkg-status'),
          '/usr/lib/python3/dist-packages/gone-1.0.dist-info': null,
          '/app/node_modules/lodash/package.json': '{"name":"lodash","version":"4.17.21"}',
          '/app/node_modules/lodash/fp/package.json': '{"name":"lodash-fp","version":"0.0.0"}',
          '/app/node_modules/a/node_modules/lodash/package.json': '{"name":"lodash","version":"3.10.1"}',
          '/app/node_modules/@scope/b/package.json': '{"name":"@scope/b","version":"2.0.0-rc.1"}',
          '/app/node_modules/nover/package.json': '{"name":"nover"}',
        },
      ]);
      const set = await readPackages(image, read);
      assert.deepEqual(
        set.ecosystems.map((e) => [e.kind, e.source, e.layer, e.packages.length]),
        [
          ['dpkg', '/var/lib/dpkg/status', 1, 4],
          ['python', '/usr/lib/python3/dist-packages', 0, 1],
          ['node', '/app/node_modules', 1, 3],
        ],
      );
      assert.deepEqual(names(set, 'dpkg'), ['base-files@12.4+deb12u15:amd64', 'libc6@2.36-9+deb12u14:amd64', 'libgnutls30@3.7.9-2+deb12u7:amd64', 'zlib1g@1:1.2.13.dfsg-1:amd64']);
      assert.deepEqual(names(set, 'python'), ['six@1.16.0']);
      assert.deepEqual(names(set, 'node'), ['@scope/b@2.0.0-rc.1', 'lodash@3.10.1', 'lodash@4.17.21']);
      assert.equal(set.ecosystems[2].packages.find((p) => p.version === '3.10.1')?.path, '/app/node_modules/a/node_modules/lodash/package.json');
      assert.deepEqual(set.problems, []);
      // Not /etc/passwd, not the deleted or replaced metadata, not lodash/fp.
      assert.deepEqual(reads.sort(), [
        '0:/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA',
        '1:/app/node_modules/@scope/b/package.json',
        '1:/app/node_modules/a/node_modules/lodash/package.json',
        '1:/app/node_modules/lodash/package.json',
        '1:/app/node_modules/nover/package.json',
        '1:/var/lib/dpkg/status',
      ]);
    });

    it('reads apk, distroless dpkg and rpm databases, and filters by ecosystem', async () => {
      const real = fixture('cc-hello-1.2.3-4.noarch.rpmheader');
      const { image, read, reads } = fakeImage([
        {
          '/lib/apk/db/installed': fixture('apk-installed'),
          '/var/lib/dpkg/status.d/libssl3': 'Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n',
          '/var/lib/dpkg/status.d/libssl3.md5sums': 'abc  usr/lib/x86_64-linux-gnu/libssl.so.3\n',
          '/var/lib/rpm/rpmdb.sqlite': await rpmDb([real]),
          '/var/lib/rpm/rpmdb.sqlite-wal': 'uncheckpointed',
        },
      ]);
      const set = await readPackages(image, read);
      assert.deepEqual(names(set, 'apk'), ['busybox@1.36.1-r15:x86_64', 'libssl3@3.1.4-r5:x86_64', 'musl@1.2.4_git20230717-r4:x86_64', 'zlib@1.3.1-r0:x86_64']);
      assert.deepEqual(names(set, 'dpkg'), ['libssl3@3.0.15-1~deb12u1:amd64']);
      assert.equal(set.ecosystems.find((e) => e.kind === 'dpkg')?.source, '/var/lib/dpkg/status.d');
      assert.deepEqual(names(set, 'rpm'), ['cc-hello@1.2.3-4:noarch']);
      assert.deepEqual(set.problems.map((p) => [p.kind, p.path]), [['rpm', '/var/lib/rpm/rpmdb.sqlite-wal']]);
      reads.length = 0;
      const onlyApk = await readPackages(image, read, { kinds: ['apk'] });
      assert.deepEqual(onlyApk.ecosystems.map((e) => e.kind), ['apk']);
      assert.deepEqual(reads, ['0:/lib/apk/db/installed']);
    });

    it('turns unreadable or corrupt databases into problems, and still reports the others', async () => {
      const { image, read } = fakeImage([
        {
          '/var/lib/dpkg/status': fixture('dpkg-status'),
          '/var/lib/rpm/rpmdb.sqlite': 'this is not sqlite',
          '/lib/apk/db/installed': 'P:x\nV:1\n',
        },
      ]);
      const failing = async (f: ImageFile) => (f.path.includes('apk') ? undefined : read(f));
      const set = await readPackages(image, failing);
      assert.deepEqual(set.ecosystems.map((e) => [e.kind, e.packages.length]), [['dpkg', 4], ['apk', 0], ['rpm', 0]]);
      assert.deepEqual(set.problems.map((p) => [p.kind, p.path, /not available|not an SQLite/.test(p.message)]), [
        ['apk', '/lib/apk/db/installed', true],
        ['rpm', '/var/lib/rpm/rpmdb.sqlite', true],
      ]);
      const tooBig = await readPackages(image, read, { maxFileBytes: 100 });
      assert.ok(tooBig.problems.some((p) => p.path === '/var/lib/dpkg/status' && /more than the 100/.test(p.message)));
    });

    it('says when an rpm database is in a format it does not read (Berkeley DB, ndb)', async () => {
      const { image, read } = fakeImage([{ '/var/lib/rpm/Packages': Buffer.alloc(4096, 1), '/var/lib/dpkg/status': fixture('dpkg-status') }]);
      const set = await readPackages(image, read);
      assert.deepEqual(set.ecosystems.map((e) => e.kind), ['dpkg']);
      assert.deepEqual(set.problems.map((p) => [p.kind, p.path, /Berkeley DB/.test(p.message)]), [['rpm', '/var/lib/rpm/Packages', true]]);
    });

    it('does not read a metadata file larger than any real one (a hostile image)', async () => {
      const image = imageOf([[file('/app/node_modules/big/package.json', { size: 17 * 2 ** 20 }), file('/var/lib/dpkg/status', { size: 17 * 2 ** 20 })]]);
      const reads: string[] = [];
      const set = await readPackages(image, async (f) => (reads.push(f.path), Buffer.from('Package: x\nVersion: 1\n')));
      assert.deepEqual(reads, ['/var/lib/dpkg/status'], 'a 17 MB dpkg status is plausible; a 17 MB package.json is not');
      assert.deepEqual(set.problems.map((p) => p.path), ['/app/node_modules/big/package.json']);
    });

    it('stops when cancelled', async () => {
      const { image, read } = fakeImage([{ '/var/lib/dpkg/status': fixture('dpkg-status') }]);
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(readPackages(image, read, { signal: ac.signal }), /Cancelled/);
    });
  });

  describe('diffPackages', () => {
    const set = (kind: PackageSet['ecosystems'][number]['kind'], pkgs: Array<[string, string, string?]>): PackageSet => ({
      ecosystems: [{ kind, source: 'x', layer: 0, packages: pkgs.map(([name, version, arch]) => ({ name, version, ...(arch ? { arch } : {}) })) }],
      problems: [],
    });
    const merge = (...sets: PackageSet[]): PackageSet => ({ ecosystems: sets.flatMap((s) => s.ecosystems), problems: [] });

    it('added, removed, changed with the direction by the ecosystem’s own ordering, sorted, flagged for security', () => {
      const a = set('dpkg', [
        ['libssl3', '3.0.15-1~deb12u1', 'amd64'],
        ['libc6', '2.36-9+deb12u9', 'amd64'],
        ['curl', '7.88.1-10+deb12u12', 'amd64'],
        ['nano', '7.2-1', 'amd64'],
        ['tzdata', '2024a-0+deb12u1', 'all'],
      ]);
      const b = set('dpkg', [
        ['libssl3', '3.0.11-1~deb12u2', 'amd64'],
        ['libc6', '2.36-9+deb12u10', 'amd64'],
        ['curl', '7.88.1-10+deb12u12', 'amd64'],
        ['vim', '2:9.0.1378-2', 'amd64'],
        ['tzdata', '2025b-0+deb12u1', 'all'],
      ]);
      const d = diffPackages(a, b);
      assert.equal(d.ecosystems.length, 1);
      const e = d.ecosystems[0];
      assert.deepEqual(e.changed, [
        { kind: 'dpkg', name: 'libc6', arch: 'amd64', change: 'changed', a: '2.36-9+deb12u9', b: '2.36-9+deb12u10', direction: 'upgrade', securityRelevant: true, security: 'libc' },
        { kind: 'dpkg', name: 'libssl3', arch: 'amd64', change: 'changed', a: '3.0.15-1~deb12u1', b: '3.0.11-1~deb12u2', direction: 'downgrade', securityRelevant: true, security: 'tls' },
        { kind: 'dpkg', name: 'tzdata', arch: 'all', change: 'changed', a: '2024a-0+deb12u1', b: '2025b-0+deb12u1', direction: 'upgrade', securityRelevant: false },
      ]);
      assert.deepEqual(e.added, [{ kind: 'dpkg', name: 'vim', arch: 'amd64', change: 'added', b: '2:9.0.1378-2', securityRelevant: false }]);
      assert.deepEqual(e.removed, [{ kind: 'dpkg', name: 'nano', arch: 'amd64', change: 'removed', a: '7.2-1', securityRelevant: false }]);
    });

    it('pairs multiarch instances by arch and nested node versions by order', () => {
      const d = diffPackages(
        merge(set('dpkg', [['libc6', '2.36-9', 'amd64'], ['libc6', '2.36-9', 'i386']]), set('node', [['lodash', '4.17.20'], ['lodash', '3.10.1'], ['ms', '2.1.3']])),
        merge(set('dpkg', [['libc6', '2.36-10', 'amd64'], ['libc6', '2.36-9', 'i386']]), set('node', [['lodash', '4.17.21'], ['lodash', '3.10.1'], ['ms', '2.1.3']])),
      );
      assert.deepEqual(d.ecosystems.map((e) => [e.kind, e.changed.map((c) => `${c.name}:${c.arch ?? ''} ${c.a} -> ${c.b} ${c.direction}`), e.added.length, e.removed.length]), [
        ['dpkg', ['libc6:amd64 2.36-9 -> 2.36-10 upgrade'], 0, 0],
        ['node', ['lodash: 4.17.20 -> 4.17.21 upgrade'], 0, 0],
      ]);
    });

    it('matches python names as pip does, and sees 1.0 and 1.0.0 as the same version', () => {
      const d = diffPackages(set('python', [['PyYAML', '6.0'], ['Requests', '2.31.0'], ['urllib3', '2.0']]), set('python', [['pyyaml', '6.0.1'], ['requests', '2.32.3'], ['urllib3', '2.0.0']]));
      assert.deepEqual(d.ecosystems[0].changed.map((c) => [c.name, c.a, c.b, c.direction, c.security]), [
        ['pyyaml', '6.0', '6.0.1', 'upgrade', undefined],
        ['requests', '2.31.0', '2.32.3', 'upgrade', 'http'],
        ['urllib3', '2.0', '2.0.0', 'same', 'http'],
      ]);
    });

    it('reports an ecosystem present on one side only as all added or all removed', () => {
      const d = diffPackages(set('apk', [['musl', '1.2.4-r2'], ['openssl', '3.1.4-r5']]), set('dpkg', [['libc6', '2.36-9']]));
      assert.deepEqual(d.ecosystems.map((e) => [e.kind, e.added.map((x) => x.name), e.removed.map((x) => x.name)]), [
        ['dpkg', ['libc6'], []],
        ['apk', [], ['musl', 'openssl']],
      ]);
      assert.deepEqual(diffPackages({ ecosystems: [], problems: [] }, { ecosystems: [], problems: [] }), { ecosystems: [] });
    });

    const security: Array<[string, string, string | undefined]> = [
      ['dpkg', 'openssl', 'tls'],
      ['dpkg', 'libssl3', 'tls'],
      ['rpm', 'openssl-libs', 'tls'],
      ['apk', 'libcrypto3', 'tls'],
      ['dpkg', 'openssh-server', 'ssh'],
      ['dpkg', 'libc6', 'libc'],
      ['rpm', 'glibc', 'libc'],
      ['apk', 'musl', 'libc'],
      ['dpkg', 'zlib1g', 'compression'],
      ['dpkg', 'liblzma5', 'compression'],
      ['dpkg', 'libcurl4', 'http'],
      ['dpkg', 'sudo', 'privilege'],
      ['dpkg', 'libpam-modules', 'privilege'],
      ['dpkg', 'ca-certificates', 'trust'],
      ['apk', 'apk-tools', 'trust'],
      ['dpkg', 'linux-image-6.1.0-18-amd64', 'kernel'],
      ['dpkg', 'python3.11', 'runtime'],
      ['dpkg', 'python3', 'runtime'],
      ['dpkg', 'nodejs', 'runtime'],
      ['dpkg', 'php8.2-cli', 'runtime'],
      ['dpkg', 'python3-yaml', undefined],
      ['dpkg', 'nano', undefined],
      ['python', 'cryptography', 'tls'],
      ['python', 'Requests', 'http'],
      ['node', 'lodash', undefined],
    ];
    for (const [kind, name, want] of security) {
      it(`${kind} ${name}: ${want ?? 'not security-relevant'}`, () => assert.equal(securityCategory(kind as never, name), want));
    }
  });

  describe('through the cache, from a real archive', () => {
    let tmp: string;
    beforeEach(async () => (tmp = await mkdtemp(join(tmpdir(), 'cc-pkgs-'))));
    afterEach(() => rm(tmp, { recursive: true, force: true }));

    it('readFileBytes gives readPackages the bytes from the layer store', async () => {
      const base = await makeTar([{ name: 'var/lib/dpkg/', type: 'directory' }, { name: 'var/lib/dpkg/status', content: fixture('dpkg-status') }]);
      const app = await makeTar([{ name: 'app/node_modules/left-pad/package.json', content: '{"name":"left-pad","version":"1.3.0"}' }]);
      const archive = join(tmp, 'image.tar');
      await (await import('node:fs/promises')).writeFile(archive, await makeImageArchive([{ tags: ['pkgs:1'], layers: [base, app] }], 'legacy'));
      const cache = await Cache.open(join(tmp, 'cache'));
      const [image] = await loadImages([`docker-archive:${archive}`], { cache, needBytes: true });
      const set = await readPackages(image, (f) => readFileBytes(cache, image, f));
      assert.deepEqual(set.ecosystems.map((e) => [e.kind, e.packages.map((p) => p.name)]), [
        ['dpkg', ['base-files', 'libc6', 'libgnutls30', 'zlib1g']],
        ['node', ['left-pad']],
      ]);
      assert.deepEqual(set.problems, []);
    });
  });
});
