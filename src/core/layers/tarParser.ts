/**
 * A synchronous, push-driven tar reader for layer tars: the layer indexer's
 * hot loop. It reads exactly what tar-stream 3's extract reads, the same way
 * (its header decoding is copied below), but without a stream per entry:
 * headers and data are handed to a sink as slices of the caller's chunks, so
 * nothing is copied, buffered or wrapped between the bytes and the hashes.
 *
 * tar-stream's rules kept: a block of zeros (its checksum field blank) is
 * skipped, not an end; GNU long names and PAX headers (local, and global
 * ones merged into the next local one) apply to the entry after them; a
 * directory's claimed size is not read as data; an archive that ends inside
 * an entry or a block fails with "Unexpected end of data".
 *
 * `stopAtEnd` reads one rule otherwise: two blocks of zeros in a row where a
 * header belongs end the archive, as Go's archive/tar (the engine's reader and
 * writer) has it. push() then stops right after them, and `ended` is true.
 */

export type TarType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'pax-header'
  | 'pax-global-header'
  | 'gnu-long-link-path'
  | 'gnu-long-path';

export interface TarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** null: a type flag tar-stream does not know (the entry is read, its data skipped by the sink). */
  type: TarType | null;
  linkname: string | null;
  pax: Record<string, string> | null;
}

export interface TarSink {
  /**
   * An entry; `offset` is where its header starts in the tar (its data, if
   * any, starts 512 bytes later). Return false to make push() stop right
   * after this header (the caller resumes with the rest of its chunk).
   */
  entry(header: TarHeader, offset: number): boolean | void;
  /** The next bytes of the current entry's data (none: the data is skipped, no slice made). */
  data?(chunk: Buffer): void;
  /** The current entry's data is complete (also called for entries without data). */
  end(): void;
}

/** PAX and GNU long-name records larger than this are refused, as tar-stream refuses them. */
const MAX_HEADER_SIZE = 4 * 1024 * 1024;
const BLOCK = 512;

export class TarParser {
  /** Bytes of the tar consumed so far. */
  private offset = 0;
  /** A header (or long header) split across chunks. */
  private readonly partial = Buffer.allocUnsafe(BLOCK);
  private partialFill = 0;
  /** Data bytes of the current entry still to come. */
  private missing = 0;
  /** Padding after the current entry's data (or a long header's). */
  private padding = 0;
  /** A GNU long name or PAX record being collected. */
  private long: { header: TarHeader; parts: Buffer[] } | undefined;
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private gnuLongPath: string | null = null;
  private gnuLongLinkPath: string | null = null;
  /** Blocks of zeros read in a row where a header belongs. */
  private zeroBlocks = 0;
  /** Two blocks of zeros came in a row (with `stopAtEnd`): nothing after them is read. */
  ended = false;

  constructor(
    private readonly sink: TarSink,
    private readonly stopAtEnd = false,
  ) {}

  /**
   * Reads `chunk` (from `start` to `end`) and returns how many of those
   * bytes were consumed: all of them, unless the sink asked to stop after a
   * header, or the archive ended (with `stopAtEnd`: then 0 for every chunk
   * after).
   */
  push(chunk: Buffer, start = 0, end = chunk.length): number {
    if (this.ended) return 0;
    let i = start;
    const n = end;
    while (i < n) {
      if (this.missing > 0) {
        const k = Math.min(this.missing, n - i);
        this.missing -= k;
        if (this.long) {
          const part = chunk.subarray(i, i + k);
          // A record that goes on in the next chunk is kept as a copy: a chunk's memory may be reused once read (ChunkPool).
          this.long.parts.push(this.missing > 0 ? Buffer.from(part) : part);
          i += k;
          if (this.missing === 0) this.finishLong();
        } else {
          this.sink.data?.(chunk.subarray(i, i + k));
          i += k;
          if (this.missing === 0) this.endEntry();
        }
        continue;
      }
      if (this.padding > 0) {
        const k = Math.min(this.padding, n - i);
        i += k;
        this.padding -= k;
        continue;
      }
      let block: Buffer;
      if (this.partialFill === 0 && n - i >= BLOCK) {
        block = chunk.subarray(i, i + BLOCK);
        i += BLOCK;
      } else {
        const k = Math.min(BLOCK - this.partialFill, n - i);
        chunk.copy(this.partial, this.partialFill, i, i + k);
        this.partialFill += k;
        i += k;
        if (this.partialFill < BLOCK) continue;
        this.partialFill = 0;
        block = this.partial;
      }
      const headerOffset = this.offset + (i - start) - BLOCK;
      if (!this.header(block, headerOffset)) {
        this.offset += i - start;
        return i - start;
      }
    }
    this.offset += n - start;
    return n - start;
  }

