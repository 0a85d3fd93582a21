/**
 * The start-up check of the installed CLI (bin.ts). It is bundled into a tiny
 * entry built for old Node, so it must stay plain: no imports, nothing newer
 * than the oldest Node a user might still have on the PATH.
 */

/** Whether `version` ("20.3.0", "v22.1.0", "23.0.0-pre") is at least `min` ("20.3.0"). */
export function isAtLeast(version: string, min: string): boolean {
  const parse = (v: string) => v.replace(/^v/, '').split(/[.+-]/).slice(0, 3).map((p) => parseInt(p, 10) || 0);
  const have = parse(version);
  const want = parse(min);
  for (let i = 0; i < 3; i++) {
    if ((have[i] || 0) !== want[i]) return (have[i] || 0) > want[i];
  }
  return true;
}

/** The one line printed instead of running on a Node older than `min`; undefined when this one will do. */
export function nodeTooOld(version: string, min: string, execPath: string): string | undefined {
  if (isAtLeast(version, min)) return undefined;
  return `container-compare: Node.js ${min} or newer is needed, and ${execPath} is Node.js ${version.replace(/^v/, '')}: install a current Node.js LTS (https://nodejs.org) and run it again.`;
}
