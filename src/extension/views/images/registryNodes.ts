import * as vscode from 'vscode';
import { configuredRegistries } from '../../../core/registry/auth';
import { parseRegistryName } from '../../../core/image/registryName';
import type { EngineService } from '../../engineService';
import type { ImagesNode, RegistriesNode, RegistryNode, RemoteRepoNode } from '../imagesTree';

/** Tags listed per repository at most: a CI registry may keep thousands. */
const MAX_TAGS = 500;

export function registriesItem(): vscode.TreeItem {
  const item = new vscode.TreeItem('Registries', vscode.TreeItemCollapsibleState.Collapsed);
  item.iconPath = new vscode.ThemeIcon('cloud');
  item.tooltip = 'Registries you are logged in to (docker config), marked insecure, or named in containerCompare.registries.repositories. Their images are read without pulling: only layers not indexed yet are downloaded.';
  item.contextValue = 'registries';
  return item;
}

export function registryItem(n: RegistryNode): vscode.TreeItem {
  const item = new vscode.TreeItem(n.host, vscode.TreeItemCollapsibleState.Collapsed);
  item.iconPath = new vscode.ThemeIcon('server');
  item.contextValue = 'registry';
  return item;
}

export function remoteRepoItem(n: RemoteRepoNode): vscode.TreeItem {
  const item = new vscode.TreeItem(n.repository, vscode.TreeItemCollapsibleState.Collapsed);
  item.iconPath = new vscode.ThemeIcon('repo');
  item.description = n.added ? undefined : 'from the catalog';
  item.tooltip = `${n.host}/${n.repository}`;
  item.contextValue = n.added ? 'remoteRepository.added' : 'remoteRepository';
  return item;
}

/** Registry hosts to list: the settings' repositories and insecure hosts, and the docker config's logins. */
export async function registryHosts(engine: EngineService): Promise<string[]> {
  const r = engine.settings().registries;
  const hosts = new Set<string>();
  for (const entry of r.repositories) {
    try {
      hosts.add(parseRegistryName(entry).registry);
    } catch {
      // a malformed entry: the settings editor flags it (pattern)
    }
  }
  for (const h of r.insecure) if (!h.includes('/')) hosts.add(h);
  const opts = engine.registryOptions();
  for (const h of await configuredRegistries({ configDir: opts.configDir, env: process.env })) hosts.add(h);
  return [...hosts].sort();
}

export async function registryNodes(engine: EngineService, n: RegistriesNode): Promise<ImagesNode[]> {
  return (await registryHosts(engine)).map((host): ImagesNode => ({ kind: 'registry', id: `registry:${host}`, parent: n, host }));
}

export async function repositoryNodes(engine: EngineService, n: RegistryNode): Promise<ImagesNode[]> {
  const added = new Set<string>();
  for (const entry of engine.settings().registries.repositories) {
    try {
      const name = parseRegistryName(entry);
      if (name.registry === n.host) added.add(name.repository);
    } catch {
      // see registryHosts()
    }
  }
  const catalog = await engine.registry(n.host).catalog();
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

export async function tagNodes(engine: EngineService, n: RemoteRepoNode): Promise<ImagesNode[]> {
  const tags = await engine.registry(n.host).listTags(n.repository);
  const out: ImagesNode[] = tags.slice(0, MAX_TAGS).map((tag) => ({ kind: 'image', id: `${n.id}/tag:${tag}`, parent: n, ref: `registry://${n.host}/${n.repository}:${tag}`, label: tag, imageId: '' }));
  if (tags.length > MAX_TAGS) out.push({ kind: 'message', id: `${n.id}/more`, parent: n, label: `… and ${tags.length - MAX_TAGS} more tags (compare one by name: Compare Images → Remote image…)`, icon: 'info' });
  if (!tags.length) out.push({ kind: 'message', id: `${n.id}/none`, parent: n, label: 'No tags', icon: 'info' });
  return out;
}
