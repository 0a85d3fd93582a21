/**
 * Hostile inputs through the CLI in a child process (its own exit code,
 * signals and peak memory), each built here: millions of empty files, a
 * zstd bomb, a manifest listing one layer thousands of times, configs of
 * the wrong types or absurd depth, a 100 MB manifest.json. The bounds
 * asserted are README's Security notes. No Docker engine needed.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MAX_ENTRIES_PER_IMAGE } from '../../src/core/layers/limits';
import { manyEmptyFiles, runCliChild, writeArchive, writeLayoutDir, zstdBomb, type ChildRun } from '../helpers/hostile';
import { makeImageArchive, makeTar, rawHeader, sha256 } from '../helpers/tarBuilder';

/** Any byte of C0 or DEL but newline: what must never reach a terminal from an image. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

describe('hostile inputs stay bounded and inert (CLI in a child process)', function () {
  this.timeout(600_000);
  let dir: string;
  /** The child's working directory and temp folder: nothing may appear there. */
  let cwd: string;
  let tmp: string;
  let cacheDir: string;
  const runs: ChildRun[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-hostile-'));
    cwd = join(dir, 'cwd');
    tmp = join(dir, 'tmp');
    cacheDir = join(dir, 'cache');
    await Promise.all([mkdir(cwd), mkdir(tmp)]);
  });
  after(async () => {
    try {
      // Nothing written outside the cache, and nothing raw from the inputs reached the output.
      assert.deepEqual(await readdir(cwd), [], 'the working directory stays empty');
      // tsx (which runs the TypeScript CLI in these tests) keeps its compile cache there; nothing else may appear.
      assert.deepEqual((await readdir(tmp)).filter((n) => !n.startsWith('tsx-')), [], 'the temp folder stays empty');
      for (const r of runs) assert.ok(!CONTROL.test(r.stdout) && !CONTROL.test(r.stderr), `a control character in ${JSON.stringify(r.stderr.slice(0, 300))}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const cli = async (args: string[], opts: { onStart?: (pid: number) => void; onStderr?: (all: string) => void; cacheSize?: string; cacheDir?: string } = {}) => {
    const r = await runCliChild([...args, '--cache-dir', opts.cacheDir ?? cacheDir, ...(opts.cacheSize ? ['--cache-size', opts.cacheSize] : [])], {
      env: { TMPDIR: tmp, HOME: cwd },
      cwd,
      onStart: opts.onStart,
      onStderr: opts.onStderr,
    });
    runs.push(r);
    return r;
  };
  const oneLineError = (r: ChildRun, message: RegExp) => {
    assert.equal(r.code, 2, `exit ${r.code} ${r.signal}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /unexpected error/);
  };
  /**
   * Sends SIGTERM `afterMs` into the run. When the child was still at work
   * then, it must say it was cancelled within a second and be gone within
   * three (letting go of a heap of a GiB takes a moment); returns whether it
   * was still at work (false: it had finished first).
   */
  const terminated = async (args: string[], afterMs: number, cacheDirOverride?: string): Promise<boolean> => {
    let sent = 0;
    let said = 0;
    let exited = false;
    const r = await cli(args, {
      cacheDir: cacheDirOverride,
      onStart: (pid) =>
        void setTimeout(() => {
          if (exited) return;
          sent = Date.now();
          process.kill(pid, 'SIGTERM');
        }, afterMs),
      onStderr: (all) => {
        if (!said && /cancelled/.test(all)) said = Date.now();
      },
    }).finally(() => (exited = true));
    // Finished first, or signalled before the CLI set its handler up (the default action ends it at once).
    if (!sent || r.code === 0 || (r.code === 1 && !r.stderr) || r.signal === 'SIGTERM') return false;
    const gone = Date.now() - sent;
    assert.ok(said && said - sent < 1000, `said "cancelled" ${said - sent} ms after SIGTERM (sent ${afterMs} ms into the run)`);
    assert.ok(gone < 3000, `exited ${gone} ms after SIGTERM (sent ${afterMs} ms into the run)`);
    oneLineError(r, /^container-compare: cancelled/);
    return true;
  };

  let small: string;
  before(async () => {
    small = join(dir, 'small.tar');
    await writeFile(small, await makeImageArchive([{ tags: ['small:1'], layers: [await makeTar([{ name: 'etc/hostname', content: 'x\n' }])] }], 'legacy'));
  });

  describe('millions of entries', () => {
    let four: string;
    let limit: string;
    before(async () => {
      four = join(dir, 'four-million.tar');
      limit = join(dir, 'at-the-limit');
      await writeArchive(four, { layer: manyEmptyFiles(4_000_000), gzip: true });
      await writeLayoutDir(limit, manyEmptyFiles(MAX_ENTRIES_PER_IMAGE - 10));
    });

    // How long the refusal takes here: the signal below is sent halfway through it, wherever this runs.
    let refusedMs = 0;
    it(`4 million empty files (a 38 MB archive): refused past ${MAX_ENTRIES_PER_IMAGE} entries, under 600 MiB`, async () => {
      const start = Date.now();
      const r = await cli(['diff', `docker-archive:${four}`, `docker-archive:${small}`]);
      refusedMs = Date.now() - start;
      oneLineError(r, new RegExp(`layer/layer\\.tar: more than ${MAX_ENTRIES_PER_IMAGE} entries: refusing it \\(the limit is ${MAX_ENTRIES_PER_IMAGE} files, directories and links per image\\)`));
      assert.ok(r.peakMiB < 600, `peak ${r.peakMiB} MiB`);
    });

    it('SIGTERM while indexing millions of entries: answered within a second', async () => {
      // Halfway through the refusal (a fixed 2 s was past its end once indexing got faster).
      const at = refusedMs ? Math.round(refusedMs / 2) : 1000;
      assert.ok(await terminated(['diff', `docker-archive:${four}`, `docker-archive:${small}`], at), `the run ended before the signal (sent ${at} ms in; the whole refusal took ${refusedMs} ms)`);
    });

    let warmMs = 0;
    it('an image at the limit is compared, under 1.6 GiB, indexed once', async () => {
      const cold = await cli(['diff', `oci:${limit}`, `docker-archive:${small}`]);
      assert.equal(cold.code, 1, cold.stderr);
      assert.match(cold.stdout, /Different: /);
      assert.ok(cold.peakMiB < 1600, `peak ${cold.peakMiB} MiB`);
      const warm = await cli(['diff', `oci:${limit}`, `docker-archive:${small}`]);
      assert.equal(warm.code, 1, warm.stderr);
      assert.ok(warm.peakMiB < 1600, `peak ${warm.peakMiB} MiB`);
      warmMs = warm.ms;
    });

    it('SIGTERM at any point of comparing an image at the limit: answered within a second', async () => {
      assert.ok(warmMs > 0, 'the previous test measures the run');
      // From the cache: reading the indexes, the comparison, the report, the ranking. Signalled at several points of it.
      let signalled = 0;
      for (const part of [0.3, 0.45, 0.6, 0.75, 0.9]) if (await terminated(['diff', `oci:${limit}`, `docker-archive:${small}`], Math.round(warmMs * part))) signalled++;
      // A run may beat a late signal on a quiet machine; most must have been caught at work.
      assert.ok(signalled >= 4, `only ${signalled} of 5 runs were still at work when signalled`);
    });
  });

  describe('a zstd layer of 128 KiB that inflates to 4 GiB', () => {
    let bomb: string;
    before(async () => {
      // One file of 4 GiB of zeros: a tar header in a raw block, then RLE blocks.
      const size = 2 ** 32 - 2048;
      const header = rawHeader('zeros', size);
      const blob = zstdBomb(2 ** 32, { head: header, windowLog: 27 });
      const h = createHash('sha256').update(header);
      const zeros = Buffer.alloc(1 << 24);
      for (let left = 2 ** 32 - 512; left > 0; left -= zeros.length) h.update(zeros.subarray(0, Math.min(left, zeros.length)));
      const diffId = `sha256:${h.digest('hex')}`;
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: 'ADD zeros /' }] }));
      const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: sha256(blob), size: blob.length };
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [layer] }));
      const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length }] };
      bomb = join(dir, 'bomb.tar');
      await writeFile(
        bomb,
        await makeTar([
          { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
          { name: 'index.json', content: JSON.stringify(index) },
          ...[manifest, config, blob].map((b) => ({ name: `blobs/sha256/${sha256(b).slice(7)}`, content: b })),
        ]),
      );
      assert.ok(blob.length < 140 * 1024);
    });

    it('is read in bounded memory (the 128 MiB window and blocks in flight: under 450 MiB)', async () => {
      const r = await cli(['ls', `oci-archive:${bomb}`, '/'], { cacheSize: '0' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /zeros/);
      assert.ok(r.peakMiB < 450, `peak ${r.peakMiB} MiB`);
    });

    it('SIGTERM while it inflates: answered within a second', async () => assert.ok(await terminated(['ls', `oci-archive:${bomb}`, '/', '--cache-size', '0'], 2000, join(dir, 'cold-cache')), 'the run ended before the signal'));
  });

  describe('many layers', () => {
    for (const times of [3000, 100_000]) {
      it(`a manifest listing one layer ${times} times is refused at once, naming the limit`, async () => {
        const file = join(dir, `layers-${times}.tar`);
        await writeArchive(file, { layer: Readable.from([await makeTar([{ name: 'f', content: 'x' }])]), layers: times });
        const r = await cli(['diff', `docker-archive:${file}`, `docker-archive:${small}`]);
        oneLineError(r, new RegExp(`\\[0\\]\\.Layers lists ${times} items, more than the limit of 500 \\(no engine runs an image with that many layers\\); refusing it`));
        assert.ok(r.ms < 20_000, `${r.ms} ms`);
      });
    }

    it('500 layers (the limit) of 200 files each against 500 others: compared in bounded time', async () => {
      const layers = async (tag: string) => Promise.all(Array.from({ length: 500 }, (_, k) => makeTar(Array.from({ length: 200 }, (_, i) => ({ name: `d${i % 10}/f${i}`, content: `${tag}${k}` })))));
      const file = join(dir, 'five-hundred.tar');
      await writeFile(file, await makeImageArchive([{ tags: ['a:1'], layers: await layers('a') }, { tags: ['b:1'], layers: await layers('b') }], 'legacy'));
      const r = await cli(['diff', `docker-archive:${file}:a:1`, `docker-archive:${file}:b:1`]);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.ms < 60_000, `${r.ms} ms`);
      await rm(file);
    });
  });

  describe('documents', () => {
    const withConfig = async (name: string, configBytes: Buffer) => {
      const file = join(dir, name);
      await writeArchive(file, { layer: Readable.from([await makeTar([{ name: 'f', content: 'x' }])]), configBytes });
      return file;
    };
    it('a config field of the wrong type is named, not "(e.Cmd ?? []) is not iterable"', async () => {
      const file = await withConfig('cmd.tar', Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: 42 }, rootfs: { type: 'layers', diff_ids: [sha256('x')] } })));
      oneLineError(await cli(['diff', `docker-archive:${file}`, `docker-archive:${small}`]), /: config \S+\.json: config\.Cmd: expected an array of strings, got a number$/m);
    });
    it('a config nested 100,000 deep is refused, not "Maximum call stack size exceeded"', async () => {
      const file = await withConfig('deep.tar', Buffer.from(`{"config":{"Labels":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`));
      oneLineError(await cli(['diff', `docker-archive:${file}`, `docker-archive:${small}`]), /nests more than 32 levels deep; refusing it/);
    });
    it('a 100 MB manifest.json is said to be too large', async () => {
      const file = join(dir, 'big-manifest.tar');
      const manifest = Buffer.alloc(100 * 2 ** 20, 0x20);
      manifest[0] = 0x5b; // "[" then spaces: JSON that would parse, were it read
      await writeFile(file, await makeTar([{ name: 'manifest.json', content: manifest }]));
      oneLineError(await cli(['ls', `docker-archive:${file}`]), /manifest\.json is 104857600 bytes, more than the 16 MiB a manifest, index or config may have; refusing it as too large/);
    });
    it('names with control characters are shown escaped', async () => {
      const file = join(dir, 'control.tar');
      await writeFile(file, await makeImageArchive([{ tags: ['c:1'], layers: [await makeTar([{ name: '../\u001b[31mevil', content: 'x' }])] }], 'legacy'));
      oneLineError(await cli(['ls', `docker-archive:${file}`]), /entry "\.\.\/\\x1b\[31mevil" climbs out with "\.\."/);
    });
  });
});
