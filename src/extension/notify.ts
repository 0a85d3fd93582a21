import * as vscode from 'vscode';
import { isCompareError, messageOf } from '../core/util/errors';
import { inert, inertText } from '../core/util/inert';

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

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error']);

/**
 * The log output channel with every message made inert (core/util/inert.ts):
 * messages quote names, history lines and registries' answers. Lines keep
 * their breaks (stack traces); anything else a terminal or an editor acts on
 * is escaped.
 */
export function inertLog(log: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(log, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const method = v as (...args: unknown[]) => unknown;
      if (typeof prop === 'string' && LEVELS.has(prop)) return (message: unknown, ...args: unknown[]) => method.call(target, typeof message === 'string' ? inertText(message) : message, ...args);
      return method.bind(target);
    },
  });
}
