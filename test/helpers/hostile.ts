/**
 * Hostile inputs built in the tests themselves: layer tars of millions of
 * empty files, zstd frames that inflate a thousandfold, archives whose
 * manifest lists one layer thousands of times, and the CLI run in a child
 * process whose peak memory is measured.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { rawHeader, sha256 } from './tarBuilder';

export const ROOT = join(__dirname, '..', '..');

/** A ustar header block of an empty regular file, built by hand: fast enough for millions. */
const TEMPLATE = (() => {
  const b = rawHeader('x', 0);
  b.fill(0, 0, 100); // the name goes here
  b.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  return b;
})();
const TEMPLATE_SUM = TEMPLATE.reduce((n, x) => n + x, 0);

function emptyFileHeader(name: string, into: Buffer, at: number): void {
  TEMPLATE.copy(into, at);
  const n = into.write(name, at, 100, 'latin1');
  let sum = TEMPLATE_SUM;
  for (let i = 0; i < n; i++) sum += into[at + i];
  into.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 8, 'latin1');
}

/** A layer tar of `count` empty files (`d0/f0`, …, 10,000 per folder), ending with the two zero blocks. */
export function manyEmptyFiles(count: number): Readable {
  return Readable.from(
    (function* () {
      const per = 4096;
      for (let i = 0; i < count; i += per) {
        const k = Math.min(count, i + per) - i;
        const chunk = Buffer.alloc(k * 512);
        for (let j = 0; j < k; j++) emptyFileHeader(`d${Math.floor((i + j) / 10000)}/f${i + j}`, chunk, j * 512);
        yield chunk;
      }
      yield Buffer.alloc(1024);
    })(),
  );
}

