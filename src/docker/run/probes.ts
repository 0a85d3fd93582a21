import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { CompareError, messageOf } from '../../core/util/errors';
import type { ProbeResult, RunOptions } from '../../core/run/runModel';
import { describeState } from '../../core/run/runCompare';
import { unionProbes, type ProbeSpec } from '../../core/run/presets';
import { engineMessageOf, toCompareError } from '../daemonClient';
import type { RunSideInput } from '../runner';
import { sink } from './capture';
import { inspectWith } from './lifecycle';
import type { RunningSide } from './runningSide';

// Bounds: a probe that hangs or floods its output ends with what it wrote so far.
const PROBE_TIMEOUT_MS = 15_000;
const PROBE_OUTPUT_CAP = 256 * 1024;

/** What both containers run: the presets of both images (when wanted), then the user's commands with `sh -c`. */
export function probeList(options: RunOptions, a: RunSideInput, b: RunSideInput): ProbeSpec[] {
  const presets = options.presets ? unionProbes(a.presets ?? [], b.presets ?? []) : [];
  const names = new Set(presets.map((p) => p.name));
  const extra = options.probes.map((cmd) => {
    const name = names.has(cmd) ? `${cmd} (sh -c)` : cmd;
    names.add(name);
    return { name, command: ['sh', '-c', cmd] };
  });
  return [...presets, ...extra];
}

/** Runs one probe in a side's running container: a probe that fails, times out or is not installed is a result; only a cancel or a lost engine throws. */
export async function probe(docker: Dockerode, url: string, s: RunningSide, spec: ProbeSpec, signal: AbortSignal | undefined): Promise<ProbeResult> {
  const base: ProbeResult = { name: spec.name, command: spec.command, exitCode: null, stdout: '', stderr: '', durationMs: 0 };
  if (s.state.status !== 'running') return { ...base, error: `not run: the container ${describeState(s.state)}` };
  if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
  const t0 = Date.now();
  const control = new AbortController();
  const timer = setTimeout(() => control.abort(), PROBE_TIMEOUT_MS);
  const onAbort = (): void => control.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const out = new CappedBuffer(PROBE_OUTPUT_CAP);
  const err = new CappedBuffer(PROBE_OUTPUT_CAP);
  try {
    const exec = await s.container!.exec({ Cmd: spec.command, AttachStdout: true, AttachStderr: true, Tty: false, abortSignal: control.signal } as Dockerode.ExecCreateOptions);
    const stream = (await exec.start({ hijack: true, stdin: false, abortSignal: control.signal } as Dockerode.ExecStartOptions)) as unknown as Readable;
    await new Promise<void>((resolve, reject) => {
      docker.modem.demuxStream(stream, sink((b) => out.push(b)), sink((b) => err.push(b)));
      const stop = (): void => {
        stream.destroy();
        reject(new Error('aborted'));
      };
      if (control.signal.aborted) return stop();
      control.signal.addEventListener('abort', stop, { once: true });
      const done = (): void => {
        control.signal.removeEventListener('abort', stop);
        resolve();
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', (e) => {
        control.signal.removeEventListener('abort', stop);
        reject(e);
      });
    });
    const info = await inspectWith<Dockerode.ExecInspectInfo>(exec, control.signal);
    const stdout = out.text();
    const stderr = err.text();
    const result: ProbeResult = { ...base, exitCode: info.ExitCode ?? null, stdout, stderr, durationMs: Date.now() - t0 };
    // The runtime could not start the command (not installed in this image): no exit code of the command's own.
    const failed = /^OCI runtime exec failed: (.*)$/m.exec(stdout);
    if (failed && (info.ExitCode === 126 || info.ExitCode === 127)) return { ...result, exitCode: null, stdout: '', error: cleanRuntimeMessage(failed[1]) };
    return result;
  } catch (e) {
    if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled', { cause: e });
    const partial = { ...base, stdout: out.text(), stderr: err.text(), durationMs: Date.now() - t0 };
    if (control.signal.aborted) return { ...partial, error: `timed out after ${PROBE_TIMEOUT_MS / 1000} s` };
    const error = toCompareError(e, url);
    if (error.reason === 'daemonUnreachable') throw error;
    return { ...partial, error: typeof (e as { statusCode?: unknown }).statusCode === 'number' ? engineMessageOf(e) : messageOf(e) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** "OCI runtime exec failed: exec failed: unable to start container process: exec: "x": executable file not found in $PATH: unknown" → from "exec:". */
function cleanRuntimeMessage(message: string): string {
  const m = /(exec: .*?)(?:: unknown)?\s*$/.exec(message);
  return (m ? m[1] : message).trim();
}

/** Bytes kept up to a cap; the text says where it was cut. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly cap: number) {}

  push(b: Buffer): void {
    this.total += b.length;
    if (this.kept >= this.cap) return;
    const part = b.length > this.cap - this.kept ? b.subarray(0, this.cap - this.kept) : b;
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.total > this.kept ? `${s}\n… (output cut at ${this.cap / 1024} KiB of ${this.total} bytes)` : s;
  }
}
