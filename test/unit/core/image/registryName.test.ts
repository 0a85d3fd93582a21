import { strict as assert } from 'node:assert';
import { CompareError } from '../../../../src/core/util/errors';
import { parseImageReference, parseReference } from '../../../../src/core/image/reference';
import { formatRegistryName, parseRegistryName } from '../../../../src/core/image/registryName';

const D = `sha256:${'ab'.repeat(32)}`;

describe('registry references', () => {
  const ok: Array<[string, object, string]> = [
    ['registry.example:5000/app:ci', { registry: 'registry.example:5000', repository: 'app', tag: 'ci' }, 'registry.example:5000/app:ci'],
    ['127.0.0.1:5000/team/sub/app', { registry: '127.0.0.1:5000', repository: 'team/sub/app', tag: 'latest' }, '127.0.0.1:5000/team/sub/app:latest'],
    ['localhost/app:1.0-rc_2', { registry: 'localhost', repository: 'app', tag: '1.0-rc_2' }, 'localhost/app:1.0-rc_2'],
    [`h.example/app@${D}`, { registry: 'h.example', repository: 'app', digest: D }, `h.example/app@${D}`],
    [`h.example/app:v1@${D}`, { registry: 'h.example', repository: 'app', tag: 'v1', digest: D }, `h.example/app:v1@${D}`],
    ['[::1]:5000/app:x', { registry: '[::1]:5000', repository: 'app', tag: 'x' }, '[::1]:5000/app:x'],
    // Docker's rule: no dot, colon or localhost in the first component: Docker Hub.
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }, 'docker.io/library/nginx:1.27'],
    ['team/app', { registry: 'docker.io', repository: 'team/app', tag: 'latest' }, 'docker.io/team/app:latest'],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }, 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', { registry: 'docker.io', repository: 'library/nginx', tag: '1' }, 'docker.io/library/nginx:1'],
  ];
  for (const [raw, want, formatted] of ok) {
    it(`parses ${raw}`, () => {
      const n = parseRegistryName(raw);
      assert.deepEqual(n, want);
      assert.equal(formatRegistryName(n), formatted);
    });
  }
  for (const bad of ['h.example/App:1', 'h.example/app:bad tag', 'h.example/app@sha256:abc', 'h.example:99999/app', 'h.example/', 'h.example/a//b', 'h_x.example:5000/app']) {
    it(`rejects ${bad}`, () => assert.throws(() => parseRegistryName(bad), (e: unknown) => e instanceof CompareError && e.reason === 'badReference' && e.message.includes(bad)));
  }
  it('registry:// is a registry image wherever references are accepted', () => {
    const r = parseReference('registry://127.0.0.1:5000/php-fcgid:ci');
    assert.equal(r.kind, 'registry');
    assert.equal(r.raw, 'registry://127.0.0.1:5000/php-fcgid:ci');
    assert.equal((r as { name: string }).name, '127.0.0.1:5000/php-fcgid:ci');
  });
  it('a plain name is the daemon\'s, unless the caller says it is remote', () => {
    assert.equal(parseReference('registry.example:5000/app:ci').kind, 'daemon');
    assert.equal(parseImageReference('registry.example:5000/app:ci', { remote: true }).kind, 'registry');
    // Prefixed forms and paths keep their meaning.
    assert.equal(parseImageReference('docker-daemon:app:1', { remote: true }).kind, 'daemon');
    assert.equal(parseImageReference('./x.tar', { remote: true }).kind, 'docker-archive');
  });
});
