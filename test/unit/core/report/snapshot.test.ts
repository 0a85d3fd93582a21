import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareImages } from '../../../../src/core/diff/compare';
import type { FileEntry, ImageModel, LayerInfo } from '../../../../src/core/image/model';
import { modelFromSnapshot, parseSnapshot, readSnapshotRef, rowsDigest, serializeSnapshot, snapshotOf, type Snapshot } from '../../../../src/core/report/snapshot';
import { randomLayer, rng } from '../../../helpers/randomImages';

const H = (c: string) => c.padEnd(64, c);

function image(name: string, layers: FileEntry[][], ids: string[]): ImageModel {
  const infos: LayerInfo[] = layers.map((entries, index) => ({ index, diffId: `sha256:${H(ids[index])}`, size: 100 * entries.length, createdBy: `/bin/sh -c step ${ids[index]}`, instruction: `RUN step ${ids[index]}`, builder: 'classic', fileCount: entries.length }));
  return { ref: name, name, id: `sha256:${H('f')}`, source: 'daemon', repoTags: [name], config: { os: 'linux', architecture: 'amd64', config: { Cmd: ['sh'] } }, layers: infos, history: [], indexes: layers };
}

/** Random sha256s are single digits: make them real hex for a snapshot that must parse. */
const hexed = (layers: FileEntry[][]) => layers.map((l) => l.map((e) => (e.sha256 ? { ...e, sha256: H(e.sha256) } : e)));

