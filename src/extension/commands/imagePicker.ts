import * as vscode from 'vscode';
import { messageOf } from '../../core/util/errors';
import { formatRegistryName, parseRegistryName } from '../../core/image/registryName';
import { age, humanSize } from '../../core/util/units';
import type { Services } from '../services';
import { shortId } from '../../core/util/text';
import { inert } from '../../core/util/inert';

/** How long the picker waits for the engine's image list before it opens without it. */
const LIST_WAIT_MS = 1500;

interface Item extends vscode.QuickPickItem {
  ref?: string;
  action?: 'archive' | 'layout' | 'remote';
}

/**
 * Asks for one image: a QuickPick of the engine's images (tag, id, size,
 * age; fuzzy matched on all of them), plus archives and OCI layouts from a
 * file dialog. Typing a reference that matches nothing (oci:/path,
 * docker-archive:/x.tar:app:1) and pressing Enter takes it as it is.
 */
export async function pickImage(s: Services, title: string, step: number, placeholder: string): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.step = step;
  qp.totalSteps = 2;
  qp.placeholder = placeholder;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.ignoreFocusOut = true;
  const browse: Item[] = [
    { label: '$(file-zip) Browse archive…', description: 'docker save tar (legacy or OCI layout), oci-archive', action: 'archive', alwaysShow: true },
    { label: '$(folder-opened) Browse OCI layout folder…', description: 'a directory with index.json and blobs/', action: 'layout', alwaysShow: true },
    { label: '$(cloud) Remote image…', description: 'HOST[:PORT]/REPO:TAG in a registry, without pulling it', action: 'remote', alwaysShow: true },
  ];
  const endpoint = s.engine.endpointLabel();
  const listed = s.engine.listImages().then(
    (images): Item[] => {
      const local: Item[] = [];
      for (const img of [...images].sort((a, b) => (a.created < b.created ? 1 : -1))) {
        const desc = `${shortId(img.id)} · ${humanSize(img.size)} · ${age(img.created)}`;
        if (!img.repoTags.length) local.push({ label: `$(package) ${shortId(img.id)}`, description: `untagged · ${desc}`, ref: img.id });
        for (const tag of img.repoTags) local.push({ label: `$(package) ${tag}`, description: desc, ref: tag });
      }
      return [{ label: `Images in ${endpoint}`, kind: vscode.QuickPickItemKind.Separator }, ...local, { label: 'Files', kind: vscode.QuickPickItemKind.Separator }, ...browse];
    },
    (e: unknown): Item[] => {
      s.log.warn(`Listing images for the picker: ${messageOf(e)}`);
      return [{ label: `$(warning) No Docker engine at ${endpoint}`, description: inert(messageOf(e)), alwaysShow: true }, ...browse];
    },
  );
  // Replacing the items of an open picker re-filters it and moves the selection under a user
  // who is already typing: show the full list at once when the engine answers quickly.
  const early = await Promise.race([listed, new Promise<undefined>((r) => setTimeout(() => r(undefined), LIST_WAIT_MS))]);
  qp.items = early ?? browse;
  if (!early) {
    qp.busy = true;
    void listed.then((items) => {
      qp.items = items;
      qp.busy = false;
    });
  }
  const picked = await new Promise<Item | string | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const item = qp.activeItems[0] ?? qp.selectedItems[0];
      if (item && (item.ref || item.action)) resolve(item);
      else if (!item && qp.value.trim()) resolve(qp.value.trim());
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (picked === undefined || typeof picked === 'string') return picked;
  if (picked.ref) return picked.ref;
  if (picked.action === 'remote') return askRemote(title);
  const uris = await vscode.window.showOpenDialog({
    title,
    canSelectFiles: picked.action === 'archive',
    canSelectFolders: picked.action === 'layout',
    canSelectMany: false,
    openLabel: 'Compare',
    ...(picked.action === 'archive' ? { filters: { 'Image archives': ['tar', 'gz', 'tgz'], 'All files': ['*'] } } : {}),
  });
  const path = uris?.[0]?.fsPath;
  if (!path) return undefined;
  return picked.action === 'layout' ? `oci:${path}` : `docker-archive:${path}`;
}

/** A registry image by name: registry://HOST[:PORT]/REPO:TAG (or @sha256:...). */
async function askRemote(title: string): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({
    title,
    prompt: 'An image in a registry: HOST[:PORT]/REPO:TAG or HOST[:PORT]/REPO@sha256:… (only the layers not indexed yet are downloaded)',
    placeHolder: 'registry.example:5000/app:ci',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseRegistryName(v.trim().replace(/^registry:\/\//, ''));
        return undefined;
      } catch (e) {
        return messageOf(e);
      }
    },
  });
  if (!value) return undefined;
  return `registry://${formatRegistryName(parseRegistryName(value.trim().replace(/^registry:\/\//, '')))}`;
}

