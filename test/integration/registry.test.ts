import { strict as assert } from 'node:assert';
import { Transport } from '../../src/core/registry/transport';
import { RegistryClient } from '../../src/core/registry/client';
import { runCli } from '../helpers/runCli';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '../../src/core/layers/cache';
import { compareImages, type Comparison } from '../../src/core/diff/compare';
import { CompareError } from '../../src/core/util/errors';
import { findFile, readImageFile } from '../../src/core/layers/files';
import { loadImages } from '../../src/core/sources/loader';
import type { ImageModel } from '../../src/core/image/model';
import type { RequestEvent } from '../../src/core/registry/transport';
import { DaemonClient } from '../../src/docker/daemonClient';
import { resolveEndpoint } from '../../src/docker/endpoint';
import { requireImages } from '../helpers/docker';
import { authOf, makeTlsFiles, pushImage, RegistryServer, requireRegistryTools, TokenServer, writeDockerConfig, writeHtpasswd } from '../helpers/registry';

const PHP_LAPTOP = 'cc-example/php-fcgid:laptop';
const PHP_CI = 'cc-example/php-fcgid:ci';
const CRLF_A = 'cc-fixture/crlf:a';
const CRLF_B = 'cc-fixture/crlf:b';
const V2S2 = 'application/vnd.docker.distribution.manifest.v2+json';

/** What must be the same whatever the source: the alignment and every file difference with its reasons. */
function essence(c: Comparison) {
  return {
    layers: c.layers.map((l) => [l.status, l.a?.diffId, l.b?.diffId, l.files.map((f) => `${f.change} ${f.path} ${f.reasons}`)]),
    files: c.files.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.layer}`),
  };
}

const daemon = () => new DaemonClient(resolveEndpoint({}));

/** Every HTTP exchange of the client, for counting. */
class Recorder {
  events: RequestEvent[] = [];
  readonly onRequest = (e: RequestEvent) => this.events.push(e);
  /** The exchanges that got an answer (not the connection attempts that failed). */
  answered(): RequestEvent[] {
    return this.events.filter((e) => e.status !== undefined);
  }
  blobGets(): string[] {
    return this.events.filter((e) => e.status === 200 && /\/blobs\/sha256:/.test(e.url)).map((e) => /(sha256:[a-f0-9]{64})/.exec(e.url)![1]);
  }
}

function rejectsWith(reason: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof CompareError, `a CompareError, not ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

async function tempsIn(cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['layers', 'index-v1', 'configs', 'digests']) {
    for (const n of await readdir(join(cacheDir, sub)).catch(() => [] as string[])) if (n.includes('.tmp-')) out.push(`${sub}/${n}`);
  }
  return out;
}

/** A fake docker-credential-NAME on a PATH of its own: answers for one server, logs what it was asked. */
function fakeHelper(binDir: string, name: string, server: string, user: string, secret: string): { env: NodeJS.ProcessEnv; asked: () => string[] } {
  mkdirSync(binDir, { recursive: true });
  const logFile = join(binDir, `${name}.log`);
  writeFileSync(logFile, '');
  const script = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported action $1" >&2; exit 1; }
server=$(cat)
printf '%s\\n' "$server" >> '${logFile}'
if [ "$server" = '${server}' ]; then
  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n' "$server" '${user}' '${secret}'
else
  echo "credentials not found in native keychain"
  exit 1
fi
`;
  const file = join(binDir, `docker-credential-${name}`);
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return { env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` }, asked: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean) };
}

