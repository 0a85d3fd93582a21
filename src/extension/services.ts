import type * as vscode from 'vscode';
import type { ComparisonSession } from './comparisonSession';
import type { EngineService } from './engineService';
import type { ComparisonNode, ComparisonTreeProvider } from './views/comparisonTree';
import type { ChangeDecorations } from './views/decorations';
import type { FindingsNode, FindingsTreeProvider } from './views/findingsTree';
import type { ImagesNode, ImagesTreeProvider } from './views/imagesTree';

/** What commands work with; built once in activate(). */
export interface Services {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  engine: EngineService;
  session: ComparisonSession;
  images: ImagesTreeProvider;
  imagesView: vscode.TreeView<ImagesNode>;
  comparison: ComparisonTreeProvider;
  comparisonView: vscode.TreeView<ComparisonNode>;
  decorations: ChangeDecorations;
  findings: FindingsTreeProvider;
  findingsView: vscode.TreeView<FindingsNode>;
  /** The image chosen with "Select for Compare". */
  selection: { ref: string; label: string } | undefined;
}

/** One command: its id (as in package.json) and what it does. */
export interface Command {
  id: string;
  run(s: Services, ...args: unknown[]): unknown;
}
