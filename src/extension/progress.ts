import * as vscode from 'vscode';
import type { LoadProgress } from '../core/sources/loader';
import { humanSize } from '../core/util/units';

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
        sink = (p) => {
          const bytes = p.bytes === undefined ? '' : ` (${humanSize(p.bytes)}${p.totalBytes ? ` of ${humanSize(p.totalBytes)}` : ''})`;
          const now = p.totalBytes && p.bytes !== undefined ? Math.min(100, (100 * p.bytes) / p.totalBytes) : undefined;
          progress.report({ message: p.message + bytes, ...(now !== undefined && now > pct ? { increment: now - pct } : {}) });
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
