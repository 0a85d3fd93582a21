import type { EntryType, FileEntry, LineEndings, SecretKind } from '../image/model';
import { noteNameChars } from './limits';

/**
 * The binary form of a layer's file index in the cache (index-v4). A warm
 * compare is mostly start-up and reading indexes, and JSON.parse of rows
 * builds every string twice and an array per entry before the entries; here
 * the strings of all entries (paths, link targets, hashes, secret kinds) are
 * one UTF-8 table, decoded in one call and cut into the entries' strings,
 * and the numbers are columns read as typed arrays. Smaller than the JSON,
 * and 2-4x faster to read on a 300k-file layer; on the bench's pair (32k
 * entries) a first read in a fresh process is on par with JSON.parse, since
 * this loop runs unoptimised there (scripts/bench-index.mjs measures both).
 *
 *   "CCX3"  u8 little-endian (1)  u8[3] 0
 *   u32 count   u32 table bytes   u32 cuts   u32 reserved   f64 layer size
 *   u8[count] type   u8[count] flags   (padding to 8)
 *   f64[count] size   f64[count] offset (NaN: none)
 *   u32[count] mode   u32[count] uid   u32[count] gid   u32[cuts] string ends
 *   u8[table] the strings, UTF-8
 *   u16 diffID length, the diffID (ASCII)
 */
const MAGIC = 0x33584343; // "CCX3" read little-endian

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'whiteout', 'opaque'];
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i]));
const ENDINGS: ReadonlyArray<LineEndings | undefined> = [undefined, 'lf', 'crlf', 'mixed', 'none'];
const ENDING_CODE = new Map(ENDINGS.map((e, i) => [e, i]));

// flags: bits 0-1 text (0 unknown, 1 binary, 2 text), bits 2-4 line endings, then which optional strings follow the path.
const LINK = 1 << 5;
const SHA = 1 << 6;
const LF_SHA = 1 << 7;
// A second byte of flags would cost a column for the rare secrets: they ride in the type byte's high bits instead.
const SECRETS = 1 << 7;

const align8 = (n: number) => (n + 7) & ~7;

export interface EncodedIndex {
  diffId: string;
  size: number;
  entries: FileEntry[];
}

export function encodeIndex(index: EncodedIndex, body = encodeIndexBody(index)): Buffer {
  const diffId = Buffer.from(index.diffId, 'latin1');
  const trailer = Buffer.allocUnsafe(2 + diffId.length);
  trailer.writeUInt16LE(diffId.length, 0);
  trailer.set(diffId, 2);
  return Buffer.concat([body, trailer]);
}

/**
 * An index but its diffID: all that takes time to encode, and all there is
 * to encode before the diffID is known (the engine's export names a layer in
 * the config that comes after it). encodeIndex() adds the diffID.
 */
export function encodeIndexBody(index: Omit<EncodedIndex, 'diffId'>): Buffer {
  const { entries } = index;
  const n = entries.length;
  const types = new Uint8Array(n);
  const flags = new Uint8Array(n);
  const sizes = new Float64Array(n);
  const offsets = new Float64Array(n);
  const modes = new Uint32Array(n);
  const uids = new Uint32Array(n);
  const gids = new Uint32Array(n);
  const parts: string[] = [];
  const ends: number[] = [];
  let chars = 0;
  const add = (s: string) => {
    parts.push(s);
    chars += s.length;
    ends.push(chars);
  };
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    let f = (e.text === undefined ? 0 : e.text ? 2 : 1) | (ENDING_CODE.get(e.lineEndings)! << 2);
    let t = TYPE_CODE.get(e.type)!;
    add(e.path);
    if (e.linkTarget !== undefined) {
      f |= LINK;
      add(e.linkTarget);
    }
    if (e.sha256 !== undefined) {
      f |= SHA;
      add(e.sha256);
    }
    if (e.lfSha256 !== undefined) {
      f |= LF_SHA;
      add(e.lfSha256);
    }
    if (e.secrets?.length) {
      t |= SECRETS;
      add(e.secrets.join(','));
    }
    types[i] = t;
    flags[i] = f;
    sizes[i] = e.size;
    offsets[i] = e.offset ?? NaN;
    modes[i] = e.mode;
    uids[i] = e.uid;
    gids[i] = e.gid;
  }
  // String ends are counted in UTF-16 units: the decoder cuts the decoded table, not the bytes.
  const table = Buffer.from(parts.join(''), 'utf8');
  const cuts = Uint32Array.from(ends);
  const head = 32;
  const columns = align8(head + 2 * n);
  const total = columns + 16 * n + 12 * n + 4 * cuts.length + table.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = 1;
  out.writeUInt32LE(n, 8);
  out.writeUInt32LE(table.length, 12);
  out.writeUInt32LE(cuts.length, 16);
  out.writeDoubleLE(index.size, 24);
  let at = head;
  out.set(types, at);
  out.set(flags, (at += n));
  at = columns;
  for (const col of [sizes, offsets, modes, uids, gids, cuts]) {
    out.set(new Uint8Array(col.buffer, col.byteOffset, col.byteLength), at);
    at += col.byteLength;
  }
  out.set(table, at);
  return out;
}

