import { strict as assert } from 'node:assert';
import { imageOf } from '../../../helpers/images';
import { Readable } from 'node:stream';
import { processLayer } from '../../../../src/core/layers/layerProcessor';
import { findLeftovers, type Leftover } from '../../../../src/core/findings/leftovers';
import type { FileEntry } from '../../../../src/core/image/model';
import type { SecretKind } from '../../../../src/core/image/model';
import { FAKE } from '../../../helpers/secrets';
import { makeTar } from '../../../helpers/tarBuilder';

const file = (path: string, extra: Partial<FileEntry> = {}): FileEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, text: true, ...extra });
const dir = (path: string): FileEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
const whiteout = (path: string): FileEntry => ({ path, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0 });
const opaque = (path: string): FileEntry => ({ path, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0 });
const secret = (path: string, ...secrets: SecretKind[]) => file(path, { secrets });

/** "layer kind path [deleted N] [replaced N] [secret kinds] [thirdParty]" for compact assertions. */
const brief = (l: Leftover) =>
  [l.layer, l.kind, l.path, l.deletedInLayer !== undefined ? `deleted ${l.deletedInLayer}` : '', l.replacedInLayer !== undefined ? `replaced ${l.replacedInLayer}` : '', l.secretKinds?.join('+') ?? '', l.thirdParty ? 'thirdParty' : '']
    .filter((x) => x !== '')
    .join(' ');

const one = (entries: FileEntry[]) => findLeftovers(imageOf([entries])).map(brief);

