/**
 * Images for the findings' unit tests, built from history-like steps as an
 * engine records them: a RUN that changed nothing is an empty step of the
 * history (`EMPTY_RUN`), not a layer of its own; a rebuilt step with the same
 * files is another diffID with the same entries (`seed` differs).
 */
import type { Cache } from '../../src/core/layers/cache';
import { compareImages } from '../../src/core/diff/compare';
import type { Finding } from '../../src/core/findings/finding';
import { rankFindings } from '../../src/core/findings/findings';
import type { ResolvedUser } from '../../src/core/findings/users';
import { builderOf, historySteps, instructionOf } from '../../src/core/image/history';
import type { FileEntry, ImageConfig, ImageModel } from '../../src/core/image/model';
import { analyzePair } from '../../src/core/report/analysis';
import { toReport, type DiffReport } from '../../src/core/report/report';
import type { RunReport } from '../../src/core/run/runModel';
import type { Side } from '../../src/core/util/side';

export const H = (c: string) => c.padEnd(64, c);
export const file = (path: string, o: Partial<FileEntry> = {}): FileEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, sha256: H('1'), lineEndings: 'lf', ...o });
export const crlf = (path: string, o: Partial<FileEntry> = {}) => file(path, { sha256: H('2'), lfSha256: H('1'), lineEndings: 'crlf', size: 12, ...o });
export const dir = (path: string): FileEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });

export interface L {
  /** created_by as the classic builder writes it; '' for an imported base. */
  by: string;
  /** diffID seed: equal seeds make identical layers. */
  id: string;
  files?: FileEntry[];
  empty?: boolean;
}

/** An image from history-like steps: steps with `empty` make no layer (CMD, ENV...). */
export function img(name: string, steps: L[], config: ImageConfig['config'] = {}): ImageModel {
  const layerSteps = steps.filter((s) => !s.empty);
  const history = steps.map((s) => ({ created_by: s.by, ...(s.empty ? { empty_layer: true } : {}), ...(s.by === '' ? { comment: 'Imported from -' } : {}) }));
  return {
    ref: name,
    name,
    id: `sha256:${H(name.length.toString(16))}`,
    source: 'daemon',
    repoTags: [name],
    config: { os: 'linux', architecture: 'amd64', config, history },
    layers: layerSteps.map((s, index) => ({
      index,
      diffId: `sha256:${H(s.id)}`,
      size: 1000 * (s.files?.length ?? 1),
      createdBy: s.by,
      instruction: instructionOf(s.by, s.by === '' ? 'Imported from -' : undefined),
      builder: builderOf(s.by),
      fileCount: s.files?.length ?? 0,
    })),
    history: historySteps({ history }, layerSteps.length),
    indexes: layerSteps.map((s) => s.files ?? []),
  };
}

export const BASE: L = { by: '', id: '0', files: [dir('/bin'), file('/bin/sh', { mode: 0o755 })] };
export const RUN = (cmd: string, id: string, files: FileEntry[] = []): L => ({ by: `/bin/sh -c ${cmd}`, id, files });
export const COPY = (to: string, id: string, files: FileEntry[]): L => ({ by: `/bin/sh -c #(nop) COPY file:${H(id)} in ${to} `, id, files });
export const CMD = (json: string): L => ({ by: `/bin/sh -c #(nop)  CMD ${json}`, id: '', empty: true });

/** A RUN step the engine recorded as an empty layer: it changed nothing. */
export const EMPTY_RUN = (cmd: string): L => ({ by: `/bin/sh -c ${cmd}`, id: '', empty: true });

export async function analyse(
  a: ImageModel,
  b: ImageModel,
  extra: { packages?: DiffReport['packages']; leftovers?: DiffReport['leftovers']; run?: RunReport; users?: Partial<Record<Side, ResolvedUser>> } = {},
): Promise<{ report: DiffReport; findings: Finding[] }> {
  if (!extra.packages && !extra.leftovers && !extra.users) {
    // No package database in these images: nothing is read, so no cache is needed.
    const { report } = await analyzePair({ model: a }, { model: b }, { cache: undefined as unknown as Cache, run: extra.run });
    return { report, findings: report.findings! };
  }
  const comparison = compareImages(a, b);
  const report: DiffReport = { ...toReport(comparison), ...extra };
  return { report, findings: rankFindings({ comparison, packages: extra.packages, leftovers: extra.leftovers, run: extra.run, users: extra.users }) };
}


export const kinds = (fs: readonly Finding[]) => fs.map((f) => f.kind);
