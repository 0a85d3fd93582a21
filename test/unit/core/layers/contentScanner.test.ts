import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { ContentScanner } from '../../../../src/core/layers/contentScanner';

const hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function scan(chunks: Array<string | Buffer>) {
  const s = new ContentScanner();
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
});
