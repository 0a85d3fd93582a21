import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { ContentScanner } from '../../../../src/core/layers/contentScanner';

const hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function scan(chunks: Array<string | Buffer>, size?: number) {
  const s = new ContentScanner(undefined, size);
  for (const c of chunks) s.update(Buffer.from(c));
  return s.finish();
}

describe('ContentScanner', () => {
  const cases: Array<[string, Array<string | Buffer>, string | undefined, boolean]> = [
    ['LF text', ['a\nb\n'], 'lf', true],
    ['CRLF text', ['a\r\nb\r\n'], 'crlf', true],
    ['mixed', ['a\r\nb\n'], 'mixed', true],
    ['no line end', ['abc'], 'none', true],
    ['empty', [], 'none', true],
    ['CRLF split across chunks', ['a\r', '\nb\r', '\n'], 'crlf', true],
    ['lone CR at a chunk end', ['a\r', 'b\n'], 'lf', true],
    ['binary (NUL in a later chunk)', ['a\r\n', Buffer.from([0, 1])], undefined, false],
  ];
  for (const [name, chunks, endings, text] of cases) {
    it(`classifies ${name}`, () => {
      const f = scan(chunks);
      assert.equal(f.text, text);
      assert.equal(f.lineEndings, endings);
      assert.equal(f.sha256, hex(Buffer.concat(chunks.map((c) => Buffer.from(c)))));
    });
  }

  it('hashes CRLF content as its LF form, whatever the chunking', () => {
    const lf = 'line one\nline two\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    for (let cut = 0; cut <= crlf.length; cut++) {
      const f = scan([crlf.slice(0, cut), crlf.slice(cut)]);
      assert.equal(f.lfSha256, hex(lf), `cut at ${cut}`);
    }
  });

  it('keeps a lone CR in the LF form', () => {
    assert.equal(scan(['a\rb\r\n']).lfSha256, hex('a\rb\n'));
    assert.equal(scan(['x\r\n', 'y\r']).lfSha256, hex('x\ny\r'));
  });

  it('has no lfSha256 when the content has no CRLF', () => {
    assert.equal(scan(['a\nb\n']).lfSha256, undefined);
  });

  it('gives the same facts when told the size, whether the file comes in one update or several', () => {
    const contents: Array<string | Buffer> = ['a\nb\n', 'a\r\nb\r\n', 'a\r\nb\n', 'abc', '', 'a\rb', 'x\r', Buffer.from([0x0d, 0x0a, 0, 1]), Buffer.from([1, 2, 0x0d]), 'only text, no ending'];
    for (const c of contents) {
      const all = Buffer.from(c);
      const unsized = scan([all]);
      assert.deepEqual(scan([all], all.length), unsized, `whole: ${JSON.stringify(c)}`);
      for (let cut = 1; cut < all.length; cut++) assert.deepEqual(scan([all.subarray(0, cut), all.subarray(cut)], all.length), unsized, `cut at ${cut}: ${JSON.stringify(c)}`);
    }
    assert.equal(scan([], 0).sha256, hex(''));
  });
});
