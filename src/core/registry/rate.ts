import type * as http from 'node:http';
import type { Socket } from 'node:net';
import { CompareError } from '../util/errors';
import { humanSize, parseSize } from '../util/units';

/**
 * The slowest transfer a registry may make: fewer than `bytesPerSecond`
 * received on average over `windowMs` ends the request. The idle timeout
 * alone never fires on a registry that sends a byte now and then; this
 * bounds a download of N bytes to about N / bytesPerSecond seconds.
 */
export interface MinRate {
  bytesPerSecond: number;
  windowMs: number;
}

/** 1 KiB/s over a minute: far below any working link, far above a registry that holds a client on purpose. */
export const DEFAULT_MIN_RATE: MinRate = { bytesPerSecond: 1024, windowMs: 60_000 };

/** "1K" (per second, over the default window), "1K/30s", "100/2", "0" (off); `what` names the flag or setting. */
export function parseMinRate(s: string, what: string): MinRate {
  const m = /^\s*([^/\s]+)\s*(?:\/\s*(\d+(?:\.\d+)?)\s*s?)?\s*$/i.exec(s);
  const bad = () => new CompareError('badArgument', `${what} expects a rate in bytes per second, optionally over a window of seconds, like 1K or 1K/30s (0 turns it off), got "${s}"`);
  if (!m) throw bad();
  let bytesPerSecond: number;
  try {
    bytesPerSecond = parseSize(m[1], what);
  } catch {
    throw bad();
  }
  const windowMs = m[2] === undefined ? DEFAULT_MIN_RATE.windowMs : Math.round(Number(m[2]) * 1000);
  if (m[2] !== undefined && windowMs <= 0) throw bad();
  return { bytesPerSecond, windowMs };
}

/** "1 KB/s over 60 s". */
export function describeMinRate(r: MinRate): string {
  return `${humanSize(r.bytesPerSecond)}/s over ${r.windowMs / 1000} s`;
}

/** A registry that sent too little for too long: the request was given up. */
export class TransferTooSlow extends CompareError {
  constructor(
    readonly host: string,
    readonly received: number,
    readonly ms: number,
    readonly rate: MinRate,
    what: string,
  ) {
    super(
      'registry',
      `${host} is sending too slowly: ${received} bytes in ${Math.round(ms / 100) / 10} s, below the minimum of ${describeMinRate(rate)} (${what}); the minimum is --registry-min-rate (the containerCompare.registries.minRate setting)`,
    );
  }
}

/**
 * Watches one request, from its connection to the end of its answer's body
 * (headers count: a status line sent a byte a second is as slow as a body),
 * and destroys it with `tooSlow`'s error when the registry sends less than
 * the rate over a window. Time the body's reader holds the stream back (the
 * indexer, the disk) does not count: then the registry is not the slow one.
 */
export function watchRate(req: http.ClientRequest, rate: MinRate, tooSlow: (received: number, ms: number) => Error): void {
  if (!(rate.bytesPerSecond > 0) || !(rate.windowMs > 0)) return;
  let socket: Socket | undefined;
  let body: http.IncomingMessage | undefined;
  let start = Date.now();
  let base = 0;
  const bytes = () => socket?.bytesRead ?? 0;
  const restart = () => {
    start = Date.now();
    base = bytes();
  };
  const tick = Math.max(20, Math.min(1000, rate.windowMs / 5));
  const timer = setInterval(() => {
    // Connecting is bounded by the idle timeout and the system; the rate is measured on a connection.
    if (!socket || socket.connecting) return restart();
    if (body && (body.complete || body.destroyed)) return stop();
    // A full buffer: the reader is behind. (Not isPaused(): an async iterator reads a "paused" stream.)
    if (body && body.readableLength >= body.readableHighWaterMark) return restart();
    const ms = Date.now() - start;
    if (ms < rate.windowMs) return;
    const received = bytes() - base;
    if (received >= (rate.bytesPerSecond * ms) / 1000) return restart();
    stop();
    const e = tooSlow(received, ms);
    body?.destroy(e);
    req.destroy(e);
  }, tick);
  timer.unref();
  const stop = () => clearInterval(timer);
  req.on('socket', (s: Socket) => {
    socket = s;
    restart();
  });
  req.on('response', (res: http.IncomingMessage) => {
    body = res;
    res.on('end', stop);
    res.on('close', stop);
  });
  req.on('error', stop);
  req.on('close', () => {
    if (!body) stop();
  });
}
