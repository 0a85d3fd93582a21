import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { TarParser, type TarHeader } from '../../../../src/core/layers/tarParser';
import { makeTar, rawHeader } from '../../../helpers/tarBuilder';

/** What a reader sees of a tar: each entry's header fields, offset and data digest, then how it ended. */
interface Seen {
  entries: string[];
  error?: string;
}

const describeEntry = (h: Pick<TarHeader, 'name' | 'type' | 'size' | 'mode' | 'uid' | 'gid' | 'linkname' | 'pax'>, offset: number, data: Buffer) =>
  JSON.stringify([h.name, h.type, h.size, h.mode, h.uid, h.gid, h.linkname, h.pax, offset, createHash('sha256').update(data).digest('hex').slice(0, 12)]);

/** tar-stream's extract, the reference: everything it emits before it ends or fails. */
async function withTarStream(bytes: Buffer, chunk: number): Promise<Seen> {
  const seen: Seen = { entries: [] };
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const parts: Buffer[] = [];
    const offset = (stream as unknown as { offset: number }).offset;
    stream.on('data', (c: unknown) => void parts.push(c as Buffer));
    stream.on('end', () => {
      seen.entries.push(describeEntry(header as unknown as TarHeader, offset, Buffer.concat(parts)));
      next();
    });
    stream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => {
    extract.on('finish', () => resolve());
    extract.on('error', (e: Error) => {
      seen.error = e.message;
      resolve();
    });
    for (let i = 0; i < bytes.length; i += chunk) extract.write(bytes.subarray(i, i + chunk));
    (extract as unknown as { end(): void }).end();
  });
  return seen;
}

/** TarParser on the same bytes, given as chunks of `chunk` bytes, or (`ranges`) as ranges of the whole buffer. */
function withParser(bytes: Buffer, chunk: number, ranges = false): Seen {
  const seen: Seen = { entries: [] };
  let current: { h: TarHeader; offset: number; parts: Buffer[] } | undefined;
  const parser = new TarParser({
    entry: (h, offset) => void (current = { h, offset, parts: [] }),
    data: (c) => current!.parts.push(Buffer.from(c)),
    end: () => seen.entries.push(describeEntry(current!.h, current!.offset, Buffer.concat(current!.parts))),
  });
  try {
    for (let i = 0; i < bytes.length; i += chunk) {
      const stop = Math.min(i + chunk, bytes.length);
      if (ranges) for (let at = i; at < stop; ) at += parser.push(bytes, at, stop);
      else for (let rest = bytes.subarray(i, stop); rest.length; ) rest = rest.subarray(parser.push(rest));
    }
    parser.finish();
  } catch (e) {
    seen.error = (e as Error).message;
  }
  return seen;
}

