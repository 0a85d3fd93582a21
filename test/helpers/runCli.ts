import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main';

/** Runs the CLI in-process, capturing what it prints. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c) => o.push(c));
  err.on('data', (c) => e.push(c));
  const code = await run(args, { stdout: out, stderr: err, env });
  return { code, stdout: Buffer.concat(o).toString(), stderr: Buffer.concat(e).toString() };
}
