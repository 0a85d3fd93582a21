import * as vscode from 'vscode';
import { age, humanSize } from '../../core/util/units';
import { shortId } from '../../core/util/text';
import type { Command } from '../services';
import type { ImageNode } from '../views/imagesTree';

interface Item extends vscode.QuickPickItem {
  node: ImageNode;
}

/**
 * Go to Image…: picks one of the Images view's images by name (fuzzy, as
 * Go to File does) and reveals it there, selected: with thirty
 * repositories the one you want is rarely on screen. A reference as
 * argument ("repo:tag") skips the picker.
 */
export const goToImage: Command = {
  id: 'containerCompare.goToImage',
  async run(s, ref?: unknown): Promise<ImageNode | undefined> {
    const images = (await s.images.getChildren()).flatMap((r) => (r.kind === 'repo' ? r.images : []));
    let node: ImageNode | undefined;
    if (typeof ref === 'string') node = images.find((i) => i.ref === ref);
    else {
      const items: Item[] = images.map((n) => ({
        label: n.parent.kind === 'repo' && n.parent.label !== 'Untagged' && n.parent.label !== 'Opened in this session' ? `${n.parent.label}:${n.label}` : n.label,
        description: [n.imageId ? shortId(n.imageId) : '', n.summary ? humanSize(n.summary.size) : '', n.summary ? age(n.summary.created) : ''].filter(Boolean).join(' · '),
        node: n,
      }));
      node = (await vscode.window.showQuickPick(items, { title: 'Go to Image in the Images View', placeHolder: 'repository:tag, or an image id', matchOnDescription: true }))?.node;
    }
    if (!node) return undefined;
    await s.imagesView.reveal(node, { select: true, focus: true, expand: false });
    return node;
  },
};
