import { strict as assert } from 'node:assert';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperGet } from '../../../../src/core/registry/credentialHelper';
import { configuredRegistries, findCredentials, parseChallenges } from '../../../../src/core/registry/auth';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('registry credentials from the docker config', () => {
  let dir: string;
  let bin: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-auth-'));
    bin = join(dir, 'bin');
    await mkdir(bin);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const config = (c: object) => writeFile(join(dir, 'config.json'), JSON.stringify(c));
  /** A docker-credential-NAME that answers `answer` (a shell snippet) and logs its stdin. */
  const helper = async (name: string, body: string) => {
    const file = join(bin, `docker-credential-${name}`);
    await writeFile(file, `#!/bin/sh\nserver=$(cat)\nprintf '%s|%s\\n' "$1" "$server" >> '${join(dir, `${name}.log`)}'\n${body}\n`);
    await chmod(file, 0o755);
  };
  const asked = async (name: string) => (await readFile(join(dir, `${name}.log`), 'utf8')).trim().split('\n');

  it('reads auths, whatever form the key takes (host, https://host/, https://host/v2/)', async () => {
    for (const key of ['r.example:5000', 'https://r.example:5000', 'http://r.example:5000/v2/']) {
      await config({ auths: { 'other.example': { auth: b64('x:y') }, [key]: { auth: b64('alice:pa:ss') } } });
      const { credentials } = await findCredentials('r.example:5000', { configDir: dir, env });
      assert.deepEqual(credentials, { username: 'alice', password: 'pa:ss', source: `auths["${key}"] in ${join(dir, 'config.json')}` });
    }
  });

  it("finds Docker Hub's credentials under https://index.docker.io/v1/", async () => {
    await config({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } });
    assert.equal((await findCredentials('docker.io', { configDir: dir, env })).credentials?.username, 'hub');
  });

  it('an identitytoken is kept as such (it is exchanged at the token endpoint)', async () => {
    await config({ auths: { 'r.example': { identitytoken: 'refresh-me' } } });
    assert.equal((await findCredentials('r.example', { configDir: dir, env })).credentials?.identityToken, 'refresh-me');
  });

  it('credHelpers wins over credsStore, which wins over auths; the helper gets the server on stdin', async () => {
    await helper('one', `printf '{"ServerURL":"%s","Username":"u1","Secret":"s1"}' "$server"`);
    await helper('store', `printf '{"Username":"u2","Secret":"s2"}'`);
    await config({ credHelpers: { 'r.example:5000': 'one' }, credsStore: 'store', auths: { 'r.example:5000': { auth: b64('u3:s3') } } });
    const { credentials } = await findCredentials('r.example:5000', { configDir: dir, env });
    assert.deepEqual(credentials, { username: 'u1', password: 's1', source: `docker-credential-one (credHelpers in ${join(dir, 'config.json')})` });
    assert.deepEqual(await asked('one'), ['get|r.example:5000']);
    const other = await findCredentials('q.example', { configDir: dir, env });
    assert.equal(other.credentials?.source, `docker-credential-store (credsStore in ${join(dir, 'config.json')})`);
  });

  it('a helper with nothing ("credentials not found") falls back to auths; a <token> user is an identity token', async () => {
    await helper('empty', `echo "credentials not found in native keychain"; exit 1`);
    await config({ credsStore: 'empty', auths: { 'r.example': { auth: b64('u:p') } } });
    assert.equal((await findCredentials('r.example', { configDir: dir, env })).credentials?.username, 'u');
    await helper('tok', `printf '{"Username":"<token>","Secret":"rt"}'`);
    await config({ credsStore: 'tok' });
    assert.deepEqual((await findCredentials('r.example', { configDir: dir, env })).credentials?.identityToken, 'rt');
  });

  it('says what it looked at when there is nothing: no file, no entry, a helper that is missing or fails', async () => {
    assert.match((await findCredentials('r.example', { configDir: dir, env })).none ?? '', /no .*config\.json/);
    await config({ auths: {} });
    assert.match((await findCredentials('r.example', { configDir: dir, env })).none ?? '', /no entry for r\.example in .*config\.json/);
    await config({ credsStore: 'absent' });
    assert.match((await findCredentials('r.example', { configDir: dir, env })).none ?? '', /docker-credential-absent \(credsStore in .*\) failed: docker-credential-absent is not on PATH/);
    await helper('broken', 'echo "keychain locked" >&2; exit 3');
    await config({ credsStore: 'broken' });
    assert.match((await findCredentials('r.example', { configDir: dir, env })).none ?? '', /exited with 3: keychain locked/);
  });

  it('refuses a helper name that is a path', async () => {
    await assert.rejects(helperGet('../evil', 'r.example'), /not a credential helper name/);
  });

  it('reports a config.json that is not JSON', async () => {
    await writeFile(join(dir, 'config.json'), '{ nope');
    await assert.rejects(findCredentials('r.example', { configDir: dir, env }), /config\.json is not valid JSON/);
  });
});

describe('WWW-Authenticate challenges', () => {
  it('parses a bearer challenge with quoted values', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:app:pull' } },
    ]);
  });
  it('parses several challenges, tokens and escapes', () => {
    assert.deepEqual(parseChallenges('Basic realm="a \\"b\\"", Bearer realm=https://x/t, error=insufficient_scope'), [
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'insufficient_scope' } },
    ]);
  });
  it('survives garbage', () => {
    assert.deepEqual(parseChallenges(''), []);
    assert.deepEqual(parseChallenges('=,,"'), []);
  });
});

describe('configuredRegistries', () => {
  it('lists the hosts of auths and credHelpers, Docker Hub as docker.io', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-config-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': {}, 'registry.example:5000': {} }, credHelpers: { 'ghcr.io': 'gh', 'registry.example:5000': 'x' } }));
      assert.deepEqual(await configuredRegistries({ configDir: dir }), ['docker.io', 'ghcr.io', 'registry.example:5000']);
      assert.deepEqual(await configuredRegistries({ configDir: join(dir, 'missing') }), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
