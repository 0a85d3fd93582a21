import { strict as assert } from 'node:assert';
import { link, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import type { LayerFiles } from '../../../../src/core/image/daemon';
import { directoryFiles, tarFiles } from '../../../../src/core/layers/layerFiles';
import { reassembleLayer } from '../../../../src/core/layers/tarSplit';
import { chainIds } from '../../../../src/core/sources/engineStorage';
import { CompareError } from '../../../../src/core/util/errors';
import { makeTar, sha256, type TarEntry } from '../../../helpers/tarBuilder';

/**
 * A tar-split record of `tarBytes`, as the engine writes one when it stores a
 * layer (vbatts/tar-split): raw segments (headers, padding, the end blocks)
 * and, for each entry, its name and size; content is not in the record.
 */
async function tarSplitOf(tarBytes: Buffer): Promise<Buffer> {
  const extract = tar.extract();
  const lines: string[] = [];
  let at = 0;
  let pos = 0;
  const segment = (end: number) => {
    if (end > at) lines.push(JSON.stringify({ type: 2, payload: tarBytes.subarray(at, end).toString('base64'), position: pos++ }));
    at = end;
  };
  extract.on('entry', (header, stream, next) => {
    const dataStart = (stream as unknown as { offset: number }).offset + 512;
    segment(dataStart);
    const size = header.type === 'file' ? header.size ?? 0 : 0;
    lines.push(JSON.stringify({ type: 1, name: header.name, ...(size ? { size } : {}), payload: null, position: pos++ }));
    at = dataStart + size;
    stream.on('end', next);
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    extract.end(tarBytes);
  });
  segment(tarBytes.length);
  return gzipSync(Buffer.from(lines.join('\n') + '\n'));
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const BIG = Buffer.alloc(700 * 1024, 'x'); // larger than a "small file": read as a stream
const LAYER: TarEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
  { name: 'etc/empty', content: '' },
  { name: 'etc/.wh.gone', content: '' },
  { name: 'etc/.wh..wh..opq', content: '' },
  { name: 'opt/', type: 'directory' },
  { name: 'opt/big.bin', content: BIG },
  { name: 'opt/same', type: 'link', linkname: 'etc/passwd' },
  { name: 'opt/link', type: 'symlink', linkname: '../etc/passwd' },
  { name: `opt/${'long-name-'.repeat(12)}.txt`, content: 'pax or gnu long name\r\n' },
];

/** The layer's files as overlay2 keeps them in its diff directory (whiteouts as a tar-split names them). */
async function layerDir(root: string): Promise<string> {
  const dir = join(root, 'diff');
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'opt'));
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await writeFile(join(dir, 'etc/empty'), '');
  await writeFile(join(dir, 'opt/big.bin'), BIG);
  await link(join(dir, 'etc/passwd'), join(dir, 'opt/same'));
  await symlink('../etc/passwd', join(dir, 'opt/link'));
  await writeFile(join(dir, `opt/${'long-name-'.repeat(12)}.txt`), 'pax or gnu long name\r\n');
  return dir;
}

describe('rebuilding a layer tar from its tar-split record (the fast path)', () => {
  let root: string;
  let original: Buffer;
  let record: Buffer;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cc-tarsplit-'));
    original = await makeTar(LAYER);
    record = await tarSplitOf(original);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('gives back the original tar byte for byte from the layer directory', async () => {
    const dir = await layerDir(root);
    const files = directoryFiles(dir, 'test');
    let counted = 0;
    const rebuilt = await collect(reassembleLayer(Readable.from([record]), files, { where: 'test', onBytes: (n) => (counted += n) }));
    assert.equal(sha256(rebuilt), sha256(original));
    assert.equal(counted, original.length);
  });

  it('gives back the original tar from a tar of the directory in another order, with hard links the other way round', async () => {
    // The engine's archive endpoint walks the directory its own way: here reversed, and the hard link's
    // content under the name the layer's tar gave as the link.
    const walk = await makeTar([
      { name: 'diff/', type: 'directory' },
      { name: 'diff/opt/', type: 'directory' },
      { name: `diff/opt/${'long-name-'.repeat(12)}.txt`, content: 'pax or gnu long name\r\n' },
      { name: 'diff/opt/same', content: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'diff/opt/link', type: 'symlink', linkname: '../etc/passwd' },
      { name: 'diff/opt/big.bin', content: BIG },
      { name: 'diff/etc/', type: 'directory' },
      { name: 'diff/etc/passwd', type: 'link', linkname: 'diff/opt/same' },
      { name: 'diff/etc/empty', content: '' },
    ]);
    const files = tarFiles(Readable.from([walk]), { where: 'test', prefix: 'diff', spillDir: root });
    try {
      const rebuilt = await collect(reassembleLayer(Readable.from([record]), files, { where: 'test' }));
      assert.equal(sha256(rebuilt), sha256(original));
    } finally {
      await files.close();
    }
    // The files set aside for a moment are gone.
    assert.deepEqual((await readdir(root)).filter((n) => n.includes('.tmp-')), []);
  });

  it('fails, naming the file, when a file changed size since the layer was stored', async () => {
    const dir = await layerDir(root);
    await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/bash\n');
    await assert.rejects(collect(reassembleLayer(Readable.from([record]), directoryFiles(dir, 'layer 1'), { where: 'layer 1' })), (e: unknown) => {
      assert.ok(e instanceof CompareError && e.reason === 'badArchive', String(e));
      assert.match(e.message, /^layer 1: "etc\/passwd" is larger than the 26 bytes the layer's tar-split record says/);
      return true;
    });
  });

  it('fails when a file is missing, and never follows a symlink out of the layer', async () => {
    const dir = await layerDir(root);
    await rm(join(dir, 'etc/passwd'));
    await symlink('/etc/passwd', join(dir, 'etc/passwd'));
    await assert.rejects(collect(reassembleLayer(Readable.from([record]), directoryFiles(dir, 'layer 1'), { where: 'layer 1' })), /cannot read "etc\/passwd" from the layer's directory \(ELOOP\)/);
  });

  it('refuses a name that is not UTF-8 (the export reads that layer) and a record that is not tar-split', async () => {
    const files: LayerFiles = { lookahead: 0, open: async () => Buffer.alloc(0), close: async () => undefined };
    const raw = gzipSync(`${JSON.stringify({ type: 1, name_raw: Buffer.from([0x66, 0xff]).toString('base64'), size: 1, position: 0 })}\n`);
    await assert.rejects(collect(reassembleLayer(Readable.from([raw]), files, { where: 'w' })), (e: unknown) => e instanceof CompareError && e.reason === 'unsupported');
    await assert.rejects(collect(reassembleLayer(Readable.from([gzipSync('not json\n')]), files, { where: 'w' })), /line 1 of the layer's tar-split record is not JSON/);
  });

  it('computes chain IDs as the OCI image spec defines them', () => {
    const d = ['sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64)];
    assert.deepEqual(chainIds(d), [d[0], sha256(`${d[0]} ${d[1]}`)]);
    assert.deepEqual(chainIds([]), []);
  });
});
