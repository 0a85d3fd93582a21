import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Cache } from '../../../../src/core/layers/cache';
import { CompareError } from '../../../../src/core/util/errors';
import { loadImages } from '../../../../src/core/sources/loader';
import { defaultCertsDir, readBody, Transport, type RequestEvent } from '../../../../src/core/registry/transport';
import { DEFAULT_MIN_RATE, parseMinRate, TransferTooSlow } from '../../../../src/core/registry/rate';
import { runCli } from '../../../helpers/runCli';
import { makeTar, sha256 } from '../../../helpers/tarBuilder';

type BlobMode = 'ok' | 'corrupt' | 'long' | 'cut' | 'short' | 'slow';

/**
 * A registry that is only what these tests need (the real one is in the
 * integration tests): one image app:t, and a layer blob that misbehaves on demand.
 */
class FakeRegistry {
  server!: http.Server;
  host = '';
  mode: BlobMode = 'ok';
  /** Statuses to answer the manifest with before answering it (503, 429...), with their Retry-After. */
  manifestFailures: Array<{ status: number; retryAfter?: string }> = [];
  /** Answer the manifest with this status and body instead (an error whose text is hostile). */
  manifestError?: { status: number; body: string };
  /** Answer blobs with a redirect to this base URL. */
  redirectBlobsTo?: string;
  /** Basic credentials required, as user:password. */
  basic?: string;
  seenAuth: Array<string | undefined> = [];
  layer!: Buffer;
  diffId!: string;
  config!: Buffer;
  manifest!: Buffer;

