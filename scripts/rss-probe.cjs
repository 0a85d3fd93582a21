// Preloaded with `node --require ./scripts/rss-probe.cjs dist/cli.js ...` by
// scripts/bench.mjs: when the process exits (normally or via process.exit),
// writes its peak resident set size in KB (process.resourceUsage().maxRSS)
// to the file named by CC_RSS_FILE, on the first line. Does nothing when that
// variable is unset.
//
// A second line, when the process exported images from the engine, says when
// (ms since this probe loaded) the export's response arrived and ended:
// `export <responseMs> <endMs>`. The engine sends nothing until it has
// prepared the whole export, so this splits the engine's share of a cold run
// from ours.
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
  let exportTimes;
  diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
    if (!String(request?.path).startsWith('/images/get')) return;
    const times = { response: performance.now() - t0 };
    exportTimes = times;
    response.once('end', () => (times.end = performance.now() - t0));
  });
  process.on('exit', () => {
    try {
      let text = `${process.resourceUsage().maxRSS}\n`;
      if (exportTimes) text += `export ${exportTimes.response.toFixed(0)} ${(exportTimes.end ?? NaN).toFixed(0)}\n`;
      writeFileSync(file, text);
    } catch {
      // A measurement aid must never change the measured program's outcome.
    }
  });
}
