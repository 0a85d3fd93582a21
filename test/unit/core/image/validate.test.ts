import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { CompareError } from '../../../../src/core/util/errors';
import { readLayout } from '../../../../src/core/image/layout';
import { jsonDepth, MAX_JSON_DEPTH, MAX_LAYERS, parseJsonDocument } from '../../../../src/core/image/validate';

const platform = { os: 'linux', architecture: 'amd64' };
const digest = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const D = `sha256:${'1'.repeat(64)}`;

/** A docker-save layout in memory with this config (an object, or raw bytes) and these manifest items. */
function dockerSave(config: unknown, manifest?: unknown) {
  const bytes = Buffer.isBuffer(config) ? config : Buffer.from(JSON.stringify(config));
  const files = new Map<string, Buffer>([
    ['c.json', bytes],
    ['manifest.json', Buffer.from(JSON.stringify(manifest ?? [{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l/layer.tar'] }]))],
  ]);
  return async (p: string) => files.get(p);
}

const goodConfig = (over: Record<string, unknown> = {}, run: Record<string, unknown> = {}) => ({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'], ...run }, rootfs: { type: 'layers', diff_ids: [D] }, ...over });

async function refused(read: (p: string) => Promise<Buffer | undefined>, reason: string, message: RegExp): Promise<void> {
  await assert.rejects(readLayout(read, 'x.tar', platform), (e: unknown) => {
    assert.ok(e instanceof CompareError, `not a CompareError: ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('image documents are checked against the fields we read (validate.ts)', () => {
  it('accepts a good config, nulls where Go writes nil', async () => {
    const [img] = await readLayout(dockerSave(goodConfig({ history: null }, { Cmd: null, Entrypoint: null, Env: null, Labels: null, ExposedPorts: null })), 'x.tar', platform);
    assert.equal(img.config.config?.Cmd, null);
  });

  const wrong: Array<[string, unknown, RegExp]> = [
    ['Cmd a number', goodConfig({}, { Cmd: 3 }), /x\.tar: config c\.json: config\.Cmd: expected an array of strings, got a number$/],
    ['Cmd of numbers', goodConfig({}, { Cmd: ['/bin/sh', 4] }), /config\.Cmd\[1\]: expected a string, got a number/],
    ['Env an object', goodConfig({}, { Env: { PATH: '/bin' } }), /config\.Env: expected an array of strings, got an object/],
    ['Entrypoint a string', goodConfig({}, { Entrypoint: '/start.sh' }), /config\.Entrypoint: expected an array of strings, got a string/],
    ['a label that is not a string', goodConfig({}, { Labels: { a: 1 } }), /config\.Labels\.a: expected a string, got a number/],
    ['User an array', goodConfig({}, { User: ['root'] }), /config\.User: expected a string, got an array/],
    ['Healthcheck.Test a string', goodConfig({}, { Healthcheck: { Test: 'curl' } }), /config\.Healthcheck\.Test: expected an array of strings, got a string/],
    ['config a list', goodConfig({ config: [] }), /config: expected an object, got an array/],
    ['os a number', goodConfig({ os: 7 }), /: os: expected a string, got a number/],
    ['no rootfs', goodConfig({ rootfs: undefined }), /rootfs: expected an object, got nothing/],
    ['diff_ids a string', goodConfig({ rootfs: { type: 'layers', diff_ids: D } }), /rootfs\.diff_ids: expected an array of strings, got a string/],
    ['a history entry that is a string', goodConfig({ history: ['RUN x'] }), /history\[0\]: expected an object, got a string/],
    ['empty_layer a string', goodConfig({ history: [{ created_by: 'x', empty_layer: 'yes' }] }), /history\[0\]\.empty_layer: expected true or false, got a string/],
    ['the config a list', [1, 2], /the document: expected an object, got an array/],
  ];
  for (const [what, config, message] of wrong) {
    it(`names the field: ${what}`, () => refused(dockerSave(config), 'badArchive', message));
  }

  it('manifest.json: names the entry and field of the wrong type', async () => {
    await refused(dockerSave(goodConfig(), { Config: 'c.json' }), 'badArchive', /x\.tar: manifest\.json: the document: expected a list of images, got an object/);
    await refused(dockerSave(goodConfig(), [{ Config: 'c.json', Layers: 'l/layer.tar' }]), 'badArchive', /manifest\.json: \[0\]\.Layers: expected an array of strings, got a string/);
    await refused(dockerSave(goodConfig(), [{ Config: 5, Layers: [] }]), 'badArchive', /\[0\]\.Config: expected a string, got a number/);
    await refused(dockerSave(goodConfig(), [{ Config: 'c.json', RepoTags: [1], Layers: ['l'] }]), 'badArchive', /\[0\]\.RepoTags\[0\]: expected a string, got a number/);
  });

  it('refuses absurd nesting before parsing it: no "Maximum call stack size exceeded"', async () => {
    const deep = Buffer.from(`{"architecture":"amd64","config":{"Healthcheck":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    await refused(dockerSave(deep), 'hostileArchive', new RegExp(`config c\\.json nests more than ${MAX_JSON_DEPTH} levels deep; refusing it`));
  });

  it('counts nesting outside strings only', () => {
    assert.equal(jsonDepth(Buffer.from('{"a":"[[[[{{{{\\"[[[","b":[[1]]}')), 3);
    assert.doesNotThrow(() => parseJsonDocument(Buffer.from(JSON.stringify({ s: '['.repeat(1000) })), 'x', 'y'));
  });

  it(`refuses more than ${MAX_LAYERS} layers at once, naming the limit (a manifest listing one layer 100,000 times)`, async () => {
    const layers = Array.from({ length: 100_000 }, () => 'l/layer.tar');
    const t = Date.now();
    await refused(dockerSave(goodConfig({ rootfs: { type: 'layers', diff_ids: layers.map(() => D) } }), [{ Config: 'c.json', Layers: layers }]), 'hostileArchive', /\[0\]\.Layers lists 100000 items, more than the limit of 500 \(no engine runs an image with that many layers\); refusing it/);
    assert.ok(Date.now() - t < 2000, `took ${Date.now() - t} ms`);
  });

  describe('OCI indexes and manifests', () => {
    const layout = (docs: Record<string, unknown>, index: unknown) => {
      const files = new Map<string, Buffer>([['index.json', Buffer.from(JSON.stringify(index))]]);
      for (const [k, v] of Object.entries(docs)) files.set(k, Buffer.from(JSON.stringify(v)));
      return async (p: string) => files.get(p);
    };
    it('names a descriptor field of the wrong type', async () => {
      await refused(layout({}, { manifests: {} }), 'badArchive', /index\.json: manifests: expected an array, got an object/);
      await refused(layout({}, { manifests: [{ digest: 5 }] }), 'badArchive', /index\.json: manifests\[0\]\.digest: expected a string, got a number/);
      await refused(layout({}, { manifests: [{ digest: D, size: -1 }] }), 'badArchive', /manifests\[0\]\.size: expected a size in bytes, got a number/);
      await refused(layout({}, { manifests: [{ digest: D, platform: { os: 1 } }] }), 'badArchive', /manifests\[0\]\.platform\.os: expected a string, got a number/);
    });
    it('names what is wrong in a manifest', async () => {
      const m = Buffer.from(JSON.stringify({ config: { digest: D }, layers: [{ digest: 3 }] }));
      const files = new Map<string, Buffer>([
        ['index.json', Buffer.from(JSON.stringify({ manifests: [{ digest: digest(m) }] }))],
        [`blobs/sha256/${digest(m).slice(7)}`, m],
      ]);
      await refused(async (p) => files.get(p), 'badArchive', new RegExp(`manifest ${digest(m)}: layers\\[0\\]\\.digest: expected a string, got a number`));
    });
    it('refuses an index that lists itself (it would nest forever)', async () => {
      const self = `sha256:${'a'.repeat(64)}`;
      const child = { manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: self }] };
      const files = new Map<string, Buffer>([
        ['index.json', Buffer.from(JSON.stringify(child))],
        [`blobs/sha256/${'a'.repeat(64)}`, Buffer.from(JSON.stringify(child))],
      ]);
      await refused(async (p) => files.get(p), 'hostileArchive', /indexes nest more than 4 deep/);
    });
  });
});
