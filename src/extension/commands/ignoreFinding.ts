import * as vscode from 'vscode';
import { codeInfo } from '../../core/findings/codes';
import type { Command, Services } from '../services';
import { SECTION } from '../settings';
import { findingPaths } from '../views/evidence';
import type { FindingsNode } from '../views/findingsTree';

/** What the commands take: a finding of the Findings view, or a code (and a path, or paths to choose from) from the report. */
type Arg = FindingsNode | { code: string; path?: string; paths?: string[] } | undefined;

/**
 * Ignore This Finding's Code: adds `CODE` to containerCompare.findings.ignore,
 * which every comparison applies (the CLI's --ignore-finding). Written to
 * the workspace's settings when a folder is open, so a project silences
 * what it knows about; to the user's otherwise.
 */
export const ignoreFinding: Command = {
  id: 'containerCompare.ignoreFinding',
  async run(s, arg?: unknown) {
    const a = arg as Arg;
    const code = a && ('code' in a ? a.code : a.kind === 'finding' ? a.finding.code : undefined);
    if (!code) return undefined;
    const path = a && 'code' in a ? a.path : undefined;
    return addIgnore(s, path ? `${code}:${path}` : code);
  },
};

/** Ignore This Finding's Code for This Path: `CODE:PATH`, for one of the paths the finding cites. */
export const ignoreFindingForPath: Command = {
  id: 'containerCompare.ignoreFindingForPath',
  async run(s, arg?: unknown) {
    const a = arg as Arg;
    if (!a) return undefined;
    const [code, paths] = 'code' in a ? [a.code, a.paths ?? (a.path ? [a.path] : [])] : a.kind === 'finding' ? [a.finding.code, findingPaths(a.finding)] : [undefined, []];
    if (!code || !paths.length) return undefined;
    const path = paths.length === 1 ? paths[0] : await vscode.window.showQuickPick(paths, { title: `Ignore ${code} for which path?`, placeHolder: 'The finding still shows for the paths not ignored' });
    if (!path) return undefined;
    return addIgnore(s, `${code}:${path}`);
  },
};

/** Adds an entry to containerCompare.findings.ignore (the comparison ranks again when the setting changes) and offers Undo. */
export async function addIgnore(s: Services, entry: string): Promise<string> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const inWorkspace = !!vscode.workspace.workspaceFolders?.length;
  const target = inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const inspected = c.inspect<string[]>('findings.ignore');
  const before = (inWorkspace ? inspected?.workspaceValue : inspected?.globalValue) ?? [];
  if (!before.includes(entry)) await c.update('findings.ignore', [...before, entry], target);
  s.log.info(`Ignoring ${entry} (containerCompare.findings.ignore, ${inWorkspace ? 'workspace' : 'user'} settings)`);
  const code = entry.split(':')[0];
  const name = codeInfo(code)?.name;
  void vscode.window
    .showInformationMessage(`${entry.includes(':') ? `${code} is ignored for ${entry.slice(code.length + 1)}` : `${code}${name ? ` (${name})` : ''} is ignored`} in ${inWorkspace ? "this workspace's" : 'your user'} settings.`, 'Undo', 'Open Settings')
    .then(async (pick) => {
      if (pick === 'Undo') {
        const now = (inWorkspace ? c.inspect<string[]>('findings.ignore')?.workspaceValue : c.inspect<string[]>('findings.ignore')?.globalValue) ?? [];
        await c.update('findings.ignore', now.filter((x) => x !== entry), target);
      } else if (pick === 'Open Settings') {
        await vscode.commands.executeCommand(inWorkspace ? 'workbench.action.openWorkspaceSettings' : 'workbench.action.openSettings', `${SECTION}.findings.ignore`);
      }
    });
  return entry;
}
