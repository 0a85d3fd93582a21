import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { archiveEnd } from '../../../src/core/sources/archiveEnd';
import { streamGet, type HttpError } from '../../../src/docker/streamGet';
import { makeTar } from '../../helpers/tarBuilder';

/** Reads a stream to its end: its bytes, and the sizes of the chunks it gave. */
async function drain(s: Readable): Promise<{ bytes: Buffer; sizes: number[] }> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

const pattern = (n: number) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 12)) & 0xff;
  return b;
};
const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('streamGet: a large body read straight off the socket', () => {
  let dir: string;
  let socket: string;
  let server: Server | NetServer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-streamget-'));
    socket = join(dir, 'engine.sock');
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  /** Node's own HTTP/1.1 server on a unix socket, as the engine's (chunked unless a length is set). */
  const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
    new Promise<void>((r) => (server = createServer(handler).listen(socket, () => r())));
  /** A server that answers with exactly these bytes, then closes (or, with `keepOpen`, leaves the connection open). */
  const serveRaw = (answer: Buffer, keepOpen = false) =>
    new Promise<void>((r) => {
      server = createNetServer((c) => {
        c.once('data', () => (keepOpen ? c.write(answer) : c.end(answer)));
        c.on('error', () => undefined);
      }).listen(socket, () => r());
    });

  it('undoes chunked framing: the body intact, in chunks of 1 MiB, with the request line the engine expects', async () => {
    const body = pattern(5 * 2 ** 20 + 12345);
    let url = '';
    await serve((req, res) => {
      url = req.url ?? '';
      // Odd-sized writes, as the engine's flushes: chunk boundaries fall anywhere in our reads.
      let i = 0;
      const step = () => {
        while (i < body.length) {
          const k = Math.min(32768 + (i % 1000), body.length - i);
          const more = res.write(body.subarray(i, i + k));
          i += k;
          if (!more) return void res.once('drain', step);
        }
        res.end();
      };
      step();
    });
    const { bytes, sizes } = await drain(await streamGet({ path: socket }, '/images/get?names=a&names=b%2Fc'));
    assert.equal(url, '/images/get?names=a&names=b%2Fc');
    assert.equal(digest(bytes), digest(body));
    assert.deepEqual(sizes.slice(0, 5), [2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20]);
    assert.equal(sizes[5], 12345);
  });

  it('reads a body of a Content-Length, and one that ends when the connection closes', async () => {
    const body = pattern(300_000);
    await serve((_req, res) => {
      res.setHeader('Content-Length', body.length);
      res.end(body);
    });
    assert.equal(digest((await drain(await streamGet({ path: socket }, '/x'))).bytes), digest(body));
    await new Promise<void>((r) => server!.close(() => r()));
    await serveRaw(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/x-tar\r\n\r\n'), body]));
    assert.equal(digest((await drain(await streamGet({ path: socket }, '/x'))).bytes), digest(body));
  });

  it('reads over TCP too, and ends a body of a Content-Length at its length: bytes and a close after it change nothing', async () => {
    const port = await new Promise<number>((r) => {
      const tcp = createNetServer((c) => {
        c.once('data', () => {
          c.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
          setTimeout(() => {
            c.write(' and more');
            c.resetAndDestroy();
          }, 50);
        });
        c.on('error', () => undefined);
      });
      server = tcp.listen(0, '127.0.0.1', () => r((tcp.address() as { port: number }).port));
    });
    const s = await streamGet({ host: '127.0.0.1', port }, '/x');
    // Read late: the body must survive whatever the connection does after it.
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await drain(s)).bytes.toString(), 'hello');
  });

  it('rejects an answer other than 200 with its status and the engine\'s message', async () => {
    await serve((_req, res) => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ message: 'reference does not exist' }));
    });
    await assert.rejects(streamGet({ path: socket }, '/images/get?names=nope'), (e: HttpError) => {
      assert.equal(e.statusCode, 404);
      assert.deepEqual(e.json, { message: 'reference does not exist' });
      return true;
    });
  });

  it('ends with the last chunk (extensions and trailers read past) and lets the connection go, even if the server keeps it open', async () => {
    await serveRaw(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'), true);
    assert.equal((await drain(await streamGet({ path: socket }, '/x'))).bytes.toString(), 'hello world');
    // server.close() (afterEach) waits for every connection to end: it returns only if ours was closed
    // (the stream, read to its end, destroys its socket).
  });

  it('with bodyEnd, ends where the body says it is complete: the engine\'s cleanup after its export\'s last byte is not waited for', async () => {
    const tar = await makeTar([{ name: 'abc/layer.tar', content: pattern(70_000) }, { name: 'manifest.json', content: '[]' }]);
    const head = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
    // The whole archive, then nothing: the engine still removing its staging folder (the answer's last chunk never comes).
    let closed!: Promise<void>;
    await new Promise<void>((r) => {
      server = createNetServer((c) => {
        closed = new Promise((done) => c.once('close', () => done()));
        c.once('data', () => c.write(Buffer.concat([head, chunk(tar.subarray(0, 33_333)), chunk(tar.subarray(33_333))])));
        c.on('error', () => undefined);
      }).listen(socket, () => r());
    });
    /** The stream's bytes, or 'waiting' if it has not ended within 500 ms (then it is destroyed: afterEach's close waits for its connection). */
    const within = async (s: Readable) => {
      const timer = new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 500));
      const result = await Promise.race([drain(s).then((d) => d.bytes), timer]);
      if (result === 'waiting') s.destroy();
      return result;
    };
    const bytes = await within(await streamGet({ path: socket }, '/images/get?names=a', undefined, undefined, archiveEnd()));
    assert.notEqual(bytes, 'waiting', 'the stream ends at the archive\'s end');
    assert.equal(digest(bytes as Buffer), digest(tar));
    // And the connection is let go, as at an answer's end.
    await closed;
    // Without it, the same answer is a body cut short: it never ends.
    assert.equal(await within(await streamGet({ path: socket }, '/x')), 'waiting');
  });

  it('with bodyEnd, still fails a body cut short before the end it waits for', async () => {
    const tar = await makeTar([{ name: 'abc/layer.tar', content: pattern(70_000) }]);
    const cut = tar.subarray(0, tar.length - 600);
    await serveRaw(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${cut.length.toString(16)}\r\n`), cut]));
    const s = await streamGet({ path: socket }, '/x', undefined, undefined, archiveEnd());
    await assert.rejects(drain(s), /premature close/);
  });

  it('fails a chunked body cut short (the engine died), never a short export', async () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    await serveRaw(Buffer.from(`${head}a\r\n0123456789\r\n10\r\n01234`));
    const s = await streamGet({ path: socket }, '/x');
    await assert.rejects(drain(s), /closed the connection in the middle of its answer \(premature close\)/);
  });

  it('refuses malformed framing and an answer that is not HTTP, with what was wrong', async () => {
    await serveRaw(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'));
    await assert.rejects(async () => drain(await streamGet({ path: socket }, '/x')), /malformed chunk size \("zz"\)/);
    await new Promise<void>((r) => server!.close(() => r()));
    await serveRaw(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await assert.rejects(streamGet({ path: socket }, '/x'), /something other than HTTP \("SSH-2\.0-OpenSSH_9\.2"\)/);
  });

  it('stops reading the socket while its reader is behind, so the body never piles up in memory', async () => {
    const body = pattern(64 * 2 ** 20);
    let sent = 0;
    await serve((_req, res) => {
      let i = 0;
      const step = () => {
        while (i < body.length) {
          const more = res.write(body.subarray(i, i + 65536));
          i += 65536;
          sent = i;
          if (!more) return void res.once('drain', step);
        }
        res.end();
      };
      step();
    });
    const s = await streamGet({ path: socket }, '/x');
    // Nobody reads for a while: what the server got out is bounded by the socket's buffers and ours.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(sent < 16 * 2 ** 20, `${sent} bytes left the server while nobody read`);
    assert.equal(digest((await drain(s)).bytes), digest(body));
  });

  it('cancels: before the answer with an AbortError, after it by destroying the stream with "cancelled"', async () => {
    await serve(() => undefined); // never answers
    const early = new AbortController();
    const pending = streamGet({ path: socket }, '/x', early.signal);
    setTimeout(() => early.abort(), 50);
    await assert.rejects(pending, { name: 'AbortError' });
    await new Promise<void>((r) => server!.close(() => r()));
    await serve((_req, res) => res.write(pattern(100_000))); // answers, never ends
    const late = new AbortController();
    const s = await streamGet({ path: socket }, '/x', late.signal);
    setTimeout(() => late.abort(), 50);
    await assert.rejects(drain(s), (e: Error & { reason?: string }) => e.reason === 'cancelled');
    const already = new AbortController();
    already.abort();
    await assert.rejects(streamGet({ path: socket }, '/x', already.signal), { name: 'AbortError' });
  });
});
