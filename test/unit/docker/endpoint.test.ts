import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompareError } from '../../../src/core/util/errors';
import { resolveEndpoint } from '../../../src/docker/endpoint';
import type { Endpoint, ResolveEndpointOptions } from '../../../src/docker/endpoint';

// A fake home with ~/.docker holding two contexts, the way `docker context create` lays them out.
let home: string;
let dockerDir: string;
let certDir: string;

function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function writeContext(configDir: string, name: string, docker: object | undefined, tls?: Record<string, string>): void {
  const id = contextId(name);
  const metaDir = join(configDir, 'contexts', 'meta', id);
  mkdirSync(metaDir, { recursive: true });
  writeFileSync(join(metaDir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: docker ? { docker } : {} }));
  if (tls) {
    const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
    mkdirSync(tlsDir, { recursive: true });
    for (const [file, text] of Object.entries(tls)) writeFileSync(join(tlsDir, file), text);
  }
}

function writeCerts(dir: string, files: string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), `${f} contents`);
  return dir;
}

before(() => {
  home = mkdtempSync(join(tmpdir(), 'cc-endpoint-'));
  dockerDir = join(home, '.docker');
  mkdirSync(dockerDir);
  writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'remote' }));
  writeContext(dockerDir, 'remote', { Host: 'tcp://remote.example:2376', SkipTLSVerify: false }, {
    'ca.pem': 'remote ca',
    'cert.pem': 'remote cert',
    'key.pem': 'remote key',
  });
  writeContext(dockerDir, 'colima', { Host: 'unix:///home/me/.colima/default/docker.sock', SkipTLSVerify: false });
  writeContext(dockerDir, 'insecure', { Host: 'tcp://10.0.0.5:2376', SkipTLSVerify: true }, { 'cert.pem': 'c', 'key.pem': 'k' });
  writeContext(dockerDir, 'plain', { Host: 'tcp://10.0.0.6:2375', SkipTLSVerify: false });
  writeContext(dockerDir, 'ssh', { Host: 'ssh://me@builder', SkipTLSVerify: false });
  writeContext(dockerDir, 'k8s-only', undefined);
  certDir = writeCerts(join(home, 'certs'), ['ca.pem', 'cert.pem', 'key.pem']);
  writeCerts(join(home, 'certs-no-ca'), ['cert.pem', 'key.pem']);
  writeCerts(join(home, 'certs-no-key'), ['ca.pem', 'cert.pem']);
});

after(() => rmSync(home, { recursive: true, force: true }));

/** A home without ~/.docker, so only the given env matters. */
function emptyHome(): string {
  const dir = join(home, 'empty');
  mkdirSync(dir, { recursive: true });
  return dir;
}

interface Case {
  name: string;
  opts: () => ResolveEndpointOptions;
  expect: Partial<Omit<Endpoint, 'dockerodeOptions'>> & { options?: Record<string, unknown> };
}

