import { strict as assert } from 'node:assert';
import { CompareError } from '../../../../src/core/util/errors';
import { nameVariants, parseReference } from '../../../../src/core/image/reference';

describe('parseReference', () => {
  const ok: Array<[string, object]> = [
    ['nginx:1.27', { kind: 'daemon', name: 'nginx:1.27' }],
    ['sha256:0123abcd', { kind: 'daemon', name: 'sha256:0123abcd' }],
    ['registry.local:5000/team/app:ci', { kind: 'daemon', name: 'registry.local:5000/team/app:ci' }],
    ['docker-daemon:app:dev', { kind: 'daemon', name: 'app:dev' }],
    ['docker-archive:/tmp/a.tar', { kind: 'docker-archive', path: '/tmp/a.tar' }],
    ['docker-archive:/tmp/a.tar:app:ci', { kind: 'docker-archive', path: '/tmp/a.tar', name: 'app:ci' }],
    ['oci:/srv/layout', { kind: 'oci', path: '/srv/layout' }],
    ['oci:/srv/layout:v1', { kind: 'oci', path: '/srv/layout', name: 'v1' }],
    ['oci-archive:img.tar:v2', { kind: 'oci-archive', path: 'img.tar', name: 'v2' }],
    ['./saved.tar', { kind: 'docker-archive', path: './saved.tar' }],
    ['registry://host.example:5000/team/app:ci', { kind: 'registry', name: 'host.example:5000/team/app:ci', registry: 'host.example:5000', repository: 'team/app', tag: 'ci' }],
    ['registry://localhost/app', { kind: 'registry', name: 'localhost/app:latest', registry: 'localhost', repository: 'app', tag: 'latest' }],
  ];
  for (const [raw, want] of ok) {
    it(`parses ${raw}`, () => assert.deepEqual({ ...parseReference(raw), raw: undefined }, { ...want, raw: undefined }));
  }
  for (const bad of ['', '  ', 'has space:1', 'docker-archive:', 'registry://host.example/App:1', 'registry://h.example:5000/', 'https://h.example/app:1']) {
    it(`rejects "${bad}" with a CompareError`, () => {
      assert.throws(() => parseReference(bad), (e: unknown) => e instanceof CompareError && /reference|path|registry/i.test(e.message));
    });
  }
  it('knows the forms a name is listed under', () => {
    assert.ok(nameVariants('app').includes('app:latest'));
    assert.ok(nameVariants('app:1').includes('docker.io/library/app:1'));
  });
});
