import * as vscode from 'vscode';
import { progressPercent, progressText, type LoadProgress } from '../core/sources/loader';

/** Work shorter than this shows no notification: a warm compare should not flash one. */
const QUIET_MS = 400;

export type Report = (p: LoadProgress) => void;

/**
 * Runs engine work with a cancellable progress notification. The
 * CancellationToken becomes an AbortSignal here, at the boundary, and the
 * engine stops at its next check (an export stream is destroyed). The
 * notification appears only if the work takes longer than a moment.
 */
export async function withProgress<T>(title: string, work: (signal: AbortSignal, report: Report) => Promise<T>, outer?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const forward = () => controller.abort();
  outer?.addEventListener('abort', forward, { once: true });
  let last: LoadProgress | undefined;
  let sink: ((p: LoadProgress) => void) | undefined;
  const report: Report = (p) => {
    last = p;
    sink?.(p);
  };
  const task = work(controller.signal, report);
  let timer: NodeJS.Timeout | undefined;
  const shown = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIET_MS)));
  try {
    const first = await Promise.race([task.then(() => 'done' as const, () => 'done' as const), shown.then(() => 'slow' as const)]);
    if (first === 'slow') {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        let pct = 0;
        let shownAt = 0;
        let shownLayers = -1;
        sink = (p) => {
          // A report per chunk read would be hundreds a second: a few are enough, and every new layer.
          const t = Date.now();
          if (t - shownAt < 150 && p.layers?.done === shownLayers) return;
          shownAt = t;
          shownLayers = p.layers?.done ?? -1;
          const now = progressPercent(p);
          progress.report({ message: progressText(p), ...(now !== undefined && now > pct ? { increment: now - pct } : {}) });
          if (now !== undefined) pct = Math.max(pct, now);
        };
        if (last) sink(last);
        await task.catch(() => undefined);
      });
    }
    return await task;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  }
}
