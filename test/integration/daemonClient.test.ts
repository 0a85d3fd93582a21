import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { extract } from 'tar-stream';
import { CompareError } from '../../src/core/util/errors';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';

// Runs against the real engine the environment points at (DOCKER_HOST, the
// current context or /var/run/docker.sock). No engine is a failure, not a skip:
// these tests are the only proof that the client speaks the real API.

const tagA = 'cc-test/daemon-a:1';
const tagB = 'cc-test/daemon-b:1';
/** Large enough that an export cannot fit in socket buffers before we abort it. */
const tagBig = 'cc-test/daemon-big:1';
const ourTags = [tagA, tagB, tagBig];

let work: string;

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** `docker import` of a directory: a one-layer image with exactly these files. */
function importDir(tag: string, files: Record<string, Buffer | string>): void {
  const dir = join(work, tag.replace(/[/:]/g, '_'));
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  const tarFile = `${dir}.tar`;
  execFileSync('tar', ['-C', dir, '-cf', tarFile, '.']);
  docker(['import', tarFile, tag]);
}

function client(): DaemonClient {
  return new DaemonClient(resolveEndpoint({}));
}

async function expectCompareError(p: Promise<unknown>, reason: CompareError['reason'], ...mentions: string[]): Promise<CompareError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CompareError, `expected a CompareError, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    for (const m of mentions) assert.ok(e.message.includes(m), `"${e.message}" should mention ${m}`);
    return e;
  }
  assert.fail(`expected CompareError '${reason}'`);
}

/** Reads a `docker save` stream to its end, returning manifest.json and the entry names. */
async function readSave(stream: Readable): Promise<{ manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[]; names: string[] }> {
  const ex = extract();
  const names: string[] = [];
  let manifest: string | undefined;
  ex.on('entry', (header, entry, next) => {
    names.push(header.name);
    if (header.name === 'manifest.json') {
      const chunks: Buffer[] = [];
      entry.on('data', (c: unknown) => chunks.push(c as Buffer));
      entry.on('end', () => {
        manifest = Buffer.concat(chunks).toString('utf8');
        next();
      });
    } else {
      entry.on('end', () => next());
      entry.resume();
    }
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
    stream.pipe(ex);
  });
  assert.ok(manifest, `no manifest.json among ${names.join(', ')}`);
  return { manifest: JSON.parse(manifest), names };
}

describe('DaemonClient against the real engine', function () {
  this.timeout(120_000);

  before(function () {
    const endpoint = resolveEndpoint({});
    try {
      docker(['version', '--format', '{{.Server.Version}}']);
    } catch (e) {
      throw new Error(`No Docker engine answers at ${endpoint.url}; these tests need one (start dockerd). ${String(e)}`);
    }
    work = mkdtempSync(join(tmpdir(), 'cc-daemon-'));
    importDir(tagA, { 'a.txt': 'alpha\n' });
    importDir(tagB, { 'b.txt': 'bravo\n' });
    importDir(tagBig, { 'blob.bin': randomBytes(32 * 1024 * 1024) });
  });

  after(() => {
    try {
      docker(['rmi', '-f', ...ourTags]);
    } catch {
      // Already gone, or never created because before() failed.
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pings the engine', async () => {
    await client().ping();
  });

  it('inspects an image', async () => {
    const info = await client().inspect(tagA);
    assert.match(info.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(info.repoTags, [tagA]);
    assert.equal(info.diffIds.length, 1);
    assert.match(info.diffIds[0], /^sha256:[0-9a-f]{64}$/);
    assert.equal(info.os, 'linux');
    assert.ok(info.architecture, 'architecture');
    assert.ok(info.created && !Number.isNaN(Date.parse(info.created)), `created ${info.created}`);
    assert.equal(typeof info.size, 'number');
  });

  it('inspects by image ID and by short ID', async () => {
    const c = client();
    const byTag = await c.inspect(tagA);
    assert.equal((await c.inspect(byTag.id)).id, byTag.id);
    assert.equal((await c.inspect(byTag.id.slice(7, 19))).id, byTag.id);
  });

  it('reports an unknown image as unknownImage naming the ref and the endpoint', async () => {
    const c = client();
    await expectCompareError(c.inspect('cc-test/does-not-exist:1'), 'unknownImage', 'cc-test/does-not-exist:1', c.endpoint);
  });

  it('cancels an inspect whose signal is already aborted', async () => {
    await expectCompareError(client().inspect(tagA, AbortSignal.abort()), 'cancelled');
  });

  it('passes the signal to the request (dockerode Image.inspect would drop it)', async () => {
    const c = client();
    const inspecting = new AbortController();
    const p = c.inspect(tagA, inspecting.signal);
    inspecting.abort();
    await expectCompareError(p, 'cancelled');
    const listing = new AbortController();
    const q = c.listImages(listing.signal);
    listing.abort();
    await expectCompareError(q, 'cancelled');
  });

  it('reports a missing socket as daemonUnreachable naming the endpoint', async () => {
    const c = new DaemonClient(resolveEndpoint({ host: `unix://${join(work, 'no-such.sock')}` }));
    await expectCompareError(c.inspect(tagA), 'daemonUnreachable', `unix://${join(work, 'no-such.sock')}`, 'ENOENT', 'DOCKER_HOST');
    await expectCompareError(c.export([tagA]), 'daemonUnreachable', 'ENOENT');
    await expectCompareError(c.ping(), 'daemonUnreachable');
    await expectCompareError(c.listImages(), 'daemonUnreachable');
  });

  it('reports a closed TCP port as daemonUnreachable', async () => {
    const c = new DaemonClient(resolveEndpoint({ host: 'tcp://127.0.0.1:1', env: {} }));
    await expectCompareError(c.ping(), 'daemonUnreachable', 'tcp://127.0.0.1:1', 'ECONNREFUSED');
  });

  it('uses the endpoint it was given even when DOCKER_HOST points elsewhere', async () => {
    // docker-modem reads DOCKER_HOST from process.env under explicit options.
    const endpoint = resolveEndpoint({});
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    let c: DaemonClient;
    try {
      c = new DaemonClient(endpoint);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    await c.ping();
  });

  it('lists images with the typed summary', async () => {
    const c = client();
    const [list, a] = await Promise.all([c.listImages(), c.inspect(tagA)]);
    const row = list.find((r) => r.repoTags.includes(tagA));
    assert.ok(row, `${tagA} not listed`);
    assert.equal(row.id, a.id);
    assert.equal(typeof row.size, 'number');
    assert.ok(!Number.isNaN(Date.parse(row.created)));
    assert.ok(list.every((r) => r.repoTags.every((t) => !t.startsWith('<none>'))));
  });

  it('exports two refs in one save whose manifest.json lists both', async () => {
    const c = client();
    const [a, b] = await Promise.all([c.inspect(tagA), c.inspect(tagB)]);
    const { manifest, names } = await readSave(await c.export([tagA, tagB]));
    assert.equal(manifest.length, 2, JSON.stringify(manifest));
    const tags = manifest.flatMap((m) => m.RepoTags ?? []).sort();
    assert.deepEqual(tags, [tagA, tagB]);
    // Config is "<hex>.json" (legacy) or "blobs/sha256/<hex>" (OCI layout); either names the image ID.
    const configs = manifest.map((m) => m.Config);
    for (const id of [a.id, b.id]) assert.ok(configs.some((p) => p.includes(id.slice(7))), `${id} not in ${configs.join(', ')}`);
    for (const m of manifest) for (const l of m.Layers) assert.ok(names.includes(l), `layer ${l} missing from the tar`);
  });

  it('exports by image ID, as the loader does', async () => {
    const c = client();
    const [a, b] = await Promise.all([c.inspect(tagA), c.inspect(tagB)]);
    const { manifest } = await readSave(await c.export([a.id, b.id]));
    assert.equal(manifest.length, 2, JSON.stringify(manifest));
  });

  it('sends the refs as repeated names= parameters (GET /images/get?names=a&names=b)', async function () {
    // A pass-through unix socket in front of the real engine records the request line.
    const endpoint = resolveEndpoint({});
    const upstream = endpoint.dockerodeOptions.socketPath;
    assert.ok(upstream, 'this test needs the engine on a unix socket (scripts/setup-host.sh starts it so)');
    const proxyPath = join(work, 'proxy.sock');
    const lines: string[] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer((down) => {
      sockets.add(down);
      const up = createConnection(upstream as string);
      sockets.add(up);
      down.once('data', (first: Buffer) => {
        lines.push(first.toString('latin1').split('\r\n')[0]);
        up.write(first);
        down.pipe(up);
      });
      up.pipe(down);
      up.on('error', () => down.destroy());
      down.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => server.listen(proxyPath, r));
    try {
      const c = new DaemonClient(resolveEndpoint({ host: `unix://${proxyPath}` }));
      const { manifest } = await readSave(await c.export([tagA, tagB]));
      assert.equal(manifest.length, 2);
    } finally {
      // dockerode's keep-alive connection would hold close() open for seconds.
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.ok(
      lines.includes(`GET /images/get?names=${encodeURIComponent(tagA)}&names=${encodeURIComponent(tagB)} HTTP/1.1`),
      lines.join('\n'),
    );
  });

  it('reports an unknown ref in an export as unknownImage', async () => {
    const c = client();
    await expectCompareError(c.export([tagA, 'cc-test/does-not-exist:1']), 'unknownImage', '"cc-test/does-not-exist:1"', c.endpoint);
    await expectCompareError(c.export(['cc-test/does-not-exist:1']), 'unknownImage', '"cc-test/does-not-exist:1"', c.endpoint);
  });

  it('destroys the export stream promptly when the signal is aborted', async () => {
    const controller = new AbortController();
    const stream = await client().export([tagBig], controller.signal);
    // Take one chunk, then stop reading so the engine is blocked mid-export.
    await new Promise<void>((resolve, reject) => {
      stream.once('data', () => {
        stream.pause();
        resolve();
      });
      stream.once('error', reject);
    });
    const closed = new Promise<{ error?: unknown; ms: number }>((resolve) => {
      let error: unknown;
      stream.on('error', (e) => (error = e));
      const t0 = Date.now();
      stream.once('close', () => resolve({ error, ms: Date.now() - t0 }));
    });
    controller.abort();
    const { error, ms } = await closed;
    assert.ok(stream.destroyed, 'stream destroyed');
    assert.ok(ms < 1000, `closed after ${ms} ms`);
    assert.ok(error instanceof CompareError && error.reason === 'cancelled', `error ${String(error)}`);
  });

  it('rejects an export whose signal is already aborted', async () => {
    await expectCompareError(client().export([tagA], AbortSignal.abort()), 'cancelled');
  });
});
