import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import type Dockerode from 'dockerode';
import type { EngineStorage, StorageAccess, StorageRequest } from '../../src/core/image/daemon';
import type { ImageModel } from '../../src/core/image/model';
import { Cache } from '../../src/core/layers/cache';
import { OWNER_LABEL, PURPOSE_LABEL, RUN_LABEL } from '../../src/core/run/runModel';
import { loadImages, type LoadAction } from '../../src/core/sources/loader';
import { CompareError } from '../../src/core/util/errors';
import { DaemonClient, type EngineInfo } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import type { FastPathMode } from '../../src/docker/layerStore';
import { removeLeftovers } from '../../src/docker/runner';
import { RunOwnership } from '../../src/docker/run/ownership';
import { docker, requireImages } from '../helpers/docker';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const PHP = ['cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci'];
const CRLF = ['cc-fixture/crlf:a', 'cc-fixture/crlf:b'];

/** Every fixture image on this engine: what the identity test reads both ways. */
function fixtureImages(): string[] {
  return docker('images', '--format', '{{.Repository}}:{{.Tag}}')
    .split('\n')
    .filter((r) => /^cc-(fixture|example|diag)\//.test(r) && !r.endsWith(':<none>'))
    .sort();
}

/** The fast path's helper containers on the engine (labelled as ours, purpose layer-store). */
function helpers(): Array<{ id: string; owner: string }> {
  return docker('ps', '-a', '--filter', `label=${PURPOSE_LABEL}=layer-store`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`)
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, owner] = l.split(' ');
      return { id, owner };
    });
}
const mine = () => helpers().filter((h) => h.owner === `${hostname()}:${process.pid}`);

/** The engine, reached with the fast path forced one way (or off). */
const client = (fastPath: FastPathMode) => new DaemonClient(resolveEndpoint({}), { fastPath });

/**
 * A client that reads the layer store one way (direct, container) but lets
 * the loader fall back to the export as `auto` does; `tamper` breaks the
 * store the way a test needs.
 */
class Lenient extends DaemonClient {
  constructor(
    fastPath: FastPathMode,
    private readonly tamper: (s: EngineStorage) => EngineStorage = (s) => s,
  ) {
    super(resolveEndpoint({}), { fastPath });
  }
  override async storage(request: StorageRequest): Promise<StorageAccess> {
    const access = await super.storage(request);
    return 'storage' in access ? { storage: this.tamper(access.storage), required: false } : { ...access, required: false };
  }
}

/** A client whose engine reports another storage driver (vfs, the containerd image store). */
class OtherDriver extends DaemonClient {
  constructor(
    fastPath: FastPathMode,
    private readonly fake: Partial<EngineInfo>,
  ) {
    super(resolveEndpoint({}), { fastPath });
  }
  override async info(signal?: AbortSignal): Promise<EngineInfo> {
    return { ...(await super.info(signal)), ...this.fake };
  }
}

/** A client whose engine refuses the helper container's bind (as a remote engine or an authorization plugin would). */
class RefusesBind extends Lenient {
  override get docker(): Dockerode {
    const real = super.docker;
    return new Proxy(real, {
      get: (target, prop, receiver) =>
        prop === 'createContainer'
          ? async () => {
              throw Object.assign(new Error('(HTTP code 403) unexpected - authorization denied by plugin: binds of the data root are not allowed'), { statusCode: 403 });
            }
          : Reflect.get(target, prop, receiver),
    });
  }
}

async function load(refs: string[], daemon: DaemonClient, cache: Cache, extra: Parameters<typeof loadImages>[1] extends infer O ? Partial<O> : never = {}) {
  const action = new Map<string, LoadAction>();
  const notes: string[] = [];
  const models = await loadImages(refs, { cache, daemon: () => daemon, onSource: (s) => action.set(s.ref, s.action), onNote: (n) => notes.push(n.message), ...extra });
  // Where each image came from, in the order of `refs`.
  return { models, sources: refs.map((r) => action.get(r)), notes };
}

describe('the fast path: images read from the engine\'s layer store', function () {
  let dir: string;
  const caches: Cache[] = [];
  const cache = async () => {
    const c = await Cache.open(join(dir, `cache-${caches.length}`));
    caches.push(c);
    return c;
  };
  before(() => requireImages(...PHP, ...CRLF));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-fast-'));
    caches.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(mine(), [], 'no helper container of this process is left');
  });

  it('gives every fixture image the same model and index as the export, both ways (direct, helper container)', async () => {
    const refs = fixtureImages();
    assert.ok(refs.length >= 40, `the fixture images are built (${refs.length} found; run scripts/build-fixtures.sh and scripts/build-diagnosis-pairs.sh)`);
    const viaExport = await load(refs, client('off'), await cache());
    assert.ok(viaExport.sources.every((s) => s === 'export'));
    const indexes = async (c: Cache, models: ImageModel[]) => {
      const out: Record<string, string> = {};
      for (const d of new Set(models.flatMap((m) => m.layers.map((l) => l.diffId)))) out[d] = (await readFile(c.indexFile(d))).toString('base64');
      return out;
    };
    const reference = await indexes(caches[0], viaExport.models);
    for (const mode of ['direct', 'container'] as const) {
      const c = await cache();
      const fast = await load(refs, client(mode), c);
      assert.deepEqual(fast.sources, refs.map(() => 'storage'), `${mode}: every image from the layer store`);
      for (const [i, ref] of refs.entries()) {
        // Entries, modes, owners, content hashes, text and line endings, offsets: the whole model.
        assert.deepEqual(fast.models[i], viaExport.models[i], `${mode}: ${ref}`);
        assert.deepEqual(await c.readConfig(fast.models[i].id), await caches[0].readConfig(fast.models[i].id), `${mode}: the config of ${ref}`);
      }
      assert.deepEqual(await indexes(c, fast.models), reference, `${mode}: the cached indexes`);
    }
  });

  it('stores a layer\'s bytes only when asked, and they are the bytes the export gives', async () => {
    const viaExport = await cache();
    const [e] = (await load([PHP[1]], client('off'), viaExport, { needBytes: true })).models;
    const c = await cache();
    for (const mode of ['direct', 'container'] as const) {
      const top = e.layers[e.layers.length - 2].diffId;
      const { sources } = await load([PHP[1]], client(mode), c, { needLayerBytes: [top] });
      assert.deepEqual(sources, ['storage']);
      assert.deepEqual(await readdir(c.layers.dir), [`${top.slice(7)}.tar`]);
      assert.ok((await readFile(c.layers.file(top))).equals(await readFile(viaExport.layers.file(top))), `${mode}: the stored bytes`);
      await rm(c.layers.file(top));
    }
  });

  for (const mode of ['direct', 'container'] as const) {
    it(`${mode}: a layer whose rebuilt tar is not its diffID is never indexed from the store; its image is exported`, async () => {
      const c = await cache();
      // crlf:a's last layer, rebuilt from a record with one header byte changed.
      const [ref] = (await load([CRLF[0]], client('off'), await cache())).models;
      const bad = ref.layers[ref.layers.length - 1].diffId;
      const daemon = new Lenient(mode, (s) => ({
        ...s,
        description: s.description,
        config: (id, signal) => s.config(id, signal),
        close: () => s.close(),
        layer: async (chain, signal) => {
          const l = await s.layer(chain, signal);
          if (l.diffId !== bad) return l;
          return {
            ...l,
            tarSplit: async () => {
              const parts: Buffer[] = [];
              for await (const p of await l.tarSplit()) parts.push(p as Buffer);
              const lines = gunzipSync(Buffer.concat(parts)).toString('utf8').split('\n');
              const k = lines.findIndex((x) => x.includes('"type":2'));
              const seg = JSON.parse(lines[k]) as { payload: string };
              const bytes = Buffer.from(seg.payload, 'base64');
              // The first header's mtime, one second off, its checksum made right again: a valid tar with the
              // same files and the same index, only not the layer; its sha256 is what tells.
              bytes[146] = bytes[146] === 0x37 ? 0x36 : bytes[146] + 1;
              bytes.fill(0x20, 148, 156);
              let sum = 0;
              for (let i = 0; i < 512; i++) sum += bytes[i];
              bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
              lines[k] = JSON.stringify({ ...seg, payload: bytes.toString('base64') });
              return Readable.from([gzipSync(lines.join('\n'))]);
            },
          };
        },
      }));
      // The other image of the pair (which shares only the base) still comes from the store.
      const r = await load(CRLF, daemon, c);
      assert.deepEqual(r.sources, ['export', 'storage']);
      assert.ok(r.notes.some((n) => /hashes to sha256:[0-9a-f]{12}, not to its diffID/.test(n)), r.notes.join('\n'));
      assert.deepEqual(r.models[0], ref);
    });
  }

  it('exports when the storage driver is not overlay2 (vfs, the containerd image store), and says so', async () => {
    for (const fake of [{ driver: 'vfs' }, { driver: 'overlayfs', driverStatus: { 'driver-type': 'io.containerd.snapshotter.v1' } }]) {
      const r = await load(CRLF, new OtherDriver('auto', fake), await cache());
      assert.deepEqual(r.sources, ['export', 'export']);
      assert.match(r.notes.join('\n'), /Exporting instead of reading the engine's layer store: the engine keeps images with (vfs|overlayfs \(io\.containerd\.snapshotter\.v1\)), not overlay2/);
      // Forced, it fails instead.
      await assert.rejects(load(CRLF, new OtherDriver('container', fake), await cache()), (e: unknown) => e instanceof CompareError && e.reason === 'unsupported');
    }
  });

  it('exports when the engine refuses the helper container\'s bind', async () => {
    const r = await load(CRLF, new RefusesBind('container'), await cache());
    assert.deepEqual(r.sources, ['export', 'export']);
    assert.match(r.notes.join('\n'), /the engine refused the helper container \(.*authorization denied by plugin/);
  });

  it('the helper container is created from the image read, labelled as ours, never started, and removed', async () => {
    const events: string[] = [];
    const real = client('container');
    const controller = new AbortController();
    const stream = (await real.docker.getEvents({ filters: { type: ['container'], label: [`${PURPOSE_LABEL}=layer-store`] }, abortSignal: controller.signal } as Dockerode.GetEventsOptions)) as unknown as Readable;
    stream.on('data', (c: Buffer) => {
      for (const line of c.toString('utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
        events.push(`${e.Action} ${e.Actor.Attributes.image} ${e.Actor.Attributes[RUN_LABEL] ? 'run-labelled' : 'UNLABELLED'} ${e.Actor.Attributes[OWNER_LABEL] === `${hostname()}:${process.pid}` ? 'owned' : 'NOT-OWNED'}`);
      }
    });
    try {
      const r = await load(PHP, real, await cache());
      assert.deepEqual(r.sources, ['storage', 'storage']);
      await new Promise((res) => setTimeout(res, 300)); // the last events
    } finally {
      controller.abort();
      stream.destroy();
    }
    const id = docker('image', 'inspect', '--format', '{{.Id}}', PHP[0]).trim();
    const kinds = events.map((e) => e.split(' ')[0]);
    assert.ok(kinds.includes('create') && kinds.includes('destroy'), events.join('\n'));
    assert.ok(!kinds.includes('start'), `never started: ${events.join('\n')}`);
    assert.equal(kinds.filter((k) => k === 'create').length, kinds.filter((k) => k === 'destroy').length, events.join('\n'));
    for (const e of events.filter((x) => x.startsWith('create'))) assert.equal(e, `create ${id} run-labelled owned`);
  });

  it('leaves no helper container behind when a load is aborted at any moment', async () => {
    for (const ms of [0, 10, 50, 150, 400, 900, 1800]) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ms);
      try {
        await load(PHP, client('container'), await cache(), { signal: controller.signal });
      } catch (e) {
        assert.ok(e instanceof CompareError && e.reason === 'cancelled', `${ms} ms: ${e}`);
      } finally {
        clearTimeout(timer);
      }
      assert.deepEqual(mine(), [], `nothing left after an abort at ${ms} ms`);
      const temps = (await Promise.all(caches.map((c) => readdir(c.layers.dir)))).flat().filter((n) => n.includes('.tmp-'));
      assert.deepEqual(temps, [], `no temp file left after an abort at ${ms} ms`);
    }
  });

  it('a CLI killed outright (SIGKILL) leaves its helper container; the next sweep removes it', async () => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    const child = spawn(process.execPath, [CLI, 'diff', ...PHP, '--cache-dir', join(dir, 'killed')], { stdio: 'ignore', env: { ...process.env, CONTAINER_COMPARE_FAST_PATH: 'container' } });
    const owner = `${hostname()}:${child.pid}`;
    const t0 = Date.now();
    while (!helpers().some((h) => h.owner === owner)) {
      if (Date.now() - t0 > 60_000) throw new Error('the CLI never created its helper container');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const left = helpers().filter((h) => h.owner === owner);
    assert.ok(left.length >= 1);
    // The killed CLI's helper carries a token of its cache folder's key: only that key proves it is ours.
    const removed = await removeLeftovers(client('off'), { ownership: await RunOwnership.load(join(dir, 'killed')) });
    assert.deepEqual(
      removed.filter((c) => c.owner === owner).map((c) => c.reason),
      left.map(() => `its process ${child.pid} is gone`),
    );
    assert.deepEqual(helpers().filter((h) => h.owner === owner), []);
  });
});