/** sha256 of a stream's bytes, as a digest. */
export async function digestOf(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/**
 * A docker-save archive (legacy layout) written to `file`: the manifest and
 * config first (so a reader refusing the layer has read them), then one
 * layer streamed from `layer` (its diffID hashed on the way, gzip-compressed
 * when asked) and listed `layers` times (default once).
 */
export async function writeArchive(
  file: string,
  opts: { layer: Readable; gzip?: boolean; layers?: number; config?: Record<string, unknown>; tag?: string; configBytes?: Buffer },
): Promise<void> {
  const tmp = `${file}.layer`;
  const h = createHash('sha256');
  const tap = new Transform({
    transform(c: Buffer, _e, cb) {
      h.update(c);
      cb(null, c);
    },
  });
  await pipeline(opts.layer, tap, ...(opts.gzip ? [createGzip({ level: 1 })] : []), createWriteStream(tmp));
  const diffId = `sha256:${h.digest('hex')}`;
  const n = opts.layers ?? 1;
  const config =
    opts.configBytes ??
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'], ...opts.config },
        rootfs: { type: 'layers', diff_ids: Array.from({ length: n }, () => diffId) },
        history: Array.from({ length: n }, (_, i) => ({ created_by: `/bin/sh -c step ${i}` })),
      }),
    );
  const configName = `${sha256(config).slice(7)}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [opts.tag ?? 'hostile:1'], Layers: Array.from({ length: n }, () => 'layer/layer.tar') }]));
  const size = (await stat(tmp)).size;
  await pipeline(
    Readable.from(
      (async function* () {
        for (const [name, data] of [['manifest.json', manifest], [configName, config]] as const) yield Buffer.concat([rawHeader(name, data.length), data, pad(data.length)]);
        yield rawHeader('layer/layer.tar', size);
        for await (const c of createReadStream(tmp)) yield c as Buffer;
        yield Buffer.concat([pad(size), Buffer.alloc(1024)]);
      })(),
    ),
    createWriteStream(file),
  );
  await rm(tmp, { force: true });
}

/**
 * An OCI image layout directory (`oci:DIR`) of one image with one gzip
 * layer streamed from `layer`: its blobs are found by digest, so a second
 * read of it finds every layer indexed and goes straight to comparing.
 */
export async function writeLayoutDir(dir: string, layer: Readable): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const tmp = join(dir, 'layer.tmp');
  const h = createHash('sha256');
  const tap = new Transform({
    transform(c: Buffer, _e, cb) {
      h.update(c);
      cb(null, c);
    },
  });
  await pipeline(layer, tap, createGzip({ level: 1 }), createWriteStream(tmp));
  const diffId = `sha256:${h.digest('hex')}`;
  const blobDigest = await digestOf(createReadStream(tmp));
  await rename(tmp, join(dir, 'blobs', 'sha256', blobDigest.slice(7)));
  const put = async (b: Buffer) => {
    await writeFile(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
    return { digest: sha256(b), size: b.length };
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: '/bin/sh -c make' }] }));
  const size = (await stat(join(dir, 'blobs', 'sha256', blobDigest.slice(7)))).size;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await put(config)) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blobDigest, size }],
    }),
  );
  const m = await put(manifest);
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m }] }));
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
}

/**
 * A zstd frame of RLE blocks (RFC 8878): `total` bytes of `byte` from a few
 * bytes per 128 KiB block, after a raw block holding `head` (a tar header,
 * say). 4 GiB take 128 KiB. `windowLog`: the window the frame declares.
 */
export function zstdBomb(total: number, opts: { head?: Buffer; byte?: number; windowLog?: number } = {}): Buffer {
  const block = 128 * 1024;
  const head = opts.head ?? Buffer.alloc(0);
  const rest = total - head.length;
  const n = Math.ceil(rest / block);
  const parts: Buffer[] = [];
  const frame = Buffer.alloc(6);
  frame.writeUInt32LE(0xfd2fb528, 0);
  frame[4] = 0; // no content size, no checksum, not single-segment: a window descriptor follows
  frame[5] = ((opts.windowLog ?? 23) - 10) << 3;
  parts.push(frame);
  const header = (last: boolean, type: number, size: number) => {
    const h = (last ? 1 : 0) | (type << 1) | (size << 3);
    return Buffer.from([h & 255, (h >> 8) & 255, (h >> 16) & 255]);
  };
  if (head.length) parts.push(header(n === 0, 0, head.length), head);
  for (let i = 0; i < n; i++) {
    const size = Math.min(block, rest - i * block);
    parts.push(header(i === n - 1, 1, size), Buffer.from([opts.byte ?? 0]));
  }
  return Buffer.concat(parts);
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the child, in MiB (VmHWM). */
  peakMiB: number;
  ms: number;
}

/**
 * Runs the CLI (src/cli/index.ts, through tsx) in a child process, so that
 * its exit code, signals and peak memory are its own. `onStart` gets the
 * child (to signal it). The peak is what the child reports on exit
 * (peakHook.ts), or else the last VmHWM sampled from /proc (Linux).
 */
export async function runCliChild(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; heapMiB?: number; timeoutMs?: number; onStart?: (pid: number) => void; onStderr?: (all: string) => void } = {}): Promise<ChildRun> {
  const { readFile, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const peakDir = await mkdtemp(join(tmpdir(), 'cc-peak-'));
  const peakFile = join(peakDir, 'peak');
  const nodeArgs = [...(opts.heapMiB ? [`--max-old-space-size=${opts.heapMiB}`] : []), '--require', require.resolve('tsx/cjs'), '--require', join(ROOT, 'test/helpers/peakHook.ts'), join(ROOT, 'src/cli/index.ts'), ...args];
  const started = Date.now();
  const child = spawn(process.execPath, nodeArgs, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env, CC_PEAK_FILE: peakFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
    opts.onStderr?.(stderr);
  });
  let peakKiB = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
  };
  const timer = setInterval(() => void sample(), 100);
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
  opts.onStart?.(child.pid!);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearInterval(timer);
  clearTimeout(killer);
  // The child's own account (process.resourceUsage) when it exited normally; the samples otherwise.
  const reported = Number(await readFile(peakFile, 'utf8').catch(() => '0'));
  peakKiB = Math.max(peakKiB, reported);
  await rm(peakDir, { recursive: true, force: true });
  return { code, signal, stdout, stderr, peakMiB: Math.round(peakKiB / 1024), ms: Date.now() - started };
}
