import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRpmHeader, type RpmHeader } from './formats';

/** The part of sql.js used here (its own typings live in @types/sql.js; this keeps them out of the build). */
interface SqlJsStatic {
  Database: new (data?: Uint8Array) => SqlJsDatabase;
}
interface SqlJsDatabase {
  prepare(sql: string): { step(): boolean; get(): unknown[]; free(): void };
  close(): void;
}
type InitSqlJs = (config?: { wasmBinary?: Uint8Array }) => Promise<SqlJsStatic>;

export interface RpmDbOptions {
  /**
   * Where sql.js' sql-wasm.wasm is. Unset: next to this code (a bundle's
   * folder, where the bundler copies it), else in node_modules/sql.js/dist
   * (running from source).
   */
  sqlWasmPath?: string;
}

const WASM = 'sql-wasm.wasm';

/** The wasm file, found before sql.js starts: a missing file makes emscripten abort with a rejection nobody can catch. */
function locateWasm(opts: RpmDbOptions): string {
  const candidates = [opts.sqlWasmPath, join(__dirname, WASM)];
  try {
    candidates.push(join(require.resolve('sql.js'), '..', WASM));
  } catch {
    // bundled without node_modules: the bundle's folder is the place
  }
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error(`${WASM} (sql.js, to read rpm databases) is not installed next to the program (looked in ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

let loading: Promise<SqlJsStatic> | undefined;

/**
 * sql.js (SQLite compiled to WebAssembly) is loaded on first use only: its
 * JS and 0.7 MB of wasm cost nothing to images without an rpm database.
 */
function sqlJs(opts: RpmDbOptions): Promise<SqlJsStatic> {
  if (!loading) {
    const wasmBinary = readFileSync(locateWasm(opts));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const init = require('sql.js') as InitSqlJs;
    loading = init({ wasmBinary });
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/** SQLite files start with this (https://www.sqlite.org/fileformat.html). */
const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * The packages of an rpm database in SQLite form (rpm ≥ 4.16:
 * /var/lib/rpm/rpmdb.sqlite, /usr/lib/sysimage/rpm/rpmdb.sqlite): one
 * header blob per row of its Packages table. gpg-pubkey pseudo-packages
 * (imported signing keys) are left out: they are not software.
 */
export async function readRpmDb(bytes: Uint8Array, opts: RpmDbOptions = {}): Promise<RpmHeader[]> {
  if (bytes.length < 100 || Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw new Error('not an SQLite database');
  }
  // sql.js opens a private copy in memory. rpm keeps its database in WAL mode,
  // which needs shared memory an in-memory file system may not offer: as the
  // copy is only read (and rpm checkpoints the WAL when it closes the
  // database), mark it as a rollback-journal database (header bytes 18-19).
  const copy = new Uint8Array(bytes);
  if (copy[18] === 2 && copy[19] === 2) copy[18] = copy[19] = 1;
  const SQL = await sqlJs(opts);
  const db = new SQL.Database(copy);
  try {
    const stmt = db.prepare('SELECT blob FROM Packages');
    const out: RpmHeader[] = [];
    try {
      while (stmt.step()) {
        const [blob] = stmt.get();
        if (!(blob instanceof Uint8Array)) continue;
        const h = parseRpmHeader(blob);
        if (h.name !== 'gpg-pubkey') out.push(h);
      }
    } finally {
      stmt.free();
    }
    return out;
  } finally {
    db.close();
  }
}
