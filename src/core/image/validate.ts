/**
 * The JSON documents of an image (docker-save's manifest.json, OCI indexes
 * and manifests, image configs) come from untrusted archives and
 * registries. Each is parsed with its nesting bounded and checked against
 * the types of the fields this tool reads (the OCI image spec's and
 * docker-save's), so a wrong type is refused with the field's name instead
 * of failing somewhere deep in the comparison. Unknown fields are kept as
 * they are; absent optional fields, and `null` ones (Go writes nil slices
 * as null), are accepted.
 */
import { CompareError, messageOf } from '../util/errors';
import type { ImageConfig } from './model';

/** No image document nests deeper than a handful of levels; this leaves room and keeps recursion (JSON.stringify, diffs) safe. */
export const MAX_JSON_DEPTH = 32;
/**
 * Layers an image may have. Docker refuses to run an image with more than
 * 125 ("max depth exceeded") and overlayfs stacks 500 lower layers at most:
 * past this no engine can run the image, and per-layer work would only
 * multiply.
 */
export const MAX_LAYERS = 500;
const LAYERS_WHY = ' (no engine runs an image with that many layers)';
/** History steps (a layer each, or an empty step): bounded like layers, with room for the empty ones (ENV, LABEL...). */
export const MAX_HISTORY = 5000;
/** Manifests one index may list (an `skopeo copy --all` of a many-platform image lists a few dozen). */
export const MAX_MANIFESTS = 1000;
/** Indexes within indexes (Docker's multi-platform index inside an OCI layout's index.json is two). */
export const MAX_INDEX_NESTING = 4;

/**
 * JSON.parse, after a linear scan that refuses nesting deeper than
 * MAX_JSON_DEPTH: V8 parses deep nesting, but stringifying or walking it
 * again overflows the stack.
 */
export function parseJsonDocument(bytes: Buffer, where: string, what: string): unknown {
  const depth = jsonDepth(bytes);
  if (depth > MAX_JSON_DEPTH) throw new CompareError('hostileArchive', `${where}: ${shown(what)} nests more than ${MAX_JSON_DEPTH} levels deep; refusing it`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    // V8 quotes the text around the error: escaped too.
    throw new CompareError('badArchive', `${where}: ${shown(what)} is not valid JSON (${shown(messageOf(e), 200)})`);
  }
}

/** The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count); stops counting past the limit. */
export function jsonDepth(b: Buffer): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > MAX_JSON_DEPTH) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Untrusted text in a message: control characters escaped, cut short. */
export function shown(s: string, max = 120): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** What a value is, for "expected …, got …". */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : t === 'undefined' ? 'nothing' : `a ${t}`;
}

class Checker {
  constructor(
    private readonly where: string,
    private readonly what: string,
  ) {}

  fail(field: string, expected: string, v: unknown): never {
    throw new CompareError('badArchive', `${this.where}: ${shown(this.what)}: ${shown(field)}: expected ${expected}, got ${kindOf(v)}`);
  }

  isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (!this.isObject(v)) this.fail(field, 'an object', v);
    return v;
  }

  optObject(v: unknown, field: string): Record<string, unknown> | undefined {
    return v == null ? undefined : this.object(v, field);
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'a string', v);
    return v;
  }

  optString(v: unknown, field: string): void {
    if (v != null && typeof v !== 'string') this.fail(field, 'a string', v);
  }

  optBoolean(v: unknown, field: string): void {
    if (v != null && typeof v !== 'boolean') this.fail(field, 'true or false', v);
  }

  optSize(v: unknown, field: string): void {
    if (v != null && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) this.fail(field, 'a size in bytes', v);
  }

  array(v: unknown, field: string, max: number, what = 'an array', why = ''): unknown[] {
    if (!Array.isArray(v)) this.fail(field, what, v);
    if (v.length > max) throw new CompareError('hostileArchive', `${this.where}: ${shown(this.what)}: ${shown(field)} lists ${v.length} items, more than the limit of ${max}${why}; refusing it`);
    return v;
  }

  optStrings(v: unknown, field: string, max = 100_000): void {
    if (v == null) return;
    const a = this.array(v, field, max, 'an array of strings');
    for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') this.fail(`${field}[${i}]`, 'a string', a[i]);
  }

  optStringMap(v: unknown, field: string): void {
    const o = this.optObject(v, field);
    if (o) for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') this.fail(`${field}.${k}`, 'a string', x);
  }

  descriptor(v: unknown, field: string): void {
    const d = this.object(v, field);
    this.string(d.digest, `${field}.digest`);
    this.optString(d.mediaType, `${field}.mediaType`);
    this.optSize(d.size, `${field}.size`);
    this.optStringMap(d.annotations, `${field}.annotations`);
    const p = this.optObject(d.platform, `${field}.platform`);
    if (p) for (const k of ['os', 'architecture', 'variant']) this.optString(p[k], `${field}.platform.${k}`);
  }
}

