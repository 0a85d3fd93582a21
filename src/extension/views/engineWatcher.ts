import type * as vscode from 'vscode';
import { messageOf } from '../../core/util/errors';
import type { EngineService } from '../engineService';

/** Waits before reconnecting, growing while the engine stays away. */
const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];
/** Several events come at once (a build tags, untags and deletes): one refresh for the burst. */
const DEBOUNCE_MS = 400;

/**
 * Follows the engine's image events so the Images view changes when images
 * come and go, and notices when an engine that was down comes back.
 */
export class EngineWatcher implements vscode.Disposable {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly engine: EngineService,
    private readonly onChange: () => void,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  start(): void {
    this.stop();
    const controller = (this.controller = new AbortController());
    void this.loop(controller.signal);
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
    clearTimeout(this.timer);
  }

  dispose(): void {
    this.stop();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.engine.daemon().watchImages(
          (e) => {
            this.log.debug(`Engine event: image ${e.action} ${e.id}`);
            clearTimeout(this.timer);
            this.timer = setTimeout(this.onChange, DEBOUNCE_MS);
          },
          signal,
          () => {
            // Back after a failure: the view may still show "no engine".
            if (failures > 0) {
              this.log.info(`The Docker engine at ${this.engine.endpointLabel()} answers again`);
              this.onChange();
            }
            failures = 0;
          },
        );
      } catch (e) {
        if (signal.aborted) return;
        if (failures === 0) {
          this.log.warn(`Not following image events: ${messageOf(e)}`);
          this.onChange();
        }
        failures++;
      }
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]));
    }
  }
}
