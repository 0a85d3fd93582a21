/**
 * Messages between the extension host and the Run Side by Side panel. Both
 * sides import these types (the webview type-only); the webview sends
 * `ready` first and the host answers with everything the panel shows, so a
 * panel that was hidden (and its page discarded) comes back as it was.
 */
import type { CapturedLine, ContainerState, ListeningPorts, RunEvent, RunReport, Side, SideRun } from '../core/run/runModel';

/** The runner's phases, plus: loading the images; `up` (report shown, containers still running); failed; stopped (containers removed). */
export type RunPhase = Extract<RunEvent, { type: 'phase' }>['phase'] | 'loading' | 'up' | 'failed' | 'stopped';

/** What the panel shows of one side before the report exists. */
export interface LiveSide {
  ref: string;
  containerName?: string;
  published?: SideRun['published'];
  state?: ContainerState;
  /** The TCP ports it listens on, once read. */
  listening?: ListeningPorts;
  lines: CapturedLine[];
}

export type HostMessage =
  /** The whole picture: sent after `ready`, and when a run starts. */
  | { type: 'snapshot'; refs: [string, string]; phase: RunPhase; message: string; live: Record<Side, LiveSide>; report?: RunReport; error?: string }
  | { type: 'phase'; phase: RunPhase; message: string }
  /** Lines captured since the last message (batched). */
  | { type: 'lines'; side: Side; lines: CapturedLine[] }
  | { type: 'side'; side: Side; containerName?: string; published?: SideRun['published']; state?: ContainerState; listening?: ListeningPorts }
  | { type: 'report'; report: RunReport }
  | { type: 'error'; message: string }
  /** Show this evidence: a log row (index into report.logs.rows), a probe, the HTTP comparison, or a side's listening ports. */
  | { type: 'reveal'; logRow?: number; probe?: string; http?: string; listening?: Side };

export type PanelMessage =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'rerun' }
  /** Text to put on the clipboard (the host does it: webviews may not be allowed to). */
  | { type: 'copy'; text: string; what: string }
  /** Open the comparison of the two images (files, layers) behind this run. */
  | { type: 'compare' };

export const RUN_PANEL_VIEW_TYPE = 'containerCompare.runPanel';
