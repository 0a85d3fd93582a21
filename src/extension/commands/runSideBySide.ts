import * as vscode from 'vscode';
import type { ImageModel } from '../../core/image/model';
import { parseReference } from '../../core/image/reference';
import type { Command } from '../services';
import type { ImagesNode } from '../views/imagesTree';
import { RunPanel } from '../webviews/runPanel';
import { runCompare } from './compareImages';
import { pickImage } from './imagePicker';

/**
 * Run Side by Side: both images run the same way, their startup logs diffed,
 * probes and an HTTP request compared, in a panel. Takes two references, an
 * image of the Images view (with the one selected for compare), the current
 * comparison's images, or asks. Running containers needs a trusted workspace.
 * A run belongs to the comparison of its two images: when another pair is
 * on screen, the two are compared first.
 */
export const runSideBySide: Command = {
  id: 'containerCompare.runSideBySide',
  async run(s, first?: unknown, second?: unknown): Promise<RunPanel | undefined> {
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showWarningMessage('Run Side by Side starts containers: it needs a trusted workspace.', 'Manage Workspace Trust');
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    let refs: [string, string] | undefined;
    let images: [ImageModel, ImageModel] | undefined;
    const node = first as ImagesNode | undefined;
    if (typeof first === 'string' && typeof second === 'string') refs = [first, second];
    else if (node && typeof node === 'object' && node.kind === 'image' && s.selection) refs = [s.selection.ref, node.ref];
    else if (s.session.current) {
      refs = s.session.current.refs;
      images = [s.session.current.comparison.a, s.session.current.comparison.b];
    } else {
      const a = await pickImage(s, 'Run Side by Side: A', 1, 'Pick image A');
      const b = a && (await pickImage(s, `Run Side by Side: B, next to ${a}`, 2, 'Pick image B'));
      if (a && b) refs = [a, b];
    }
    if (!refs) return undefined;
    // Containers start from the engine's images: an archive or a registry image must be loaded or pulled first.
    const elsewhere = refs.find((r) => parseReference(r).kind !== 'daemon');
    if (elsewhere) {
      const kind = parseReference(elsewhere).kind;
      void vscode.window.showErrorMessage(`Run Side by Side starts containers, so both images must be in the Docker engine; ${elsewhere} is ${kind === 'registry' ? 'in a registry (docker pull it first)' : 'an archive or OCI layout (docker load it first)'}.`);
      return undefined;
    }
    // A run belongs to a comparison (its findings join the comparison's, its panel closes with it): compare first.
    const cur = s.session.current;
    const same = cur && ((cur.refs[0] === refs[0] && cur.refs[1] === refs[1]) || (cur.refs[0] === refs[1] && cur.refs[1] === refs[0]));
    if (!same) {
      const compared = await runCompare(s, refs[0], refs[1]);
      if (!compared) return undefined;
      images = [compared.comparison.a, compared.comparison.b];
    } else if (!images && cur.refs[0] === refs[0]) images = [cur.comparison.a, cur.comparison.b];
    return RunPanel.show(s, refs, images);
  },
};
