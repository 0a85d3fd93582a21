import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { Daemon, DaemonImage } from '../../../../src/core/image/daemon';
import { Cache } from '../../../../src/core/layers/cache';
import { loadImages } from '../../../../src/core/sources/loader';
import { makeImageArchive, makeTar, sha256 } from '../../../helpers/tarBuilder';

/** The config name manifest.json gives each tag of a docker-save archive. */
async function configIds(archive: Buffer): Promise<Map<string, string>> {
  const extract = tar.extract();
  let manifest = '';
  extract.on('entry', (h, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: unknown) => void parts.push(c as Buffer));
    stream.on('end', () => {
      if (h.name === 'manifest.json') manifest = Buffer.concat(parts).toString();
      next();
    });
  });
  await new Promise<void>((resolve) => {
    extract.on('finish', () => resolve());
    extract.end(archive);
  });
  const rows = JSON.parse(manifest) as Array<{ Config: string; RepoTags: string[] }>;
  return new Map(rows.map((r) => [r.RepoTags[0], `sha256:${r.Config.replace(/\.json$/, '')}`]));
}

describe('a warm load reads ahead the indexes a name had, while the engine is asked what it is now', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-ahead-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the remembered indexes before the engine answers, and uses its answer', async () => {
    const layers = [await makeTar([{ name: 'etc/os-release', content: 'ID=demo\n' }]), await makeTar([{ name: 'app/run.sh', content: '#!/bin/sh\n' }])];
    const archive = await makeImageArchive([{ tags: ['demo:a'], layers }], 'legacy');
    const info: DaemonImage = { id: (await configIds(archive)).get('demo:a')!, repoTags: ['demo:a'], repoDigests: [], diffIds: layers.map((l) => sha256(l)) };
    // An engine that answers an inspect only when told to, and records what happened before.
    const events: string[] = [];
    let answer!: () => void;
    const daemon: Daemon = {
      endpoint: 'unix:///fake.sock',
      inspect: async () => {
        await new Promise<void>((r) => (answer = r));
        events.push('inspected');
        return info;
      },
      export: async () => Readable.from([archive]),
    };
    const load = async () => {
      const cache = await Cache.open(dir);
      const read = cache.readIndex.bind(cache);
      cache.readIndex = (d) => {
        events.push(`read ${d.slice(7, 11)}`);
        return read(d);
      };
      const loading = loadImages(['demo:a'], { cache, daemon: async () => daemon, fastPath: false });
      // Turns enough for any read ahead to start, then the engine answers.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      answer();
      return loading;
    };
    const [cold] = await load();
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'recent-layers.json'), 'utf8')), [['demo:a', info.diffIds]]);
    assert.equal(events[0], 'inspected', 'nothing is read ahead the first time');
    events.length = 0;
    const written = (await stat(join(dir, 'recent-layers.json'))).ino;
    const [warm] = await load();
    const reads = info.diffIds.map((d) => `read ${d.slice(7, 11)}`);
    assert.deepEqual(events.slice(0, 2).sort(), [...reads].sort(), 'both indexes are read before the answer');
    assert.deepEqual(events.slice(2), ['inspected'], 'and not read again after it');
    assert.deepEqual(warm.layers.map((l) => [l.diffId, l.fileCount]), cold.layers.map((l) => [l.diffId, l.fileCount]));
    assert.deepEqual(warm.layers.map((l) => l.fileCount), [1, 1]);
    assert.equal((await stat(join(dir, 'recent-layers.json'))).ino, written, 'the same layers are not written again (a write is a new file, renamed into place)');
  });

  it('remembers at most 64 names, most recent last, and takes a damaged file for none', async () => {
    const cache = await Cache.open(dir);
    const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
    for (let i = 0; i < 70; i++) await cache.rememberLayers([[`n${i}`, [d(i)]]]);
    const rows = JSON.parse(await readFile(join(dir, 'recent-layers.json'), 'utf8')) as Array<[string, string[]]>;
    assert.equal(rows.length, 64);
    assert.deepEqual(rows.at(-1), ['n69', [d(69)]]);
    assert.deepEqual(await (await Cache.open(dir)).recentLayers(['n69', 'n5', 'n6']), [d(69), d(6)]);
    for (const junk of ['{', '{"a":1}', '[["x",["../../etc"]],["y",[1]],"z"]']) {
      await rm(join(dir, 'recent-layers.json'));
      await (await import('node:fs/promises')).writeFile(join(dir, 'recent-layers.json'), junk);
      assert.deepEqual(await (await Cache.open(dir)).recentLayers(['x', 'y', 'z']), [], junk);
    }
  });
});
