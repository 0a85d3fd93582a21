import { Readable } from 'node:stream';
import type { LayerFiles } from '../image/daemon';
import { lazy } from '../util/lazy';
import { CompareError, messageOf, throwIfAborted } from '../util/errors';
import { inertName } from '../util/inert';

/**
 * One line of a tar-split record (vbatts/tar-split `storage.Entry`), the
 * file the engine keeps beside each layer so that `docker save` can give
 * back the exact tar the layer was made from: segments are raw tar bytes
 * (headers, padding, the end blocks), files are named and their bytes come
 * from the layer's directory.
 */
interface Entry {
  type: 1 | 2;
  name?: string;
  /** The name as bytes, when it is not valid UTF-8 (base64). */
  name_raw?: string;
  size?: number;
  /** A segment's bytes, or a file's CRC-64 (base64). */
  payload?: string | null;
}

const FILE = 1;
const SEGMENT = 2;
/** Small pieces (512-byte headers, small files) are handed on in chunks of about this size. */
const CHUNK = 256 * 1024;

/** The entries of a gzip'd tar-split record, one JSON line at a time (a record of a big layer is tens of MB unpacked). */
async function* entries(record: Readable, where: string): AsyncGenerator<Entry> {
  let rest = '';
  let line = 0;
  const parse = (text: string): Entry => {
    line++;
    try {
      return JSON.parse(text) as Entry;
    } catch (e) {
      throw new CompareError('badArchive', `${where}: line ${line} of the layer's tar-split record is not JSON (${messageOf(e)})`);
    }
  };
  const gunzip = record.pipe(lazy.zlib().createGunzip());
  record.once('error', (e) => gunzip.destroy(e));
  for await (const chunk of gunzip) {
    const text = rest + (chunk as Buffer).toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) yield parse(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) yield parse(rest);
}

/** A file entry's name. A name that is not UTF-8 (kept as raw bytes) is not read this way: the export reads it. */
function nameOf(e: Entry, where: string): string {
  if (e.name_raw) throw new CompareError('unsupported', `${where}: a file name that is not UTF-8 (${inertName(Buffer.from(e.name_raw, 'base64').toString('latin1'))})`);
  return e.name ?? '';
}

/**
 * Rebuilds a layer tar byte for byte from its tar-split record and its
 * files, as the engine does for `docker save` (moby's layer store
 * `assembleTarTo`): segments are copied, each file's bytes are read from the
 * layer by name. The caller checks the result's sha256 against the diffID;
 * a file whose size changed since the record was made fails here already.
 * Up to `files.lookahead` files are opened ahead, so small files are not
 * read one round trip at a time.
 */
export function reassembleLayer(record: Readable, files: LayerFiles, opts: { where: string; signal?: AbortSignal; onBytes?: (n: number) => void }): Readable {
  const { where, signal, onBytes } = opts;
  async function* tar(): AsyncGenerator<Buffer> {
    const source = entries(record, where)[Symbol.asyncIterator]();
    // Entries read but not yet written, and the files among them already opened.
    const ahead: Entry[] = [];
    const opened = new Map<Entry, Promise<Buffer | Readable>>();
    let done = false;
    const open = (e: Entry): Promise<Buffer | Readable> => {
      let p = opened.get(e);
      if (!p) {
        p = (async () => files.open(nameOf(e, where), e.size!))();
        // Opened ahead and never reached (an error ended the layer first): not an unhandled rejection.
        p.catch(() => undefined);
        opened.set(e, p);
      }
      return p;
    };
    const fill = async (): Promise<void> => {
      let want = files.lookahead;
      for (const e of ahead) if (e.type === FILE && e.size) want--;
      while (!done && (ahead.length === 0 || want > 0)) {
        const n = await source.next();
        if (n.done) {
          done = true;
          break;
        }
        ahead.push(n.value);
        if (n.value.type === FILE && n.value.size) {
          want--;
          if (files.lookahead > 0) open(n.value);
        }
      }
    };
    let pending: Buffer[] = [];
    let have = 0;
    const flush = (): Buffer | undefined => {
      if (!have) return undefined;
      const out = pending.length === 1 ? pending[0] : Buffer.concat(pending, have);
      pending = [];
      have = 0;
      return out;
    };
    try {
      for (;;) {
        await fill();
        const e = ahead.shift();
        if (!e) break;
        throwIfAborted(signal);
        if (e.type === SEGMENT) {
          if (e.payload) {
            const b = Buffer.from(e.payload, 'base64');
            pending.push(b);
            have += b.length;
          }
        } else if (e.type === FILE) {
          const size = e.size ?? 0;
          if (size === 0) continue;
          if (!Number.isSafeInteger(size) || size < 0) throw new CompareError('badArchive', `${where}: the tar-split record gives "${inertName(nameOf(e, where))}" a size of ${size}`);
          const content = await open(e);
          opened.delete(e);
          let got = 0;
          if (Buffer.isBuffer(content)) {
            got = content.length;
            if (got === size) {
              pending.push(content);
              have += got;
            }
          } else {
            const stream = content;
            try {
              for await (const c of stream) {
                const chunk = c as Buffer;
                got += chunk.length;
                if (got > size) break;
                if (chunk.length >= CHUNK / 4) {
                  const head = flush();
                  if (head) yield head;
                  yield chunk;
                } else {
                  pending.push(chunk);
                  have += chunk.length;
                  if (have >= CHUNK) yield flush()!;
                }
              }
            } finally {
              stream.destroy();
            }
          }
          if (got !== size) {
            const what = got > size ? `is larger than the ${size} bytes` : `is ${got} bytes, not the ${size}`;
            throw new CompareError('badArchive', `${where}: "${inertName(nameOf(e, where))}" ${what} the layer's tar-split record says (changed since it was stored?)`);
          }
        } else {
          throw new CompareError('badArchive', `${where}: the tar-split record has an entry of unknown type ${String((e as { type: unknown }).type)}`);
        }
        if (have >= CHUNK) yield flush()!;
      }
      const last = flush();
      if (last) yield last;
    } finally {
      for (const p of opened.values()) p.then((c) => Buffer.isBuffer(c) || c.destroy(), () => undefined);
      await source.return?.(undefined);
      record.destroy();
    }
  }
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of tar()) {
      onBytes!(chunk.length);
      yield chunk;
    }
  }
  return Readable.from(onBytes ? counted() : tar(), { objectMode: false, highWaterMark: CHUNK });
}
