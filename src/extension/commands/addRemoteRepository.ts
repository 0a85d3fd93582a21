import * as vscode from 'vscode';
import { messageOf } from '../../core/util/errors';
import { parseRegistryName } from '../../core/image/registryName';
import type { Command } from '../services';
import { SECTION } from '../settings';
import type { ImagesNode } from '../views/imagesTree';

/**
 * Add Remote Repository…: a HOST[:PORT]/REPOSITORY shown under Registries in
 * the Images view (kept in containerCompare.registries.repositories, where it
 * can also be edited). Registries that list their catalog need none of this;
 * most hosted ones do not.
 */
export const addRemoteRepository: Command = {
  id: 'containerCompare.addRemoteRepository',
  async run(s, arg?: unknown) {
    const node = arg as ImagesNode | undefined;
    const given = typeof arg === 'string' ? arg : undefined;
    const host = node && typeof node === 'object' && node.kind === 'registry' ? node.host : undefined;
    const value =
      given ??
      (await vscode.window.showInputBox({
        title: 'Add Remote Repository',
        prompt: 'HOST[:PORT]/REPOSITORY, e.g. registry.example:5000/app or ghcr.io/org/app',
        value: host ? `${host}/` : '',
        valueSelection: host ? [host.length + 1, host.length + 1] : undefined,
        validateInput: (v) => {
          try {
            parseRegistryName(v.trim());
            return undefined;
          } catch (e) {
            return messageOf(e);
          }
        },
      }));
    if (!value) return undefined;
    const name = parseRegistryName(value.trim());
    const entry = `${name.registry}/${name.repository}`;
    const c = vscode.workspace.getConfiguration(SECTION);
    const list = c.get<string[]>('registries.repositories', []);
    if (!list.includes(entry)) await c.update('registries.repositories', [...list, entry], vscode.ConfigurationTarget.Global);
    s.images.refresh();
    return entry;
  },
};
