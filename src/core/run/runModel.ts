/**
 * Running two images side by side: what is asked, what is observed, and the
 * report that compares the two runs. Shared by the runner (src/docker), the
 * CLI (`container-compare run`) and the extension's run panel; the report is
 * the document of `run --json`.
 */
import type { Side } from '../util/side';
import type { ListeningSocket } from './listening';
import type { LogDiffSummary, LogRow } from './logDiff';

/**
 * The labels every container we start carries. Cleanup only looks at
 * containers with RUN_LABEL, and removes only those whose TOKEN_LABEL proves
 * we created them (src/docker/run/ownership.ts): an image can carry all of
 * these labels, so they alone never make a container ours.
 */
export const RUN_LABEL = 'dev.container-compare.run';
export const SIDE_LABEL = 'dev.container-compare.side';
/** host:pid of the process that started it: a leftover whose process is gone may be removed. */
export const OWNER_LABEL = 'dev.container-compare.owner';
/** HMAC of the container's name and the labels above, keyed with a secret of the installation's cache folder. */
export const TOKEN_LABEL = 'dev.container-compare.token';
/** What a container that is not one side of a run is for: "layer-store", the fast path's helper (never started). */
export const PURPOSE_LABEL = 'dev.container-compare.purpose';

export type { Side } from '../util/side';

