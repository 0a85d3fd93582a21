import { connect, type NetConnectOpts } from 'node:net';
import { Readable } from 'node:stream';
import { ChunkPool } from '../core/util/chunkPool';
import { CompareError } from '../core/util/errors';

/** Bytes handed on at a time: what the archive reader gathers its input into anyway. */
const BATCH = 2 ** 20;
/** The socket is read into one buffer of this size, again and again. */
const READ = 64 * 2 ** 10;
/** A status line and headers longer than this are not an engine's. */
const MAX_HEAD = 64 * 2 ** 10;
/** An error body is kept up to this much (it is a message). */
const MAX_ERROR_BODY = 2 ** 20;

/** A failed GET, as get() in daemonClient.ts reports one: for toCompareError. */
export type HttpError = Error & { statusCode: number; json: unknown };

/** The error for an answer other than 200: its status, and its body as the engine's JSON (or as text, an error page). */
export function httpError(statusCode: number, body: Buffer): HttpError {
  const text = body.toString('utf8');
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // an error page or plain text: kept as the message
  }
  return Object.assign(new Error(`HTTP ${statusCode}`), { statusCode, json });
}

/**
 * GET `path` over a plain socket (the engine's unix socket, or TCP without
 * TLS) and stream the body of a 200, for a body of a gigabyte: the export.
 *
 * node:http gives each 64 KiB read its own buffer and parses the chunked
 * framing into a stream of slices; for the export that was 0.8 s of CPU on
 * the main thread for 1.09 GB. Here the socket is read into one reused
 * buffer (net's `onread`), the framing (chunked, a Content-Length, or until
 * the connection closes) is undone in place, and the body is copied once into
 * 1 MiB chunks: 0.34 s for the same bytes. The chunks come from a ChunkPool
 * that a reader reporting what it consumed (the archive reader) recycles.
 * The socket is paused while the reader is behind, so the export never piles
 * up in memory. A chunked body
 * cut short (the engine died) is an error, never a short export. Aborting
 * `signal` rejects with an AbortError before the answer, and destroys the
 * stream with a CompareError 'cancelled' after it. `batchBytes`: the size of
 * the chunks handed on (a small JSON document needs no megabyte).
 *
 * `bodyEnd`, given each run of body bytes in order (`buf` from `start` to
 * `end`), may say the body is complete before its framing does: how many of
 * the run's bytes are the body's, or -1 (archiveEnd() for the export, whose
 * engine removes its staging folder between its last byte and its answer's
 * end). The stream then ends at once, and the rest of the answer is not
 * waited for: its reader reaching the end lets the connection go, as at any
 * body's end, and until then the socket is read on unheeded and keeps no
 * process alive. (The engine, its copy done, still removes its staging
 * folder.)
 */
export function streamGet(target: NetConnectOpts, path: string, signal?: AbortSignal, batchBytes = BATCH, bodyEnd?: (buf: Buffer, start: number, end: number) => number): Promise<Readable> {
  return new Promise<Readable>((resolve, reject) => {
    let answered = false;
    /** The whole body is in `out` (or the error body was read): nothing the socket does after that matters. */
    let finished = false;
    let paused = false;
    let head: Buffer | undefined = Buffer.alloc(0);
    let body: Body | undefined;
    let errorBody: Buffer[] | undefined;
    let errorBytes = 0;
    let status = 0;
    const pool = new ChunkPool(batchBytes);
    let batch = pool.take();
    let fill = 0;

    const out = new Readable({
      highWaterMark: 2 * batchBytes,
      read() {
        if (!paused) return;
        paused = false;
        socket.resume();
      },
      destroy(err, cb) {
        socket.destroy();
        cb(err);
      },
    });
    pool.serve(out);
    // The answer may fail in the read that resolved it, before its reader has a listener:
    // the error is kept by the stream (readers and pipeline() get it), not thrown at the process.
    out.on('error', () => undefined);
    const flush = (): void => {
      if (fill === 0) return;
      const full = fill === batchBytes;
      const chunk = full ? batch : batch.subarray(0, fill);
      batch = pool.take();
      fill = 0;
      if (!out.push(chunk)) paused = true;
    };
    const onBody = (buf: Buffer, start: number, end: number): void => {
      if (errorBody) {
        if (errorBytes < MAX_ERROR_BODY) errorBody.push(Buffer.from(buf.subarray(start, end)));
        errorBytes += end - start;
        return;
      }
      const complete = bodyEnd ? bodyEnd(buf, start, end) : -1;
      if (complete >= 0) end = start + complete;
      while (start < end) {
        const k = Math.min(end - start, batchBytes - fill);
        buf.copy(batch, fill, start, start + k);
        fill += k;
        start += k;
        if (fill === batchBytes) flush();
      }
      if (complete >= 0) {
        finish();
        // Read on unheeded (the read that brought the end returns !paused) until the reader lets the connection go.
        paused = false;
        socket.unref();
      }
    };
    const fail = (e: Error): void => {
      socket.destroy();
      if (finished) return;
      if (!answered) {
        answered = true;
        reject(e);
        out.destroy();
      } else out.destroy(e);
    };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (errorBody) {
        answered = true;
        reject(httpError(status, Buffer.concat(errorBody)));
        socket.destroy();
        return;
      }
      flush();
      out.push(null);
    };

    const socket = connect({
      ...target,
      onread: {
        buffer: Buffer.allocUnsafe(READ),
        callback: (n: number, buf: Buffer): boolean => {
          if (finished) return true;
          try {
            if (head) {
              const all: Buffer = Buffer.concat([head, buf.subarray(0, n)]);
              const end = all.indexOf('\r\n\r\n');
              if (end === -1) {
                if (all.length > MAX_HEAD) throw new Error('the engine\'s answer has no end of headers');
                head = all;
                return true;
              }
              head = undefined;
              const parsed = parseHead(all.toString('latin1', 0, end));
              status = parsed.status;
              body = new Body(parsed.framing, parsed.length, onBody);
              if (status !== 200) errorBody = [];
              else {
                answered = true;
                resolve(out);
              }
              body.push(all, end + 4, all.length);
            } else body!.push(buf, 0, n);
            if (body!.done) finish();
          } catch (e) {
            fail(e as Error);
            return false;
          }
          return !paused;
        },
      },
    });
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`));
    socket.on('end', () => {
      if (body?.done) return;
      if (body && body.framing === 'close') {
        body.done = true;
        return finish();
      }
      fail(new Error(head ? 'the engine closed the connection before it answered' : 'the engine closed the connection in the middle of its answer (premature close)'));
    });
    socket.on('error', (e) => fail(e));
    if (signal) {
      const onAbort = (): void => fail(answered ? new CompareError('cancelled', 'Cancelled') : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
  });
}

type Framing = 'chunked' | 'length' | 'close';

function parseHead(text: string): { status: number; framing: Framing; length: number } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`the engine answered something other than HTTP ("${lines[0].slice(0, 40)}")`);
  let framing: Framing = 'close';
  let length = 0;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding' && /chunked/i.test(value)) framing = 'chunked';
    else if (name === 'content-length' && framing !== 'chunked') {
      length = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(length)) throw new Error(`the engine's answer has a Content-Length of "${value.slice(0, 40)}"`);
      framing = 'length';
    }
  }
  return { status: Number(m[1]), framing, length };
}

