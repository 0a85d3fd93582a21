/**
 * Unrelated local repositories, as a developer's machine has dozens: the VS
 * Code suites tag the busybox fixture base under NOISE_COUNT names of their
 * own before they start, so that the rows they use are not all on screen
 * and must be reached as a user reaches them (find, reveal, scroll). The
 * names sort before every fixture's, carry this process's id (two runs on
 * one engine never share one), and only the tags made here are removed.
 */
import { execFileSync } from 'node:child_process';

export const NOISE_COUNT = 30;
const BASE = 'container-compare/busybox:latest';

export interface Noise {
  tags: string[];
  remove(): void;
}

export function addNoise(count = NOISE_COUNT): Noise {
  try {
    execFileSync('docker', ['image', 'inspect', BASE], { stdio: 'pipe' });
  } catch {
    throw new Error(`${BASE} is missing: run scripts/build-fixtures.sh first (the noise repositories are tags of it).`);
  }
  const made: string[] = [];
  const remove = (): void => {
    for (const tag of made.splice(0)) {
      try {
        execFileSync('docker', ['rmi', tag], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    }
  };
  try {
    for (let i = 1; i <= count; i++) {
      const tag = `aa-noise-${process.pid}-${String(i).padStart(2, '0')}/repo:latest`;
      execFileSync('docker', ['tag', BASE, tag], { stdio: 'pipe' });
      made.push(tag);
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { tags: [...made], remove };
}
