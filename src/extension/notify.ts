import * as vscode from 'vscode';
import { isCompareError, messageOf } from '../core/util/errors';
import { inert } from '../core/util/inert';

/**
 * The extension's one way to report a failure: the log gets the details, the
 * user a notification naming the problem with what can be done about it
 * (Retry, Show Output, Open Settings). A cancel is the user's own doing and
 * is only logged.
 */
export async function reportError(log: vscode.LogOutputChannel, what: string, e: unknown, retry?: () => unknown): Promise<void> {
  if (isCompareError(e) && e.reason === 'cancelled') {
    log.info(`${inert(what)}: cancelled`);
    return;
  }
  // Messages quote names, config values and registries' answers: one inert line.
  const message = inert(messageOf(e));
  log.error(`${inert(what)}: ${message}`);
  if (e instanceof Error && e.stack && !isCompareError(e)) log.debug(e.stack);
  const actions = [...(retry ? ['Retry'] : []), 'Show Output'];
  const reason = isCompareError(e) ? e.reason : undefined;
  if (reason === 'daemonUnreachable' || reason === 'unauthorized' || reason === 'registry') actions.push('Open Settings');
  const picked = await vscode.window.showErrorMessage(`${inert(what)}: ${message}`, ...actions);
  if (picked === 'Retry') retry?.();
  else if (picked === 'Show Output') log.show(true);
  else if (picked === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', reason === 'daemonUnreachable' ? 'containerCompare.dockerHost' : 'containerCompare.registries');
}