  async start(): Promise<void> {
    const tar = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hello.txt', content: 'hello\r\n'.repeat(2000) }]);
    this.diffId = sha256(tar);
    this.layer = gzipSync(tar);
    this.config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [this.diffId] }, history: [{ created_by: 'COPY hello.txt /etc/' }] }));
    this.manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(this.config), size: this.config.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(this.layer), size: this.layer.length }],
      }),
    );
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seenAuth.push(req.headers.authorization);
    if (this.basic && req.headers.authorization !== `Basic ${Buffer.from(this.basic).toString('base64')}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake"', 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const url = req.url ?? '';
    if (url === '/v2/app/manifests/t') {
      if (this.manifestError) {
        res.writeHead(this.manifestError.status, { 'Content-Type': 'application/json' }).end(this.manifestError.body);
        return;
      }
      const fail = this.manifestFailures.shift();
      if (fail) {
        res.writeHead(fail.status, fail.retryAfter ? { 'Retry-After': fail.retryAfter } : {}).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', 'Content-Length': this.manifest.length }).end(this.manifest);
      return;
    }
    if (url === `/v2/app/blobs/${sha256(this.config)}`) {
      res.writeHead(200, { 'Content-Length': this.config.length }).end(this.config);
      return;
    }
    if (url === `/v2/app/blobs/${sha256(this.layer)}`) {
      if (this.redirectBlobsTo) {
        res.writeHead(307, { Location: `${this.redirectBlobsTo}/storage/layer?sig=x` }).end();
        return;
      }
      return this.sendLayer(res);
    }
    if (url.startsWith('/storage/layer')) return this.sendLayer(res);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  }

  private sendLayer(res: http.ServerResponse): void {
    const body = Buffer.from(this.layer);
    switch (this.mode) {
      case 'ok':
        res.writeHead(200, { 'Content-Length': body.length }).end(body);
        return;
      case 'corrupt':
        body[4] ^= 0xff; // gzip's mtime: still decodes to the same tar, but the blob's digest is wrong
        res.writeHead(200, { 'Content-Length': body.length }).end(body);
        return;
      case 'long':
        res.writeHead(200).end(Buffer.concat([body, Buffer.alloc(1000)])); // chunked: no length to check first
        return;
      case 'short':
        res.writeHead(200).end(body.subarray(0, body.length >> 1)); // chunked, ends cleanly, half the bytes
        return;
      case 'slow': {
        // One byte a second: the idle timeout never fires.
        res.writeHead(200, { 'Content-Length': body.length });
        let sent = 0;
        const timer = setInterval(() => (res.destroyed || sent >= body.length ? clearInterval(timer) : res.write(body.subarray(sent, ++sent))), 1000);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'cut':
        res.writeHead(200, { 'Content-Length': body.length });
        res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('registry client against a fake registry', () => {
  let dir: string;
  let reg: FakeRegistry;
  let events: RequestEvent[];
  const load = async (extra: { configDir?: string; attempts?: number } = {}) => {
    const cache = await Cache.open(join(dir, `cache-${Math.random()}`));
    const [img] = await loadImages([`registry://${reg.host}/app:t`], { cache, registry: { retryDelayMs: 1, onRequest: (e) => events.push(e), ...extra } });
    return { img, cache };
  };
  const temps = async () => {
    const out: string[] = [];
    for (const c of await readdir(dir)) for (const sub of ['layers', 'index-v1']) out.push(...(await readdir(join(dir, c, sub)).catch(() => [] as string[])).filter((n) => n.includes('.tmp-')));
    return out;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-fakereg-'));
    reg = new FakeRegistry();
    await reg.start();
    events = [];
  });
  afterEach(async () => {
    await reg.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an image: config, layer indexed and verified', async () => {
    const { img, cache } = await load();
    assert.equal(img.source, 'registry');
    assert.equal(img.layers[0].diffId, reg.diffId);
    assert.equal(img.layers[0].digest, sha256(reg.layer));
    assert.equal(img.indexes[0].find((e) => e.path === '/etc/hello.txt')?.lineEndings, 'crlf');
    assert.ok(cache.hasIndex(reg.diffId));
  });

  it('retries 503 and 429, honouring Retry-After', async () => {
    reg.manifestFailures = [{ status: 503, retryAfter: '0' }, { status: 429, retryAfter: '1' }];
    const t0 = Date.now();
    await load();
    assert.ok(Date.now() - t0 >= 900, 'waited the second that Retry-After asked for');
    const manifestTries = events.filter((e) => e.url.startsWith('http:') && e.url.endsWith('/manifests/t'));
    assert.deepEqual(manifestTries.map((e) => [e.status, e.attempt]), [[503, 1], [429, 2], [200, 3]]);
  });

  it('gives up after the attempts, saying what the registry answered', async () => {
    reg.manifestFailures = [{ status: 500 }, { status: 500 }, { status: 500 }];
    await assert.rejects(load({ attempts: 3 }), (e: unknown) => e instanceof CompareError && e.reason === 'registry' && /answered 500 for the manifest of app:t/.test(e.message));
  });

  it('does not wait for an absurd Retry-After', async () => {
    reg.manifestFailures = [{ status: 503, retryAfter: '3600' }];
    await assert.rejects(load(), (e: unknown) => e instanceof CompareError && e.reason === 'registry' && /asks to retry after 3600 s/.test(e.message));
  });

  it('follows a blob redirect to storage elsewhere without sending the registry credentials there', async () => {
    const storage = new FakeRegistry();
    await storage.start();
    try {
      reg.redirectBlobsTo = `http://${storage.host}`;
      reg.basic = 'u:p';
      const configDir = join(dir, 'docker');
      await mkdir(configDir);
      await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('u:p').toString('base64') } } }));
      storage.layer = reg.layer;
      const { img } = await load({ configDir });
      assert.equal(img.layers[0].diffId, reg.diffId);
      assert.ok(reg.seenAuth.some((a) => a?.startsWith('Basic ')), 'the registry got the credentials');
      assert.deepEqual(storage.seenAuth, [undefined], 'the storage did not');
    } finally {
      await storage.stop();
    }
  });

  it('a blob whose digest is wrong is refused, and named', async () => {
    reg.mode = 'corrupt';
    await assert.rejects(load(), (e: unknown) => e instanceof CompareError && e.reason === 'badArchive' && /layer 1 \(sha256:[a-f0-9]{64}\): content does not match its digest/.test(e.message));
  });

  it('a blob longer than the manifest says is refused before it is indexed', async () => {
    reg.mode = 'long';
    await assert.rejects(load(), (e: unknown) => e instanceof CompareError && e.reason === 'badArchive' && /sends more than the \d+ bytes the manifest says/.test(e.message));
    assert.deepEqual(await temps(), []);
  });

  for (const mode of ['cut', 'short'] as const) {
    it(`a download that breaks off (${mode === 'cut' ? 'socket cut' : 'response ends early'}) is a clear error and leaves nothing cached`, async () => {
      reg.mode = mode;
      let cache: Cache | undefined;
      await assert.rejects(
        (async () => {
          cache = await Cache.open(join(dir, 'cache-broken'));
          await loadImages([`registry://${reg.host}/app:t`], { cache, registry: { retryDelayMs: 1 } });
        })(),
        (e: unknown) => e instanceof CompareError && e.reason === 'registry' && /the download of layer 1 of .*app:t \(sha256:[a-f0-9]{64}\) broke off after \d+ of \d+ bytes/.test(e.message),
      );
      assert.equal(cache!.hasIndex(reg.diffId), false);
      assert.equal(cache!.layers.has(reg.diffId), false);
      assert.deepEqual(await temps(), []);
      reg.mode = 'ok';
      assert.equal((await load()).img.layers[0].diffId, reg.diffId, 'the next run succeeds');
    });
  }

  it('a registry sending a byte a second: the CLI fails within the window, naming the registry and the blob, nothing cached', async function () {
    this.timeout(15_000);
    reg.mode = 'slow';
    const cacheDir = join(dir, 'cache-slow');
    const t0 = Date.now();
    const r = await runCli(['ls', `registry://${reg.host}/app:t`, '--registry-min-rate', '100/2s', '--cache-dir', cacheDir]);
    const took = Date.now() - t0;
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const digest = sha256(reg.layer);
    assert.match(
      r.stderr,
      new RegExp(`^container-compare: ${reg.host}: gave up the download of layer 1 of ${reg.host}/app:t \\(${digest}\\) after \\d+ of ${reg.layer.length} bytes: ${reg.host} is sending too slowly: \\d+ bytes in 2(\\.\\d)? s, below the minimum of 100 B/s over 2 s \\(GET http://${reg.host}/v2/app/blobs/${digest}\\); the minimum is --registry-min-rate \\(the containerCompare\\.registries\\.minRate setting\\); nothing of it was cached\n$`),
    );
    assert.ok(took < 8000, `gave up after ${took} ms`);
    assert.deepEqual(await temps(), []);
    const cache = await Cache.open(cacheDir);
    assert.equal(cache.hasIndex(reg.diffId), false);
  });

  it('the default minimum rate lets a normal download through, and a bad --registry-min-rate is refused', async () => {
    assert.deepEqual(DEFAULT_MIN_RATE, { bytesPerSecond: 1024, windowMs: 60_000 });
    assert.deepEqual(parseMinRate('1K/30s', 'x'), { bytesPerSecond: 1024, windowMs: 30_000 });
    assert.deepEqual(parseMinRate('100', 'x'), { bytesPerSecond: 100, windowMs: 60_000 });
    assert.deepEqual(parseMinRate('0', 'x'), { bytesPerSecond: 0, windowMs: 60_000 });
    const ok = await runCli(['ls', `registry://${reg.host}/app:t`, '/etc', '--registry-min-rate', '1K/1s', '--cache-dir', join(dir, 'cache-ok')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /hello\.txt/);
    const bad = await runCli(['ls', `registry://${reg.host}/app:t`, '--registry-min-rate', 'fast', '--cache-dir', join(dir, 'cache-bad')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'container-compare: --registry-min-rate expects a rate in bytes per second, optionally over a window of seconds, like 1K or 1K/30s (0 turns it off), got "fast"\n');
  });

  it("a registry's error body with control characters is one inert line", async () => {
    reg.manifestError = { status: 404, body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'gone\x1b]0;pwned\x07\nFindings\n  \u2717 fake \u202eline\x9b2J' }] }) };
    const r = await runCli(['ls', `registry://${reg.host}/app:t`, '--cache-dir', join(dir, 'cache-err')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.doesNotMatch(r.stderr.slice(0, -1), /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    assert.match(r.stderr, /MANIFEST_UNKNOWN gone\\x1b\]0;pwned\\x07\\x0aFindings\\x0a {2}✗ fake \\u\{202e\}line\\x9b2J/);
  });
});

