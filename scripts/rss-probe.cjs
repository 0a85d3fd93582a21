// Preloaded with `node --require ./scripts/rss-probe.cjs dist/cli.js ...` by
// scripts/bench.mjs: when the process exits (normally or via process.exit),
// writes a JSON document to the file named by CC_RSS_FILE. Does nothing when
// that variable is unset.
//
//   maxRSSKB   peak resident set size (process.resourceUsage().maxRSS)
//   t0Us       when this probe loaded, on the monotonic clock V8's CPU profiles use (µs)
//   export     { responseMs, endMs } when the process exported images from the
//              engine: when the export's response arrived and ended (ms after t0),
//              from node:http's diagnostics or the CLI's export-response/-end marks.
//              The engine sends nothing until it has prepared the whole export.
//   marks      the CLI's phase marks (ms after t0): first-byte (of an export or a
//              rebuilt layer), loaded, analysed, written
//   archives   how many archive requests went to a helper container (the fast path's)
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload, by design
const { writeFileSync } = require('node:fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const diagnostics = require('node:diagnostics_channel');

const file = process.env.CC_RSS_FILE;
if (file) {
  // Children spawned by the measured process must not overwrite our figure.
  delete process.env.CC_RSS_FILE;
  const t0 = performance.now();
  const t0Us = Number(process.hrtime.bigint() / 1000n);
  let exportTimes;
  let archives = 0;
  diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
    const path = String(request?.path);
    if (/^\/containers\/[^/]+\/archive/.test(path)) archives++;
    if (!path.startsWith('/images/get')) return;
    const times = { responseMs: performance.now() - t0 };
    exportTimes = times;
    response.once('end', () => (times.endMs = performance.now() - t0));
  });
  process.on('exit', () => {
    try {
      const marks = {};
      for (const m of performance.getEntriesByType('mark')) {
        if (m.name.startsWith('container-compare:')) marks[m.name.slice('container-compare:'.length)] = m.startTime - t0;
      }
      // The export read off the socket (src/docker/streamGet.ts) is not node:http's: it marks its own times.
      if (!exportTimes && marks['export-response'] !== undefined) exportTimes = { responseMs: marks['export-response'], endMs: marks['export-end'] };
      writeFileSync(file, JSON.stringify({ maxRSSKB: process.resourceUsage().maxRSS, t0Us, export: exportTimes, marks, archives }));
    } catch {
      // A measurement aid must never change the measured program's outcome.
    }
  });
}
