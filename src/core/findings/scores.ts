/**
 * The ranking bands of the findings.
 *
 * Every finding gets a score and the list is sorted by score, then
 * severity, then side (A first), then the order found (rank.ts). The
 * scores order kinds of explanation, from "a cause with its effect seen"
 * down to "this differs":
 *
 * | score | finding | why there |
 * |---:|---|---|
 * | 100 | crlfScript | a cause and its effect: a script with CRLF line endings that a later RUN executes, and that RUN (same Dockerfile line on both sides) produced a different layer |
 * |  95 | config: Platform | another OS or CPU: every other difference follows from it |
 * |  92 | startFailed (run) | the image does not start at all: what a user hits first |
 * |  90 | exited (run) | the container stopped while the other kept running |
 * |  88 | entrypoint | the start command cannot run on one side (CRLF shebang, execute bit lost, file missing): predicts the two above, which rank first when a run saw them |
 * |  85 | servedAsSource (run) | a visible, dangerous symptom (source code sent to clients) |
 * |  82 | secret, new in B | a leak the new build introduced: a regression (secrets: +1 for a key or cloud credential, +1 when a later layer hides it but its bytes still ship) |
 * |  78 | secret in both | still a leak, not new |
 * |  76 | sameStepDifferentResult | the same Dockerfile line did different work (files, modules, packages missing): a cause one level down |
 * |  75 | moduleOnlyOne (run) | a symptom: a module loaded on one side only |
 * |  72 | base | the FROM image moved: explains most of what differs after it (same-step findings above it then drop to 50) |
 * |  70 | package: security-relevant downgrade | fixes lost in TLS, libc, ssh... |
 * |  68 | mode: execute bit lost on a script or program, setuid/setgid gained | breaks running it directly, or widens privileges |
 * |  66 | httpStatus (run) | a symptom |
 * |  64 | config: User, Entrypoint, Cmd | changes how the container starts and what it may touch |
 * |  62 | package downgrades (others) | older than the reference |
 * |  60 | secret in A only | fixed in B, but A still leaks it |
 * |  58 / 56 | package: security-relevant upgrade or removal / addition | expected drift, but it matters |
 * |  55 | lineEndings | text equal except CRLF: breaks scripts and some config parsers |
 * |  54 | symlink | what the link resolves to changed |
 * |  52 | mode: world-writable gained | anyone in the container can change it |
 * |  50 | owner | another user may no longer read or write it |
 * |  48 | type | a file became a directory, a link... |
 * |  46 / 44 | health / restarts (run) | symptoms |
 * |  45 | instruction | the Dockerfile line itself differs: the difference is intended |
 * |  42 | packages: upgrades, additions, removals (grouped) | drift |
 * |  40 | layerOnlyOne; config: WorkingDir, ExposedPorts, Env, Volumes... | intended or minor |
 * |  38 | leftover new in B (no secret) | should not ship, no credential seen |
 * |  35 | builder | BuildKit vs classic: can explain small differences |
 * |  30 | mode: other (0755 vs 0644) | usually harmless: a Windows build context |
 * |  28 | probeDiffers, httpHeader (run) | details |
 * |  25 | content, files | what differs without a better explanation (10 when only logs and caches) |
 * |  20 | httpBody (run); sameStepDifferentResult in logs and caches only | noise-like |
 * |  18 | config: Labels | metadata |
 * |  15 | leftovers kept or gone; library fixtures | known, not new |
 * |  10 | logOnlyOne, logChanged (run) | details behind the symptoms above |
 *
 * Run findings that are facts of both sides (both exited the same way) lose
 * 30. A run finding whose side matches a static cause gets that cause in its
 * detail and evidence ("B exited ... The likely cause: entrypoint.sh has CRLF
 * line endings in B").
 */
import type { RunFinding } from '../run/runModel';

export const SCORES = {
  stepDidNothing: 94,
  unreadable: 86,
  unreadableSoft: 60,
  contextFile: 70,
  contextFileInfo: 40,
  crlfScript: 100,
  platform: 95,
  entrypoint: 88,
  secretNew: 82,
  secretKept: 78,
  sameStep: 76,
  sameStepAfterBase: 50,
  sameStepNoise: 20,
  base: 72,
  securityDowngrade: 70,
  execLost: 68,
  setuid: 68,
  configStart: 64,
  downgrade: 62,
  secretGone: 60,
  securityChange: 58,
  securityAdded: 56,
  lineEndings: 55,
  lineEndingsText: 28,
  symlink: 54,
  worldWritable: 52,
  owner: 50,
  type: 48,
  instruction: 45,
  packages: 42,
  layerOnlyOne: 40,
  config: 40,
  leftoverNew: 38,
  builder: 35,
  modeOther: 30,
  content: 25,
  labels: 18,
  leftoverKnown: 15,
  thirdParty: 15,
  noise: 10,
} as const;

export const RUN_SCORES: Record<RunFinding['kind'], number> = {
  startFailed: 92,
  exited: 90,
  servedAsSource: 85,
  moduleOnlyOne: 75,
  httpStatus: 66,
  port: 66,
  health: 46,
  restarts: 44,
  probeDiffers: 28,
  httpHeader: 28,
  httpBody: 20,
  logOnlyOne: 10,
  logChanged: 10,
};
/** Run kinds that are details by nature: an 'info' severity says nothing more about them. */
export const RUN_DETAIL_KINDS = new Set<RunFinding['kind']>(['probeDiffers', 'httpHeader', 'httpBody', 'logOnlyOne', 'logChanged']);
