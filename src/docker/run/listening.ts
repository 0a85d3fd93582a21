import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import type Dockerode from 'dockerode';
import { parseProcNetTcp } from '../../core/run/listening';
import type { ListeningPorts } from '../../core/run/runModel';
import { describeState } from '../../core/run/runCompare';
import { probe } from './probes';
import type { RunningSide } from './runningSide';

/**
 * What a container listens on: /proc/net/tcp and /proc/net/tcp6 as its own
 * network namespace shows them, read without needing any tool in the image
 * when the engine runs on this machine.
 *
 * What was tried, on Docker Engine 20.10.24 (API 1.41, runc 1.1, cgroup v1):
 *
 * - The archive endpoint, GET /containers/{id}/archive?path=/proc/net/tcp:
 *   404 "Could not find the file /proc/net/tcp in container ..." (the same
 *   for /proc/1/net/tcp, /proc/self/net/tcp, /proc/1/status; ?path=/proc
 *   gives an empty directory). The engine resolves the path in the
 *   container's root filesystem as mounted on its own side, where /proc is
 *   only the empty mount point: the runtime mounts procfs inside the
 *   container's mount namespace. So the question whether it would stream a
 *   size-0 procfs file never comes up. Not used.
 * - The host's /proc/<State.Pid>/net/tcp{,6}: the network namespace of the
 *   container's first process, the same as the container's. Works and needs
 *   nothing in the image, but only when the engine's processes are this
 *   machine's: not a remote engine, nor Docker Desktop's VM, nor a rootless
 *   engine with a pid namespace of its own, nor this CLI inside a container.
 *   Rather than guessing that from the endpoint, /proc/<pid>/cgroup must name
 *   the container's full id, before and after reading (a pid reused by another
 *   process in between cannot pass). Used first.
 * - `docker exec` of `cat /proc/net/tcp /proc/net/tcp6`: works on any engine
 *   when the image has a cat (busybox, Debian...), and starts a process in
 *   the container, as a probe does. The fallback.
 *
 * `ways`: the ones to try, in this order (tests pick one).
 * Never throws for what the container lacks: the reading's `error` says it.
 * Throws only what a probe throws (a cancel, an engine gone).
 */
export async function readListening(docker: Dockerode, url: string, s: RunningSide, signal: AbortSignal | undefined, ways: ReadonlyArray<NonNullable<ListeningPorts['via']>> = ['hostProc', 'exec']): Promise<ListeningPorts> {
  const at = (): number => (s.startedAt ? Math.max(0, Date.now() - s.startedAt) : 0);
  if (s.state.status !== 'running') return { sockets: [], at: at(), error: `not read: the container ${describeState(s.state)}` };
  const host = ways.includes('hostProc') && s.pid && s.id ? await fromHostProc(s.pid, s.id) : undefined;
  if (host !== undefined) return { sockets: parseProcNetTcp(host, endianness() === 'LE'), at: at(), via: 'hostProc' };
  if (!ways.includes('exec')) return { sockets: [], at: at(), error: '/proc/net/tcp could not be read: the engine does not run on this machine' };

  const r = await probe(docker, url, s, { name: 'listening', command: ['cat', '/proc/net/tcp', '/proc/net/tcp6'] }, signal);
  // cat exits 1 when tcp6 is missing (IPv6 disabled in the kernel) after printing tcp: what it printed counts.
  if (!r.error && /\blocal_address\b/.test(r.stdout)) {
    // The engine's host byte order is not known here; every Docker platform but s390x is little-endian.
    return { sockets: parseProcNetTcp(r.stdout), at: at(), via: 'exec' };
  }
  const why = r.error ?? (r.stderr.trim().split('\n')[0] || `cat exited with code ${r.exitCode}`);
  return { sockets: [], at: at(), error: `/proc/net/tcp could not be read: ${why}${/not found|no such file/i.test(why) ? ' (the image has no cat, and the engine does not run on this machine)' : ''}` };
}

/** /proc/<pid>/net/tcp and tcp6 of this machine, if that pid is the container's (see above). */
async function fromHostProc(pid: number, containerId: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const ours = async (): Promise<boolean> => (await readFile(`/proc/${pid}/cgroup`, 'utf8')).includes(containerId);
  try {
    if (!(await ours())) return undefined;
    const [tcp, tcp6] = await Promise.all([readFile(`/proc/${pid}/net/tcp`, 'utf8'), readFile(`/proc/${pid}/net/tcp6`, 'utf8').catch(() => '')]);
    if (!(await ours())) return undefined;
    return tcp + tcp6;
  } catch {
    // No such pid here, or not ours to read: the exec fallback.
    return undefined;
  }
}
