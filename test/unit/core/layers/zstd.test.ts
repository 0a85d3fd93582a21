import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decoderStream } from '../../../../src/core/layers/layerProcessor';
import { MAX_WINDOW, ZstdDecoder } from '../../../../src/core/layers/zstd';
import { zstdBomb } from '../../../helpers/hostile';

/** The reference encoder (Debian's zstd, which scripts/setup-host.sh installs): real frames with Huffman and FSE blocks. */
function zstd(data: Buffer, ...args: string[]): Buffer {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('the zstd command is missing: apt-get install zstd (scripts/setup-host.sh installs it)');
  }
  return execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 30 });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Decodes `frame` fed in `chunk`-byte pieces, `budget` bytes of output per push. */
function decode(frame: Buffer, chunk: number, budget = 1 << 20): Buffer {
  const out: Buffer[] = [];
  const d = new ZstdDecoder((b) => out.push(Buffer.from(b)));
  for (let i = 0; i < frame.length; i += chunk) {
    const final = i + chunk >= frame.length;
    let more = d.push(frame.subarray(i, i + chunk), final, budget);
    while (more) more = d.push(new Uint8Array(0), final, budget);
  }
  return Buffer.concat(out);
}

describe('zstd decoder (streaming, bounded)', () => {
  // Text with repeats (back-references far into the window), random bytes (raw blocks) and zeros (RLE).
  const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i % 977} of a layer that repeats ${i % 13}\n`).join(''));
  const data = Buffer.concat([text, randomBytes(300_000), Buffer.alloc(500_000), text]);

  for (const args of [['-1'], ['-19'], ['--long=24', '-3'], ['-3', '--no-check'], ['-3', '-B65536']]) {
    it(`decodes the reference encoder's output (zstd ${args.join(' ')}), whatever the input chunking`, () => {
      const frame = zstd(data, ...args);
      for (const chunk of [1, 7, 4096, frame.length]) assert.equal(sha(decode(frame, chunk, 64 * 1024)), sha(data), `chunks of ${chunk}`);
    });
  }

  it('decodes concatenated frames and skips skippable ones', () => {
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]), Buffer.from('abcd')]);
    const frame = Buffer.concat([zstd(text), skippable, zstd(data)]);
    assert.equal(sha(decode(frame, 1000)), sha(Buffer.concat([text, data])));
  });

  it('hands out at most about the budget per push (a 128 KiB frame holds 4 GiB)', () => {
    const frame = zstdBomb(2 ** 32);
    assert.ok(frame.length < 140 * 1024, `${frame.length} bytes`);
    let got = 0;
    const d = new ZstdDecoder((b) => (got += b.length));
    assert.equal(d.push(frame, true, 1 << 20), true);
    assert.ok(got <= (1 << 20) + 128 * 1024, `${got} bytes in one push`);
  });

  it(`refuses a window over ${MAX_WINDOW / 2 ** 20} MiB (libzstd's default limit), a dictionary, and a block larger than the format allows`, () => {
    assert.throws(() => decode(zstdBomb(1 << 20, { windowLog: 28 }), 1 << 20), /the zstd window is 268435456 bytes, more than the 134217728/);
    const dict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x50, 0x07, 0x01, 0x00, 0x00]);
    assert.throws(() => decode(Buffer.concat([dict, Buffer.alloc(20)]), 100), /dictionary/);
    // An RLE block claiming 1 MiB in a frame whose blocks may hold 128 KiB at most.
    const frame = zstdBomb(1, { windowLog: 20 });
    const h = 1 | (1 << 1) | ((1 << 20) << 3);
    frame.writeUIntLE(h, 6, 3);
    assert.throws(() => decode(frame, 100), /invalid zstd data/);
  });

  it('fails clearly on truncated input', () => {
    const frame = zstd(data);
    assert.throws(() => decode(frame.subarray(0, frame.length - 100), 4096), /unexpected EOF/);
  });

  it('decodes a 4 GiB bomb through the layer decoder at the speed of its reader, in bounded memory', async function () {
    this.timeout(120_000);
    const before = process.memoryUsage().rss;
    let peak = before;
    let total = 0;
    const sink = new Writable({
      highWaterMark: 1 << 16,
      write(chunk: Buffer, _e, cb) {
        total += chunk.length;
        if ((total & 0xfffffff) < chunk.length) peak = Math.max(peak, process.memoryUsage().rss);
        setImmediate(cb);
      },
    });
    await pipeline(Readable.from([zstdBomb(2 ** 32)]), decoderStream(() => undefined), sink);
    assert.equal(total, 2 ** 32);
    // The window (8 MiB here) and a few MiB of blocks in flight: never the output.
    assert.ok(peak - before < 200 * 2 ** 20, `RSS grew by ${Math.round((peak - before) / 2 ** 20)} MiB`);
  });
});
