import { posix } from 'node:path';
import { SECRET_KINDS, type SecretKind } from '../image/model';


/** Only the first bytes of a file are searched for markers: secrets sit in small files or file heads. */
export const SECRET_SCAN_LIMIT = 2 ** 20;
/** Credential files (.env, .npmrc, ...) are read whole up to this size and parsed line by line. */
const CREDENTIAL_FILE_LIMIT = 64 * 1024;
/**
 * Longest match a marker rule needs (github_pat_ + 82 is the longest, 93).
 * Matches are found whole inside one chunk or inside the seam: the last
 * WINDOW bytes seen before a chunk plus the first WINDOW bytes of it.
 */
const WINDOW = 128;

const isUpperOrDigit = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
const isAlnum = (c: number) => isUpperOrDigit(c) || (c >= 0x61 && c <= 0x7a);
const isBase64 = (c: number) => isAlnum(c) || c === 0x2b || c === 0x2f || c === 0x3d;

/** `n` bytes from `at` all satisfying `ok`; false when the buffer ends first (the seam will see it whole). */
function run(b: Buffer, at: number, n: number, ok: (c: number) => boolean): boolean {
  if (at + n > b.length) return false;
  for (let i = at; i < at + n; i++) if (!ok(b[i])) return false;
  return true;
}