/** A header with its checksum made right again after an edit. */
function fixSum(h: Buffer): Buffer {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

function paxRecord(fields: Record<string, string>, type: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.concat(
    Object.entries(fields).map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let len = Buffer.byteLength(rest) + 1;
      while (String(len).length + Buffer.byteLength(rest) !== len) len++;
      return Buffer.from(`${len}${rest}`);
    }),
  );
  const h = rawHeader('PaxHeader/x', body.length);
  h[156] = type.charCodeAt(0);
  return Buffer.concat([fixSum(h), body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

function gnuLong(name: string, flag: 'L' | 'K'): Buffer {
  const body = Buffer.from(`${name}\0`);
  const h = rawHeader('././@LongLink', body.length);
  h[156] = flag.charCodeAt(0);
  h.write('ustar  \0', 257, 8, 'latin1');
  return Buffer.concat([fixSum(h), body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

describe('tar parser: reads what tar-stream reads', () => {
  const cases: Array<[string, () => Promise<Buffer>]> = [
    ['files, directories, links and an empty file', () => makeTar([{ name: 'd/', type: 'directory' }, { name: 'd/a', content: 'x'.repeat(1000) }, { name: 'd/e', content: '' }, { name: 'l', type: 'symlink', linkname: 'd/a' }, { name: 'h', type: 'link', linkname: 'd/a' }, { name: 'big', content: Buffer.alloc(70_000, 7) }])],
    ['long names (PAX, from tar-stream)', () => makeTar([{ name: `${'n'.repeat(300)}/f`, content: 'long' }, { name: 's', type: 'symlink', linkname: 't'.repeat(200) }])],
    ['a PAX size, path and a global header merged in', async () => Buffer.concat([paxRecord({ comment: 'global' }, 'g'), paxRecord({ path: 'via/pax', size: '3' }), rawHeader('short', 3), Buffer.from('abc'), Buffer.alloc(509), await makeTar([{ name: 'after', content: 'z' }])])],
    ['GNU long names and link names', async () => Buffer.concat([gnuLong(`gnu/${'g'.repeat(200)}`, 'L'), gnuLong(`target/${'t'.repeat(150)}`, 'K'), rawHeader('short', 0, 'symlink', 'x'), await makeTar([{ name: 'after', content: 'z' }])])],
    ['zero blocks between entries', async () => Buffer.concat([Buffer.alloc(1024), await makeTar([{ name: 'a', content: 'a' }])])],
    ['a truncated entry', async () => (await makeTar([{ name: 'a', content: 'x'.repeat(5000) }])).subarray(0, 2000)],
    ['a truncated header', async () => (await makeTar([{ name: 'a', content: 'a' }, { name: 'b', content: 'b' }])).subarray(0, 1024 + 300)],
    ['a bad checksum', async () => Buffer.concat([(() => { const h = rawHeader('bad', 0); h[0] = 0x41; return h; })(), Buffer.alloc(1024)])],
    ['an unknown format', async () => Buffer.concat([fixSum((() => { const h = rawHeader('odd', 0); h.fill(0, 257, 265); return h; })()), Buffer.alloc(1024)])],
    ['a base-256 size', async () => { const h = rawHeader('b256', 0); h.fill(0, 124, 136); h[124] = 0x80; h[135] = 5; return Buffer.concat([fixSum(h), Buffer.from('12345'), Buffer.alloc(507 + 1024)]); }],
    ['a negative base-256 size', async () => { const h = rawHeader('neg', 0); h.fill(0xff, 124, 136); return Buffer.concat([fixSum(h), Buffer.alloc(1024)]); }],
    ['an unknown type flag with data', async () => { const h = rawHeader('weird', 10); h[156] = 0x5a; return Buffer.concat([fixSum(h), Buffer.alloc(512, 1), await makeTar([{ name: 'next', content: 'n' }])]); }],
    ['old-style directory (trailing slash, type 0)', async () => Buffer.concat([rawHeader('olddir/', 0), Buffer.alloc(1024)])],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const bytes = await make();
      for (const chunk of [1, 7, 512, 513, 4096, bytes.length || 1]) {
        const ref = await withTarStream(bytes, chunk);
        for (const ranges of [false, true]) {
          const got = withParser(bytes, chunk, ranges);
          assert.deepEqual(got.entries, ref.entries, `chunks of ${chunk}${ranges ? ', as ranges' : ''}`);
          assert.equal(got.error ?? null, ref.error ?? null, `chunks of ${chunk}${ranges ? ', as ranges' : ''}`);
        }
      }
    });
  }

  it('agrees on 400 damaged tars (bytes of headers changed, checksums fixed or not, cut short)', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const base = Buffer.concat([paxRecord({ path: 'p/x', linkpath: 'q' }), rawHeader('a', 3), Buffer.from('abc'), Buffer.alloc(509), gnuLong('g'.repeat(120), 'L'), await makeTar([{ name: 'd/', type: 'directory' }, { name: 'd/f', content: 'y'.repeat(700) }, { name: 's', type: 'symlink', linkname: 'd' }])]);
    for (let k = 0; k < 400; k++) {
      const bytes = Buffer.from(base);
      for (let flips = 1 + rand(4); flips > 0; flips--) {
        const block = rand(bytes.length >> 9) << 9;
        const at = block + [124, 125, 135, 156, 0, 100, 257, 345, 157, 512][rand(10)] + rand(3);
        if (at < bytes.length) bytes[at] = [0, 0x20, 0x30, 0x37, 0x38, 0x80, 0xff, 0x35, 0x78, 0x67][rand(10)];
        if (rand(2) && block + 512 <= bytes.length) fixSum(bytes.subarray(block, block + 512));
      }
      const cut = rand(3) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
      const chunk = [1, 100, 512, 4096][rand(4)];
      const ref = await withTarStream(cut, chunk);
      // tar-stream waits forever for a size it read as null (a base-256 field neither positive nor negative); the parser refuses it.
      if (!ref.error && ref.entries.some((e) => JSON.parse(e)[2] === null)) continue;
      const got = withParser(cut, chunk);
      assert.deepEqual(got.entries, ref.entries, `case ${k}`);
      assert.equal(got.error === undefined, ref.error === undefined, `case ${k}: ${got.error} / ${ref.error}`);
    }
  });

  it('stops after a header when the sink asks, and goes on from there', async () => {
    const bytes = await makeTar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: `${i}` })));
    const names: string[] = [];
    const parser = new TarParser({ entry: (h) => (names.push(h.name), false), data: () => undefined, end: () => undefined });
    let rest = bytes;
    let pushes = 0;
    while (rest.length) {
      rest = rest.subarray(parser.push(rest));
      pushes++;
    }
    parser.finish();
    assert.deepEqual(names, ['f0', 'f1', 'f2', 'f3', 'f4']);
    assert.ok(pushes >= 5);
  });
});