describe('snapshots', () => {
  it('compare like the images they were taken of: the same file differences on 500 random pairs', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const r = rng(seed);
      const shared = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomLayer(r));
      const sharedIds = shared.map((_, i) => `${i}`);
      const onlyA = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r));
      const onlyB = Array.from({ length: Math.floor(r() * 3) }, () => randomLayer(r));
      const A = image('A', [...shared, ...onlyA], [...sharedIds, ...onlyA.map((_, i) => `a${i}`)]);
      const B = image('B', [...shared, ...onlyB], [...sharedIds, ...onlyB.map((_, i) => `b${i}`)]);
      const brief = (fs: ReturnType<typeof compareImages>['files']) => fs.map((f) => `${f.change} ${f.path} ${f.reasons} ${f.layer} ${f.a?.layer} ${f.b?.layer}`);
      const direct = compareImages(A, B);
      const viaSnapshots = compareImages(modelFromSnapshot(snapshotOf(A), 'a.json'), modelFromSnapshot(snapshotOf(B)), { fullMerge: true });
      assert.deepEqual(brief(viaSnapshots.files), brief(direct.files), `seed ${seed}`);
      // A row can differ only in what a later layer overwrites: the image says "different", the
      // snapshot (each layer's contribution to the final filesystem) "same content". Identical is identical in both.
      const identical = (c: ReturnType<typeof compareImages>) => c.layers.map((l) => l.status === 'identical');
      assert.deepEqual(identical(viaSnapshots), identical(direct), `seed ${seed}`);
    }
  });

  it('round-trip through their text, one file row per line, and keep what compare needs', () => {
    const A = image('app:1', hexed([[{ path: '/etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 }, { path: '/etc/app.conf', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 12, sha256: '1', lineEndings: 'crlf', lfSha256: H('2') }, { path: '/etc/l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkTarget: 'app.conf' }]]), ['0']);
    const s = snapshotOf(A, { packages: { ecosystems: [{ kind: 'dpkg', source: '/var/lib/dpkg/status', layer: 0, packages: [{ name: 'libc6', version: '2.36-9', arch: 'amd64' }] }], problems: [] }, leftovers: [] });
    const text = serializeSnapshot(s);
    assert.deepEqual(parseSnapshot(text, 'x.json'), JSON.parse(JSON.stringify(s)));
    assert.ok(text.includes(`\n      ["/etc/app.conf","file",420,0,0,12,0,"${H('1')}","crlf",null,"${H('2')}"]`), text);
    assert.ok(text.includes('\n      ["/etc","dir",493,0,0,0,0]'));
    assert.ok(text.includes('{"name":"libc6","version":"2.36-9","arch":"amd64"}'));
    const m = modelFromSnapshot(parseSnapshot(text, 'x.json'), 'x.json');
    assert.equal(m.source, 'snapshot');
    assert.equal(m.ref, 'x.json');
    assert.deepEqual(m.indexes[0][1], { path: '/etc/app.conf', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 12, sha256: H('1'), lineEndings: 'crlf', lfSha256: H('2') });
  });

  describe('refuse what they cannot trust', () => {
    const good = (): Snapshot => JSON.parse(serializeSnapshot(snapshotOf(image('app:1', hexed([[{ path: '/a', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, sha256: '1' }]]), ['0'])))) as Snapshot;
    const redigest = (s: Snapshot) => ((s.files.digest = rowsDigest(s.files.rows)), s);
    const cases: Array<[string, (s: Snapshot) => unknown, RegExp]> = [
      ['an edited row (digest)', (s) => ((s.files.rows[0][5] = 2), s), /do not match their digest/],
      ['a path that climbs out', (s) => redigest(((s.files.rows[0][0] = '/a/../../etc/shadow'), s)), /file row 0/],
      ['a relative path', (s) => redigest(((s.files.rows[0][0] = 'a'), s)), /file row 0/],
      ['a row naming a layer that is not there', (s) => redigest(((s.files.rows[0][6] = 5), s)), /file row 0/],
      ['a whiteout row', (s) => redigest(((s.files.rows[0][1] = 'whiteout'), s)), /file row 0/],
      ['a bad sha256', (s) => redigest(((s.files.rows[0][7] = 'zz'), s)), /file row 0/],
      ['a bad diffID', (s) => ((s.layers[0].diffId = '../x'), s), /layer 0/],
      ['a count that does not match', (s) => ((s.files.count = 7), s), /files/],
      ['another kind of document', (s) => ({ ...s, kind: 'something' }), /no "kind"/],
      ['a newer version', (s) => ({ ...s, snapshotVersion: 2 }), /snapshot version 2; this container-compare reads version 1/],
      ['not JSON', () => '{"kind": ', /JSON/],
    ];
    for (const [name, mutate, message] of cases) {
      it(name, () => {
        const v = mutate(good());
        assert.throws(() => parseSnapshot(typeof v === 'string' ? v : JSON.stringify(v), 'b.json'), (e: Error) => message.test(e.message) && /^b\.json: /.test(e.message));
      });
    }
  });

  describe('are recognised by their content', () => {
    let dir: string;
    before(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-snap-'))));
    after(() => rm(dir, { recursive: true, force: true }));
    it('a snapshot file, with or without snapshot:', async () => {
      const p = join(dir, 'baseline.json');
      await writeFile(p, serializeSnapshot(snapshotOf(image('app:1', [[]], ['0']))));
      assert.equal((await readSnapshotRef(p))?.image.name, 'app:1');
      assert.equal((await readSnapshotRef(`snapshot:${p}`))?.image.name, 'app:1');
    });
    it('not an image name, an archive or a folder', async () => {
      const tar = join(dir, 'x.tar');
      await writeFile(tar, Buffer.alloc(1024));
      assert.equal(await readSnapshotRef('alpine:3.19'), undefined);
      assert.equal(await readSnapshotRef(tar), undefined);
      assert.equal(await readSnapshotRef(dir), undefined);
      await assert.rejects(readSnapshotRef(`snapshot:${join(dir, 'missing.json')}`), /no such snapshot file/);
    });
    it('a JSON file that is no snapshot is an error, not an image name', async () => {
      const p = join(dir, 'report.json');
      await writeFile(p, '{"schemaVersion": 1}');
      await assert.rejects(readSnapshotRef(p), /not a valid container-compare snapshot/);
    });
  });
});
