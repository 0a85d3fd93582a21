import { strict as assert } from 'node:assert';
import { archiveEnd } from '../../../../src/core/sources/archiveEnd';
import { makeTar, rawHeader } from '../../../helpers/tarBuilder';

/** Feeds `bytes` to a fresh watcher in chunks of `size`: where it said the archive ends (-1: it never did). */
function endOf(bytes: Buffer, size: number): number {
  const watch = archiveEnd();
  for (let at = 0; at < bytes.length; at += size) {
    const n = watch(bytes.subarray(at, at + size));
    if (n >= 0) return at + n;
  }
  return -1;
}

const zeros = (n: number) => Buffer.alloc(n);

describe('archiveEnd: where an archive going past ends', () => {
  let archive: Buffer;
  before(async () => {
    archive = await makeTar([
      { name: 'manifest.json', content: '[]' },
      // Data made of zeros, a whole number of blocks of it: not an end, it is inside an entry.
      { name: 'abc/layer.tar', content: zeros(8192) },
      { name: 'abc/json', content: '' },
      { name: 'abc', type: 'directory' },
      // A name too long for the header: a PAX record before it, which the watcher must skip by its size.
      { name: `${'d/'.repeat(80)}layer.tar`, content: Buffer.from('x'.repeat(700)) },
      { name: 'def/layer.tar', type: 'symlink', linkname: '../abc/layer.tar' },
    ]);
  });

  it('ends right after the two blocks of zeros that follow the last entry, however the chunks fall', () => {
    // tar-stream's packer ends an archive with exactly two blocks of zeros, as Go's writer does.
    assert.deepEqual(archive.subarray(-1024), zeros(1024));
    const end = archive.length;
    for (const size of [1, 7, 511, 512, 513, 1000, 1024, 4096, 65536, end]) assert.equal(endOf(archive, size), end, `chunks of ${size}`);
    // What comes after the end (a record's padding, the rest of the answer) is not the archive's.
    const padded = Buffer.concat([archive, zeros(9216), Buffer.from('trailing')]);
    for (const size of [100, 1024, 65536]) assert.equal(endOf(padded, size), end, `padded, chunks of ${size}`);
  });

  it('after the end, says 0 of every chunk: nothing more is the archive\'s', () => {
    const watch = archiveEnd();
    assert.equal(watch(archive), archive.length);
    assert.equal(watch(Buffer.from('more')), 0);
  });

  it('reads ranges of a buffer as chunks: counts from the range\'s start', () => {
    const lead = Buffer.from('\r\n8000\r\n');
    const framed = Buffer.concat([lead, archive, Buffer.from('\r\n0\r\n\r\n')]);
    const watch = archiveEnd();
    const half = lead.length + 5000;
    assert.equal(watch(framed, lead.length, half), -1);
    assert.equal(watch(framed, half, framed.length), archive.length - 5000);
  });

  it('has not ended while the archive is cut short, even after one block of zeros or inside zeros of data', () => {
    // The last entry's data all there, one block of the end: not the end yet.
    assert.equal(endOf(archive.subarray(0, archive.length - 512), 4096), -1);
    // A lone block of zeros between entries is skipped (as tar-stream, whose reader the archive goes on to), not an end.
    const gap = Buffer.concat([archive.subarray(0, 512 + 512), zeros(512), archive.subarray(1024)]);
    assert.equal(endOf(gap, 700), gap.length);
    // Nor is a block that is zeros but for its checksum field, skipped the same way, with a block of zeros after it.
    const blank = zeros(512).fill(0x41, 148, 156);
    const junk = Buffer.concat([archive.subarray(0, 1024), blank, zeros(512), archive.subarray(1024)]);
    assert.equal(endOf(junk, 512), junk.length);
    // Cut inside the entry whose data is zeros.
    assert.equal(endOf(archive.subarray(0, 1024 + 512 + 4096), 512), -1);
  });

  it('gives up, never guessing an end, at a header it cannot read: the reader reports the archive', () => {
    const corrupt = rawHeader('b', 0);
    corrupt.fill(0x41, 148, 156); // its checksum
    const broken = Buffer.concat([rawHeader('a', 5), Buffer.from('hello'), zeros(507), corrupt, zeros(1024)]);
    assert.equal(endOf(broken, 512), -1);
  });
});
