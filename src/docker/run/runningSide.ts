import type Dockerode from 'dockerode';
import type { CapturedLine, ContainerState, HttpResult, ListeningPorts, ProbeResult, Side, SideRun } from '../../core/run/runModel';
import type { RunSideInput } from '../runner';

/** One side of a run while it is going. */
export class RunningSide {
  container?: Dockerode.Container;
  id?: string;
  readonly lines: CapturedLine[] = [];
  dropped = 0;
  /** When start was asked for: the zero of the lines' `at` (both sides are started together). */
  startedAt = 0;
  /** Start refused, or the attach stream ended: nothing more will be written. */
  done = false;
  startError?: string;
  state: ContainerState = { status: 'created', restarts: 0 };
  published?: SideRun['published'];
  probes: ProbeResult[] = [];
  http?: HttpResult;
  listening?: ListeningPorts;
  /** The container's first process on the engine's host (State.Pid), while it runs. */
  pid?: number;
  cleanupError?: string;
  /** Aborting it ends the attach request and stream. */
  readonly attachControl = new AbortController();
  capturing = true;

  constructor(
    readonly side: Side,
    readonly input: RunSideInput,
    readonly name: string,
  ) {}
}
