import * as vscode from 'vscode';
import { isCompareError, messageOf } from '../../core/util/errors';
import type { MergedEntry } from '../../core/layers/fileTree';
import { layerChanges, type LayerChange } from '../../core/layers/layerChanges';
import { findLeftovers, type Leftover } from '../../core/findings/leftovers';
import type { ImageModel, LayerInfo } from '../../core/image/model';
import { octal } from '../../core/report/report';
import { configuredRegistries } from '../../core/registry/auth';
import { parseRegistryName } from '../../core/image/registryName';
import { age, humanSize } from '../../core/util/units';
import type { ImageSummary } from '../../docker/daemonClient';
import type { EngineService } from '../engineService';
import { ImageUri } from '../fs/imageUri';
import { withProgress } from '../progress';
import type { ChangeDecorations, ChangeMark } from './decorations';
import { basename, escapeMd, layerTitle, two } from './labels';
import { buildPathTree, type PathFolder } from './pathTree';

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

/** Tags listed per repository at most: a CI registry may keep thousands. */
const MAX_TAGS = 500;

const OPENED = '\0opened';
const UNTAGGED = '\0untagged';

/**
 * The Images view: the engine's images by repository and tag; each image
 * expands (indexing it on first use) into its numbered layers, each layer
 * into the files it adds, changes or deletes, plus the merged filesystem.
 * Images opened from archives in this session appear in their own group.
 */
