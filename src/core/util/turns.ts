import { CompareError } from './errors';
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

/**
 * Work written once as a generator that yields now and then (every few
 * thousand iterations), run either to completion at once (`runSync`, for
 * callers that need an answer now: tests, small inputs) or with turns of the
 * event loop in between (`runAsync`), checking `signal` at each.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export async function runAsync<T>(steps: Steps<T>, signal?: AbortSignal, timer = new TurnTimer()): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (timer.due()) {
      await nextTurn();
      if (signal?.aborted) {
        steps.return(undefined as T);
        throw new CompareError('cancelled', 'Cancelled');
      }
    }
  }
}

/** Iterations between two yields of a step generator: enough that yielding costs nothing, few enough to stay well under TURN_MS. */
export const STEP = 4096;
