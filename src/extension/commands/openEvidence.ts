import * as vscode from 'vscode';
import type { ReportFile } from '../../core/report/report';
import type { EvidenceTarget } from '../../protocol/report';
import { changeSides, type ChangeScope } from '../changeSides';
import type { CurrentComparison } from '../comparisonSession';
import { ImageUri } from '../fs/imageUri';
import type { Command, Services } from '../services';
import { viewFiles } from '../views/rowFiles';
import { ReportPanel } from '../webviews/reportPanel';
import { RunPanel } from '../webviews/runPanel';
import { two } from '../../core/util/text';
import { inert } from '../../core/util/inert';

/** The multi-file diff editor gets slow beyond this many files; the rest stay one click away in the tree. */
export const MAX_MULTI = 300;

/** What activating evidence did: the editor it opened, or the row it revealed (tests check that every click lands). */
export type EvidenceOutcome = 'diff' | 'changes' | 'file' | 'report' | 'run' | 'none';

/**
 * Opens what shows a finding, from the Findings view or the report: a file
 * as VS Code's diff of both images (or the one side that has it), both
 * layers of a layer pair in the multi-file diff editor, a leftover in the
 * layer that ships it, the run panel at a log line, probe or HTTP answer;
 * and what has no editor of its own (a package, a config field, a layer
 * row without files, the finding itself) as its row in the report.
 */
export const openEvidence: Command = {
  id: 'containerCompare.openEvidence',
  async run(s, node?: unknown): Promise<EvidenceOutcome> {
    const t = (node as { target?: EvidenceTarget } | undefined)?.target;
    const cur = s.session.current;
    if (!t || !cur) return 'none';
    const image = (side: 'a' | 'b') => (side === 'a' ? cur.comparison.a : cur.comparison.b);
    const inReport = async (target: EvidenceTarget): Promise<EvidenceOutcome> =>
      (await ReportPanel.showAt(s, target)) ? 'report' : 'none';
    switch (t.type) {
      case 'file': {
        // A file that differs opens as the diff of both (the title says why); one that does not, as the side named.
        const changed = cur.report.files.find((f) => f.path === t.evidence.path);
        if (changed) return diff(s, cur, changed, { kind: 'merged' });
        const side = t.evidence.side ?? 'b';
        const layer = t.evidence.layer?.[side];
        await vscode.commands.executeCommand('vscode.open', ImageUri.of(image(side).id, t.evidence.path, layer !== undefined ? { layer } : {}).toUri(), { preview: true });
        return 'file';
      }
      case 'change': {
        const files = t.row === undefined ? cur.report.files : cur.report.layers.find((l) => l.index === t.row)?.files ?? [];
        const f = files.find((x) => x.path === t.path);
        if (!f) return 'none';
        return diff(s, cur, f, t.row === undefined ? { kind: 'merged' } : { kind: 'row', row: t.row });
      }
      case 'layerRow': {
        const row = cur.report.layers.find((l) => l.index === t.row);
        if (!row) return 'none';
        const files = viewFiles(row.files ?? []);
        // A row with nothing that differs file by file (timestamps only, a step that wrote nothing): its row says why.
        if (!files.length) return inReport(t);
        await openMany(s, cur, files, { kind: 'row', row: row.index });
        return 'changes';
      }
      case 'leftover': {
        const img = image(t.evidence.side);
        const entry = img.indexes[t.evidence.layer]?.find((e) => e.path === t.evidence.path);
        // A folder-shaped leftover (.git) opens as its description; a file as itself, from the layer that ships it.
        const uri = ImageUri.of(img.id, t.evidence.path, { layer: t.evidence.layer, meta: !entry || entry.type === 'dir' });
        await vscode.commands.executeCommand('vscode.open', uri.toUri(), { preview: true });
        return 'file';
      }
      case 'package':
      case 'config':
      case 'finding':
        return inReport(t);
      case 'run': {
        const panel = RunPanel.forPair(cur.refs);
        if (!panel) {
          const pick = await vscode.window.showInformationMessage('This comes from a side-by-side run of these images, which is not open now.', 'Run Side by Side');
          if (pick) await vscode.commands.executeCommand('containerCompare.runSideBySide', cur.refs[0], cur.refs[1]);
          return 'none';
        }
        panel.reveal(t);
        return 'run';
      }
    }
  },
};

async function diff(s: Services, cur: CurrentComparison, f: ReportFile, scope: ChangeScope): Promise<EvidenceOutcome> {
  const x = changeSides(cur.comparison.a, cur.comparison.b, f, scope, s.comparison.names());
  await vscode.commands.executeCommand('vscode.diff', x.left, x.right, x.title, { preview: true });
  return 'diff';
}

/**
 * Many changes at once in the multi-file diff editor: both layers of a
 * layer pair (what the two steps wrote differently), or a group of files.
 */
export async function openMany(s: Services, cur: CurrentComparison, files: readonly ReportFile[], scope: ChangeScope, title?: string): Promise<void> {
  const names = s.comparison.names();
  if (files.length > MAX_MULTI) {
    void vscode.window.showInformationMessage(`Showing the first ${MAX_MULTI} of ${files.length} changed files; the Comparison view lists them all.`);
  }
  const resources = files.slice(0, MAX_MULTI).map((f) => {
    const x = changeSides(cur.comparison.a, cur.comparison.b, f, scope, names);
    return [x.present.uri.toUri(), x.left, x.right];
  });
  const where = scope.kind === 'row' ? `Layer ${two(scope.row)}: ` : '';
  // Names come from images: inert in the editor's title.
  await vscode.commands.executeCommand('vscode.changes', inert(title ?? `${where}${names[0]} ↔ ${names[1]}`), resources);
}
