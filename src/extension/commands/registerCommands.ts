import * as vscode from 'vscode';
import type { Command, Services } from '../services';
import { addRemoteRepository } from './addRemoteRepository';
import { closeComparison } from './closeComparison';
import { compareImages } from './compareImages';
import { compareWithSelected } from './compareWithSelected';
import { copyPath } from './copyPath';
import { exportReport } from './exportReport';
import { openChanges } from './openChanges';
import { openEvidence } from './openEvidence';
import { openFile } from './openFile';
import { refresh } from './refresh';
import { removeRemoteRepository } from './removeRemoteRepository';
import { revealInImages } from './revealInImages';
import { runSideBySide } from './runSideBySide';
import { selectForCompare } from './selectForCompare';
import { showLog } from './showLog';
import { swapSides } from './swapSides';

/** Every command of package.json's contributes.commands, registered from this one list. */
export const COMMANDS: readonly Command[] = [
  compareImages,
  runSideBySide,
  addRemoteRepository,
  removeRemoteRepository,
  selectForCompare,
  compareWithSelected,
  openChanges,
  openEvidence,
  openFile,
  copyPath,
  revealInImages,
  refresh,
  swapSides,
  exportReport,
  closeComparison,
  showLog,
];

export function registerCommands(s: Services): vscode.Disposable[] {
  return COMMANDS.map((c) => vscode.commands.registerCommand(c.id, (...args: unknown[]) => c.run(s, ...args)));
}
