import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { Cache, SMALL_FILE_BYTES } from '../../src/core/layers/cache';
import { findFile, readFileBytes } from '../../src/core/layers/files';
import { compareImages } from '../../src/core/diff/compare';
import { type FileChange } from '../../src/core/diff/fileDiff';
import type { Daemon, StorageRequest } from '../../src/core/image/daemon';
import { CompareError } from '../../src/core/util/errors';
import { loadImages } from '../../src/core/sources/loader';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { docker, requireImages } from '../helpers/docker';
import { FAST_PATH, LOAD_PATH } from '../helpers/loadPath';

/** The real daemon, counting exports (and optionally cutting one short, as a daemon dying mid-way). */
class WatchedDaemon implements Daemon {
  readonly real = new DaemonClient(resolveEndpoint({}));
  readonly endpoint = this.real.endpoint;
  exports: string[][] = [];
  cutAfter?: number;
  inspect(ref: string, signal?: AbortSignal) {
    return this.real.inspect(ref, signal);
  }
  storage(request: StorageRequest) {
    this.storageOpens++;
    return this.real.storage(request);
  }
  storageOpens = 0;
  async export(refs: string[], signal?: AbortSignal): Promise<Readable> {
    this.exports.push(refs);
    const stream = await this.real.export(refs, signal);
    const limit = this.cutAfter;
    if (limit === undefined) return stream;
    const out = new PassThrough();
    let n = 0;
    stream.on('data', (c: Buffer) => {
      if (n + c.length >= limit) {
        out.write(c.subarray(0, limit - n));
        stream.destroy();
        out.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      } else out.write(c);
      n += c.length;
    });
    stream.on('end', () => out.end());
    return out;
  }
}

const PAIRS: Array<[string, string, Partial<FileChange>]> = [
  ['modes', '/app/run.sh', { change: 'modified', reasons: ['mode'] }],
  ['crlf', '/app/config.ini', { change: 'modified', reasons: ['lineEndings'] }],
  ['owner', '/app/data.txt', { change: 'modified', reasons: ['owner'] }],
  ['symlink', '/app/current', { change: 'modified', reasons: ['symlink'] }],
];