  /** The tar ended: throws if it ended inside an entry or a block. */
  finish(): void {
    if (this.missing !== 0 || this.padding !== 0 || this.partialFill !== 0 || this.long) throw new Error('Unexpected end of data');
  }

  /** One header block; false when the sink asked to stop, or the archive ended. */
  private header(block: Buffer, offset: number): boolean {
    const header = decodeHeader(block);
    if (!header) {
      if (!this.stopAtEnd) return true;
      this.zeroBlocks = isZeros(block) ? this.zeroBlocks + 1 : 0;
      this.ended = this.zeroBlocks === 2;
      return !this.ended;
    }
    this.zeroBlocks = 0;
    switch (header.type) {
      case 'gnu-long-path':
      case 'gnu-long-link-path':
      case 'pax-global-header':
      case 'pax-header':
        if (header.size > MAX_HEADER_SIZE) throw new Error('Header exceeds max size');
        this.long = { header, parts: [] };
        this.missing = header.size;
        this.padding = overflow(header.size);
        if (this.missing === 0) this.finishLong();
        return true;
    }
    this.applyLongHeaders(header);
    if (!(header.size >= 0)) throw new Error('Invalid header');
    const go = this.sink.entry(header, offset) !== false;
    if (header.size === 0 || header.type === 'directory') this.endEntry();
    else {
      this.missing = header.size;
      this.padding = overflow(header.size);
    }
    return go;
  }

  private endEntry(): void {
    this.sink.end();
  }

  private finishLong(): void {
    const { header, parts } = this.long!;
    this.long = undefined;
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    switch (header.type) {
      case 'gnu-long-path':
        this.gnuLongPath = decodeStr(buf, 0, buf.length);
        break;
      case 'gnu-long-link-path':
        this.gnuLongLinkPath = decodeStr(buf, 0, buf.length);
        break;
      case 'pax-global-header':
        this.paxGlobal = decodePax(buf);
        break;
      case 'pax-header':
        this.pax = this.paxGlobal === null ? decodePax(buf) : Object.assign({}, this.paxGlobal, decodePax(buf));
        break;
    }
  }

  private applyLongHeaders(header: TarHeader): void {
    if (this.gnuLongPath) {
      header.name = this.gnuLongPath;
      this.gnuLongPath = null;
    }
    if (this.gnuLongLinkPath) {
      header.linkname = this.gnuLongLinkPath;
      this.gnuLongLinkPath = null;
    }
    if (this.pax) {
      if (this.pax.path) header.name = this.pax.path;
      if (this.pax.linkpath) header.linkname = this.pax.linkpath;
      if (this.pax.size) header.size = parseInt(this.pax.size, 10);
      header.pax = this.pax;
      this.pax = null;
    }
  }
}

