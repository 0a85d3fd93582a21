import * as vscode from 'vscode';
import type { Command, Services } from '../services';
import { addRemoteRepository } from './addRemoteRepository';
import { closeComparison } from './closeComparison';
import { compareImages } from './compareImages';
import { compareWithSelected } from './compareWithSelected';
import { copyPath } from './copyPath';
import { exportReport } from './exportReport';
import { goToImage } from './goToImage';
import { ignoreFinding, ignoreFindingForPath } from './ignoreFinding';
import { nextFinding, previousFinding } from './nextFinding';
import { openChanges } from './openChanges';
import { openEvidence } from './openEvidence';
import { openFile } from './openFile';
import { openReport } from './openReport';
import { refresh } from './refresh';
import { removeRemoteRepository } from './removeRemoteRepository';
import { revealInImages } from './revealInImages';
import { runSideBySide } from './runSideBySide';
import { selectForCompare } from './selectForCompare';
import { showLog } from './showLog';
import { stopRun } from './stopRun';
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
  openReport,
  nextFinding,
  previousFinding,
  stopRun,
  ignoreFinding,
  ignoreFindingForPath,
  goToImage,
];

export function registerCommands(s: Services): vscode.Disposable[] {
  return COMMANDS.map((c) => vscode.commands.registerCommand(c.id, (...args: unknown[]) => c.run(s, ...args)));
}
