import type { Readable } from 'node:stream';

/**
 * Buffers of one size handed out in order and taken back once their reader
 * says it has consumed them, so that a gigabyte read through 1 MiB chunks
 * allocates a dozen chunks instead of a thousand. Fresh chunks cost more
 * than their copy: each is memory the collector must account for, and the
 * export's thousand of them started one full collection every 20 MB, whose
 * marking took the core the engine needed to send the rest (`npm run bench`:
 * a second of CPU on the bench pair).
 *
 * The contract that makes reuse safe: a reader calls `consumed(view)` only
 * when every byte of the stream up to the end of `view` has been read by
 * everyone who will ever read it, and nobody keeps a reference into that
 * memory (whoever keeps bytes keeps a copy). Chunks are handed out in stream
 * order, so that also frees every chunk handed out before the one `view`
 * lies in. A view of memory that is not one of ours (a copy, a decompressed
 * chunk) is ignored; a chunk nobody reports stays with the collector as
 * before. Without a reader that reports, this is a plain allocator.
 */
export class ChunkPool {
  /** Chunks handed out and not yet given back, oldest first. */
  private readonly out: Buffer[] = [];
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    /** Chunks kept for reuse at most: what is in flight between the reader and the source. */
    private readonly keep = 16,
  ) {}

  take(): Buffer {
    // Slow: a memory of its own, never a slice of Node's shared pool, whose other slices are not ours.
    const b = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.out.push(b);
    // A reader that reports only some chunks (a compressed layer reports none) must not make this list grow with the stream.
    if (this.out.length > 4 * this.keep) this.out.shift();
    return b;
  }

  /** Every byte of the stream up to the end of `view` has been consumed (see the class comment). */
  consumed(view: Uint8Array): void {
    const i = this.out.findIndex((b) => b.buffer === view.buffer);
    if (i === -1) return;
    const chunk = this.out[i];
    const whole = view.byteOffset + view.byteLength === chunk.byteOffset + chunk.byteLength;
    for (const b of this.out.splice(0, whole ? i + 1 : i)) this.reuse(b);
  }

  /** How many chunks wait for reuse (tests). */
  get spare(): number {
    return this.free.length;
  }

  protected reuse(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }

  /** The pool whose chunks `stream` carries, if its source says so. */
  static of(stream: Readable): ChunkPool | undefined {
    return pools.get(stream);
  }

  /** Says that `stream` carries chunks of this pool, for its reader to find (of()). */
  serve(stream: Readable): void {
    pools.set(stream, this);
  }
}

const pools = new WeakMap<Readable, ChunkPool>();
