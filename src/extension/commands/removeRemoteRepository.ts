import * as vscode from 'vscode';
import { parseRegistryName } from '../../core/image/registryName';
import type { Command } from '../services';
import { SECTION } from '../settings';
import type { ImagesNode } from '../views/imagesTree';

/** Remove from Registries: drops a repository added with Add Remote Repository… (nothing on the registry changes). */
export const removeRemoteRepository: Command = {
  id: 'containerCompare.removeRemoteRepository',
  async run(s, arg?: unknown) {
    const n = arg as ImagesNode | undefined;
    if (n?.kind !== 'remoteRepo') return;
    const c = vscode.workspace.getConfiguration(SECTION);
    const keep = c.get<string[]>('registries.repositories', []).filter((e) => {
      try {
        const name = parseRegistryName(e);
        return !(name.registry === n.host && name.repository === n.repository);
      } catch {
        return true;
      }
    });
    await c.update('registries.repositories', keep, vscode.ConfigurationTarget.Global);
    s.images.refresh();
  },
};