describe('the minimum transfer rate (transport)', () => {
  let server: net.Server | http.Server | undefined;
  afterEach(async () => {
    if (!server) return;
    (server as http.Server).closeAllConnections?.();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  });
  const listen = async (s: net.Server | http.Server) => {
    server = s;
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as AddressInfo).port;
  };

  it('headers sent a byte a second fail too (no retry), naming the host and the URL', async function () {
    this.timeout(10_000);
    const sockets: net.Socket[] = [];
    const port = await listen(
      net.createServer((c) => {
        sockets.push(c);
        c.on('error', () => undefined);
        const text = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';
        let i = 0;
        const timer = setInterval(() => (c.destroyed || i >= text.length ? clearInterval(timer) : c.write(text[i++])), 1000);
        c.on('close', () => clearInterval(timer));
      }),
    );
    const events: RequestEvent[] = [];
    const t = new Transport({ minRate: { bytesPerSecond: 100, windowMs: 1500 }, onRequest: (e) => events.push(e), retryDelayMs: 1 });
    const t0 = Date.now();
    try {
      await assert.rejects(t.request(new URL(`http://127.0.0.1:${port}/v2/`)), (e: unknown) => {
        assert.ok(e instanceof TransferTooSlow, String(e));
        assert.match(e.message, new RegExp(`^127\\.0\\.0\\.1:${port} is sending too slowly: \\d bytes in 1\\.\\d s, below the minimum of 100 B/s over 1\\.5 s \\(GET http://127\\.0\\.0\\.1:${port}/v2/\\)`));
        return true;
      });
    } finally {
      t.close();
      for (const c of sockets) c.destroy();
    }
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(events.length, 1, 'not retried');
  });

  it('a reader that holds the body back is not the registry being slow', async function () {
    this.timeout(10_000);
    const big = Buffer.alloc(8 << 20, 7);
    const port = await listen(http.createServer((_req, res) => res.writeHead(200, { 'Content-Length': big.length }).end(big)));
    const t = new Transport({ minRate: { bytesPerSecond: 1 << 20, windowMs: 300 } });
    try {
      const res = await t.request(new URL(`http://127.0.0.1:${port}/blob`));
      // The buffers fill in milliseconds; then nothing is read for several windows.
      await new Promise((r) => setTimeout(r, 1500));
      const body = await readBody(res, big.length, 'the blob');
      assert.equal(body.length, big.length);
    } finally {
      t.close();
    }
  });
});

