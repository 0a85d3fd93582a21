// Rewrites the list of finding codes in README.md from the codes in src/ (see scripts/findingsDoc.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { withFindingCodes } from './findingsDoc.ts';

const file = new URL('../README.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withFindingCodes(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? 'README.md: finding codes up to date' : 'README.md: finding codes rewritten');