export interface RunOptions {
  /** Replaces the images' CMD on both sides (the images' own when absent). */
  cmd?: string[];
  /** Replaces the images' ENTRYPOINT on both sides. */
  entrypoint?: string[];
  /** KEY=VALUE, added to (or replacing in) both images' environments. */
  env?: string[];
  /** Container port to publish, e.g. "80/tcp"; default: the first port A (else B) exposes. */
  port?: string;
  /** Host address to publish on; default 127.0.0.1 (never 0.0.0.0 unless asked). */
  bindAddress?: string;
  /** The startup window ends when neither container logged anything for this long... */
  quietMs: number;
  /** ...or after this long at most. */
  maxMs: number;
  /** Probe presets chosen by what the images contain (apache2ctl -M, php -m, ...). */
  presets: boolean;
  /** Extra probe commands, run with `sh -c` in both containers. */
  probes: string[];
  /** Path requested on both published ports after startup, e.g. "/". */
  httpPath?: string;
  /** User regexes for log normalisation (settings / flags). */
  logRules?: Array<{ pattern: string; replacement?: string }>;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { quietMs: 2000, maxMs: 20_000, presets: true, probes: [] };

export type StreamName = 'stdout' | 'stderr';

/** One line a container wrote, as captured from the first byte (attached before start). */
export interface CapturedLine {
  stream: StreamName;
  /** The line as written, without its line break; may hold ANSI codes, control characters, HTML. */
  text: string;
  /** Milliseconds since the container was started. */
  at: number;
}

export type ContainerStatus = 'running' | 'exited' | 'failedToStart' | 'created' | 'restarting' | 'dead' | 'removed';

/** What the engine says of a container at the end of the startup window (or when it stopped). */
export interface ContainerState {
  status: ContainerStatus;
  exitCode?: number;
  /** The engine's error: a start failure ("exec /entrypoint.sh: no such file or directory") or State.Error. */
  error?: string;
  restarts: number;
  /** Health check status when the image has one: starting, healthy, unhealthy. */
  health?: string;
  oomKilled?: boolean;
}

export interface ProbeResult {
  /** Short name: "apache modules", "php modules", "env", or the command itself. */
  name: string;
  /** The command as run (argv). */
  command: string[];
  /** Null when it could not be run (container not running, command missing). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error?: string;
  durationMs: number;
}

export interface HttpResult {
  url: string;
  status?: number;
  /** Lower-case names; the ones worth comparing (content-type, server, x-powered-by, location, ...). */
  headers: Record<string, string>;
  /** The body as UTF-8, cut at 64 KiB. */
  body: string;
  bodyBytes: number;
  truncated: boolean;
  error?: string;
  durationMs: number;
}

/**
 * The TCP ports a container listens on, read from /proc/net/tcp and tcp6 in
 * its network namespace: at the end of the startup window, and again at the
 * end of the run if it is still running (the later reading is kept, so that it
 * matches the HTTP answer).
 */
export interface ListeningPorts {
  /** Sockets in LISTEN state, by port. Empty: it listens on no TCP port (when `error` is absent). */
  sockets: ListeningSocket[];
  /** Milliseconds since the container was started. */
  at: number;
  /** How they were read: the host's /proc/<pid>/net of the container's first process (a local engine), or `cat` run in the container. */
  via?: 'hostProc' | 'exec';
  /** Why they could not be read (then `sockets` says nothing). */
  error?: string;
}

/** Everything observed of one side's run. */
export interface SideRun {
  ref: string;
  imageId: string;
  containerId?: string;
  containerName?: string;
  /** "127.0.0.1:49153" → "80/tcp". */
  published?: { hostIp: string; hostPort: number; containerPort: string };
  lines: CapturedLine[];
  state: ContainerState;
  probes: ProbeResult[];
  http?: HttpResult;
  /** What it listens on; absent when the container never ran long enough to look. */
  listening?: ListeningPorts;
  /** Set when the container could not be removed after the run (the engine's error, and the command that removes it). */
  cleanupError?: string;
}

/** Progress of a run, for live views: lines as they come, state changes, phases. */
export type RunEvent =
  | { type: 'phase'; phase: 'preparing' | 'starting' | 'capturing' | 'probing' | 'requesting' | 'stopping' | 'done'; message: string }
  | { type: 'line'; side: Side; line: CapturedLine }
  | { type: 'state'; side: Side; state: ContainerState }
  | { type: 'listening'; side: Side; listening: ListeningPorts }
  | { type: 'container'; side: Side; containerId: string; containerName: string; published?: SideRun['published'] };

export type FindingSeverity = 'error' | 'warning' | 'info';

/** One thing the comparison of two runs says, with where to look. */
export interface RunFinding {
  /** Stable code (run/codes.ts), as linters have: shown everywhere, and what --ignore-finding takes. */
  code: string;
  kind: 'startFailed' | 'exited' | 'health' | 'restarts' | 'moduleOnlyOne' | 'probeDiffers' | 'httpStatus' | 'httpHeader' | 'httpBody' | 'servedAsSource' | 'port' | 'logOnlyOne' | 'logChanged';
  severity: FindingSeverity;
  side?: Side;
  title: string;
  detail: string;
  /** Log rows (indexes into logs.rows), probe names, HTTP fields, sides whose listening sockets (SideRun.listening) show it. */
  evidence: { logRows?: number[]; probe?: string; http?: string[]; listening?: Side[] };
}

export interface ProbeComparison {
  name: string;
  command: string[];
  a: ProbeResult;
  b: ProbeResult;
  /** Output lines (normalised) present on one side only. */
  onlyA: string[];
  onlyB: string[];
}

export interface HttpComparison {
  path: string;
  a?: HttpResult;
  b?: HttpResult;
  /** Fields that differ: "status", "header content-type", "body". */
  differences: string[];
  /** The side whose body holds server-side source (`<?php`, ...) that the other side executed. */
  servedAsSource?: { side: Side; marker: string };
}

/** The document of `container-compare run --json` and of the run panel. */
export interface RunReport {
  schemaVersion: 1;
  a: SideRun;
  b: SideRun;
  options: RunOptions;
  /** Findings first: what a developer reads first, most severe first. */
  findings: RunFinding[];
  logs: { summary: LogDiffSummary; rows: LogRow[] };
  /** Modules and components seen on one side only (probes, `[mod:level]` tags, `name/1.2` tokens). */
  modules: { onlyA: string[]; onlyB: string[] };
  probes: ProbeComparison[];
  http?: HttpComparison;
  /** Whether the runs differ (the CLI's exit code 1). */
  differ: boolean;
}