describe('insecure registries (Docker rules)', () => {
  it('loopback is insecure by default, as in Docker (127.0.0.0/8, ::1, names resolving there)', async () => {
    const t = new Transport();
    assert.equal(await t.isInsecure('127.0.0.1:5000'), true);
    assert.equal(await t.isInsecure('127.8.9.10'), true);
    assert.equal(await t.isInsecure('[::1]:5000'), true);
    assert.equal(await t.isInsecure('localhost:5000'), true);
    assert.equal(await t.isInsecure('10.1.2.3:5000'), false);
    assert.equal(await new Transport({ insecureLoopback: false }).isInsecure('127.0.0.1:5000'), false);
  });
  it('hosts, host:port and CIDRs of the insecure list', async () => {
    const t = new Transport({ insecure: ['registry.lan:5000', 'other.lan', '10.0.0.0/8'], insecureLoopback: false });
    assert.equal(await t.isInsecure('registry.lan:5000'), true);
    assert.equal(await t.isInsecure('registry.lan:5001'), false);
    assert.equal(await t.isInsecure('other.lan:443'), true);
    assert.equal(await t.isInsecure('10.1.2.3:5000'), true);
    assert.equal(await t.isInsecure('11.1.2.3:5000'), false);
  });
});

describe("Docker's certs.d folder", () => {
  it('is where Docker reads it on each platform', () => {
    assert.equal(defaultCertsDir('linux', {}), '/etc/docker/certs.d');
    assert.match(defaultCertsDir('darwin', {}), /\.docker\/certs\.d$/);
    assert.equal(defaultCertsDir('win32', { ProgramData: 'D:\\PD' }).replace(/\\/g, '/'), 'D:/PD/docker/certs.d');
  });
});
