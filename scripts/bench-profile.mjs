// Where a profiled run's main-thread time goes, by what the code does: reads
// a V8 .cpuprofile of `node --cpu-prof dist/cli.js ...`, maps each frame of
// the minified bundle back to its source file with dist/cliMain.js.map, and
// puts each sample in the category of the nearest frame (leaf first) that
// has one. Used by scripts/bench.mjs.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Categories, tried on each frame from the leaf up; the first that matches
 * decides. `src` is the source file relative to the repository (or
 * node_modules/PKG/...), `url` the frame's own URL (node:... for Node's
 * internals), `fn` the function's name in the source.
 */
const RULES = [
  ['hashing (sha256)', (f) => f.url === 'node:internal/crypto/hash'],
  ['classification (text, line endings, secrets)', (f) => /src\/core\/layers\/(contentScanner|secrets)\.ts$/.test(f.src)],
  ['index writes', (f) => /src\/core\/layers\/cache\.ts$/.test(f.src) && /^(writeIndex|toRow|writeAtomic)$/.test(f.fn)],
  ['index reads', (f) => /src\/core\/layers\/cache\.ts$/.test(f.src) && /^(readIndex|fromRow|hasIndex)$/.test(f.fn)],
  // fs streams: the byte store writes with a WriteStream; only the fast path reads layer files with a ReadStream.
  ['byte-store writes', (f) => /src\/core\/layers\/cache\.ts$/.test(f.src) || (f.url === 'node:internal/fs/streams' && /writ|flush|final/i.test(f.raw))],
  ['tar-split: unpack the record', (f) => f.url === 'node:zlib'],
  ['tar-split: rebuild the tar (read layer files)', (f) => /src\/core\/layers\/(tarSplit|layerFiles)\.ts$/.test(f.src) || f.url === 'node:internal/fs/streams'],
  ['tar parsing (indexer)', (f) => /node_modules\/(tar-stream|streamx|b4a|fast-fifo|text-decoder|events-universal)\//.test(f.src) || /src\/core\/layers\/(layerIndexer|tarParser)\.ts$/.test(f.src)],
  ['layer stream (decode, tap)', (f) => /src\/core\/layers\/layerProcessor\.ts$/.test(f.src)],
  ['export stream (socket, archive reader)', (f) => /src\/(core\/sources\/archiveReader|docker\/streamGet)\.ts$/.test(f.src) || /^node:(_http_client|_http_common|net)$/.test(f.url)],
  ['fast path (layer store, container)', (f) => /src\/(core\/sources\/engineStorage|docker\/layerStore)\.ts$/.test(f.src)],
  ['compare', (f) => /src\/core\/(diff\/|layers\/(mergedDiff|fileTree|layerChanges)\.ts$)/.test(f.src)],
  ['analysis and report (findings, packages, output)', (f) => /src\/(core\/(report|findings|packages)\/|cli\/(format|findingFormat|commands\/diff)\.ts$)/.test(f.src) || /node_modules\/(sql\.js)/.test(f.src)],
  ['loading (inspect, models, engine client)', (f) => /src\/(core\/(sources|image)\/|docker\/)/.test(f.src) || /dockerode\.js$/.test(f.url)],
  ['start-up (loading modules)', (f) => /^node:internal\/modules\//.test(f.url) || /\/dist\/cli\.js$/.test(f.url)],
];
const GC = 'garbage collection';
const IDLE = 'waiting (idle: the engine, the disk)';
const STREAMS = 'stream plumbing';
const OTHER = 'other';

/** A mapper from bundle positions to { src, fn }, source lines read from the repository. */
function sourceMapper(root, mapFile) {
  let map;
  try {
    map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  } catch {
    return () => undefined;
  }
  const dist = dirname(mapFile);
  const lines = new Map();
  const cache = new Map();
  const nameAt = (file, line) => {
    let ls = lines.get(file);
    if (!ls) {
      try {
        ls = readFileSync(file, 'utf8').split('\n');
      } catch {
        ls = [];
      }
      lines.set(file, ls);
    }
    const text = ls[line] ?? '';
    const m = /(?:function\*?\s+|(?:async|get|set|static|private|override|readonly)\s+)*(\w+)\s*(?:[(<=:]|\s*=>)/.exec(text.trim());
    return m?.[1] ?? '';
  };
  return (line, column) => {
    const key = `${line}:${column}`;
    if (cache.has(key)) return cache.get(key);
    const e = map.findEntry(line, column);
    let out;
    if (e?.originalSource) {
      const abs = resolve(dist, e.originalSource);
      const nm = abs.lastIndexOf('/node_modules/');
      const src = nm >= 0 ? abs.slice(nm + 1) : relative(root, abs);
      out = { src, fn: e.name || nameAt(abs, e.originalLine) };
    }
    cache.set(key, out);
    return out;
  };
}

/**
 * Main-thread time by category in [fromUs, toUs] (the profile's clock, µs),
 * and the top functions by self time with their source file.
 */
export function profileBreakdown(profileFile, { root, bundle = 'cliMain.js', fromUs = -Infinity, toUs = Infinity } = {}) {
  const prof = JSON.parse(readFileSync(profileFile, 'utf8'));
  const mapper = sourceMapper(root, join(root, 'dist', `${bundle}.map`));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frames = new Map();
  const frameOf = (id) => {
    let f = frames.get(id);
    if (f) return f;
    const cf = byId.get(id).callFrame;
    const mapped = cf.url.endsWith(`/${bundle}`) ? mapper(cf.lineNumber, cf.columnNumber) : undefined;
    f = { url: cf.url.replace(/^file:\/\//, ''), src: mapped?.src ?? '', fn: mapped?.fn || cf.functionName || '(anonymous)', raw: cf.functionName };
    frames.set(id, f);
    return f;
  };
  const categoryOf = (leaf) => {
    const first = frameOf(leaf);
    if (first.raw === '(garbage collector)') return GC;
    if (first.raw === '(idle)') return IDLE;
    let streams = false;
    for (let id = leaf; id !== undefined; id = parent.get(id)) {
      const f = frameOf(id);
      for (const [name, test] of RULES) if (test(f)) return name;
      if (/^node:internal\/streams\//.test(f.url)) streams = true;
    }
    return streams ? STREAMS : OTHER;
  };
  const categories = new Map();
  const self = new Map();
  let t = prof.startTime;
  let total = 0;
  prof.samples.forEach((id, k) => {
    t += prof.timeDeltas[k] ?? 0;
    if (t < fromUs || t > toUs) return;
    const dt = prof.timeDeltas[k + 1] ?? prof.timeDeltas[k] ?? 0;
    total += dt;
    const c = categoryOf(id);
    categories.set(c, (categories.get(c) ?? 0) + dt);
    const f = frameOf(id);
    const key = `${f.fn}${f.src ? ` (${f.src})` : f.url && !f.url.startsWith('node:') ? '' : f.url ? ` (${f.url})` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const ms = (us) => us / 1000;
  return {
    totalMs: ms(total),
    categories: [...categories].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: ms(us), share: us / total })),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([fn, us]) => ({ fn, ms: ms(us), share: us / total })),
    startUs: prof.startTime,
    endUs: prof.endTime,
  };
}
