import { lazy } from '../util/lazy';
import { CompareError, messageOf } from '../util/errors';

/** What a helper answers: a user name and password, or (user `<token>`) an identity token. */
export interface HelperCredentials {
  username: string;
  secret: string;
}

/** Helpers may ask a keychain or a gpg agent; longer than this and something is stuck. */
const HELPER_TIMEOUT_MS = 30_000;
const NOT_FOUND = /credentials not found/i;

/**
 * Runs `docker-credential-NAME get` the way the docker CLI does (the
 * docker-credential-helpers protocol): the server URL on stdin, a JSON
 * `{ "ServerURL", "Username", "Secret" }` on stdout. Undefined when the
 * helper has nothing for that server ("credentials not found in native
 * keychain", exit 1); throws a plain Error (for the caller to word) when the
 * helper is missing or fails otherwise.
 */
export async function helperGet(name: string, serverUrl: string, opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<HelperCredentials | undefined> {
  // The name comes from config.json and becomes a program name: no paths, no options.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`"${name}" is not a credential helper name`);
  const program = `docker-credential-${name}`;
  const child = lazy.childProcess().spawn(program, ['get'], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal, timeout: HELPER_TIMEOUT_MS, windowsHide: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  // A helper that exits without reading stdin makes the write fail with EPIPE: its exit status says more.
  child.stdin.on('error', () => undefined);
  child.stdin.end(serverUrl);
  const { code, signal, error } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, error: e }));
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  if (opts.signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
  const stdout = Buffer.concat(out).toString('utf8').trim();
  const stderr = Buffer.concat(err).toString('utf8').trim();
  if (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? `${program} is not on PATH` : `${program} could not be run (${messageOf(error)})`);
  }
  if (code !== 0) {
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return undefined;
    const why = signal === 'SIGTERM' ? `gave no answer within ${HELPER_TIMEOUT_MS / 1000} s` : `exited with ${code ?? signal}`;
    throw new Error(`${program} get ${why}${stdout || stderr ? `: ${(stdout || stderr).split('\n')[0].slice(0, 200)}` : ''}`);
  }
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new Error(`${program} get did not answer JSON`);
  }
  if (typeof doc?.Secret !== 'string' || doc.Secret === '') return undefined;
  return { username: typeof doc.Username === 'string' ? doc.Username : '', secret: doc.Secret };
}
