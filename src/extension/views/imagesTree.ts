import * as vscode from 'vscode';
import { isCompareError, messageOf } from '../../core/util/errors';
import type { MergedEntry } from '../../core/layers/fileTree';
import type { LayerChange } from '../../core/layers/layerChanges';
import { findLeftovers, type Leftover } from '../../core/findings/leftovers';
import type { ImageModel, LayerInfo } from '../../core/image/model';
import type { ImageSummary } from '../../docker/daemonClient';
import type { EngineService } from '../engineService';
import { ImageUri } from '../fs/imageUri';
import { withProgress } from '../progress';
import type { ChangeDecorations, ChangeMark } from './decorations';
import { engineRepos } from './images/engineNodes';
import { fsChildren, fsEntryChildren, fsEntryItem, fsRootItem } from './images/fsNodes';
import { imageChildNodes, imageItem, repoItem } from './images/imageNodes';
import { changeFolderItem, changeItem, changeTooltip, folderChildren, layerChildren, layerItem } from './images/layerNodes';
import { OpenedImages } from './images/openedNodes';
import { registriesItem, registryHosts, registryItem, registryNodes, remoteRepoItem, repositoryNodes, tagNodes } from './images/registryNodes';
import type { PathFolder } from './pathTree';
import { inertItem } from './inertItem';

/** A repository of the engine ("cc-example/php-fcgid"), or the untagged images, or images opened from archives, layouts and registries. */
export interface RepoNode {
  kind: 'repo';
  id: string;
  label: string;
  images: ImageNode[];
  icon: string;
}

/** One image, under one of its tags (an image with two tags appears twice). */
export interface ImageNode {
  kind: 'image';
  id: string;
  parent: RepoNode | RemoteRepoNode;
  /** What to load it by: "repo:tag", an id, an archive reference, or registry://HOST/REPO:TAG. */
  ref: string;
  label: string;
  /** Unknown ('') for a registry tag until it is loaded. */
  imageId: string;
  summary?: ImageSummary;
}

/** The registries a user works with: logged in to (docker config), marked insecure, or named in the settings. */
export interface RegistriesNode {
  kind: 'registries';
  id: string;
}

export interface RegistryNode {
  kind: 'registry';
  id: string;
  parent: RegistriesNode;
  host: string;
}

/** A repository of a registry; its tags are its children, each an image to browse or compare. */
export interface RemoteRepoNode {
  kind: 'remoteRepo';
  id: string;
  parent: RegistryNode;
  host: string;
  repository: string;
  /** Named in containerCompare.registries.repositories (so it can be removed from there). */
  added: boolean;
}

export interface LayerNode {
  kind: 'layer';
  id: string;
  parent: ImageNode;
  image: ImageModel;
  layer: LayerInfo;
}

/** A folder of a layer's changes. */
export interface ChangeFolderNode {
  kind: 'changeFolder';
  id: string;
  parent: LayerNode | ChangeFolderNode;
  layerNode: LayerNode;
  folder: PathFolder<LayerChange>;
}

/** One file a layer adds, changes or deletes. */
export interface ChangeNode {
  kind: 'layerChange';
  id: string;
  parent: LayerNode | ChangeFolderNode;
  layerNode: LayerNode;
  change: LayerChange;
}

/** The merged filesystem of an image. */
export interface FsRootNode {
  kind: 'fsRoot';
  id: string;
  parent: ImageNode;
  image: ImageModel;
}

export interface FsEntryNode {
  kind: 'fsEntry';
  id: string;
  parent: FsRootNode | FsEntryNode;
  root: FsRootNode;
  entry: MergedEntry;
}

/** A line of text in place of children that could not be loaded (with a retry). */
export interface MessageNode {
  kind: 'message';
  id: string;
  parent?: ImagesNode;
  label: string;
  detail?: string;
  icon: string;
  command?: vscode.Command;
}

export type ImagesNode = RepoNode | ImageNode | RegistriesNode | RegistryNode | RemoteRepoNode | LayerNode | ChangeFolderNode | ChangeNode | FsRootNode | FsEntryNode | MessageNode;

/**
 * The Images view: the engine's images by repository and tag; each image
 * expands (indexing it on first use) into its numbered layers, each layer
 * into the files it adds, changes or deletes, plus the merged filesystem.
 * Images opened from archives in this session appear in their own group.
 *
 * The rows and children of each kind of node are built in images/: the
 * engine's groups, the opened images, the registries, an image, its layers
 * and its filesystem. This provider owns what the view remembers: its
 * cache of children, the leftovers found, the ids of registry tags loaded.
 */
export class ImagesTreeProvider implements vscode.TreeDataProvider<ImagesNode> {
  private readonly changed = new vscode.EventEmitter<ImagesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<ImagesNode> | undefined;
  private roots: Promise<ImagesNode[]> | undefined;
  private readonly children = new Map<string, Promise<ImagesNode[]>>();
  private readonly opened = new OpenedImages();
  /** What should not ship, per image id and layer (leftovers.ts), found when an image is loaded. */
  private readonly leftovers = new Map<string, Map<number, Leftover[]>>();
  /** Image ids of registry tags loaded in this session (a tag says nothing of its id until then). */
  private readonly remoteIds = new Map<string, string>();
  private engineState: 'unknown' | 'ok' | 'empty' | 'unreachable' = 'unknown';

