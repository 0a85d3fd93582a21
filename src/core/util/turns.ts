/**
 * Long synchronous work (indexes of a million entries, merged views, the
 * comparison) must give the event loop a turn now and then: signal handlers
 * (SIGTERM, Ctrl-C) and cancellation only run there.
 */

/** Resolves on the next turn of the event loop, after pending I/O and signals. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How long synchronous work may run between two turns: well under the second a signal must be answered in. */
export const TURN_MS = 50;

/** Says when a turn is due: call `due()` every few hundred iterations, and `await nextTurn()` when it is true. */
export class TurnTimer {
  private last = Date.now();

  constructor(private readonly ms = TURN_MS) {}

  due(): boolean {
    const now = Date.now();
    if (now - this.last < this.ms) return false;
    this.last = now;
    return true;
  }
}
