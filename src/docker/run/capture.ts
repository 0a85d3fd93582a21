import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { CompareError } from '../../core/util/errors';
import type { CapturedLine, RunEvent, StreamName } from '../../core/run/runModel';
import { toCompareError } from '../daemonClient';
import { CALL_TIMEOUT_MS } from './lifecycle';
import type { RunningSide } from './runningSide';

// Bounds: a container that writes without end fills neither the memory nor the report.
const MAX_LINE_CHARS = 16_384;
export const MAX_LINES = 20_000;

/**
 * Both containers' output, from their first byte: stdout and stderr apart,
 * as lines stamped with the time since start, and the quiet window that
 * tells when a startup (or a request's log lines) is over.
 */
export class OutputCapture {
  private lastActivity = 0;
  private wake?: () => void;

  constructor(
    private readonly docker: Dockerode,
    private readonly url: string,
    private readonly sides: readonly RunningSide[],
    private readonly signal: AbortSignal | undefined,
    private readonly emit: (e: RunEvent) => void,
    /** Called when a side's stream ends while capturing (its container stopped). */
    private readonly ended: (s: RunningSide) => Promise<void>,
  ) {}

  /** Attached before start, so the first line is not lost; the stream ends when the container stops. */
  async attach(s: RunningSide): Promise<void> {
    const control = s.attachControl;
    const onAbort = (): void => control.abort();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => control.abort(), CALL_TIMEOUT_MS);
    let stream: Readable;
    try {
      if (this.signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
      stream = (await s.container!.attach({ stream: true, stdout: true, stderr: true, abortSignal: control.signal } as Dockerode.ContainerAttachOptions)) as unknown as Readable;
    } catch (e) {
      if (this.signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
      if (control.signal.aborted) throw new CompareError('daemon', `The Docker engine at ${this.url} did not answer within ${CALL_TIMEOUT_MS / 1000} s (attach ${s.name})`, { cause: e });
      throw toCompareError(e, this.url);
    } finally {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    }
    const collectors = {
      stdout: new LineCollector((text) => this.line(s, 'stdout', text)),
      stderr: new LineCollector((text) => this.line(s, 'stderr', text)),
    };
    this.docker.modem.demuxStream(stream, sink((b) => collectors.stdout.push(b)), sink((b) => collectors.stderr.push(b)));
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      collectors.stdout.flush();
      collectors.stderr.flush();
      s.done = true;
      this.wake?.();
      // The engine's state follows the end of the stream by a moment; events for live views.
      if (s.capturing) void this.ended(s).catch(() => undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private line(s: RunningSide, stream: StreamName, text: string): void {
    if (!s.capturing) return;
    if (s.lines.length >= MAX_LINES) {
      s.dropped++;
      return;
    }
    const line: CapturedLine = { stream, text, at: s.startedAt ? Math.max(0, Date.now() - s.startedAt) : 0 };
    s.lines.push(line);
    this.lastActivity = Date.now();
    this.emit({ type: 'line', side: s.side, line });
  }

  /** Until both are quiet for quietMs, maxMs passed, or both stopped; rejects when aborted. */
  window(quietMs: number, maxMs: number): Promise<void> {
    const t0 = Date.now();
    this.lastActivity = Math.max(this.lastActivity, t0);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: CompareError): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => finish(new CompareError('cancelled', 'Cancelled'));
      const check = (): void => {
        clearTimeout(timer);
        const now = Date.now();
        if (this.sides.every((s) => s.done) || now - t0 >= maxMs || now - this.lastActivity >= quietMs) return finish();
        timer = setTimeout(check, Math.max(10, Math.min(t0 + maxMs, this.lastActivity + quietMs) - now));
      };
      if (this.signal?.aborted) return onAbort();
      this.signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = check;
      check();
    });
  }

  /** Lines written from now on are not kept, and the attach streams are closed. */
  stop(): void {
    for (const s of this.sides) {
      s.capturing = false;
      s.attachControl.abort();
    }
  }
}

/** A Writable-shaped sink for demuxStream, which only ever calls write(). */
export function sink(write: (b: Buffer) => void): NodeJS.WritableStream {
  return {
    write: (b: Buffer) => {
      write(b);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

/** UTF-8 bytes to lines (LF or CRLF); a line longer than MAX_LINE_CHARS is cut, with how much was left out. */
class LineCollector {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private cut = 0;

  constructor(private readonly onLine: (text: string) => void) {}

  push(b: Buffer): void {
    let text = this.decoder.write(b);
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.add(text.slice(0, nl));
      this.emit();
      text = text.slice(nl + 1);
    }
    this.add(text);
  }

  flush(): void {
    this.add(this.decoder.end());
    if (this.partial !== '' || this.cut > 0) this.emit();
  }

  private add(s: string): void {
    const room = MAX_LINE_CHARS - this.partial.length;
    if (s.length <= room) this.partial += s;
    else {
      this.partial += s.slice(0, room);
      this.cut += s.length - room;
    }
  }

  private emit(): void {
    let line = this.partial.endsWith('\r') && this.cut === 0 ? this.partial.slice(0, -1) : this.partial;
    if (this.cut > 0) line += ` … (${this.cut} more characters)`;
    this.partial = '';
    this.cut = 0;
    this.onLine(line);
  }
}
