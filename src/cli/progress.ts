import { progressPercent, progressText, type LoadProgress } from '../core/sources/loader';
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
    const pct = progressPercent(p);
    // The message may quote an image's name or path: inert before it reaches the terminal.
    const line = inert(`${progressText(p)}${pct !== undefined ? ` ${Math.floor(pct)}%` : ''}`);
    const width = (this.out.columns ?? 80) - 1;
    this.out.write(`\r\x1b[2K${line.slice(0, width)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
