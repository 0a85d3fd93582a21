import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Cache, INDEX_DIR } from '../../../../src/core/layers/cache';
import { ContentScanner } from '../../../../src/core/layers/contentScanner';
import { processLayer } from '../../../../src/core/layers/layerProcessor';
import { credentialSecrets, SECRET_SCAN_LIMIT, SecretScanner } from '../../../../src/core/layers/secrets';
import { present } from '../../../helpers/entries';
import { FAKE } from '../../../helpers/secrets';
import { makeTar } from '../../../helpers/tarBuilder';

/** The secret kinds the indexer would store for `path` with this content, fed in these chunks. */
function kindsOf(path: string, chunks: Array<string | Buffer>): string[] {
  const s = new ContentScanner(path);
  for (const c of chunks) s.update(Buffer.from(c));
  return s.finish().secrets ?? [];
}

/** Deterministic chunkings: every cut into two, single bytes, and a few random splits into many. */
function* chunkings(text: string): Generator<string[]> {
  for (let cut = 0; cut <= text.length; cut++) yield [text.slice(0, cut), text.slice(cut)];
  yield [...text];
  let seed = 7;
  const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let n = 0; n < 20; n++) {
    const out: string[] = [];
    for (let i = 0; i < text.length; ) {
      const len = 1 + Math.floor(r() * 40);
      out.push(text.slice(i, i + len));
      i += len;
    }
    yield out;
  }
}

const APP = '/app/src/settings.py';

