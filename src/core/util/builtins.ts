/* eslint-disable @typescript-eslint/no-require-imports -- the point of this module: required when first used */
import type * as ChildProcess from 'node:child_process';
import type * as Dns from 'node:dns/promises';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as Zlib from 'node:zlib';

/**
 * Node built-ins that only registries, TLS endpoints, compressed layers and
 * credential helpers use, required when first used rather than when the
 * bundle loads (an import is a require at load in a CommonJS bundle). A warm
 * compare of local images uses none of them, and loading them (node:https
 * brings node:tls) took ~8 ms of its ~200 ms (`npm run bench`, warm text).
 * Node caches a built-in after its first require: each call after that is a
 * lookup.
 */
export const lazy = {
  http: (): typeof Http => require('node:http'),
  https: (): typeof Https => require('node:https'),
  tls: (): typeof Tls => require('node:tls'),
  zlib: (): typeof Zlib => require('node:zlib'),
  dns: (): typeof Dns => require('node:dns/promises'),
  childProcess: (): typeof ChildProcess => require('node:child_process'),
};
