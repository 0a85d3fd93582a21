/**
 * Required into a CLI child process (hostile.ts runCliChild): on exit, writes
 * the process's peak resident memory (KiB) to $CC_PEAK_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.CC_PEAK_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
