/* eslint-disable @typescript-eslint/no-require-imports -- the point of this module: required when first used */
import type * as ChildProcess from 'node:child_process';
import type * as Dns from 'node:dns/promises';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as Zlib from 'node:zlib';
import type Picomatch from 'picomatch';
import type * as TarStream from 'tar-stream';

/**
 * Modules that only some paths use, required when first used rather than
 * when the bundle loads (an import is a require at load in a CommonJS
 * bundle): Node built-ins that only registries, TLS endpoints, compressed
 * layers, probes and credential helpers use, tar-stream (archives and the
 * engine's export) and picomatch (--ignore globs). A warm compare of local
 * images uses none of them, and loading them took ~12 ms of its ~200 ms
 * (node:https brings node:tls; tar-stream brings streamx); a cold one that
 * exports loads tar-stream after its request has gone out, while the engine
 * stages. A module is cached after its first require: each call after that
 * is a lookup.
 */
export const lazy = {
  http: (): typeof Http => require('node:http'),
  https: (): typeof Https => require('node:https'),
  tls: (): typeof Tls => require('node:tls'),
  zlib: (): typeof Zlib => require('node:zlib'),
  dns: (): typeof Dns => require('node:dns/promises'),
  childProcess: (): typeof ChildProcess => require('node:child_process'),
  tarStream: (): typeof TarStream => require('tar-stream'),
  picomatch: (): typeof Picomatch => require('picomatch'),
};