/** The index in `buf`, or undefined when it is not one (another format, another byte order, truncated). */
export function decodeIndex(input: Buffer): EncodedIndex | undefined {
  if (input.length < 32 || input.readUInt32LE(0) !== MAGIC || input[4] !== 1) return undefined;
  // Typed arrays need 8-byte alignment: a buffer read from a file starts at 0, a pooled one may not.
  const buf = input.byteOffset % 8 === 0 ? input : Buffer.from(input);
  const n = buf.readUInt32LE(8);
  const tableBytes = buf.readUInt32LE(12);
  const cutCount = buf.readUInt32LE(16);
  const size = buf.readDoubleLE(24);
  const columns = align8(32 + 2 * n);
  const tableAt = columns + 28 * n + 4 * cutCount;
  if (tableAt + tableBytes + 2 > buf.length) return undefined;
  const ab = buf.buffer;
  const base = buf.byteOffset;
  const types = buf.subarray(32, 32 + n);
  const flags = buf.subarray(32 + n, 32 + 2 * n);
  let at = base + columns;
  const sizes = new Float64Array(ab, at, n);
  const offsets = new Float64Array(ab, (at += 8 * n), n);
  const modes = new Uint32Array(ab, (at += 8 * n), n);
  const uids = new Uint32Array(ab, (at += 4 * n), n);
  const gids = new Uint32Array(ab, (at += 4 * n), n);
  const cuts = new Uint32Array(ab, (at += 4 * n), cutCount);
  const table = buf.toString('utf8', tableAt, tableAt + tableBytes);
  const idLen = buf.readUInt16LE(tableAt + tableBytes);
  const diffId = buf.toString('latin1', tableAt + tableBytes + 2, tableAt + tableBytes + 2 + idLen);
  const entries: FileEntry[] = new Array(n);
  // Every entry gets every field (undefined where it has none), in one order:
  // one hidden class, so the passes over all entries that follow (layer views,
  // lookups, limits, leftovers) stay monomorphic. ~15 ms of a warm compare.
  let cut = 0;
  let from = 0;
  let names = 0;
  const next = (): string => {
    const to = cuts[cut++];
    const s = table.slice(from, to);
    from = to;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const t = types[i];
    const f = flags[i];
    const type = TYPES[t & 0x7f];
    if (type === undefined || cut >= cutCount) return undefined;
    const path = next();
    const linkTarget = f & LINK ? next() : undefined;
    names += path.length + (linkTarget === undefined ? 0 : linkTarget.length);
    const sha256 = f & SHA ? next() : undefined;
    const text = f & 3;
    const lfSha256 = f & LF_SHA ? next() : undefined;
    const e: FileEntry = { path, type, mode: modes[i], uid: uids[i], gid: gids[i], size: sizes[i], linkTarget, sha256, text: text ? text === 2 : undefined, lineEndings: ENDINGS[(f >> 2) & 7], lfSha256, offset: Number.isNaN(offsets[i]) ? undefined : offsets[i], secrets: t & SECRETS ? (next().split(',') as SecretKind[]) : undefined };
    entries[i] = e;
  }
  // The name limits count this; a pass of its own over every entry costs more than the sum here.
  noteNameChars(entries, names);
  return { diffId, size, entries };
}