describe('leftovers', () => {
  const byName: Array<[string, FileEntry, string | undefined]> = [
    ['a bash history', file('/root/.bash_history'), 'shellHistory'],
    ['an ash history (busybox)', file('/root/.ash_history'), 'shellHistory'],
    ['a python REPL history', file('/home/app/.python_history'), 'shellHistory'],
    ['a psql history', file('/var/lib/postgresql/.psql_history'), 'shellHistory'],
    ['a .env file', file('/app/.env'), 'envFile'],
    ['a .env.production file', file('/app/.env.production'), 'envFile'],
    ['a .env.example template', file('/app/.env.example'), undefined],
    ['a .env.example template with a real secret in it', secret('/app/.env.example', 'password'), 'envFile'],
    ['a python virtualenv folder named .env', dir('/app/.env'), undefined],
    ['an .npmrc', file('/root/.npmrc'), 'packageManagerConfig'],
    ['a .pypirc', file('/root/.pypirc'), 'packageManagerConfig'],
    ['a .netrc', file('/root/.netrc'), 'netrc'],
    ['a git credential store', file('/root/.git-credentials'), 'gitCredentials'],
    ['a docker client config', file('/root/.docker/config.json'), 'dockerConfig'],
    ['AWS credentials', file('/root/.aws/credentials'), 'cloudCredentials'],
    ['AWS CLI config (no secrets by design)', file('/root/.aws/config'), undefined],
    ['gcloud application default credentials', file('/root/.config/gcloud/application_default_credentials.json'), 'cloudCredentials'],
    ['gcloud settings', file('/root/.config/gcloud/configurations/config_default'), undefined],
    ['a kubeconfig', file('/root/.kube/config'), 'cloudCredentials'],
    ['an ssh private key by name', file('/root/.ssh/id_ed25519'), 'privateKey'],
    ['an ssh public key', file('/root/.ssh/id_ed25519.pub'), undefined],
    ['authorized_keys', file('/root/.ssh/authorized_keys'), 'ssh'],
    ['known_hosts', file('/home/app/.ssh/known_hosts'), 'ssh'],
    ['a PKCS#12 bundle', file('/app/certs/client.p12', { text: false }), 'privateKey'],
    ['a .pfx bundle', file('/app/certs/site.pfx', { text: false }), 'privateKey'],
    ['a .pem holding a private key', secret('/etc/ssl/private/site.pem', 'privateKey'), 'privateKey'],
    ['a .pem certificate', file('/etc/ssl/certs/site.pem'), undefined],
    ['a text .key that is a public key', file('/etc/apt/keyrings/docker.key'), undefined],
    ['a binary .key (a DER private key)', file('/app/server.key', { text: false }), 'privateKey'],
    ['any file whose content holds a secret', secret('/app/config.js', 'awsAccessKey'), 'secret'],
    ['an ordinary file', file('/app/main.py'), undefined],
    ['a .gitignore', file('/app/.gitignore'), undefined],
    ['a .github folder', file('/app/.github/workflows/ci.yml'), undefined],
  ];
  for (const [what, entry, kind] of byName) {
    it(`${what}: ${kind ?? 'not a leftover'}`, () => {
      const found = findLeftovers(imageOf([[entry]]));
      assert.deepEqual(found.map((l) => l.kind), kind ? [kind] : []);
      for (const l of found) assert.ok(l.reason.length > 20 && l.reason.endsWith('.'), `one sentence: ${l.reason}`);
    });
  }

  it('reports a version-control folder once per layer, with the secrets found in any of its files', () => {
    assert.deepEqual(
      one([dir('/app'), dir('/app/.git'), file('/app/.git/HEAD'), secret('/app/.git/config', 'githubToken'), file('/app/.git/objects/ab/cdef'), file('/srv/site/.svn/entries'), file('/opt/x/.hg/store/data')]),
      ['0 vcs /app/.git githubToken', '0 vcs /opt/x/.hg', '0 vcs /srv/site/.svn'],
    );
  });

  it('finds a leftover in the layer that holds its bytes, even when a later layer deletes it', () => {
    const found = findLeftovers(
      imageOf([
        [dir('/root'), dir('/root/.ssh'), secret('/root/.ssh/id_rsa', 'privateKey'), file('/app/.env'), file('/app/.bash_history')],
        [whiteout('/root/.ssh/id_rsa')],
        [opaque('/app')],
        [secret('/root/.npmrc', 'npmToken')],
        [file('/root/.npmrc')],
      ]),
    );
    assert.deepEqual(found.map(brief), [
      '0 shellHistory /app/.bash_history deleted 2',
      '0 envFile /app/.env deleted 2',
      '0 privateKey /root/.ssh/id_rsa deleted 1 privateKey',
      '3 packageManagerConfig /root/.npmrc replaced 4 npmToken',
      '4 packageManagerConfig /root/.npmrc',
    ]);
  });

  it('sees deletions of a parent folder, and a file replaced by a folder', () => {
    assert.deepEqual(
      findLeftovers(imageOf([[file('/home/u/.bash_history'), file('/srv/.env'), dir('/w/.git'), file('/w/.git/HEAD')], [whiteout('/home/u')], [dir('/srv/.env'), opaque('/w/.git')]])).map(brief),
      ['0 shellHistory /home/u/.bash_history deleted 1', '0 envFile /srv/.env deleted 2', '0 vcs /w/.git deleted 2'],
    );
  });

  it('marks third-party files, and ignores harmless dotfiles inside installed packages', () => {
    assert.deepEqual(
      one([
        file('/app/node_modules/some-lib/.npmrc'),
        file('/app/node_modules/some-lib/.env.example'),
        secret('/app/node_modules/some-lib/test/fixtures/key.pem', 'privateKey'),
        secret('/usr/lib/python3/dist-packages/x/tests/data/creds.env', 'password'),
        file('/app/node_modules/dep/.git/HEAD'),
      ]),
      ['0 privateKey /app/node_modules/some-lib/test/fixtures/key.pem privateKey thirdParty', '0 secret /usr/lib/python3/dist-packages/x/tests/data/creds.env password thirdParty'],
    );
  });

  it('never carries a secret value, from a real layer through to the report', async () => {
    const layer = await makeTar([
      { name: 'root/.bash_history', content: `export AWS_ACCESS_KEY_ID=${FAKE.awsAccessKey}\nls\n` },
      { name: 'root/.npmrc', content: `//registry.npmjs.org/:_authToken=${FAKE.npmToken}\n` },
      { name: 'app/.env', content: `DB_PASSWORD=${FAKE.password}\n` },
      { name: 'app/.git/config', content: `[remote "origin"]\n\turl = https://x:${FAKE.githubClassic}@github.com/o/r\n` },
      { name: 'app/deploy/key.pem', content: FAKE.privateKeyPem },
    ]);
    const { entries } = await processLayer(Readable.from([layer]), { where: 'test layer' });
    const found = findLeftovers(imageOf([entries]));
    assert.deepEqual(found.map(brief), [
      '0 envFile /app/.env password',
      '0 vcs /app/.git githubToken',
      '0 privateKey /app/deploy/key.pem privateKey',
      '0 shellHistory /root/.bash_history awsAccessKey',
      '0 packageManagerConfig /root/.npmrc npmToken',
    ]);
    const text = JSON.stringify(found);
    for (const v of [FAKE.awsAccessKey, FAKE.npmToken, FAKE.password, FAKE.githubClassic, 'MIIEowIBAAKCAQEAu1SU1LfV']) assert.ok(!text.includes(v), `the report must not contain ${v.slice(0, 6)}…`);
  });
});