export class ImagesTreeProvider implements vscode.TreeDataProvider<ImagesNode> {
  private readonly changed = new vscode.EventEmitter<ImagesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<ImagesNode> | undefined;
  private roots: Promise<ImagesNode[]> | undefined;
  private readonly children = new Map<string, Promise<ImagesNode[]>>();
  private readonly opened = new Map<string, { ref: string; name: string }>();
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
    if (image.source === 'daemon' || this.opened.has(image.id)) return;
    this.opened.set(image.id, { ref: image.ref, name: image.name });
    this.refresh();
  }

  getTreeItem(n: ImagesNode): vscode.TreeItem {
    switch (n.kind) {
      case 'repo': {
        const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${n.images.length} image${n.images.length === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon(n.icon);
        item.contextValue = 'repository';
        return withId(item, n);
      }
      case 'image': {
        const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Collapsed);
        const s = n.summary;
        const remote = n.parent.kind === 'remoteRepo';
        const loadedId = n.imageId || (remote ? this.remoteIds.get(n.ref) ?? '' : '');
        item.description = [loadedId ? loadedId.slice(7, 19) : 'not downloaded', ...(s ? [humanSize(s.size), age(s.created)] : [])].join(' · ');
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${escapeMd(n.label)}**\n\n`);
        if (loadedId) md.appendMarkdown(`Image id \`${loadedId}\`\n\n`);
        if (s) {
          md.appendMarkdown(`${humanSize(s.size)}, created ${new Date(s.created).toLocaleString()} (${age(s.created)})\n\n`);
          if (s.repoTags.length > 1) md.appendMarkdown(`Tags: ${s.repoTags.map((t) => `\`${t}\``).join(', ')}\n\n`);
          if (s.repoDigests.length) md.appendMarkdown(`Digests: ${s.repoDigests.map((t) => `\`${t}\``).join(', ')}\n\n`);
        } else md.appendMarkdown(`From \`${escapeMd(n.ref)}\`\n\n`);
        item.tooltip = md;
        const shipped = loadedId ? [...(this.leftovers.get(loadedId)?.values() ?? [])].flat() : [];
        if (shipped.length) item.description += ` · ⚠ ${shipped.length} leftover${shipped.length === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon(remote ? 'cloud' : 'package');
        // Registry images can be browsed and compared, not run (run needs them in the engine).
        item.contextValue = remote ? 'remoteImage' : 'image';
        return withId(item, n);
      }
      case 'registries': {
        const item = new vscode.TreeItem('Registries', vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('cloud');
        item.tooltip = 'Registries you are logged in to (docker config), marked insecure, or named in containerCompare.registries.repositories. Their images are read without pulling: only layers not indexed yet are downloaded.';
        item.contextValue = 'registries';
        return withId(item, n);
      }
      case 'registry': {
        const item = new vscode.TreeItem(n.host, vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('server');
        item.contextValue = 'registry';
        return withId(item, n);
      }
      case 'remoteRepo': {
        const item = new vscode.TreeItem(n.repository, vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('repo');
        item.description = n.added ? undefined : 'from the catalog';
        item.tooltip = `${n.host}/${n.repository}`;
        item.contextValue = n.added ? 'remoteRepository.added' : 'remoteRepository';
        return withId(item, n);
      }
      case 'layer': {
        const l = n.layer;
        const item = new vscode.TreeItem(`${two(l.index)} · ${layerTitle(l.instruction)}`, n.image.indexes[l.index].length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.description = `${humanSize(l.size)} · ${l.fileCount} file${l.fileCount === 1 ? '' : 's'}`;
        item.tooltip = layerTooltip(l);
        const found = this.leftovers.get(n.image.id)?.get(l.index);
        if (found?.length) {
          const secrets = found.filter((x) => x.secretKinds?.length).length;
          item.description += ` · ⚠ ${found.length} leftover${found.length === 1 ? '' : 's'}${secrets ? `, ${secrets} with secrets` : ''}`;
          (item.tooltip as vscode.MarkdownString).appendMarkdown(
            `\n\n**Should not ship:**\n\n${found.map((x) => `- \`${escapeMd(x.path)}\`: ${escapeMd(x.reason)}${x.deletedInLayer !== undefined ? ` (deleted by layer ${two(x.deletedInLayer)}, but its bytes still ship here)` : ''}`).join('\n')}`,
          );
        }
        item.iconPath = new vscode.ThemeIcon('layers');
        item.contextValue = 'layer';
        return withId(item, n);
      }
      case 'changeFolder': {
        const item = new vscode.TreeItem(n.folder.label, vscode.TreeItemCollapsibleState.Collapsed);
        const own = n.folder.item;
        item.resourceUri = own ? this.changeUri(n.layerNode, own) : ImageUri.of(n.layerNode.image.id, n.folder.path, { layer: n.layerNode.layer.index }).toUri();
        item.iconPath = vscode.ThemeIcon.Folder;
        if (own) item.tooltip = changeTooltip(own);
        item.contextValue = 'folder';
        return withId(item, n);
      }
      case 'layerChange': {
        const c = n.change;
        const item = new vscode.TreeItem(basename(c.path), vscode.TreeItemCollapsibleState.None);
        item.resourceUri = this.changeUri(n.layerNode, c);
        item.iconPath = c.entry.type === 'symlink' ? new vscode.ThemeIcon('file-symlink-file') : vscode.ThemeIcon.File;
        item.description = changeDescription(c);
        item.tooltip = changeTooltip(c);
        item.contextValue = c.kind === 'deleted' ? 'file deleted' : 'file';
        // A file the layer changed opens as what the layer did to it, as the SCM view opens a change.
        item.command =
          c.kind === 'modified' && c.beforeLayer !== undefined
            ? { command: 'containerCompare.openChanges', title: 'Open Changes', arguments: [n] }
            : { command: 'containerCompare.openFile', title: 'Open', arguments: [n] };
        return withId(item, n);
      }
      case 'fsRoot': {
        const item = new vscode.TreeItem('Filesystem', vscode.TreeItemCollapsibleState.Collapsed);
        const size = this.engine.tree(n.image).size;
        item.description = `${size.toLocaleString('en-US')} entries, all layers merged`;
        item.iconPath = new vscode.ThemeIcon('root-folder');
        item.resourceUri = ImageUri.of(n.image.id, '/').toUri();
        item.contextValue = 'filesystem';
        return withId(item, n);
      }
      case 'fsEntry': {
        const e = n.entry;
        const target = e.type === 'symlink' ? this.engine.tree(n.root.image).resolve(e.path) : undefined;
        const isDir = e.type === 'dir' || target?.entry.type === 'dir';
        const item = new vscode.TreeItem(basename(e.path), isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.resourceUri = ImageUri.of(n.root.image.id, e.path).toUri();
        item.iconPath = isDir ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
        item.description = e.type === 'symlink' ? `→ ${e.linkTarget}` : e.type === 'dir' ? undefined : `${humanSize(e.size)} · ${octal(e.mode)}`;
        item.tooltip = `${e.path}\n${e.type}, mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}${e.type === 'file' ? `, ${e.size} bytes` : ''}${e.layer >= 0 ? `\nwritten by layer ${two(e.layer)}` : ''}`;
        item.contextValue = isDir ? 'folder' : 'file';
        if (!isDir) item.command = { command: 'containerCompare.openFile', title: 'Open', arguments: [n] };
        return withId(item, n);
      }
      case 'message': {
        const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(n.icon);
        item.tooltip = n.detail ?? n.label;
        item.command = n.command;
        item.contextValue = 'message';
        return withId(item, n);
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

  /** Registry hosts to list: the settings' repositories and insecure hosts, and the docker config's logins. */
  private async registries(): Promise<string[]> {
    const r = this.engine.settings().registries;
    const hosts = new Set<string>();
    for (const entry of r.repositories) {
      try {
        hosts.add(parseRegistryName(entry).registry);
      } catch {
        // a malformed entry: the settings editor flags it (pattern)
      }
    }
    for (const h of r.insecure) if (!h.includes('/')) hosts.add(h);
    const opts = this.engine.registryOptions();
    for (const h of await configuredRegistries({ configDir: opts.configDir, env: process.env })) hosts.add(h);
    return [...hosts].sort();
  }

  private async repositories(n: RegistryNode): Promise<ImagesNode[]> {
    const added = new Set<string>();
    for (const entry of this.engine.settings().registries.repositories) {
      try {
        const name = parseRegistryName(entry);
        if (name.registry === n.host) added.add(name.repository);
      } catch {
        // see registries()
      }
    }
    const catalog = await this.engine.registry(n.host).catalog();
    const names = [...new Set([...added, ...(catalog ?? [])])].sort();
    const out: ImagesNode[] = names.map((repository) => ({ kind: 'remoteRepo', id: `${n.id}/repo:${repository}`, parent: n, host: n.host, repository, added: added.has(repository) }));
    if (!out.length) {
      out.push({
        kind: 'message',
        id: `${n.id}/none`,
        parent: n,
        label: catalog === undefined ? 'This registry does not list its repositories: add one' : 'No repositories',
        icon: 'add',
        command: { command: 'containerCompare.addRemoteRepository', title: 'Add Remote Repository…', arguments: [n] },
      });
    }
    return out;
  }

  private async tags(n: RemoteRepoNode): Promise<ImagesNode[]> {
    const tags = await this.engine.registry(n.host).listTags(n.repository);
    const out: ImagesNode[] = tags.slice(0, MAX_TAGS).map((tag) => ({ kind: 'image', id: `${n.id}/tag:${tag}`, parent: n, ref: `registry://${n.host}/${n.repository}:${tag}`, label: tag, imageId: '' }));
    if (tags.length > MAX_TAGS) out.push({ kind: 'message', id: `${n.id}/more`, parent: n, label: `… and ${tags.length - MAX_TAGS} more tags (compare one by name: Compare Images → Remote image…)`, icon: 'info' });
    if (!tags.length) out.push({ kind: 'message', id: `${n.id}/none`, parent: n, label: 'No tags', icon: 'info' });
    return out;
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
    const repos = new Map<string, RepoNode>();
    const repo = (key: string, label: string, icon: string): RepoNode => {
      let r = repos.get(key);
      if (!r) repos.set(key, (r = { kind: 'repo', id: `repo:${key}`, label, images: [], icon }));
      return r;
    };
    for (const s of [...images].sort((a, b) => (a.created < b.created ? 1 : -1))) {
      if (!s.repoTags.length) {
        const r = repo(UNTAGGED, 'Untagged', 'question');
        r.images.push({ kind: 'image', id: `${r.id}/img:${s.id}`, parent: r, ref: s.id, label: s.id.slice(7, 19), imageId: s.id, summary: s });
      }
      for (const tag of s.repoTags) {
        const { name, tag: t } = splitTag(tag);
        const r = repo(name, name, 'repo');
        r.images.push({ kind: 'image', id: `${r.id}/img:${tag}`, parent: r, ref: tag, label: t, imageId: s.id, summary: s });
      }
    }
    if (this.opened.size) {
      const r = repo(OPENED, 'Opened in this session', 'file-zip');
      for (const [id, o] of this.opened) r.images.push({ kind: 'image', id: `${r.id}/img:${id}`, parent: r, ref: o.ref, label: o.name, imageId: id });
    }
    const sorted = [...repos.values()].sort((a, b) => rank(a) - rank(b) || (a.label < b.label ? -1 : 1));
    roots.push(...sorted);
    if ((await this.registries()).length) roots.push({ kind: 'registries', id: 'registries' });
    return roots;
  }

  private async loadChildren(n: ImagesNode): Promise<ImagesNode[]> {
    switch (n.kind) {
      case 'repo':
        return n.images;
      case 'registries':
        return (await this.registries()).map((host): ImagesNode => ({ kind: 'registry', id: `registry:${host}`, parent: n, host }));
      case 'registry':
        return this.guarded(n, () => this.repositories(n));
      case 'remoteRepo':
        return this.guarded(n, () => this.tags(n));
      case 'image':
        return this.imageChildren(n);
      case 'layer': {
        const changes = layerChanges(n.image.indexes, n.layer.index, this.engine.lookup(n.image));
        return this.folderChildren(buildPathTree(changes.map((c) => ({ path: c.path, item: c }))), n, n);
      }
      case 'changeFolder':
        return this.folderChildren(n.folder, n, n.layerNode);
      case 'fsRoot':
        return this.fsChildren(n, '/', n);
      case 'fsEntry': {
        const tree = this.engine.tree(n.root.image);
        const target = tree.resolve(n.entry.path);
        return target ? this.fsChildren(n.root, target.path, n) : [];
      }
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
    const layers: ImagesNode[] = image.layers.map((layer) => ({ kind: 'layer', id: `${n.id}/layer:${layer.index}`, parent: n, image, layer }));
    return [...layers, { kind: 'fsRoot', id: `${n.id}/fs`, parent: n, image }];
  }

  private folderChildren(f: PathFolder<LayerChange>, parent: LayerNode | ChangeFolderNode, layerNode: LayerNode): ImagesNode[] {
    const out: ImagesNode[] = [];
    for (const sub of f.folders) out.push({ kind: 'changeFolder', id: `${layerNode.id}/d:${sub.path}`, parent, layerNode, folder: sub });
    for (const { item } of f.items) out.push({ kind: 'layerChange', id: `${layerNode.id}/f:${item.path}`, parent, layerNode, change: item });
    return out;
  }

  private fsChildren(root: FsRootNode, dir: string, parent: FsRootNode | FsEntryNode): ImagesNode[] {
    const list = this.engine.tree(root.image).list(dir) ?? [];
    const entries = list.map((entry): FsEntryNode => ({ kind: 'fsEntry', id: `${root.id}:${entry.path}`, parent, root, entry }));
    // Folders first, as the explorer lists them.
    return entries.sort((a, b) => Number(b.entry.type === 'dir') - Number(a.entry.type === 'dir') || (a.entry.path < b.entry.path ? -1 : 1));
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

function withId(item: vscode.TreeItem, n: ImagesNode): vscode.TreeItem {
  item.id = n.id;
  return item;
}

function rank(r: RepoNode): number {
  return r.id === `repo:${OPENED}` ? 0 : r.id === `repo:${UNTAGGED}` ? 2 : 1;
}

/** "registry:5000/app:1.0" → name "registry:5000/app", tag "1.0". */
export function splitTag(repoTag: string): { name: string; tag: string } {
  const at = repoTag.indexOf('@');
  if (at !== -1) return { name: repoTag.slice(0, at), tag: repoTag.slice(at + 1) };
  const colon = repoTag.lastIndexOf(':');
  if (colon > repoTag.lastIndexOf('/')) return { name: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) };
  return { name: repoTag, tag: 'latest' };
}

function layerTooltip(l: LayerInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**Layer ${two(l.index)}** · ${humanSize(l.size)} · ${l.fileCount} files · ${l.builder === 'unknown' ? 'builder unknown' : `${l.builder} builder`}\n\n`);
  md.appendCodeblock(l.createdBy || '(no history for this layer)', 'dockerfile');
  md.appendMarkdown(`diffID \`${l.diffId}\`\n\n`);
  if (l.digest) md.appendMarkdown(`blob \`${l.digest}\`${l.compressedSize !== undefined ? ` (${humanSize(l.compressedSize)} compressed)` : ''}\n\n`);
  if (l.comment) md.appendMarkdown(`${escapeMd(l.comment)}\n\n`);
  return md;
}

