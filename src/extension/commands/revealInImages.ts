import * as vscode from 'vscode';
import { changeSides } from '../changeSides';
import type { Command } from '../services';
import type { ComparisonNode } from '../views/comparisonTree';
import { inert } from '../../core/util/inert';

/** Reveal in Images View: the changed file in the merged filesystem of its image (B, or A for a removal). */
export const revealInImages: Command = {
  id: 'containerCompare.revealInImages',
  async run(s, node?: unknown) {
    const n = node as ComparisonNode | undefined;
    const cur = s.session.current;
    if (n?.kind !== 'change' || !cur) return;
    const { present } = changeSides(cur.comparison.a, cur.comparison.b, n.file, n.scope, s.comparison.names());
    s.images.addOpened(present.image);
    const target = await s.images.findPath(present.image.id, n.file.path);
    if (!target) {
      void vscode.window.showInformationMessage(`${inert(present.image.name)} is no longer in the Images view (removed from the engine?).`);
      return;
    }
    await s.imagesView.reveal(target, { select: true, focus: true, expand: true });
  },
};