function isZeros(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function overflow(size: number): number {
  size &= 511;
  return size && BLOCK - size;
}

// Header decoding, as tar-stream 3.2's headers.js (MIT, Copyright (c) 2014 Mathias Buus).

const ZERO = 0x30;
const MAGIC_OFFSET = 257;
const VERSION_OFFSET = 263;

/** A header block, or null for a block whose checksum field is blank (an end-of-archive block). */
export function decodeHeader(buf: Buffer): TarHeader | null {
  const typeflag = buf[156] === 0 ? 0 : buf[156] - ZERO;
  const c = cksum(buf);
  // The checksum is still its initial value: the header is empty.
  if (c === 8 * 32) return null;
  if (c !== decodeOct(buf, 148, 8)) throw new Error('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
  let name = decodeStr(buf, 0, 100);
  if (isUstar(buf)) {
    if (buf[345]) name = decodeStr(buf, 345, 155) + '/' + name;
  } else if (!isGnu(buf)) {
    throw new Error('Invalid tar header: unknown format.');
  }
  // tar-stream turns a type-0 name with a trailing slash (old tars' directories) into type 5 only after
  // taking the type: such an entry stays a file there, and here.
  return {
    name,
    // tar-stream gives null for a base-256 field that is neither positive nor negative; its readers take that as 0.
    mode: decodeOct(buf, 100, 8) ?? 0,
    uid: decodeOct(buf, 108, 8) ?? 0,
    gid: decodeOct(buf, 116, 8) ?? 0,
    // A size it cannot read is refused ("Invalid header"): tar-stream would wait for the data forever.
    size: decodeOct(buf, 124, 12) ?? NaN,
    type: toType(typeflag),
    linkname: buf[157] === 0 ? null : decodeStr(buf, 157, 100),
    pax: null,
  };
}

function isUstar(buf: Buffer): boolean {
  // "ustar\0"
  return buf[MAGIC_OFFSET] === 0x75 && buf[258] === 0x73 && buf[259] === 0x74 && buf[260] === 0x61 && buf[261] === 0x72 && buf[262] === 0;
}

function isGnu(buf: Buffer): boolean {
  // "ustar " then " \0"
  return buf[MAGIC_OFFSET] === 0x75 && buf[258] === 0x73 && buf[259] === 0x74 && buf[260] === 0x61 && buf[261] === 0x72 && buf[262] === 0x20 && buf[VERSION_OFFSET] === 0x20 && buf[264] === 0;
}

function toType(flag: number): TarType | null {
  switch (flag) {
    case 0:
      return 'file';
    case 1:
      return 'link';
    case 2:
      return 'symlink';
    case 3:
      return 'character-device';
    case 4:
      return 'block-device';
    case 5:
      return 'directory';
    case 6:
      return 'fifo';
    case 7:
      return 'contiguous-file';
    case 72:
      return 'pax-header';
    case 55:
      return 'pax-global-header';
    case 27:
      return 'gnu-long-link-path';
    case 28:
    case 30:
      return 'gnu-long-path';
  }
  return null;
}

function cksum(block: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += block[i];
  for (let j = 156; j < 512; j++) sum += block[j];
  return sum;
}

function indexOf(block: Buffer, num: number, offset: number, end: number): number {
  for (; offset < end; offset++) if (block[offset] === num) return offset;
  return end;
}

function decodeStr(buf: Buffer, offset: number, length: number): string {
  return buf.toString('utf8', offset, indexOf(buf, 0, offset, offset + length));
}

function decodeOct(buf: Buffer, offset: number, length: number): number | null {
  // Prefixed with 0x80 (or 0xff): a base-256 number.
  if (buf[offset] & 0x80) return parse256(buf.subarray(offset, offset + length));
  const stop = offset + length;
  // Older tars prefix with spaces.
  while (offset < stop && buf[offset] === 32) offset++;
  const end = indexOf(buf, 32, offset, stop);
  while (offset < end && buf[offset] === 0) offset++;
  if (end === offset) return 0;
  // What parseInt(…, 8) reads of a field that starts with a digit, the run of octal digits, without a string
  // per field (six per header).
  let n = 0;
  let i = offset;
  for (; i < end && buf[i] >= 0x30 && buf[i] <= 0x37; i++) n = n * 8 + buf[i] - 0x30;
  if (i > offset) return n;
  return parseInt(buf.toString('latin1', offset, end), 8);
}

/** node-tar's base-256 reader, as tar-stream copied it: 0x80 for a positive number, 0xff for two's complement. */
function parse256(buf: Buffer): number | null {
  let positive: boolean;
  if (buf[0] === 0x80) positive = true;
  else if (buf[0] === 0xff) positive = false;
  else return null;
  let sum = 0;
  for (let i = buf.length - 1, k = 0; i > 0; i--, k++) sum += (positive ? buf[i] : 0xff - buf[i]) * Math.pow(256, k);
  return positive ? sum : -1 * sum;
}

function decodePax(buf: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 32) i++;
    const len = parseInt(buf.subarray(0, i).toString('utf8'), 10);
    if (!len) return result;
    const b = buf.subarray(i + 1, len - 1).toString('utf8');
    const keyIndex = b.indexOf('=');
    if (keyIndex === -1) return result;
    result[b.slice(0, keyIndex)] = b.slice(keyIndex + 1);
    buf = buf.subarray(len);
  }
  return result;
}