describe('secret scanner', () => {
  const found: Array<[string, string, string]> = [
    ['privateKey', APP, `key = """\n${FAKE.privateKeyPem}"""\n`],
    ['privateKey', '/root/.ssh/id_ed25519', FAKE.privateKeyOpenssh],
    ['privateKey', '/app/sa.json', `{"type": "service_account", "private_key": "${FAKE.privateKeyPem.replace(/\n/g, '\\n')}"}`],
    ['awsAccessKey', APP, `AWS_ACCESS_KEY_ID = "${FAKE.awsAccessKey}"\n`],
    ['githubToken', '/app/deploy.sh', `git clone https://x:${FAKE.githubClassic}@github.com/o/r\n`],
    ['githubToken', '/app/ci.yml', `token: ${FAKE.githubFineGrained}\n`],
    ['slackToken', '/app/notify.js', `const token = '${FAKE.slackToken}';\n`],
  ];
  for (const [kind, path, text] of found) {
    it(`finds ${kind} in ${path}, whatever the chunking`, () => {
      const padded = `${'x'.repeat(150)}\n${text}${'y'.repeat(150)}\n`;
      for (const chunks of chunkings(padded)) assert.deepEqual(kindsOf(path, chunks), [kind], `chunks ${JSON.stringify(chunks.map((c) => c.length))}`);
    });
  }

  it('finds a marker split across two chunks at every position, at a chunk start and at a file end', () => {
    const text = `AWS_ACCESS_KEY_ID=${FAKE.awsAccessKey}`;
    for (let cut = 0; cut <= text.length; cut++) assert.deepEqual(kindsOf(APP, [text.slice(0, cut), text.slice(cut)]), ['awsAccessKey'], `cut at ${cut}`);
    assert.deepEqual(kindsOf(APP, [FAKE.awsAccessKey]), ['awsAccessKey']);
  });

  it('finds several kinds in one file', () => {
    assert.deepEqual(kindsOf(APP, [`${FAKE.privateKeyPem}\n${FAKE.awsAccessKey}\n${FAKE.slackToken}\n`]), ['privateKey', 'awsAccessKey', 'slackToken']);
  });

  const notFound: Array<[string, string, string]> = [
    ["AWS's documentation example key", APP, `key = "${FAKE.awsExample}"`],
    ['a key id inside a longer upper-case run', APP, `X${FAKE.awsAccessKey}Y`],
    ['code that mentions a PEM header', APP, `if line.startswith("-----BEGIN ${'RSA PRIVATE KEY'}-----"):\n    pass\n`],
    ['a certificate', '/app/tls/server.pem', `-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----\n`],
    ['a public key', '/app/keys/signing.key', `-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n`],
    ['a too short GitHub-like word', APP, 'ghp_short and ghs_'],
    ['an npm token outside npm config files', APP, `NPM=${FAKE.npmToken}`],
    ['a secret in a system tree', '/usr/share/doc/awscli/examples.txt', `aws configure set aws_access_key_id ${FAKE.awsAccessKey}`],
    ['a secret in a library under node_modules', '/app/node_modules/aws-sdk/test/creds.js', `"${FAKE.awsAccessKey}"`],
  ];
  for (const [what, path, text] of notFound) {
    it(`ignores ${what}`, () => assert.deepEqual(kindsOf(path, [text]), []));
  }

  it('searches key files even in system trees, by name', () => {
    assert.deepEqual(kindsOf('/usr/share/app/server.key', [FAKE.privateKeyPem]), ['privateKey']);
    assert.deepEqual(kindsOf('/usr/lib/app/node_modules/x/.npmrc', [`//r/:_authToken=${FAKE.npmToken}\n`]), ['npmToken']);
  });

  it('forgets what it found once the file turns out to be binary (text files only)', () => {
    assert.deepEqual(kindsOf(APP, [`${FAKE.awsAccessKey}\n`, Buffer.from([0, 1, 2])]), []);
    assert.deepEqual(kindsOf(APP, [Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), FAKE.awsAccessKey]), []);
  });

  it('searches only the first MB of a file', () => {
    assert.deepEqual(kindsOf(APP, [`${'a'.repeat(SECRET_SCAN_LIMIT - 10)}${FAKE.awsAccessKey}`]), []);
    assert.deepEqual(kindsOf(APP, ['a'.repeat(SECRET_SCAN_LIMIT - 100), `${FAKE.awsAccessKey}\n`]), ['awsAccessKey']);
  });

  it('looks at nothing in system trees (no scanner at all)', () => {
    assert.equal(SecretScanner.forPath('/usr/include/stdio.h'), undefined);
    assert.equal(SecretScanner.forPath('/usr/local/lib/python3.12/site-packages/x.py'), undefined);
    assert.notEqual(SecretScanner.forPath('/opt/app/x.py'), undefined);
  });

  describe('credential files', () => {
    const cases: Array<[string, string, string[]]> = [
      ['/app/.env', `# local\nDATABASE_URL=postgres://db/app\nDB_PASSWORD=${FAKE.password}\n`, ['password']],
      ['/app/.env', `DB_PASSWORD=\nAPI_KEY=\${API_KEY}\nexport TOKEN=$TOKEN\nSECRET=""\n`, []],
      ['/app/.env.production', `AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY0\n`, ['awsSecretKey']],
      ['/root/.npmrc', `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${FAKE.npmToken}\n`, ['npmToken']],
      ['/root/.npmrc', '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n', []],
      ['/app/.yarnrc.yml', `npmAuthToken: ${FAKE.npmToken}\n`, ['npmToken']],
      ['/root/.pypirc', `[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJDA\n`, ['password']],
      ['/root/.netrc', `machine github.com login octocat password ${FAKE.password}\n`, ['password']],
      ['/root/.git-credentials', `https://octocat:${FAKE.password}@github.com\n`, ['password']],
      ['/root/.docker/config.json', `{"auths":{"registry.example.com":{"auth":"b2N0b2NhdDpodW50ZXIy"}}}`, ['dockerAuth']],
      ['/root/.docker/config.json', `{"auths":{},"credsStore":"desktop"}`, []],
      ['/root/.aws/credentials', `[default]\naws_access_key_id = ${FAKE.awsAccessKey}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY0\n`, ['awsAccessKey', 'awsSecretKey']],
    ];
    for (const [path, text, kinds] of cases) {
      it(`${path}: ${kinds.join(', ') || 'nothing'} in ${JSON.stringify(text.slice(0, 40))}…`, () => {
        for (const chunks of [[text], [...text]]) assert.deepEqual(kindsOf(path, chunks), kinds);
      });
    }

    it('a password-like word in an ordinary file is not a secret', () => {
      assert.deepEqual(kindsOf('/app/settings.ini', [`password=${FAKE.password}\n`]), []);
    });

    it('reads the grammar, not the file name: the same text under another grammar', () => {
      assert.deepEqual(credentialSecrets('env', `_authToken=${FAKE.npmToken}`), ['password']);
      assert.deepEqual(credentialSecrets('npmrc', `_authToken=${FAKE.npmToken}`), ['npmToken']);
    });
  });

  describe('never stores a value', () => {
    const all = [FAKE.awsAccessKey, FAKE.githubClassic, FAKE.githubFineGrained, FAKE.slackToken, FAKE.npmToken, FAKE.password, 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t'];
    const leaked = (text: string) => all.filter((v) => text.includes(v));
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-secrets-'))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('in the content facts, the layer index, or the cached index file', async () => {
      const layer = await makeTar([
        { name: 'app/', type: 'directory' },
        { name: 'app/settings.py', content: `KEY = "${FAKE.awsAccessKey}"\nGH = "${FAKE.githubClassic}"\nFINE = "${FAKE.githubFineGrained}"\nSLACK = "${FAKE.slackToken}"\n` },
        { name: 'app/.env', content: `DB_PASSWORD=${FAKE.password}\n` },
        { name: 'root/.npmrc', content: `//registry.npmjs.org/:_authToken=${FAKE.npmToken}\n` },
        { name: 'root/.ssh/id_rsa', content: FAKE.privateKeyPem, mode: 0o600 },
      ]);
      const { entries, diffId } = await processLayer(Readable.from([layer]), { where: 'test layer' });
      const byPath = Object.fromEntries(entries.filter((e) => e.secrets).map((e) => [e.path, e.secrets]));
      assert.deepEqual(byPath, {
        '/app/settings.py': ['awsAccessKey', 'githubToken', 'slackToken'],
        '/app/.env': ['password'],
        '/root/.npmrc': ['npmToken'],
        '/root/.ssh/id_rsa': ['privateKey'],
      });
      assert.deepEqual(leaked(JSON.stringify(entries)), []);
      const cache = await Cache.open(dir);
      await cache.writeIndex({ diffId, size: layer.length, entries });
      const [file] = await readdir(join(dir, INDEX_DIR));
      assert.deepEqual(leaked(await readFile(join(dir, INDEX_DIR, file), 'utf8')), []);
      assert.deepEqual(present((await cache.readIndex(diffId))?.entries), present(entries));
    });
  });
});
