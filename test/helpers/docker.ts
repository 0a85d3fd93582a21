import { execFileSync } from 'node:child_process';

/** Fails loudly (never skips) when the real engine the integration tests need is not there. */
export function requireEngine(): void {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`No Docker engine answers (${(e as Error).message.split('\n')[0]}). Run scripts/setup-host.sh (installs docker.io and starts dockerd) first.`);
  }
}

/** Fails loudly when a fixture image is missing. */
export function requireImages(...refs: string[]): void {
  requireEngine();
  for (const ref of refs) {
    try {
      execFileSync('docker', ['image', 'inspect', ref], { stdio: 'pipe' });
    } catch {
      throw new Error(`Fixture image ${ref} is missing. Run scripts/build-fixtures.sh first.`);
    }
  }
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}
