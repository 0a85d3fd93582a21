import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_DIR } from '../../src/core/layers/cache';
import { api, PHP_A, PHP_B, waitFor, withSetting } from './helpers';

// First in the suite (files run in name order): no view has expanded an image yet.
describe('Cancelling', () => {
  it('cancelling a cold compare stops the export and leaves no half-written cache entry', async () => {
    const s = await api();
    const cacheDir = mkdtempSync(join(tmpdir(), 'cc-cancel-cache-'));
    const undo = await withSetting('cache.directory', cacheDir);
    try {
      await waitFor('the new cache folder to be in effect', () => s.engine.settings().cacheDir === cacheDir);
      const controller = new AbortController();
      const done = s.session.compare(PHP_A, PHP_B, controller.signal);
      // Cancel once the export is under way (its first layer bytes reached the cache folder).
      const count = (d: string) => (existsSync(join(cacheDir, d)) ? readdirSync(join(cacheDir, d)).length : 0);
      await waitFor('the load to start (export or layer store)', () => count('layers') > 0 || count(INDEX_DIR) > 0, 60_000);
      controller.abort();
      await assert.rejects(done, (e: Error & { reason?: string }) => e.reason === 'cancelled');
      const leftovers = ['layers', INDEX_DIR, 'configs'].flatMap((d) => readdirSync(join(cacheDir, d)).filter((f) => f.includes('.tmp-')));
      assert.deepEqual(leftovers, [], 'temp files left behind');
      // The pair has 11 distinct layers; a finished load would have indexed them all.
      assert.ok(readdirSync(join(cacheDir, INDEX_DIR)).length < 11, 'the load ran to the end despite the cancel');
    } finally {
      await undo();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