describe('resolveEndpoint precedence', () => {
  const cases: Case[] = [
    {
      name: 'nothing set: the default socket',
      opts: () => ({ env: {}, homeDir: emptyHome() }),
      expect: { url: 'unix:///var/run/docker.sock', source: 'default', tls: false, options: { socketPath: '/var/run/docker.sock' } },
    },
    {
      name: 'nothing set on Windows: the default named pipe',
      opts: () => ({ env: {}, homeDir: emptyHome(), platform: 'win32' }),
      expect: { url: 'npipe:////./pipe/docker_engine', source: 'default', options: { socketPath: '//./pipe/docker_engine' } },
    },
    {
      name: 'the host option beats DOCKER_HOST, DOCKER_CONTEXT and currentContext',
      opts: () => ({ host: 'unix:///tmp/other.sock', env: { DOCKER_HOST: 'tcp://env:2375', DOCKER_CONTEXT: 'colima' }, homeDir: home }),
      expect: { url: 'unix:///tmp/other.sock', source: 'option', options: { socketPath: '/tmp/other.sock' } },
    },
    {
      name: 'an empty host option falls through to DOCKER_HOST',
      opts: () => ({ host: '  ', env: { DOCKER_HOST: 'tcp://env:2375' }, homeDir: home }),
      expect: { url: 'tcp://env:2375', source: 'DOCKER_HOST', tls: false, options: { host: 'env', port: '2375', protocol: 'http' } },
    },
    {
      name: 'DOCKER_HOST beats DOCKER_CONTEXT and currentContext',
      opts: () => ({ env: { DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock', DOCKER_CONTEXT: 'colima' }, homeDir: home }),
      expect: { url: 'unix:///run/user/1000/podman/podman.sock', source: 'DOCKER_HOST', options: { socketPath: '/run/user/1000/podman/podman.sock' } },
    },
    {
      name: 'DOCKER_CONTEXT beats currentContext',
      opts: () => ({ env: { DOCKER_CONTEXT: 'colima' }, homeDir: home }),
      expect: { url: 'unix:///home/me/.colima/default/docker.sock', source: 'context', contextName: 'colima' },
    },
    {
      name: 'currentContext in config.json, with TLS material from the context store',
      opts: () => ({ env: {}, homeDir: home }),
      expect: {
        url: 'tcp://remote.example:2376',
        source: 'context',
        contextName: 'remote',
        tls: true,
        options: {
          host: 'remote.example',
          port: '2376',
          protocol: 'https',
          ca: Buffer.from('remote ca'),
          cert: Buffer.from('remote cert'),
          key: Buffer.from('remote key'),
          agent: undefined,
        },
      },
    },
    {
      name: 'DOCKER_CONFIG replaces ~/.docker',
      opts: () => ({ env: { DOCKER_CONFIG: dockerDir, DOCKER_CONTEXT: 'plain' }, homeDir: emptyHome() }),
      expect: { url: 'tcp://10.0.0.6:2375', source: 'context', tls: false, options: { protocol: 'http' } },
    },
    {
      name: 'DOCKER_CONTEXT=default means the default socket despite currentContext',
      opts: () => ({ env: { DOCKER_CONTEXT: 'default' }, homeDir: home }),
      expect: { url: 'unix:///var/run/docker.sock', source: 'default' },
    },
    {
      name: 'TLS env settings do not leak into a context',
      opts: () => ({ env: { DOCKER_CONTEXT: 'plain', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }, homeDir: home }),
      expect: { url: 'tcp://10.0.0.6:2375', tls: false, options: { protocol: 'http', ca: undefined } },
    },
  ];

  for (const c of cases) {
    it(c.name, () => check(resolveEndpoint(c.opts()), c.expect));
  }

  it('a context with SkipTLSVerify gets an agent that does not verify', () => {
    const e = resolveEndpoint({ env: { DOCKER_CONTEXT: 'insecure' }, homeDir: home });
    assert.equal(e.dockerodeOptions.protocol, 'https');
    assert.equal(e.dockerodeOptions.agent?.options.rejectUnauthorized, false);
    assert.deepEqual(e.dockerodeOptions.cert, Buffer.from('c'));
  });
});

describe('resolveEndpoint addresses and TLS', () => {
  const env = (vars: NodeJS.ProcessEnv): (() => ResolveEndpointOptions) => () => ({ env: vars, homeDir: emptyHome() });
  const cases: Case[] = [
    { name: 'tcp:// is plain HTTP', opts: env({ DOCKER_HOST: 'tcp://10.1.2.3:2375' }), expect: { url: 'tcp://10.1.2.3:2375', tls: false, options: { host: '10.1.2.3', port: '2375', protocol: 'http' } } },
    { name: 'no scheme means tcp', opts: env({ DOCKER_HOST: 'build-box:2375' }), expect: { url: 'tcp://build-box:2375', options: { host: 'build-box', protocol: 'http' } } },
    { name: 'tcp:// without a port uses 2375', opts: env({ DOCKER_HOST: 'tcp://build-box' }), expect: { url: 'tcp://build-box:2375', options: { port: '2375' } } },
    { name: 'tcp:// without a host uses 127.0.0.1', opts: env({ DOCKER_HOST: 'tcp://:2375' }), expect: { url: 'tcp://127.0.0.1:2375' } },
    { name: 'IPv6 literal', opts: env({ DOCKER_HOST: 'tcp://[::1]:2375' }), expect: { url: 'tcp://[::1]:2375', options: { host: '::1' } } },
    { name: 'port 2376 implies TLS', opts: env({ DOCKER_HOST: 'tcp://secure:2376' }), expect: { tls: true, options: { protocol: 'https', agent: undefined } } },
    { name: 'unix:// without a path is the default socket', opts: env({ DOCKER_HOST: 'unix://' }), expect: { url: 'unix:///var/run/docker.sock' } },
    {
      name: 'unix sockets ignore TLS settings',
      opts: env({ DOCKER_HOST: 'unix:///run/docker.sock', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nowhere' }),
      expect: { tls: false, options: { socketPath: '/run/docker.sock', protocol: undefined } },
    },
    {
      name: 'DOCKER_TLS_VERIFY + DOCKER_CERT_PATH: verified TLS with client certificates',
      opts: () => ({ env: { DOCKER_HOST: 'tcp://secure:2375', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }, homeDir: emptyHome() }),
      expect: {
        tls: true,
        options: { protocol: 'https', port: '2375', ca: Buffer.from('ca.pem contents'), cert: Buffer.from('cert.pem contents'), key: Buffer.from('key.pem contents'), agent: undefined },
      },
    },
    {
      name: 'DOCKER_TLS_VERIFY alone: TLS verified against system CAs when ~/.docker has no certificates',
      opts: env({ DOCKER_HOST: 'tcp://secure:443', DOCKER_TLS_VERIFY: '1' }),
      expect: { tls: true, options: { protocol: 'https', ca: undefined, agent: undefined } },
    },
    {
      name: 'the host option uses the TLS environment too',
      opts: () => ({ host: 'tcp://secure:2375', env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }, homeDir: emptyHome() }),
      expect: { source: 'option', tls: true, options: { protocol: 'https', ca: Buffer.from('ca.pem contents') } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => check(resolveEndpoint(c.opts()), c.expect));
  }

  it('DOCKER_CERT_PATH without DOCKER_TLS_VERIFY is TLS without verification (--tls without --tlsverify)', () => {
    const e = resolveEndpoint({ env: { DOCKER_HOST: 'tcp://secure:2375', DOCKER_CERT_PATH: certDir }, homeDir: emptyHome() });
    assert.equal(e.tls, true);
    assert.equal(e.dockerodeOptions.agent?.options.rejectUnauthorized, false);
  });
});

describe('resolveEndpoint errors', () => {
  interface ErrorCase {
    name: string;
    opts: () => ResolveEndpointOptions;
    reason: CompareError['reason'];
    mentions: (string | (() => string))[];
  }
  const cases: ErrorCase[] = [
    { name: 'unknown scheme in DOCKER_HOST', opts: () => ({ env: { DOCKER_HOST: 'http://x:2375' }, homeDir: emptyHome() }), reason: 'badArgument', mentions: ['DOCKER_HOST', 'http://x:2375'] },
    { name: 'unparsable port in DOCKER_HOST', opts: () => ({ env: { DOCKER_HOST: 'tcp://x:port' }, homeDir: emptyHome() }), reason: 'badArgument', mentions: ['DOCKER_HOST', 'tcp://x:port'] },
    { name: 'garbage in DOCKER_HOST', opts: () => ({ env: { DOCKER_HOST: '::::' }, homeDir: emptyHome() }), reason: 'badArgument', mentions: ['DOCKER_HOST'] },
    { name: 'bad host option', opts: () => ({ host: 'unix://a://b', env: {}, homeDir: emptyHome() }), reason: 'badArgument', mentions: ['host option'] },
    { name: 'ssh:// is unsupported', opts: () => ({ env: { DOCKER_HOST: 'ssh://me@builder' }, homeDir: emptyHome() }), reason: 'unsupported', mentions: ['DOCKER_HOST', 'ssh://'] },
    { name: 'an ssh context is unsupported', opts: () => ({ env: { DOCKER_CONTEXT: 'ssh' }, homeDir: home }), reason: 'unsupported', mentions: ['"ssh"', 'meta.json'] },
    {
      name: 'unknown DOCKER_CONTEXT',
      opts: () => ({ env: { DOCKER_CONTEXT: 'nope' }, homeDir: home }),
      reason: 'badArgument',
      mentions: ['DOCKER_CONTEXT', '"nope"', () => join(dockerDir, 'contexts', 'meta', contextId('nope'), 'meta.json')],
    },
    {
      name: 'unknown currentContext names config.json',
      opts: () => {
        const dir = join(home, 'stale');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'config.json'), '{"currentContext":"gone"}');
        return { env: { DOCKER_CONFIG: dir } };
      },
      reason: 'badArgument',
      mentions: ['currentContext', 'config.json', '"gone"'],
    },
    {
      name: 'malformed config.json',
      opts: () => {
        const dir = join(home, 'broken');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'config.json'), '{"currentContext":');
        return { env: { DOCKER_CONFIG: dir } };
      },
      reason: 'badArgument',
      mentions: ['config.json', 'not valid JSON'],
    },
    { name: 'context without a docker endpoint', opts: () => ({ env: { DOCKER_CONTEXT: 'k8s-only' }, homeDir: home }), reason: 'badArgument', mentions: ['"k8s-only"', 'no docker endpoint'] },
    {
      name: 'DOCKER_CERT_PATH that does not exist',
      opts: () => ({ env: { DOCKER_HOST: 'tcp://secure:2376', DOCKER_CERT_PATH: join(home, 'missing') }, homeDir: emptyHome() }),
      reason: 'badArgument',
      mentions: ['DOCKER_CERT_PATH', () => join(home, 'missing')],
    },
    {
      name: 'DOCKER_TLS_VERIFY with a cert dir lacking ca.pem',
      opts: () => ({ env: { DOCKER_HOST: 'tcp://secure:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(home, 'certs-no-ca') }, homeDir: emptyHome() }),
      reason: 'badArgument',
      mentions: ['DOCKER_CERT_PATH', () => join(home, 'certs-no-ca', 'ca.pem')],
    },
    {
      name: 'a client certificate without its key',
      opts: () => ({ env: { DOCKER_HOST: 'tcp://secure:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(home, 'certs-no-key') }, homeDir: emptyHome() }),
      reason: 'badArgument',
      mentions: [() => join(home, 'certs-no-key', 'key.pem')],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      assert.throws(
        () => resolveEndpoint(c.opts()),
        (e: unknown) => {
          assert.ok(e instanceof CompareError, `expected a CompareError, got ${String(e)}`);
          assert.equal(e.reason, c.reason, e.message);
          for (const m of c.mentions) {
            const text = typeof m === 'function' ? m() : m;
            assert.ok(e.message.includes(text), `"${e.message}" should mention ${text}`);
          }
          return true;
        },
      );
    });
  }

  it('a bad DOCKER_HOST does not matter when the host option is given', () => {
    const e = resolveEndpoint({ host: 'unix:///tmp/x.sock', env: { DOCKER_HOST: 'http://bad' }, homeDir: emptyHome() });
    assert.equal(e.url, 'unix:///tmp/x.sock');
  });
});

function check(actual: Endpoint, expect: Case['expect']): void {
  const { options, ...fields } = expect;
  for (const [k, v] of Object.entries(fields)) {
    assert.deepEqual(actual[k as keyof Endpoint], v, `${k} of ${actual.url}`);
  }
  for (const [k, v] of Object.entries(options ?? {})) {
    assert.deepEqual((actual.dockerodeOptions as Record<string, unknown>)[k], v, `dockerodeOptions.${k} of ${actual.url}`);
  }
}
