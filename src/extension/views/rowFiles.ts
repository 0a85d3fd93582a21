import type { ReportFile } from '../../core/report/report';

/**
 * The files a view lists for a layer pair or the merged filesystems: the
 * engine's own rows, with one entry per path. The classic builder writes a
 * new directory and its opaque marker (`.wh..wh..opq`) as two tar entries;
 * both become rows of the same path, and the marker says nothing the
 * directory row does not (an opaque marker alone is kept: it hides what
 * the layers below had).
 */
export function viewFiles(files: readonly ReportFile[]): ReportFile[] {
  const dirs = new Set(files.filter((f) => (f.a ?? f.b)?.type === 'dir').map((f) => f.path));
  const seen = new Set<string>();
  const out: ReportFile[] = [];
  for (const f of files) {
    const type = (f.a ?? f.b)?.type;
    if (type === 'opaque' && dirs.has(f.path)) continue;
    if (seen.has(f.path)) continue;
    seen.add(f.path);
    out.push(f);
  }
  return out;
}
