/**
 * Why an engine operation failed. Callers map reasons to their own surface:
 * the CLI to exit code 2 and a one-line message, the extension to a
 * notification with an action.
 */
export type ErrorReason =
  | 'badReference' // the image reference could not be parsed
  | 'unknownImage' // the reference names nothing the source has
  | 'daemonUnreachable' // no Docker-compatible engine answered
  | 'daemon' // the engine answered with an error
  | 'registry' // a registry could not be reached, or answered with an error (retries spent, TLS, a download cut short)
  | 'unauthorized' // a registry refused the credentials used, or wants some and none were found (401/403)
  | 'badArchive' // corrupt, truncated or not an image archive
  | 'hostileArchive' // traversal, escaping links, absurd sizes
  | 'unsupported' // a valid input we cannot read (media type, platform)
  | 'notFound' // a path inside an image
  | 'badArgument' // a caller passed something meaningless
  | 'cancelled'
  | 'io';

export class CompareError extends Error {
  constructor(
    readonly reason: ErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CompareError';
  }
}

export function isCompareError(e: unknown): e is CompareError {
  return e instanceof CompareError;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CompareError('cancelled', 'Cancelled');
}

/** The message of anything thrown, for wrapping into a CompareError. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