function changeDescription(c: LayerChange): string {
  const e = c.entry;
  if (c.kind === 'deleted') return 'deleted';
  if (e.type === 'symlink') return `→ ${e.linkTarget}`;
  if (e.type === 'opaque') return 'replaced: lower contents hidden';
  const b = c.before;
  const parts: string[] = [];
  if (b && b.mode !== e.mode) parts.push(`${octal(b.mode)} → ${octal(e.mode)}`);
  if (b && (b.uid !== e.uid || b.gid !== e.gid)) parts.push(`${b.uid}:${b.gid} → ${e.uid}:${e.gid}`);
  if (e.type === 'file' || e.type === 'hardlink') parts.unshift(humanSize(e.size));
  return parts.join(' · ');
}

function changeTooltip(c: LayerChange): string {
  const e = c.entry;
  const verb = c.kind === 'added' ? 'Added' : c.kind === 'deleted' ? 'Deleted' : e.type === 'opaque' ? 'Replaced (opaque directory)' : 'Changed';
  const lines = [`${verb} by this layer: ${c.path}`];
  if (c.kind !== 'deleted' && e.type !== 'opaque') lines.push(`${e.type}, mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}${e.type === 'file' ? `, ${e.size} bytes` : ''}${e.lineEndings && e.lineEndings !== 'none' ? `, ${e.lineEndings.toUpperCase()} line endings` : ''}`);
  if (c.before) lines.push(`Before: ${c.before.type}, mode ${octal(c.before.mode)}, owner ${c.before.uid}:${c.before.gid}${c.beforeLayer !== undefined ? `, from layer ${two(c.beforeLayer)}` : ''}`);
  return lines.join('\n');
}
