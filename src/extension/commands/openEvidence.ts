import * as vscode from 'vscode';
import { changeSides } from '../changeSides';
import { ImageUri } from '../fs/imageUri';
import type { Command } from '../services';
import type { ComparisonNode } from '../views/comparisonTree';
import type { EvidenceNode } from '../views/findingsTree';
import { RunPanel } from '../webviews/runPanel';

/**
 * Opens what shows a finding: a file as VS Code's diff of both images (or the
 * one side that has it), both layers of a layer pair, a leftover in the layer
 * that ships it, a package or config field in the Comparison view, or the
 * run panel at the log line, probe or HTTP answer.
 */
export const openEvidence: Command = {
  id: 'containerCompare.openEvidence',
  async run(s, node?: unknown) {
    const n = node as Pick<EvidenceNode, 'target'> | undefined;
    const cur = s.session.current;
    if (!n?.target || !cur) return;
    const t = n.target;
    const image = (side: 'a' | 'b') => (side === 'a' ? cur.comparison.a : cur.comparison.b);
    switch (t.type) {
      case 'file': {
        // A file that differs opens as the diff of both (the title says why); one that does not, as the side named.
        const changed = cur.report.files.find((f) => f.path === t.evidence.path);
        if (changed) {
          const x = changeSides(cur.comparison.a, cur.comparison.b, changed, { kind: 'merged' }, s.comparison.names());
          return vscode.commands.executeCommand('vscode.diff', x.left, x.right, x.title, { preview: true });
        }
        const side = t.evidence.side ?? 'b';
        const layer = t.evidence.layer?.[side];
        return vscode.commands.executeCommand('vscode.open', ImageUri.of(image(side).id, t.evidence.path, layer !== undefined ? { layer } : {}).toUri(), { preview: true });
      }
      case 'layerRow': {
        const row = cur.report.layers.find((l) => l.index === t.row);
        if (!row) return;
        const rowNode: ComparisonNode = { kind: 'row', id: `row:${row.index}`, row };
        await vscode.commands.executeCommand('containerCompare.openChanges', rowNode);
        return s.comparison.reveal(s.comparisonView, 'layers', rowNode.id);
      }
      case 'leftover': {
        const img = image(t.evidence.side);
        const entry = img.indexes[t.evidence.layer]?.find((e) => e.path === t.evidence.path);
        // A folder-shaped leftover (.git) opens as its description; a file as itself, from the layer that ships it.
        const uri = ImageUri.of(img.id, t.evidence.path, { layer: t.evidence.layer, meta: !entry || entry.type === 'dir' });
        return vscode.commands.executeCommand('vscode.open', uri.toUri(), { preview: true });
      }
      case 'package':
        return s.comparison.reveal(s.comparisonView, 'packages', `packages/${t.ecosystem}`, (id) => id.includes(`:${t.name}:`));
      case 'config':
        return s.comparison.reveal(s.comparisonView, cur.report.config.find((c) => c.field === t.field)?.field.startsWith('History[') ? 'history' : 'config', undefined, (id) => id.endsWith(`:${t.field}`));
      case 'run': {
        const panel = RunPanel.panels().find((p) => p.refs[0] === cur.refs[0] && p.refs[1] === cur.refs[1]);
        if (!panel) {
          const pick = await vscode.window.showInformationMessage('This comes from a side-by-side run of these images, which is not open now.', 'Run Side by Side');
          if (pick) await vscode.commands.executeCommand('containerCompare.runSideBySide', cur.refs[0], cur.refs[1]);
          return;
        }
        panel.reveal(t);
        return;
      }
    }
  },
};