/** docker-save's manifest.json: `[{ Config, RepoTags, Layers }]`. */
export interface DockerSaveItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export function checkDockerSaveManifest(doc: unknown, where: string): DockerSaveItem[] {
  const c = new Checker(where, 'manifest.json');
  const items = c.array(doc, 'the document', MAX_MANIFESTS, 'a list of images');
  items.forEach((v, i) => {
    const item = c.object(v, `[${i}]`);
    c.string(item.Config, `[${i}].Config`);
    c.optStrings(item.RepoTags, `[${i}].RepoTags`, 10_000);
    c.array(item.Layers, `[${i}].Layers`, MAX_LAYERS, 'an array of strings', LAYERS_WHY);
    c.optStrings(item.Layers, `[${i}].Layers`, MAX_LAYERS);
  });
  return items as DockerSaveItem[];
}

/** An OCI descriptor, as this tool reads it. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

/** An OCI index (index.json, or an index blob): its manifests' descriptors. */
export function checkIndex(doc: unknown, where: string, what: string): { manifests: Descriptor[] } {
  const c = new Checker(where, what);
  const index = c.object(doc, 'the document');
  const manifests = c.array(index.manifests, 'manifests', MAX_MANIFESTS);
  manifests.forEach((d, i) => c.descriptor(d, `manifests[${i}]`));
  return index as { manifests: Descriptor[] };
}

/** An OCI (or Docker v2) image manifest: its config and layers. */
export function checkManifest(doc: unknown, where: string, what: string): { config: Descriptor; layers: Descriptor[] } {
  const c = new Checker(where, what);
  const m = c.object(doc, 'the document');
  c.descriptor(m.config, 'config');
  const layers = c.array(m.layers, 'layers', MAX_LAYERS, 'an array', LAYERS_WHY);
  layers.forEach((d, i) => c.descriptor(d, `layers[${i}]`));
  return m as { config: Descriptor; layers: Descriptor[] };
}

/** An image config (the OCI image spec's, which Docker's extends): the fields this tool reads. */
export function checkConfig(doc: unknown, where: string, what: string): ImageConfig {
  const c = new Checker(where, what);
  const cfg = c.object(doc, 'the document');
  for (const k of ['architecture', 'os', 'variant', 'created', 'author']) c.optString(cfg[k], k);
  const run = c.optObject(cfg.config, 'config');
  if (run) {
    for (const k of ['User', 'WorkingDir', 'StopSignal']) c.optString(run[k], `config.${k}`);
    for (const k of ['Env', 'Cmd', 'Entrypoint']) c.optStrings(run[k], `config.${k}`);
    c.optObject(run.ExposedPorts, 'config.ExposedPorts');
    c.optObject(run.Volumes, 'config.Volumes');
    c.optStringMap(run.Labels, 'config.Labels');
    const hc = c.optObject(run.Healthcheck, 'config.Healthcheck');
    if (hc) c.optStrings(hc.Test, 'config.Healthcheck.Test');
  }
  const rootfs = c.object(cfg.rootfs, 'rootfs');
  c.optString(rootfs.type, 'rootfs.type');
  c.array(rootfs.diff_ids, 'rootfs.diff_ids', MAX_LAYERS, 'an array of strings', LAYERS_WHY);
  c.optStrings(rootfs.diff_ids, 'rootfs.diff_ids', MAX_LAYERS);
  if (cfg.history != null) {
    const history = c.array(cfg.history, 'history', MAX_HISTORY);
    history.forEach((v, i) => {
      const h = c.object(v, `history[${i}]`);
      for (const k of ['created', 'created_by', 'comment', 'author']) c.optString(h[k], `history[${i}].${k}`);
      c.optBoolean(h.empty_layer, `history[${i}].empty_layer`);
    });
  }
  return cfg as ImageConfig;
}