function startsWith(b: Buffer, at: number, s: string): boolean {
  if (at < 0 || at + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

const KEY_TYPES = ['', 'RSA ', 'EC ', 'DSA ', 'OPENSSH ', 'ENCRYPTED ', 'PGP '];

/** "BEGIN " found at `at`: a PEM/PGP private key header followed by key material, not a mention of one. */
function privateKey(b: Buffer, at: number): boolean {
  if (!startsWith(b, at - 5, '-----')) return false;
  let p = at + 6;
  const type = KEY_TYPES.find((t) => startsWith(b, p, `${t}PRIVATE KEY`));
  if (type === undefined) return false;
  p += type.length + 'PRIVATE KEY'.length;
  if (type === 'PGP ' && startsWith(b, p, ' BLOCK')) p += 6;
  if (!startsWith(b, p, '-----')) return false;
  p += 5;
  // A newline, also as the two characters \n inside JSON (cloud service-account keys).
  if (b[p] === 0x0d) p++;
  if (b[p] === 0x0a) p++;
  else if (b[p] === 0x5c && b[p + 1] === 0x6e) p += 2;
  else return false;
  // PGP armour starts with headers or a blank line; PEM with base64 or legacy "Proc-Type:" headers.
  if (type === 'PGP ') return p < b.length;
  return startsWith(b, p, 'Proc-Type:') || run(b, p, 16, isBase64);
}

/** "KIA" at `at` (one byte into "AKIA"): an AWS access key id, not AWS's documentation example. */
function awsAccessKey(b: Buffer, k: number): boolean {
  const at = k - 1;
  if (at < 0 || b[at] !== 0x41) return false;
  if (at > 0 && isUpperOrDigit(b[at - 1])) return false;
  if (!run(b, at + 4, 16, isUpperOrDigit)) return false;
  if (at + 20 < b.length && isUpperOrDigit(b[at + 20])) return false;
  return !startsWith(b, at + 13, 'EXAMPLE');
}

/** "gh" at `at`: ghp_/gho_/ghu_/ghs_/ghr_ followed by 36 base62 characters. */
function githubClassic(b: Buffer, at: number): boolean {
  const k = b[at + 2];
  if (k !== 0x70 && k !== 0x6f && k !== 0x75 && k !== 0x73 && k !== 0x72) return false;
  if (b[at + 3] !== 0x5f) return false;
  if (at > 0 && isAlnum(b[at - 1])) return false;
  return run(b, at + 4, 36, isAlnum);
}

/** "gith" at `at`: github_pat_ followed by 22 base62, "_", 59 base62. */
function githubFineGrained(b: Buffer, at: number): boolean {
  return startsWith(b, at, 'github_pat_') && run(b, at + 11, 22, isAlnum) && b[at + 33] === 0x5f && run(b, at + 34, 59, isAlnum);
}

/** "xox" at `at`: a Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, then digits and dashes). */
function slackToken(b: Buffer, at: number): boolean {
  const k = b[at + 3];
  if (k !== 0x62 && k !== 0x70 && k !== 0x61 && k !== 0x72 && k !== 0x73) return false;
  return b[at + 4] === 0x2d && run(b, at + 5, 10, (c) => isAlnum(c) || c === 0x2d);
}

interface MarkerRule {
  bit: number;
  marker: Buffer;
  check: (b: Buffer, at: number) => boolean;
}

const bit = (k: SecretKind) => 1 << SECRET_KINDS.indexOf(k);
const rule = (kind: SecretKind, marker: string, check: MarkerRule['check']): MarkerRule => ({ bit: bit(kind), marker: Buffer.from(marker, 'latin1'), check });

/**
 * Each marker costs one Buffer.indexOf pass over the text, and how fast a
 * pass runs depends on the needle (measured on C and Python sources): short
 * needles led by a rare byte are several times faster than the full prefixes,
 * so "KIA" stands for "AKIA", "gith" for "github_pat_", "gh" for the five
 * classic GitHub prefixes at once, "BEGIN " for "-----BEGIN". npm's npm_
 * tokens (a slow needle) are looked for in npm config files only.
 */
const MARKER_RULES: MarkerRule[] = [
  rule('privateKey', 'BEGIN ', privateKey),
  rule('awsAccessKey', 'KIA', awsAccessKey),
  rule('githubToken', 'gh', githubClassic),
  rule('githubToken', 'gith', githubFineGrained),
  rule('slackToken', 'xox', slackToken),
];

function scanMarkers(b: Buffer, found: number): number {
  for (const r of MARKER_RULES) {
    if (found & r.bit) continue;
    for (let i = b.indexOf(r.marker); i !== -1; i = b.indexOf(r.marker, i + 1)) {
      if (r.check(b, i)) {
        found |= r.bit;
        break;
      }
    }
  }
  return found;
}

/** Which credential-file grammar applies to a path, if any. */
type CredentialFile = 'env' | 'npmrc' | 'pypirc' | 'netrc' | 'gitCredentials' | 'dockerConfig' | 'awsCredentials';

export function credentialFileOf(path: string): CredentialFile | undefined {
  const base = posix.basename(path);
  const parent = posix.basename(posix.dirname(path));
  if (base === '.env' || base.startsWith('.env.')) return 'env';
  if (base === '.npmrc' || base === 'npmrc' || base === '.yarnrc' || base === '.yarnrc.yml') return 'npmrc';
  if (base === '.pypirc') return 'pypirc';
  if (base === '.netrc' || base === '_netrc') return 'netrc';
  if (base === '.git-credentials') return 'gitCredentials';
  if (base === 'config.json' && parent === '.docker') return 'dockerConfig';
  if (base === 'credentials' && parent === '.aws') return 'awsCredentials';
  return undefined;
}

/** Private key files by name: always searched, wherever they are. */
export function isKeyFileName(base: string): boolean {
  return base.endsWith('.pem') || base.endsWith('.key') || (base.startsWith('id_') && /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base));
}

/**
 * Content is not searched in trees that package managers own — the same
 * system folders trivy's secret scanner leaves out by default — nor in
 * node_modules: secrets there are library test fixtures, and these trees
 * are most of an image's text. Their file names are still checked
 * (findLeftovers), and key and credential files are searched wherever they are.
 */
const SKIPPED_TREES = /^\/usr\/(?:share|include|lib|lib64|libexec|src)\/|^\/usr\/local\/go\/|^\/usr\/local\/lib\/python[\d.]+\/|^\/var\/lib\/dpkg\/|\/node_modules\/|\/locales?\//;

/** A value that is a reference to the environment, not a secret: ${NPM_TOKEN}, $TOKEN, %TOKEN%. */
const isReference = (v: string) => /^["']?(\$\{?[A-Za-z_][\w]*\}?|%[A-Za-z_]\w*%)["']?$/.test(v);
const isLiteral = (v: string) => {
  const t = v.trim();
  return t !== '' && t !== '""' && t !== "''" && !isReference(t);
};

/** KEY=value (dotenv, ini, npmrc: the key may hold ':' as in //registry/:_authToken), else KEY: value (yaml, ini). */
const ASSIGNMENT = /^\s*(?:export\s+)?([^\s=#;][^=]*?)\s*=\s*(.*)$|^\s*([\w.-]+)\s*:\s*(.*)$/;
const SECRET_NAME = /(pass(word|wd)?|pwd|secret|token|api[_-]?key|auth)/i;

/** The secrets a credential file's text holds, by its grammar; values are looked at, never kept. */
export function credentialSecrets(file: CredentialFile, text: string): SecretKind[] {
  const out = new Set<SecretKind>();
  if (file === 'dockerConfig') {
    if (/"(auth|identitytoken|registrytoken)"\s*:\s*"[^"\s]+"/.test(text)) out.add('dockerAuth');
    return [...out];
  }
  if (file === 'gitCredentials') {
    if (/[a-z][\w+.-]*:\/\/[^:/\s@]+:[^@\s]+@/i.test(text)) out.add('password');
    return [...out];
  }
  if (file === 'netrc') {
    for (const m of text.matchAll(/(?:^|\s)password\s+(\S+)/g)) if (isLiteral(m[1])) out.add('password');
    return [...out];
  }
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(line)) continue;
    const m = ASSIGNMENT.exec(line);
    if (!m) continue;
    const key = m[1] ?? m[3];
    const value = m[1] !== undefined ? m[2] : m[4];
    if (!isLiteral(value)) continue;
    if (/aws_secret_access_key/i.test(key)) out.add('awsSecretKey');
    else if (file === 'npmrc' && (/_authToken$|npmAuthToken$/.test(key) || /(^|[^\w])npm_[A-Za-z0-9]{36}\b/.test(value))) out.add('npmToken');
    else if (SECRET_NAME.test(key)) out.add('password');
  }
  return [...out];
}

/**
 * Searches one file's content for secrets while it streams past, chunk by
 * chunk, for the indexer. Markers split across chunks are found through a
 * small seam buffer; nothing of the content outlives finish() but the kinds.
 */
export class SecretScanner {
  private found = 0;
  private scanned = 0;
  /**
   * A copy of the last WINDOW bytes of the content seen so far, for the seam
   * with the next chunk. A copy, not a view into the chunk: a chunk's memory
   * may be reused once it has been read (ChunkPool).
   */
  private tail: Buffer | undefined;
  private credential: Buffer[] | undefined;
  private credentialBytes = 0;

  private constructor(private readonly file: CredentialFile | undefined) {
    if (file) this.credential = [];
  }

  /** A scanner for the file at `path`, or undefined when nothing about it is searched. */
  static forPath(path: string): SecretScanner | undefined {
    // Called for every file of every layer: cheap string tests first.
    const base = path.slice(path.lastIndexOf('/') + 1);
    const file = base[0] === '.' || base === 'npmrc' || base === '_netrc' || base === 'config.json' || base === 'credentials' ? credentialFileOf(path) : undefined;
    return file !== undefined || !SKIPPED_TREES.test(path) || isKeyFileName(base) ? new SecretScanner(file) : undefined;
  }

  update(chunk: Buffer): void {
    if (this.credential && this.credentialBytes < CREDENTIAL_FILE_LIMIT) {
      const part = chunk.subarray(0, CREDENTIAL_FILE_LIMIT - this.credentialBytes);
      this.credential.push(Buffer.from(part));
      this.credentialBytes += part.length;
    }
    if (this.scanned >= SECRET_SCAN_LIMIT) return;
    const b = chunk.length > SECRET_SCAN_LIMIT - this.scanned ? chunk.subarray(0, SECRET_SCAN_LIMIT - this.scanned) : chunk;
    this.scanned += b.length;
    const tail = this.tail;
    if (tail) this.found = scanMarkers(Buffer.concat([tail, b.subarray(0, WINDOW)]), this.found);
    this.found = scanMarkers(b, this.found);
    const joined = b.length >= WINDOW || !tail ? b : Buffer.concat([tail, b]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - WINDOW)));
  }

  /** The kinds found, sorted; undefined for none. */
  finish(): SecretKind[] | undefined {
    let found = this.found;
    if (this.file && this.credential) {
      for (const k of credentialSecrets(this.file, Buffer.concat(this.credential).toString('utf8'))) found |= bit(k);
    }
    this.credential = undefined;
    this.tail = undefined;
    if (!found) return undefined;
    return SECRET_KINDS.filter((k) => found & bit(k));
  }
}
