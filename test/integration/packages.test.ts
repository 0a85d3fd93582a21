import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '../../src/core/layers/cache';
import { readFileBytes } from '../../src/core/layers/files';
import { loadImages } from '../../src/core/sources/loader';
import type { ImageModel } from '../../src/core/image/model';
import { diffPackages, layerPackageKinds, readPackages, type PackageChange, type PackageSet } from '../../src/core/packages/packages';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { docker, requireImages } from '../helpers/docker';

const A = 'cc-fixture/packages:a';
const B = 'cc-fixture/packages:b';

const list = (set: PackageSet, kind: string) => set.ecosystems.filter((e) => e.kind === kind).flatMap((e) => e.packages.map((p) => `${p.name} ${p.version}${p.arch ? ` ${p.arch}` : ''}`));
const change = (c: PackageChange) => [c.name, c.a ?? '-', c.b ?? '-', c.direction ?? c.change, c.security ?? ''].join(' ');

describe('installed packages of real images (packages pair)', function () {
  let dir: string;
  let cache: Cache;
  let a: ImageModel;
  let b: ImageModel;
  let pa: PackageSet;
  let pb: PackageSet;

  before(async () => {
    requireImages(A, B);
    dir = await mkdtemp(join(tmpdir(), 'cc-int-pkgs-'));
    cache = await Cache.open(join(dir, 'cache'));
    [a, b] = await loadImages([A, B], { cache, daemon: () => new DaemonClient(resolveEndpoint({})), needBytes: true });
    pa = await readPackages(a, (f) => readFileBytes(cache, a, f));
    pb = await readPackages(b, (f) => readFileBytes(cache, b, f));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds every database, and reads them all without a problem', () => {
    assert.deepEqual(
      pa.ecosystems.map((e) => [e.kind, e.source]),
      [
        ['dpkg', '/var/lib/dpkg/status'],
        // COPY to /lib/apk/db/installed: on the usr-merged Debian base /lib is a symlink, and the bytes land in /usr/lib.
        ['apk', '/usr/lib/apk/db/installed'],
        ['rpm', '/var/lib/rpm/rpmdb.sqlite'],
        ['python', '/usr/local/lib/python3.11/dist-packages'],
        ['node', '/app/node_modules'],
      ],
    );
    assert.deepEqual(pa.problems, []);
    assert.deepEqual(pb.problems, []);
  });

  it('reads the dpkg database exactly as dpkg-query sees it', () => {
    for (const [ref, set] of [[A, pa], [B, pb]] as const) {
      const installed = docker('run', '--rm', '--network', 'none', ref, 'dpkg-query', '-W', '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture}\n')
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('installed '))
        .map((l) => l.slice('installed '.length))
        .sort();
      assert.ok(installed.length > 80, `the Debian base has its packages (${installed.length})`);
      assert.deepEqual(list(set, 'dpkg').sort(), installed);
    }
    assert.ok(list(pa, 'dpkg').includes('cc-hello 1.0-1 all'));
  });

  it('reads the rpm database rpm 4.18 wrote (sqlite, header blobs)', () => {
    assert.deepEqual(list(pa, 'rpm'), ['cc-hello 1.2.3-4 noarch']);
    assert.deepEqual(list(pb, 'rpm'), ['cc-hello 1.2.4-1 noarch']);
  });

  it('reads apk, python and node metadata, and leaves out what is no installed package', () => {
    assert.deepEqual(list(pa, 'apk'), ['libssl3 3.1.4-r5 x86_64', 'musl 1.2.4-r2 x86_64', 'zlib 1.3.1-r0 x86_64']);
    assert.deepEqual(list(pa, 'python'), ['requests 2.31.0', 'urllib3 2.0.7']);
    // Not /app/package.json (the app itself), not ms/test/fixtures/node_modules/fake.
    assert.deepEqual(list(pa, 'node'), ['lodash 4.17.20', 'ms 2.1.3']);
  });

  it('diffs the two images per ecosystem: upgrades, downgrades, added, removed, and what matters for security', () => {
    const d = diffPackages(pa, pb);
    const by = Object.fromEntries(d.ecosystems.map((e) => [e.kind, { changed: e.changed.map(change), added: e.added.map(change), removed: e.removed.map(change) }]));
    assert.deepEqual(by, {
      dpkg: { changed: ['cc-hello 1.0-1 1.1-1 upgrade ', 'openssl 3.0.15-1~deb12u1 3.0.11-1~deb12u2 downgrade tls'], added: [], removed: [] },
      apk: { changed: ['libssl3 3.1.4-r5 3.1.2-r0 downgrade tls', 'musl 1.2.4-r2 1.2.4-r3 upgrade libc'], added: ['curl - 8.5.0-r0 added http'], removed: ['zlib 1.3.1-r0 - removed compression'] },
      rpm: { changed: ['cc-hello 1.2.3-4 1.2.4-1 upgrade '], added: [], removed: [] },
      python: { changed: ['requests 2.31.0 2.32.3 upgrade http'], added: ['certifi - 2024.2.2 added trust'], removed: [] },
      node: { changed: ['lodash 4.17.20 4.17.21 upgrade '], added: ['@types/node - 20.11.0 added '], removed: [] },
    });
    const downgrades = d.ecosystems.flatMap((e) => e.changed.filter((c) => c.direction === 'downgrade' && c.securityRelevant).map((c) => `${e.kind}:${c.name}`));
    assert.deepEqual(downgrades, ['dpkg:openssl', 'apk:libssl3']);
  });

  it('tells, from the indexes alone, which layer changed which package database', () => {
    const touched = b.layers.map((l, i) => ({ i, by: l.createdBy, kinds: layerPackageKinds(b.indexes[i]) })).filter((x) => x.kinds.length);
    assert.deepEqual(touched.map((x) => [x.i, x.kinds]), [
      [0, ['dpkg']], // the imported Debian base
      [2, ['dpkg']],
      [3, ['rpm']],
      [4, ['apk']],
      [5, ['python', 'node']],
    ]);
    assert.match(touched[1].by, /make-deb\.sh cc-hello 1\.1-1/);
    assert.match(touched[2].by, /COPY dir:/);
    assert.match(touched[3].by, /COPY file:.* in \/lib\/apk\/db\/installed/);
  });
});
