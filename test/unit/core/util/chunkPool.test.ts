import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { ChunkPool } from '../../../../src/core/util/chunkPool';

describe('ChunkPool', () => {
  it('takes back a chunk once read to its end, and every chunk handed out before it', () => {
    const pool = new ChunkPool(8);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    pool.consumed(b.subarray(0, 4));
    assert.equal(pool.spare, 1, 'halfway through b: only a is free');
    pool.consumed(b.subarray(4));
    assert.equal(pool.spare, 2, 'b read to its end: a and b are free');
    const again = [pool.take(), pool.take()];
    assert.ok(again.includes(a) && again.includes(b), 'the freed chunks are handed out again');
    assert.ok(!again.includes(c));
  });

  it('ignores memory that is not its own (a copy, a decompressed chunk)', () => {
    const pool = new ChunkPool(8);
    const a = pool.take();
    pool.consumed(Buffer.from(a));
    pool.consumed(Buffer.alloc(8));
    assert.equal(pool.spare, 0);
  });

  it('keeps at most `keep` chunks for reuse', () => {
    const pool = new ChunkPool(8, 2);
    const chunks = Array.from({ length: 5 }, () => pool.take());
    pool.consumed(chunks[4]);
    assert.equal(pool.spare, 2);
  });

  it('forgets chunks nobody reports instead of holding a whole stream', () => {
    const pool = new ChunkPool(8, 2);
    const first = pool.take();
    for (let i = 0; i < 20; i++) pool.take();
    pool.consumed(first);
    assert.equal(pool.spare, 0, 'the first chunk was forgotten: reporting it frees nothing');
  });

  it('is found from the stream it serves', () => {
    const pool = new ChunkPool(8);
    const s = Readable.from([]);
    assert.equal(ChunkPool.of(s), undefined);
    pool.serve(s);
    assert.equal(ChunkPool.of(s), pool);
  });
});