/** PUTs an OCI index into the registry (what `docker buildx --platform a,b` pushes). */
async function putIndex(server: RegistryServer, repo: string, tag: string, entries: Array<{ tag: string; platform: { os: string; architecture: string } }>): Promise<void> {
  const get = (path: string) =>
    new Promise<{ body: Buffer; digest: string }>((res, rej) => {
      http.get(`${server.url}${path}`, { headers: { Accept: V2S2 } }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => res({ body: Buffer.concat(parts), digest: String(r.headers['docker-content-digest']) }));
      }).on('error', rej);
    });
  const manifests = [];
  for (const e of entries) {
    const m = await get(`/v2/${repo}/manifests/${e.tag}`);
    manifests.push({ mediaType: V2S2, digest: m.digest, size: m.body.length, platform: e.platform });
  }
  const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
  await new Promise<void>((res, rej) => {
    const req = http.request(`${server.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } }, (r) => {
      r.resume();
      if (r.statusCode === 201) res();
      else rej(new Error(`PUT index: ${r.statusCode}`));
    });
    req.on('error', rej);
    req.end(body);
  });
}

describe('registry images: a real registry (Distribution 2.8) on loopback', function () {
  let dir: string;
  let storage: string;
  let plain: RegistryServer;
  const servers: RegistryServer[] = [];
  let phpReference: ReturnType<typeof essence>;
  let crlfReference: ReturnType<typeof essence>;
  let localCrlfA: ImageModel;
  let localCrlfB: ImageModel;
  let n = 0;
  const freshCache = async () => {
    const d = join(dir, `cache-${++n}`);
    return { cache: await Cache.open(d), cacheDir: d };
  };

  before(async function () {
    requireRegistryTools();
    requireImages(PHP_LAPTOP, PHP_CI, CRLF_A, CRLF_B);
    dir = await mkdtemp(join(tmpdir(), 'cc-registry-'));
    storage = join(dir, 'storage');
    plain = await RegistryServer.start({ storage, dir });
    servers.push(plain);
    // One storage for every registry below: push once, serve it plain, with basic auth, TLS and tokens.
    pushImage(PHP_CI, `${plain.host}/php-fcgid:ci`);
    pushImage(CRLF_A, `${plain.host}/crlf:a`);
    pushImage(CRLF_B, `${plain.host}/crlf:b`);
    pushImage(CRLF_B, `${plain.host}/ocifmt:b`, { format: 'oci' });
    pushImage(CRLF_A, `${plain.host}/multi:amd64`);
    pushImage(CRLF_B, `${plain.host}/multi:arm64`);
    await putIndex(plain, 'multi', 'both', [
      { tag: 'amd64', platform: { os: 'linux', architecture: 'amd64' } },
      { tag: 'arm64', platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const ref = await freshCache();
    const [ci, laptop, a, b] = await loadImages([PHP_CI, PHP_LAPTOP, CRLF_A, CRLF_B], { cache: ref.cache, daemon });
    phpReference = essence(compareImages(ci, laptop));
    crlfReference = essence(compareImages(a, b));
    [localCrlfA, localCrlfB] = [a, b];
  });

  after(async () => {
    for (const s of servers) await s.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('plain HTTP, anonymous (loopback registries are insecure, as in Docker)', () => {
    it('remote vs local: downloads only the layers the local image lacks, and compares exactly as local vs local', async () => {
      const { cache } = await freshCache();
      const [laptop] = await loadImages([PHP_LAPTOP], { cache, daemon });
      const rec = new Recorder();
      const mark = plain.access().length;
      const progress: Array<{ bytes?: number; totalBytes?: number }> = [];
      const sources: string[] = [];
      const [ci, laptop2] = await loadImages([`registry://${plain.host}/php-fcgid:ci`, PHP_LAPTOP], {
        cache,
        daemon,
        registry: { onRequest: rec.onRequest },
        onProgress: (p) => progress.push(p),
        onSource: (s) => sources.push(s.action),
      });
      assert.equal(ci.source, 'registry');
      assert.equal(ci.name, `${plain.host}/php-fcgid:ci`);
      assert.match(ci.repoDigest ?? '', new RegExp(`^${plain.host}/php-fcgid@sha256:[a-f0-9]{64}$`));
      assert.deepEqual(sources, ['cache', 'download']);

      const shared = new Set(laptop.layers.map((l) => l.diffId));
      const missing = ci.layers.filter((l) => !shared.has(l.diffId));
      assert.ok(missing.length >= 1 && missing.length < ci.layers.length, `some layers are shared (${missing.length} of ${ci.layers.length} missing)`);
      const wantBlobs = missing.map((l) => l.digest!).sort();
      // The client's own count, and the registry's access log, independently: the shared layers were not asked for.
      assert.deepEqual(rec.blobGets().filter((d) => d !== ci.id).sort(), wantBlobs);
      const served = plain.access().slice(mark).filter((l) => l.method === 'GET' && l.status === 200 && /\/blobs\//.test(l.path));
      assert.deepEqual(served.map((l) => /(sha256:[a-f0-9]{64})/.exec(l.path)![1]).filter((d) => d !== ci.id).sort(), wantBlobs);
      const wantBytes = missing.reduce((s, l) => s + l.compressedSize!, 0);
      assert.equal(served.filter((l) => !l.path.includes(ci.id)).reduce((s, l) => s + l.bytes, 0), wantBytes);
      assert.equal(progress.at(-1)?.bytes, wantBytes, 'progress ends at the bytes of the missing layers');
      assert.equal(progress.at(-1)?.totalBytes, wantBytes);

      assert.deepEqual(essence(compareImages(ci, laptop2)), phpReference);
    });

    it('the CLI: diff a registry image with a local one, --remote for plain names, cat of an indexed image fetching one layer', async () => {
      const { cacheDir } = await freshCache();
      const remote = `${plain.host}/php-fcgid:ci`;
      const diff = await runCli(['diff', `registry://${remote}`, PHP_LAPTOP, '--json', '--cache-dir', cacheDir]);
      assert.equal(diff.code, 1, diff.stderr);
      const local = await runCli(['diff', PHP_CI, PHP_LAPTOP, '--json', '--cache-dir', cacheDir]);
      const files = (out: string) => (JSON.parse(out) as { files: unknown[] }).files;
      assert.deepEqual(files(diff.stdout), files(local.stdout));
      assert.equal((JSON.parse(diff.stdout) as { a: { source: string } }).a.source, 'registry');
      // A plain name is the engine's unless --remote says otherwise.
      assert.equal((await runCli(['layers', remote, '--cache-dir', cacheDir])).code, 2);
      const layers = await runCli(['layers', remote, '--remote', '--json', '--cache-dir', cacheDir]);
      assert.equal(layers.code, 0, layers.stderr);
      // Indexed but no bytes kept (--cache-size 0): cat downloads the one layer that holds the file.
      const indexOnly = await freshCache();
      assert.equal((await runCli(['layers', `registry://${remote}`, '--cache-size', '0', '--cache-dir', indexOnly.cacheDir])).code, 0);
      const tars = async () => (await readdir(join(indexOnly.cacheDir, 'layers'))).filter((f) => f.endsWith('.tar'));
      assert.deepEqual(await tars(), []);
      const cat = await runCli(['cat', `registry://${remote}`, '/var/www/html/index.php', '--cache-dir', indexOnly.cacheDir]);
      assert.equal(cat.code, 0, cat.stderr);
      assert.match(cat.stdout, /<\?php phpinfo\(\); \?>\r\n/);
      assert.equal((await tars()).length, 1, `layers stored: ${(await tars()).join(', ')}`);
    });

    it('lists the catalog and the tags of a repository', async () => {
      const client = new RegistryClient(plain.host, new Transport());
      const catalog = await client.catalog();
      for (const repo of ['crlf', 'php-fcgid', 'multi']) assert.ok(catalog?.includes(repo), `${repo} missing from ${catalog?.join(', ')}`);
      assert.deepEqual(await client.listTags('crlf'), ['a', 'b']);
      await assert.rejects(client.listTags('no-such-repo'), (e: CompareError) => e.reason === 'unknownImage' && /no-such-repo/.test(e.message));
    });

    it('a warm run asks for the manifest only: no layer, no config', async () => {
      const { cache } = await freshCache();
      const ref = `registry://${plain.host}/crlf:a`;
      await loadImages([ref], { cache });
      const rec = new Recorder();
      const sources: string[] = [];
      const [a] = await loadImages([ref], { cache, registry: { onRequest: rec.onRequest }, onSource: (s) => sources.push(s.action) });
      // (An insecure registry is first tried over HTTPS, as Docker does: that attempt fails before any answer.)
      assert.deepEqual(rec.answered().map((e) => `${e.status} ${new URL(e.url).pathname}`), ['200 /v2/crlf/manifests/a']);
      assert.deepEqual(sources, ['cache']);
      assert.equal(a.id, localCrlfA.id, 'the config digest is the image id docker knows');
    });

    it('two registry images sharing layers download each layer once, and compare as the local pair', async () => {
      const { cache } = await freshCache();
      const rec = new Recorder();
      const [a, b] = await loadImages([`registry://${plain.host}/crlf:a`, `registry://${plain.host}/crlf:b`], { cache, registry: { onRequest: rec.onRequest } });
      const layerBlobs = rec.blobGets().filter((d) => d !== a.id && d !== b.id);
      assert.equal(new Set(layerBlobs).size, layerBlobs.length, 'no blob twice');
      assert.equal(layerBlobs.length, new Set([...a.layers, ...b.layers].map((l) => l.diffId)).size);
      assert.deepEqual(essence(compareImages(a, b)), crlfReference);
    });

    it('reading a file fetches only the layer that holds it', async () => {
      const { cache } = await freshCache();
      const ref = `registry://${plain.host}/php-fcgid:ci`;
      await loadImages([PHP_LAPTOP], { cache, daemon });
      const [ci] = await loadImages([ref], { cache });
      const file = findFile(ci, '/usr/local/bin/install-fcgid.sh');
      const diffId = ci.layers[file.layer].diffId;
      await unlink(cache.layers.file(diffId)); // evicted
      const rec = new Recorder();
      const [again] = await loadImages([ref], { cache, needLayerBytes: [diffId], registry: { onRequest: rec.onRequest } });
      assert.deepEqual(rec.blobGets(), [ci.layers[file.layer].digest]);
      const chunks: Buffer[] = [];
      for await (const c of await readImageFile(cache, again, file)) chunks.push(c as Buffer);
      assert.match(Buffer.concat(chunks).toString('utf8'), /a2enmod fcgid\r\n/);
    });

    it('reads OCI manifests (skopeo --format oci) and digest references', async () => {
      const { cache } = await freshCache();
      const [b] = await loadImages([`registry://${plain.host}/ocifmt:b`], { cache });
      assert.match(b.layers[0].mediaType ?? '', /^application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip$/);
      assert.deepEqual(essence(compareImages(localCrlfA, b)), crlfReference);
      const [pinned] = await loadImages([`registry://${b.repoDigest}`], { cache });
      assert.equal(pinned.id, b.id);
      assert.equal(pinned.repoDigest, b.repoDigest);
    });

    it('chooses the platform from a multi-platform index, as in OCI layouts', async () => {
      const { cache } = await freshCache();
      const ref = `registry://${plain.host}/multi:both`;
      const [amd] = await loadImages([ref], { cache, platform: { os: 'linux', architecture: 'amd64' } });
      const [arm] = await loadImages([ref], { cache, platform: { os: 'linux', architecture: 'arm64' } });
      assert.equal(amd.id, localCrlfA.id);
      assert.equal(arm.id, localCrlfB.id);
      await assert.rejects(loadImages([ref], { cache, platform: { os: 'linux', architecture: 's390x' } }), rejectsWith('unsupported', /linux\/s390x/, /linux\/amd64, linux\/arm64/));
    });

    it('plain names are registry images when the caller says they are remote', async () => {
      const { cache } = await freshCache();
      const [a, b] = await loadImages([`${plain.host}/crlf:a`, CRLF_B], { cache, daemon, remote: [true, false] });
      assert.deepEqual([a.source, b.source], ['registry', 'daemon']);
      assert.deepEqual(essence(compareImages(a, b)), crlfReference);
    });

    it('names the tag, the repository and the registry when a tag does not exist', async () => {
      const { cache } = await freshCache();
      await assert.rejects(loadImages([`registry://${plain.host}/crlf:nope`], { cache }), rejectsWith('unknownImage', new RegExp(`${plain.host} has no crlf:nope`), /MANIFEST_UNKNOWN/));
      // Distribution answers MANIFEST_UNKNOWN for an unknown repository too (NAME_UNKNOWN is worded as such when sent).
      await assert.rejects(loadImages([`registry://${plain.host}/nothere:1`], { cache }), rejectsWith('unknownImage', new RegExp(`${plain.host} has no nothere:1`)));
    });

    it('refuses plain HTTP to a registry not marked insecure, and works once it is', async () => {
      const { cache } = await freshCache();
      const ref = `registry://${plain.host}/crlf:a`;
      await assert.rejects(loadImages([ref], { cache, registry: { insecureLoopback: false } }), rejectsWith('registry', /does not speak TLS/, /insecure registry/));
      const [a] = await loadImages([ref], { cache, registry: { insecureLoopback: false, insecure: [plain.host] } });
      assert.equal(a.id, localCrlfA.id);
    });

    it('cancel aborts the downloads and leaves nothing half-written', async () => {
      const { cache, cacheDir } = await freshCache();
      const ac = new AbortController();
      await assert.rejects(
        loadImages([`registry://${plain.host}/php-fcgid:ci`], { cache, signal: ac.signal, onProgress: (p) => (p.bytes ?? 0) > 8 << 20 && ac.abort() }),
        rejectsWith('cancelled'),
      );
      assert.deepEqual(await tempsIn(cacheDir), []);
    });

    it('a registry that dies mid-download: a clear error, nothing half-cached, and the next run succeeds', async () => {
      const dying = await RegistryServer.start({ storage, dir });
      servers.push(dying);
      const { cache, cacheDir } = await freshCache();
      const ref = `registry://${dying.host}/php-fcgid:ci`;
      let killedAt = 0;
      const err = await loadImages([ref], {
        cache,
        registry: { retryDelayMs: 50 },
        onProgress: (p) => {
          if (!killedAt && (p.bytes ?? 0) > 16 << 20) {
            killedAt = p.bytes!;
            dying.kill();
          }
        },
      }).then(
        () => assert.fail('the load should fail'),
        (e: unknown) => e,
      );
      assert.ok(killedAt > 0, 'the registry was killed mid-download');
      rejectsWith('registry', new RegExp(`^${dying.host}: the download of layer \\d+ of ${dying.host}/php-fcgid:ci \\(sha256:[a-f0-9]{64}\\) broke off after \\d+ of \\d+ bytes`), /nothing of it was cached/)(err);
      assert.deepEqual(await tempsIn(cacheDir), []);
      // The layer that broke off has no index, no bytes, no digest record; what is cached is whole.
      const [, layerNo, broken] = /layer (\d+) of .* \((sha256:[a-f0-9]{64})\) broke off/.exec((err as Error).message)!;
      const diffIds = JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', PHP_CI], { encoding: 'utf8' })) as string[];
      const brokenDiffId = diffIds[Number(layerNo) - 1];
      assert.equal(cache.hasIndex(brokenDiffId), false);
      assert.equal(cache.layers.has(brokenDiffId), false);
      assert.equal(await cache.diffIdOfBlob(broken), undefined);
      for (const d of diffIds.filter((x) => cache.hasIndex(x))) assert.ok((await cache.readIndex(d))?.entries.length, `${d}: a cached index is whole`);

      await dying.restart();
      const [ci] = await loadImages([ref], { cache });
      const [laptop] = await loadImages([PHP_LAPTOP], { cache, daemon });
      assert.deepEqual(essence(compareImages(ci, laptop)), phpReference);
    });
  });

  describe('basic auth (htpasswd -B)', () => {
    let basic: RegistryServer;
    let configDir: string;
    before(async () => {
      const htpasswd = join(dir, 'htpasswd');
      writeHtpasswd(htpasswd, { alice: 's3cret' });
      basic = await RegistryServer.start({ storage, dir, htpasswd });
      servers.push(basic);
      configDir = join(dir, 'basic-config');
      mkdirSync(configDir);
    });

    it('logs in with auths from the docker config', async () => {
      writeDockerConfig(configDir, { auths: { [basic.host]: { auth: authOf('alice', 's3cret') } } });
      const { cache } = await freshCache();
      const rec = new Recorder();
      const [a] = await loadImages([`registry://${basic.host}/crlf:a`], { cache, registry: { configDir, onRequest: rec.onRequest } });
      assert.equal(a.id, localCrlfA.id);
      // Challenged once, then every request carries the credentials.
      assert.deepEqual(rec.answered().map((e) => e.status), [401, 200, 200, 200, 200]);
    });

    it('lists tags with the credentials, and the catalog is simply not listed without them', async () => {
      writeDockerConfig(configDir, { auths: { [basic.host]: { auth: authOf('alice', 's3cret') } } });
      assert.deepEqual(await new RegistryClient(basic.host, new Transport(), { configDir }).listTags('crlf'), ['a', 'b']);
      const anonymous = join(dir, 'anonymous-config');
      mkdirSync(anonymous, { recursive: true });
      assert.equal(await new RegistryClient(basic.host, new Transport(), { configDir: anonymous }).catalog(), undefined);
    });

    it('bad credentials: a 401 naming the repository and where the credentials came from', async () => {
      writeDockerConfig(configDir, { auths: { [`https://${basic.host}`]: { auth: authOf('alice', 'wrong') } } });
      const { cache } = await freshCache();
      const configFile = join(configDir, 'config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await assert.rejects(
        loadImages([`registry://${basic.host}/crlf:a`], { cache, registry: { configDir } }),
        rejectsWith('unauthorized', new RegExp(`^${basic.host} refused access to crlf \\(401`), new RegExp(`credentials from auths\\["https://${basic.host}"\\] in ${configFile}`), /docker login/),
      );
    });

    it('no credentials at all: says it asked anonymously and where it looked', async () => {
      writeDockerConfig(configDir, {});
      const { cache } = await freshCache();
      await assert.rejects(loadImages([`registry://${basic.host}/crlf:a`], { cache, registry: { configDir } }), rejectsWith('unauthorized', /wants a user name and password to pull crlf/, new RegExp(`no entry for ${basic.host}`)));
    });

    it('asks a credsStore helper (docker-credential-NAME get, server on stdin)', async () => {
      const helper = fakeHelper(join(dir, 'bin-basic'), 'ccbasic', basic.host, 'alice', 's3cret');
      writeDockerConfig(configDir, { credsStore: 'ccbasic', auths: { [basic.host]: {} } });
      const { cache } = await freshCache();
      const [b] = await loadImages([`registry://${basic.host}/crlf:b`], { cache, registry: { configDir, env: helper.env } });
      assert.equal(b.id, localCrlfB.id);
      assert.deepEqual(helper.asked(), [basic.host]);
    });
  });

  describe('TLS with a certificate of our own CA', () => {
    let tls: RegistryServer;
    let files: { ca: string; cert: string; key: string };
    before(async () => {
      const tlsDir = join(dir, 'tls');
      mkdirSync(tlsDir);
      files = makeTlsFiles(tlsDir);
      tls = await RegistryServer.start({ storage, dir, tls: { cert: files.cert, key: files.key } });
      servers.push(tls);
    });
    const ref = () => `registry://${tls.host}/crlf:a`;

    it('an untrusted certificate is a clear error that says how to trust it', async () => {
      const { cache } = await freshCache();
      await assert.rejects(
        loadImages([ref()], { cache, registry: { insecureLoopback: false, certsDir: join(dir, 'no-certs.d') } }),
        rejectsWith('registry', /TLS certificate is not trusted/, /CA file option, NODE_EXTRA_CA_CERTS/, new RegExp(`no-certs\\.d/${tls.host}/ca\\.crt`)),
      );
    });

    it('trusts a CA file given as an option', async () => {
      const { cache } = await freshCache();
      const rec = new Recorder();
      const [a] = await loadImages([ref()], { cache, registry: { insecureLoopback: false, caFiles: [files.ca], onRequest: rec.onRequest } });
      assert.equal(a.id, localCrlfA.id);
      assert.ok(rec.events.every((e) => e.url.startsWith('https://')));
    });

    it("trusts Docker's certs.d/HOST:PORT/ca.crt", async () => {
      const certsDir = join(dir, 'certs.d');
      mkdirSync(join(certsDir, tls.host), { recursive: true });
      writeFileSync(join(certsDir, tls.host, 'ca.crt'), readFileSync(files.ca));
      const { cache } = await freshCache();
      const [a] = await loadImages([ref()], { cache, registry: { insecureLoopback: false, certsDir } });
      assert.equal(a.id, localCrlfA.id);
    });

    it('a loopback registry is insecure by default (as in Docker): HTTPS without verification, not plain HTTP', async () => {
      const { cache } = await freshCache();
      const rec = new Recorder();
      const [a] = await loadImages([ref()], { cache, registry: { onRequest: rec.onRequest } });
      assert.equal(a.id, localCrlfA.id);
      assert.ok(rec.events.length > 0 && rec.events.every((e) => e.url.startsWith('https://')));
    });
  });

  describe('the bearer token flow (auth: token, a token server signing RS256 JWTs)', () => {
    let tokens: TokenServer;
    let reg: RegistryServer;
    let configDir: string;
    before(async () => {
      const tokenDir = join(dir, 'token');
      mkdirSync(tokenDir);
      tokens = new TokenServer(tokenDir, { bob: 'hunter2' });
      await tokens.start();
      reg = await RegistryServer.start({ storage, dir, token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certFile } });
      servers.push(reg);
      configDir = join(dir, 'token-config');
      mkdirSync(configDir);
    });
    after(() => tokens?.stop());

    it('WWW-Authenticate → token with credentials from a credHelpers helper → retry', async () => {
      const helper = fakeHelper(join(dir, 'bin-token'), 'cctest', reg.host, 'bob', 'hunter2');
      writeDockerConfig(configDir, { credHelpers: { [reg.host]: 'cctest' } });
      const { cache } = await freshCache();
      const rec = new Recorder();
      tokens.requests.length = 0;
      const [a, b] = await loadImages([`registry://${reg.host}/crlf:a`, `registry://${reg.host}/ocifmt:b`], { cache, registry: { configDir, env: helper.env, onRequest: rec.onRequest } });
      assert.equal(a.id, localCrlfA.id);
      assert.deepEqual(essence(compareImages(a, b)), crlfReference);
      assert.deepEqual(helper.asked(), [reg.host], 'the helper is asked once per registry');
      // One token per repository; the second is fetched before asking (the registry wants tokens).
      assert.deepEqual(
        tokens.requests.map((r) => [r.method, r.service, r.scope, r.account, r.user]),
        [
          ['GET', tokens.service, 'repository:crlf:pull', 'bob', 'bob'],
          ['GET', tokens.service, 'repository:ocifmt:pull', 'bob', 'bob'],
        ],
      );
      const statuses = rec.events.filter((e) => e.url.startsWith(`http://${reg.host}`)).map((e) => e.status);
      assert.deepEqual(statuses.slice(0, 2), [401, 200], 'challenged once, then accepted');
      assert.ok(statuses.slice(1).every((s) => s === 200));
    });

    it('exchanges an identity token (refresh_token grant) for an access token', async () => {
      writeDockerConfig(configDir, { auths: { [reg.host]: { identitytoken: 'refresh-bob' } } });
      const { cache } = await freshCache();
      tokens.requests.length = 0;
      const [a] = await loadImages([`registry://${reg.host}/crlf:a`], { cache, registry: { configDir } });
      assert.equal(a.id, localCrlfA.id);
      assert.deepEqual(tokens.requests.map((r) => [r.method, r.scope, r.user]), [['POST', 'repository:crlf:pull', 'bob']]);
    });

    it('bad credentials from the helper: the token service refuses, and the message names the helper', async () => {
      const helper = fakeHelper(join(dir, 'bin-token-bad'), 'ccbad', reg.host, 'bob', 'wrong');
      writeDockerConfig(configDir, { credHelpers: { [reg.host]: 'ccbad' } });
      const { cache } = await freshCache();
      await assert.rejects(
        loadImages([`registry://${reg.host}/crlf:a`], { cache, registry: { configDir, env: helper.env } }),
        rejectsWith('unauthorized', new RegExp(`token service of ${reg.host} \\(${tokens.realm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) refused the credentials from docker-credential-ccbad \\(credHelpers in `), /repository:crlf:pull \(401/),
      );
    });

    it('anonymous: the token grants nothing, and the 401 says it asked anonymously', async () => {
      writeDockerConfig(configDir, {});
      const { cache } = await freshCache();
      await assert.rejects(
        loadImages([`registry://${reg.host}/crlf:a`], { cache, registry: { configDir } }),
        rejectsWith('unauthorized', new RegExp(`^${reg.host} refused access to crlf \\(401`), /anonymously \(no credentials: no entry for/),
      );
    });
  });
});
