import type { LoadProgress } from '../core/sources/loader';
import { humanSize } from '../core/util/units';
import { inert } from '../core/util/inert';

/** One self-rewriting status line on stderr, only when stderr is a terminal (never in CI logs or pipes). */
export class Progress {
  private readonly tty: boolean;
  private last = 0;
  private shown = false;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {
    this.tty = !!out.isTTY;
  }

  update(p: LoadProgress): void {
    if (!this.tty) return;
    const now = Date.now();
    if (p.bytes !== undefined && now - this.last < 100) return;
    this.last = now;
    let line = inert(p.message);
    if (p.bytes !== undefined) line += ` ${humanSize(p.bytes)}${p.totalBytes ? ` of ${humanSize(p.totalBytes)} (${Math.floor((100 * p.bytes) / p.totalBytes)}%)` : ''}`;
    const width = (this.out.columns ?? 80) - 1;
    this.out.write(`\r\x1b[2K${line.slice(0, width)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