describe('engine on the real Docker engine', function () {
  let dir: string;
  let cache: Cache;
  let daemon: WatchedDaemon;
  before(() => requireImages(...[...PAIRS.map(([n]) => n), 'whiteout', 'layers'].flatMap((n) => [`cc-fixture/${n}:a`, `cc-fixture/${n}:b`])));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-int-'));
    cache = await Cache.open(join(dir, 'cache'));
    daemon = new WatchedDaemon();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  for (const [name, path, want] of PAIRS) {
    it(`explains the ${name} pair exactly: ${path} ${want.reasons}`, async () => {
      const [a, b] = await loadImages([`cc-fixture/${name}:a`, `cc-fixture/${name}:b`], { cache, daemon: () => daemon });
      const c = compareImages(a, b);
      const f = c.files.find((x) => x.path === path);
      assert.ok(f, `${path} is reported (${c.files.map((x) => x.path).join(', ')})`);
      assert.equal(f.change, want.change);
      assert.deepEqual(f.reasons, want.reasons);
      // Nothing else differs in the merged filesystems but that file.
      assert.deepEqual(c.files.map((x) => x.path), [path]);
      assert.equal(c.layers[0].status, 'identical', 'the shared base is recognised');
    });
  }

  it('honours whiteouts and opaque directories (whiteout pair)', async () => {
    const [a, b] = await loadImages(['cc-fixture/whiteout:a', 'cc-fixture/whiteout:b'], { cache, daemon: () => daemon });
    const c = compareImages(a, b);
    const changes = c.files.filter((f) => f.path.startsWith('/app/')).map((f) => `${f.change} ${f.path}`);
    // /app/old was deleted by a whiteout in both; b's opaque /app/cfg hides o.txt and adds n.txt.
    assert.deepEqual(changes, ['added /app/cfg/n.txt', 'removed /app/cfg/o.txt']);
    const opaque = c.layers.find((l) => l.status === 'onlyB')!.files.find((f) => f.b?.type === 'opaque');
    assert.equal(opaque?.path, '/app/cfg');
  });

  it('lines up an extra layer and lists every config difference (layers pair)', async () => {
    const [a, b] = await loadImages(['cc-fixture/layers:a', 'cc-fixture/layers:b'], { cache, daemon: () => daemon });
    const c = compareImages(a, b);
    assert.deepEqual(c.layers.map((l) => l.status), ['identical', 'identical', 'onlyB']);
    assert.equal(c.layers[2].b!.instruction, 'RUN echo extra > /extra.txt');
    assert.deepEqual(c.files.map((f) => `${f.change} ${f.path} ${f.layer}`), ['added /extra.txt 2']);
    const fields = Object.fromEntries(c.config.filter((x) => !x.field.startsWith('History')).map((x) => [x.field, [x.a, x.b]]));
    assert.deepEqual(fields, {
      User: ['root', '1000:1000'],
      WorkingDir: ['/srv/app', '/srv'],
      Cmd: [['httpd', '-f', '-p', '8080', '-h', '/srv/app'], ['sh', '-c', 'cat /extra.txt']],
      'Env.APP_ENV': ['dev', 'prod'],
      'Env.DEBUG': [null, '1'],
      'Env.FEATURE_X': ['on', null],
      ExposedPorts: [['8080/tcp'], ['8080/tcp', '9090/udp']],
      'Labels.org.example.variant': ['a', 'b'],
    });
  });

  it('exports both images in ONE export (--no-fast-path), and not at all once every layer is indexed', async () => {
    const refs = ['cc-fixture/crlf:a', 'cc-fixture/crlf:b'];
    const sources: string[] = [];
    await loadImages(refs, { cache, daemon: () => daemon, fastPath: false, onSource: (s) => sources.push(s.action) });
    assert.equal(daemon.exports.length, 1);
    assert.equal(daemon.exports[0].length, 2);
    assert.equal(daemon.storageOpens, 0);
    assert.deepEqual(sources, ['export', 'export']);
    const [a, b] = await loadImages(refs, { cache, daemon: () => daemon, onSource: (s) => sources.push(s.action) });
    assert.equal(daemon.exports.length, 1, 'the warm run did not export');
    assert.equal(daemon.storageOpens, 0, 'nor read the layer store');
    assert.deepEqual(sources.slice(2), ['cache', 'cache']);
    assert.deepEqual(compareImages(a, b).files.map((f) => f.reasons), [['lineEndings']]);
  });

  it('keeps only the small text files (and rpm\'s database) of an export, and exports the layer again for a larger file or a binary when it is read', async () => {
    // An image as a user builds one: a base, then a layer with a large file and a small one.
    const ref = `cc-test/large-file:${process.pid}`;
    const context = join(dir, 'context');
    await mkdir(context);
    const large = Buffer.alloc(SMALL_FILE_BYTES + 4096);
    for (let i = 0; i < large.length; i += 4096) large.writeUInt32BE(i, i);
    await writeFile(join(context, 'model.bin'), large);
    await writeFile(join(context, 'VERSION'), '2.0.0\n');
    const tool = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0'), Buffer.alloc(100_000, 0x90)]);
    await writeFile(join(context, 'tool'), tool);
    const rpmdb = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(50_000, 2)]);
    await writeFile(join(context, 'rpmdb.sqlite'), rpmdb);
    await writeFile(join(context, 'Dockerfile'), 'FROM cc-fixture/crlf:a\nCOPY model.bin VERSION tool /opt/\nCOPY rpmdb.sqlite /var/lib/rpm/\n');
    docker('build', '-q', '-t', ref, context);
    try {
      let [image] = await loadImages([ref], { cache, daemon: () => daemon, fastPath: false });
      assert.equal(daemon.exports.length, 1);
      const stored = await readdir(join(dir, 'cache', 'layers'));
      assert.deepEqual(stored.filter((n) => !n.endsWith('.upto16m-text.tar')), [], 'only small-files copies');
      assert.equal(stored.length, image.layers.length);
      // Small files are read from the store, with no export.
      assert.equal((await readFileBytes(cache, image, findFile(image, '/opt/VERSION'))).toString(), '2.0.0\n');
      assert.match((await readFileBytes(cache, image, findFile(image, '/app/config.ini'))).toString(), /=/);
      // rpm's database is binary, and read by the analysis: kept too.
      assert.ok((await readFileBytes(cache, image, findFile(image, '/var/lib/rpm/rpmdb.sqlite'))).equals(rpmdb));
      assert.equal(daemon.exports.length, 1);
      // A small binary is not kept.
      const binary = findFile(image, '/opt/tool');
      assert.equal(binary.entry.text, false);
      assert.equal(cache.layers.holds(image.layers[binary.layer].diffId, binary.entry), false);
      let file = findFile(image, '/opt/model.bin');
      const top = image.layers[file.layer].diffId;
      assert.equal(cache.layers.holds(top, file.entry), false);
      await assert.rejects(readFileBytes(cache, image, file), /model\.bin in layer \d+ are not in the cache/);
      // The large file: its layer is exported again, whole this time.
      [image] = await loadImages([ref], { cache, daemon: () => daemon, needLayerBytes: [top], fastPath: false });
      assert.equal(daemon.exports.length, 2);
      file = findFile(image, '/opt/model.bin');
      assert.ok((await readFileBytes(cache, image, file)).equals(large));
      assert.ok((await readFileBytes(cache, image, findFile(image, '/opt/tool'))).equals(tool));
      assert.ok((await readdir(join(dir, 'cache', 'layers'))).includes(`${top.slice(7)}.tar`));
      assert.equal((await readdir(join(dir, 'cache', 'layers'))).includes(`${top.slice(7)}.upto16m-text.tar`), false, 'the whole layer replaced its copy');
    } finally {
      docker('rmi', ref);
    }
  });

  (FAST_PATH ? it : it.skip)(`reads both images from the engine's layer store without an export (${LOAD_PATH}), and nothing once indexed`, async () => {
    const refs = ['cc-fixture/crlf:a', 'cc-fixture/crlf:b'];
    const sources: string[] = [];
    await loadImages(refs, { cache, daemon: () => daemon, onSource: (s) => sources.push(s.action) });
    assert.deepEqual(daemon.exports, []);
    assert.equal(daemon.storageOpens, 1);
    assert.deepEqual(sources, ['storage', 'storage']);
    // No layer bytes kept: the engine has them, and a file read rebuilds just its layer.
    assert.deepEqual((await readdir(join(dir, 'cache', 'layers'))).filter((n) => n.endsWith('.tar')), []);
    const [a, b] = await loadImages(refs, { cache, daemon: () => daemon, onSource: (s) => sources.push(s.action) });
    assert.equal(daemon.storageOpens, 1, 'the warm run did not read the layer store');
    assert.deepEqual(sources.slice(2), ['cache', 'cache']);
    assert.deepEqual(compareImages(a, b).files.map((f) => f.reasons), [['lineEndings']]);
    // One layer's bytes, asked for: only that layer is rebuilt and stored.
    const top = b.layers[b.layers.length - 1].diffId;
    await loadImages([refs[1]], { cache, daemon: () => daemon, needLayerBytes: [top] });
    assert.deepEqual(daemon.exports, []);
    assert.deepEqual((await readdir(join(dir, 'cache', 'layers'))).filter((n) => n.endsWith('.tar')), [`${top.slice(7)}.tar`]);
  });

  it('reports a daemon that dies mid-export clearly, and caches nothing half-read', async () => {
    daemon.cutAfter = 40 * 1024;
    await assert.rejects(loadImages(['cc-fixture/crlf:a'], { cache, daemon: () => daemon, fastPath: false }), (e: unknown) => {
      assert.ok(e instanceof CompareError);
      assert.match(e.message, /ends early|truncated/);
      return true;
    });
    const temps = (await readdir(join(dir, 'cache', 'layers'))).filter((n) => n.includes('.tmp-'));
    assert.deepEqual(temps, []);
    // A complete run afterwards works and gives the right answer.
    daemon.cutAfter = undefined;
    const [a] = await loadImages(['cc-fixture/crlf:a'], { cache, daemon: () => daemon });
    assert.ok(a.layers.length >= 2);
  });

  it('names an unknown image and the endpoint it asked', async () => {
    await assert.rejects(loadImages(['cc-fixture/does-not-exist:1'], { cache, daemon: () => daemon }), (e: unknown) => {
      assert.ok(e instanceof CompareError && e.reason === 'unknownImage');
      assert.match(e.message, /cc-fixture\/does-not-exist:1/);
      assert.match(e.message, /unix:\/\/\/var\/run\/docker\.sock/);
      return true;
    });
  });
});
