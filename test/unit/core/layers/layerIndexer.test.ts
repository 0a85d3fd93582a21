import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { processLayer } from '../../../../src/core/layers/layerProcessor';
import { EntryBudget } from '../../../../src/core/layers/limits';
import { CompareError } from '../../../../src/core/util/errors';
import { makeTar, rawHeader } from '../../../helpers/tarBuilder';

const index = async (tar: Buffer, budget?: EntryBudget) => (await processLayer(Readable.from([tar]), { where: 'layer', budget })).entries;
const refused = async (tar: Buffer, message: RegExp, budget?: EntryBudget) =>
  assert.rejects(index(tar, budget), (e: unknown) => {
    assert.ok(e instanceof CompareError && e.reason === 'hostileArchive', String(e));
    assert.match(e.message, message);
    return true;
  });

describe('layer indexer: hostile entries', () => {
  it('refuses a name longer than PATH_MAX, showing its start only', async () => {
    await refused(await makeTar([{ name: `${'n'.repeat(5000)}`, content: 'x' }]), /entry "n{200}…" is a name longer than 4096 bytes \(PATH_MAX\)/);
  });
  it('refuses a directory that claims content (tar readers would wait for it forever)', async () => {
    const h = rawHeader('d', 4096);
    h[156] = 0x35;
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    await refused(Buffer.concat([h, Buffer.alloc(600)]), /entry "d" is a directory that claims 4096 bytes of content/);
  });
  it('takes from the load\'s budget, and refuses past it with the limit named', async () => {
    const tar = await makeTar(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, content: '' })));
    await refused(tar, /layer: more than 20 entries: refusing it \(the limit is 20 files, directories and links per image\)/, new EntryBudget(1, 20));
    assert.equal((await index(tar, new EntryBudget(1, 30))).length, 30);
  });
  it('drops an opaque marker at the root, keeps one below', async () => {
    const entries = await index(await makeTar([{ name: '.wh..wh..opq' }, { name: 'd/.wh..wh..opq' }, { name: 'n', content: 'x' }]));
    assert.deepEqual(entries.map((e) => `${e.type} ${e.path}`), ['opaque /d', 'file /n']);
  });
  it("places entries written through the layer's own symlinks, and refuses loops", async () => {
    const entries = await index(await makeTar([{ name: 'keep/', type: 'directory' }, { name: 'y', type: 'symlink', linkname: './keep' }, { name: 'y/b', content: 'b' }, { name: 'y/.wh.c' }]));
    assert.deepEqual(entries.map((e) => `${e.type} ${e.path}`), ['dir /keep', 'symlink /y', 'file /keep/b', 'whiteout /keep/c']);
    await refused(await makeTar([{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'a/x', content: '' }]), /entry "a\/x" is written through a loop of symlinks/);
  });
});