  constructor(
    private readonly engine: EngineService,
    private readonly decorations: ChangeDecorations,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  attach(view: vscode.TreeView<ImagesNode>): void {
    this.view = view;
  }

  /** Reloads the image list (and, with `node`, only that node's children). */
  refresh(node?: ImagesNode): void {
    if (node) this.forget(node.id);
    else {
      this.roots = undefined;
      this.children.clear();
      this.decorations.clear('images');
    }
    this.changed.fire(node);
  }

  /** Shows an image read from an archive, a layout or a registry in the "Opened in this session" group. */
  addOpened(image: ImageModel): void {
    if (this.opened.add(image)) this.refresh();
  }

  getTreeItem(n: ImagesNode): vscode.TreeItem {
    const item = inertItem(this.itemOf(n));
    item.id = n.id;
    return item;
  }

  private itemOf(n: ImagesNode): vscode.TreeItem {
    switch (n.kind) {
      case 'repo':
        return repoItem(n);
      case 'image': {
        const loadedId = n.imageId || (n.parent.kind === 'remoteRepo' ? this.remoteIds.get(n.ref) ?? '' : '');
        const shipped = loadedId ? [...(this.leftovers.get(loadedId)?.values() ?? [])].flat() : [];
        return imageItem(n, loadedId, shipped.length);
      }
      case 'registries':
        return registriesItem();
      case 'registry':
        return registryItem(n);
      case 'remoteRepo':
        return remoteRepoItem(n);
      case 'layer':
        return layerItem(n, this.leftovers.get(n.image.id)?.get(n.layer.index));
      case 'changeFolder':
        return changeFolderItem(n, (layerNode, c) => this.changeUri(layerNode, c));
      case 'layerChange':
        return changeItem(n, (layerNode, c) => this.changeUri(layerNode, c));
      case 'fsRoot':
        return fsRootItem(n, this.engine);
      case 'fsEntry':
        return fsEntryItem(n, this.engine);
      case 'message': {
        const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(n.icon);
        item.tooltip = n.detail ?? n.label;
        item.command = n.command;
        item.contextValue = 'message';
        return item;
      }
    }
  }

  getParent(n: ImagesNode): ImagesNode | undefined {
    return 'parent' in n ? n.parent : undefined;
  }

  getChildren(n?: ImagesNode): Promise<ImagesNode[]> {
    if (!n) return (this.roots ??= this.loadRoots());
    let p = this.children.get(n.id);
    if (!p) {
      p = this.loadChildren(n);
      this.children.set(n.id, p);
    }
    return p;
  }

  /**
   * Finds the node of `path` in the merged filesystem of image `imageId`,
   * expanding the way there, for TreeView.reveal.
   */
  async findPath(imageId: string, path: string): Promise<ImagesNode | undefined> {
    const roots = await this.getChildren();
    for (const repo of roots) {
      if (repo.kind !== 'repo') continue;
      const image = repo.images.find((i) => i.imageId === imageId);
      if (!image) continue;
      const fs = (await this.getChildren(image)).find((c): c is FsRootNode => c.kind === 'fsRoot');
      if (!fs) return image;
      let cur: ImagesNode = fs;
      const parts = path.split('/').filter(Boolean);
      for (let i = 0; i < parts.length; i++) {
        const want = '/' + parts.slice(0, i + 1).join('/');
        const next: ImagesNode | undefined = (await this.getChildren(cur)).find((c) => c.kind === 'fsEntry' && c.entry.path === want);
        if (!next) return cur;
        cur = next;
      }
      return cur;
    }
    return undefined;
  }

  /** Leftovers of a loaded image, by layer; the image's row learns of them too. */
  private findLeftovers(image: ImageModel, n: ImageNode): void {
    if (this.leftovers.has(image.id)) return;
    const byLayer = new Map<number, Leftover[]>();
    for (const l of findLeftovers(image)) {
      if (l.thirdParty && !l.secretKinds?.length) continue;
      byLayer.set(l.layer, [...(byLayer.get(l.layer) ?? []), l]);
    }
    this.leftovers.set(image.id, byLayer);
    if (byLayer.size) queueMicrotask(() => this.changed.fire(n));
  }

  /** The leftover at a path of a layer, or the leftover folder (.git) it is in. */
  private leftoverAt(imageId: string, layer: number, path: string): Leftover | undefined {
    return this.leftovers.get(imageId)?.get(layer)?.find((l) => l.path === path || path.startsWith(`${l.path}/`));
  }

  /** Children that come from the network: a failure becomes a line with Retry, not a broken tree. */
  private async guarded(n: ImagesNode, load: () => Promise<ImagesNode[]>): Promise<ImagesNode[]> {
    try {
      return await load();
    } catch (e) {
      this.log.warn(`${n.id}: ${messageOf(e)}`);
      queueMicrotask(() => this.children.delete(n.id));
      return [{ kind: 'message', id: `${n.id}/error`, parent: n, label: messageOf(e), detail: messageOf(e), icon: 'error', command: { command: 'containerCompare.refresh', title: 'Retry', arguments: [n] } }];
    }
  }

  private forget(id: string): void {
    for (const k of [...this.children.keys()]) if (k === id || k.startsWith(id + '/')) this.children.delete(k);
  }

  private async loadRoots(): Promise<ImagesNode[]> {
    const roots: ImagesNode[] = [];
    let images: ImageSummary[] = [];
    try {
      images = await this.engine.listImages();
      this.setEngineState(images.length ? 'ok' : 'empty');
      if (this.view) this.view.message = undefined;
    } catch (e) {
      this.log.warn(`Listing images: ${messageOf(e)}`);
      const unreachable = isCompareError(e) && (e.reason === 'daemonUnreachable' || e.reason === 'badArgument' || e.reason === 'unsupported');
      this.setEngineState(unreachable ? 'unreachable' : 'ok');
      if (this.view) this.view.message = unreachable ? `No Docker engine answered at ${this.engine.endpointLabel()}: ${messageOf(e)}` : `Listing images failed: ${messageOf(e)}`;
    }
    const opened = this.opened.repo();
    roots.push(...(opened ? [opened] : []), ...engineRepos(images));
    if ((await registryHosts(this.engine)).length) roots.push({ kind: 'registries', id: 'registries' });
    return roots;
  }

  private async loadChildren(n: ImagesNode): Promise<ImagesNode[]> {
    switch (n.kind) {
      case 'repo':
        return n.images;
      case 'registries':
        return registryNodes(this.engine, n);
      case 'registry':
        return this.guarded(n, () => repositoryNodes(this.engine, n));
      case 'remoteRepo':
        return this.guarded(n, () => tagNodes(this.engine, n));
      case 'image':
        return this.imageChildren(n);
      case 'layer':
        return layerChildren(n, this.engine.lookup(n.image));
      case 'changeFolder':
        return folderChildren(n.folder, n, n.layerNode);
      case 'fsRoot':
        return fsChildren(this.engine, n, '/', n);
      case 'fsEntry':
        return fsEntryChildren(this.engine, n);
      default:
        return [];
    }
  }

  private async imageChildren(n: ImageNode): Promise<ImagesNode[]> {
    let image: ImageModel;
    try {
      const what = n.parent.kind === 'remoteRepo' ? `Downloading the missing layers of ${n.ref.slice('registry://'.length)}` : `Indexing ${n.ref.includes(':') && !n.ref.startsWith('sha256:') ? n.ref : n.label}`;
      image = await withProgress(what, (signal, report) =>
        this.engine.loadOne(n.ref, { signal, onProgress: report }),
      );
    } catch (e) {
      const cancelled = isCompareError(e) && e.reason === 'cancelled';
      this.log.warn(`Indexing ${n.ref}: ${messageOf(e)}`);
      // Not cached: the next expand tries again.
      queueMicrotask(() => this.children.delete(n.id));
      return [
        {
          kind: 'message',
          id: `${n.id}/error`,
          parent: n,
          label: cancelled ? 'Indexing cancelled. Click to try again.' : `Could not index: ${messageOf(e)}`,
          detail: messageOf(e),
          icon: cancelled ? 'info' : 'error',
          command: { command: 'containerCompare.refresh', title: 'Retry', arguments: [n] },
        },
      ];
    }
    if (n.parent.kind === 'remoteRepo' && this.remoteIds.get(n.ref) !== image.id) {
      this.remoteIds.set(n.ref, image.id);
      queueMicrotask(() => this.changed.fire(n));
    }
    this.findLeftovers(image, n);
    return imageChildNodes(n, image);
  }

  /** The URI a layer change is shown and opened with; deletions point at the version below. */
  changeUri(layerNode: LayerNode, c: LayerChange): vscode.Uri {
    const id = layerNode.image.id;
    const layer = layerNode.layer.index;
    const uri =
      c.kind === 'deleted'
        ? ImageUri.of(id, c.path, c.beforeLayer !== undefined ? { layer: c.beforeLayer, view: `deletedIn${layer}` } : { absent: true, view: `deletedIn${layer}` }).toUri()
        : ImageUri.of(id, c.path, { layer }).toUri();
    const leftover = c.kind === 'deleted' ? undefined : this.leftoverAt(id, layer, c.path);
    const warning = leftover && { secret: !!leftover.secretKinds?.length, reason: `Should not ship: ${leftover.reason}${leftover.secretKinds?.length ? ` (${leftover.secretKinds.join(', ')})` : ''}` };
    this.decorations.set('images', uri, c.kind as ChangeMark, changeTooltip(c), warning);
    return uri;
  }

  private setEngineState(s: 'ok' | 'empty' | 'unreachable'): void {
    if (s === this.engineState) return;
    this.engineState = s;
    void vscode.commands.executeCommand('setContext', 'containerCompare.engine', s);
  }
}
