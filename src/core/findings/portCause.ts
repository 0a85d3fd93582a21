/**
 * The file behind a port finding (CC606): a container listens elsewhere
 * than the published port because something in its image tells it to, and
 * the evidence for "this file is that something" is the file itself: it
 * differs between the images, and the misbehaving side's copy names what
 * that side listens on (its port, or a loopback address) where the other
 * side's copy does not. Anything weaker (a config file that merely
 * differs) is not evidence, and the finding stays "cause not found".
 *
 * The analysis reads the texts (small text files that differ) only when a
 * run has such a finding: wantsFileTexts() says so, portStories() what to
 * look for, portEvidence() which files and lines show it.
 */
import { onPort, portsOf } from '../run/listening';
import type { RunReport, SideRun } from '../run/runModel';
import { otherSide, type Side } from '../util/side';

/** A file that differs between the images, as text, on the sides that have it. */
export interface FileText {
  path: string;
  a?: string;
  b?: string;
}

/** What a port finding's side listens on instead of the published port. */
export interface PortStory {
  side: Side;
  /** The published container port. */
  published: number;
  /** The ports it listens on instead (none when it is bound to loopback on the published one). */
  ports: number[];
  /** It listens on the published port, on loopback only. */
  loopback: boolean;
}

/** The port findings of a run that a file could explain: one side listening on other ports, or on loopback only. */
export function portStories(run: RunReport | undefined): PortStory[] {
  const findings = run?.findings.filter((f) => f.kind === 'port' && f.side) ?? [];
  if (!run || !findings.length) return [];
  const published = run.a?.published?.containerPort ?? run.b?.published?.containerPort;
  if (!published?.endsWith('/tcp')) return [];
  const port = parseInt(published, 10);
  const out: PortStory[] = [];
  for (const f of findings) {
    if (!f.side) continue;
    const sockets = socketsOf(run[f.side]);
    if (!sockets?.length) continue;
    const here = onPort(sockets, port);
    if (here.length) out.push({ side: f.side, published: port, ports: [], loopback: true });
    else out.push({ side: f.side, published: port, ports: portsOf(sockets), loopback: false });
  }
  return out;
}

const socketsOf = (s: SideRun | undefined) => (s?.listening && !s.listening.error ? s.listening.sockets : undefined);

/** Whether the analysis should read the texts of the files that differ (only a run with a port finding needs them). */
export function wantsFileTexts(run: RunReport | undefined): boolean {
  return portStories(run).length > 0;
}

/** A port number as a token of its own: "port=8081", ":8081", "8081/tcp"; not "1.8081" nor "80810". */
const portToken = (port: number): RegExp => new RegExp(`(?<![\\w.])${port}(?![\\w.])`);
const LOOPBACK = /(?<![\w.])(?:127\.0\.0\.1|localhost|::1)(?![\w.])/i;

/** What one file shows: its line on the side that misbehaves, and the same line in the other image (absent: the file is only on that side). */
export interface PortEvidence {
  path: string;
  /** What it names: "8081", "a loopback address". */
  names: string;
  line: string;
  /** The same line in the other image's copy, when it differs. */
  otherLine?: string;
  /** Whether the other image has the file at all. */
  inOther: boolean;
}

/**
 * The files whose copy on the story's side names what that side listens on
 * (one of its ports; for loopback, 127.0.0.1, localhost or ::1) while the
 * other side's copy does not, or the other side has no such file.
 */
export function portEvidence(story: PortStory, texts: readonly FileText[]): PortEvidence[] {
  const other = otherSide(story.side);
  const out: PortEvidence[] = [];
  for (const t of texts) {
    const mine = t[story.side];
    const theirs = t[other];
    if (mine === undefined || mine === theirs) continue;
    const patterns: Array<[string, RegExp]> = story.loopback ? [['a loopback address', LOOPBACK]] : story.ports.map((p) => [String(p), portToken(p)]);
    for (const [names, re] of patterns) {
      if (!re.test(mine) || (theirs !== undefined && re.test(theirs))) continue;
      const lines = mine.split('\n');
      const i = lines.findIndex((l) => re.test(l));
      const otherLines = theirs?.split('\n');
      const otherLine = otherLines && i < otherLines.length && otherLines[i] !== lines[i] ? otherLines[i] : undefined;
      out.push({ path: t.path, names, line: lines[i].trim(), ...(otherLine !== undefined ? { otherLine: otherLine.trim() } : {}), inOther: theirs !== undefined });
      break;
    }
  }
  return out;
}