/** Undoes a body's framing, handing each run of body bytes to `onBytes` in place. */
class Body {
  done = false;
  /** In a chunked body: what is being read. */
  private state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  private line = '';
  /** Bytes left in the current chunk, or of a Content-Length body. */
  private left: number;

  constructor(
    readonly framing: Framing,
    length: number,
    private readonly onBytes: (buf: Buffer, start: number, end: number) => void,
  ) {
    this.left = length;
    if (framing === 'length' && length === 0) this.done = true;
  }

  push(buf: Buffer, i: number, n: number): void {
    if (this.framing === 'close') return this.onBytes(buf, i, n);
    if (this.framing === 'length') {
      const k = Math.min(this.left, n - i);
      this.onBytes(buf, i, i + k);
      this.left -= k;
      if (this.left === 0) this.done = true;
      return;
    }
    while (i < n && !this.done) {
      if (this.state === 'data') {
        const k = Math.min(this.left, n - i);
        this.onBytes(buf, i, i + k);
        i += k;
        this.left -= k;
        if (this.left === 0) this.state = 'crlf';
        continue;
      }
      // The engine's framing, whole in this read (the CRLF after a chunk's data, a size and its CRLF), is read
      // as bytes: a string per line cost ~34k strings and regex matches for the export's gigabyte.
      if (this.line === '' && this.state !== 'trailer') {
        const at = this.state === 'crlf' ? i : sizeLine(buf, i, n);
        if (at !== -1 && at + 1 < n && buf[at] === CR && buf[at + 1] === LF) {
          if (this.state === 'size') {
            this.left = hexValue(buf, i, at);
            this.state = this.left === 0 ? 'trailer' : 'data';
          } else this.state = 'size';
          i = at + 2;
          continue;
        }
      }
      // A line: a chunk's size, the CRLF after its data, or a trailer.
      const nl = buf.indexOf(0x0a, i);
      const stop = nl === -1 || nl >= n ? n : nl;
      this.line += buf.toString('latin1', i, stop);
      if (this.line.length > 1024) throw new Error('the engine\'s answer has a malformed chunk');
      i = stop;
      if (stop === n) break;
      i++; // the LF
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'crlf') {
        if (line !== '') throw new Error('the engine\'s answer has a malformed chunk');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = /^[0-9a-fA-F]+/.exec(line)?.[0];
        if (!size || size.length > 12) throw new Error(`the engine's answer has a malformed chunk size ("${line.slice(0, 20)}")`);
        this.left = parseInt(size, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (line === '') this.done = true;
    }
  }
}

const CR = 0x0d;
const LF = 0x0a;

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** Where the hex digits of a chunk size starting at `i` end (12 at most, as the line parser allows), or -1 if there are none. */
function sizeLine(buf: Buffer, i: number, n: number): number {
  let j = i;
  while (j < n && j - i < 12 && hexDigit(buf[j]) !== -1) j++;
  return j > i ? j : -1;
}

function hexValue(buf: Buffer, i: number, end: number): number {
  let v = 0;
  for (; i < end; i++) v = v * 16 + hexDigit(buf[i]);
  return v;
}
