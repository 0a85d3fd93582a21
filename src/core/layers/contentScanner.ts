import * as crypto from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { LineEndings, SecretKind } from '../image/model';
import { SecretScanner } from './secrets';

const LF = 0x0a;
const CR = 0x0d;
/** sha256 of no bytes. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** crypto.hash, a one-shot digest without a Hash object (Node 20.12; on an older Node, a Hash is made as before). */
const hashOnce = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string }).hash;

export interface ContentFacts {
  sha256: string;
  text: boolean;
  lineEndings?: LineEndings;
  lfSha256?: string;
  /** Kinds of secret found in a text file's head (never the values). */
  secrets?: SecretKind[];
}

/**
 * Hashes file content while it streams past and classifies it: text means no
 * NUL byte (git's heuristic, applied to the whole file); for text, the
 * line-ending class and a second hash with CRLF read as LF, so a compare can
 * tell "only the line endings differ" without reading the files again.
 * Native Buffer.indexOf does the scanning so large files stay cheap.
 * Given the file's path, it also looks for secrets in text files (see
 * SecretScanner), and forgets them the moment the file turns out binary.
 */
export class ContentScanner {
  /** Made at the first update, unless the file came whole (see `size`). */
  private hash: Hash | undefined;
  /** The digest of a file that came in one update. */
  private whole: string | undefined;
  /**
   * The hash of the LF form. Most text has no CR at all, and then the LF form
   * is the content itself: this second hash only starts, as a copy of the
   * first, at the first chunk that holds a CR.
   */
  private lfHash: Hash | undefined;
  private text = true;
  private crlf = 0;
  /** Bare LFs: counted once a CR has been seen, before that only whether there is one (finish() asks no more). */
  private lf = 0;
  /** A trailing CR of the previous chunk, not yet fed to lfHash. */
  private pendingCR = false;
  private secrets: SecretScanner | undefined;

  /**
   * `size`, when known, lets a file that comes in one update (most files of
   * a layer: its reader hands on 64 KiB at a time) be digested at once,
   * without a Hash object: one per file, and what collecting them cost, was
   * ~40 ms of the bench's cold compare.
   */
  constructor(
    path?: string,
    private readonly size = -1,
  ) {
    if (path !== undefined) this.secrets = SecretScanner.forPath(path);
  }

  /** A NUL byte was seen: the file is binary, whatever follows. */
  get binary(): boolean {
    return !this.text;
  }

  update(chunk: Buffer): void {
    if (this.text && chunk.indexOf(0) !== -1) {
      this.text = false;
      this.lfHash = undefined;
      this.secrets = undefined;
    }
    this.secrets?.update(chunk);
    if (chunk.length === this.size && hashOnce && !this.hash && this.whole === undefined && (!this.text || chunk.indexOf(CR) === -1)) {
      this.whole = hashOnce('sha256', chunk, 'hex');
      if (this.text && chunk.indexOf(LF) !== -1) this.lf = 1;
      return;
    }
    const hash = (this.hash ??= crypto.createHash('sha256'));
    if (this.text && !this.lfHash && chunk.indexOf(CR) !== -1) this.lfHash = hash.copy();
    hash.update(chunk);
    if (!this.text) return;
    if (!this.lfHash) {
      // Without a CR so far, all finish() needs is whether there is an LF: not one call per line.
      if (this.lf === 0 && chunk.indexOf(LF) !== -1) this.lf = 1;
      return;
    }
    const lfHash = this.lfHash;
    let start = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk.length > 0 && chunk[0] === LF) {
        // The loop below counts this LF as bare; it closes a CRLF split across chunks.
        this.crlf++;
        this.lf--;
      } else lfHash.update(Buffer.of(CR));
    }
    let i = chunk.indexOf(LF);
    while (i !== -1) {
      if (i > 0 && chunk[i - 1] === CR) {
        this.crlf++;
        lfHash.update(chunk.subarray(start, i - 1));
        start = i;
      } else this.lf++;
      i = chunk.indexOf(LF, i + 1);
    }
    if (chunk.length > start && chunk[chunk.length - 1] === CR) {
      lfHash.update(chunk.subarray(start, chunk.length - 1));
      this.pendingCR = true;
    } else lfHash.update(chunk.subarray(start));
  }

  finish(): ContentFacts {
    const sha256 = this.whole ?? this.hash?.digest('hex') ?? EMPTY_SHA256;
    if (!this.text) return { sha256, text: false };
    if (this.pendingCR) this.lfHash!.update(Buffer.of(CR));
    const lineEndings: LineEndings =
      this.crlf === 0 && this.lf === 0 ? 'none' : this.crlf === 0 ? 'lf' : this.lf === 0 ? 'crlf' : 'mixed';
    const facts: ContentFacts = { sha256, text: true, lineEndings };
    if (this.crlf > 0) facts.lfSha256 = this.lfHash!.digest('hex');
    const secrets = this.secrets?.finish();
    if (secrets) facts.secrets = secrets;
    return facts;
  }
}
