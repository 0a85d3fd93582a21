import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { CompareError } from '../../../../src/core/util/errors';
import { readLayout, type Platform } from '../../../../src/core/image/layout';

const digest = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A multi-platform OCI layout in memory: an index of amd64, arm64/v8 and a BuildKit attestation manifest. */
function multiPlatform() {
  const files = new Map<string, Buffer>();
  const put = (o: unknown) => {
    const b = Buffer.from(JSON.stringify(o));
    files.set(`blobs/sha256/${digest(b).slice(7)}`, b);
    return { digest: digest(b), size: b.length };
  };
  const manifest = (arch: string) => {
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(Buffer.from(arch)), size: 1 };
    const config = put({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] } });
    return put({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [layer] });
  };
  const index = put({
    schemaVersion: 2,
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest('amd64'), platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest('arm64'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest('unknown'), platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  });
  files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'io.containerd.image.name': 'docker.io/library/app:1' } }] })));
  return async (p: string) => files.get(p);
}

describe('OCI layout resolution', () => {
  const pick = async (p: Platform) => (await readLayout(multiPlatform(), 'test', p))[0];
  it('picks the asked platform from a nested multi-platform index', async () => {
    assert.equal((await pick({ os: 'linux', architecture: 'amd64' })).config.architecture, 'amd64');
    assert.equal((await pick({ os: 'linux', architecture: 'arm64' })).config.architecture, 'arm64');
    assert.equal((await pick({ os: 'linux', architecture: 'arm64', variant: 'v8' })).config.architecture, 'arm64');
  });
  it('keeps the image name from the containerd annotation', async () => {
    assert.deepEqual((await pick({ os: 'linux', architecture: 'amd64' })).names, ['docker.io/library/app:1']);
  });
  it('names the platforms on offer when none matches (never the attestation)', async () => {
    await assert.rejects(pick({ os: 'linux', architecture: 's390x' }), (e: unknown) => {
      assert.ok(e instanceof CompareError && e.reason === 'unsupported');
      assert.match(e.message, /no manifest for platform linux\/s390x \(the index offers linux\/amd64, linux\/arm64\/v8\); choose one with --platform/);
      return true;
    });
  });
  it('refuses a descriptor whose digest is not a digest', async () => {
    const read = async (p: string) => (p === 'index.json' ? Buffer.from(JSON.stringify({ manifests: [{ digest: 'sha256:../../etc/passwd' }] })) : undefined);
    await assert.rejects(readLayout(read, 'test', { os: 'linux', architecture: 'amd64' }), /is not a digest/);
  });
});
