import { setFlagsFromString } from 'node:v8';

let small = false;

/**
 * While a layer is read, most of what is allocated lives on (index entries)
 * and V8 answers by growing the young generation up to 16 MB per semi-space,
 * which stays resident. Kept at its first size, a cold compare of the bench
 * pair peaked 20-40 MB lower and was no slower (`npm run bench`). A warm one
 * reads no layer and keeps V8's default: there, the larger space saves
 * scavenges (about 30 ms of 300). V8 reads this flag when the space grows,
 * so it works after start-up. The CLI is a process of its own; the
 * extension host is not, and does not call this.
 */
export function keepYoungGenerationSmall(): void {
  if (small) return;
  small = true;
  setFlagsFromString('--semi-space-growth-factor=1');
}
