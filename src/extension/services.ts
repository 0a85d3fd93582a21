import type * as vscode from 'vscode';
import type { ComparisonSession } from './comparisonSession';
import type { EngineService } from './engineService';
import type { ComparisonNode, ComparisonTreeProvider } from './views/comparisonTree';
import type { ChangeDecorations } from './views/decorations';
import type { FindingsNode, FindingsTreeProvider } from './views/findingsTree';
import type { ImagesNode, ImagesTreeProvider } from './views/imagesTree';
import type { ReportPanel } from './webviews/reportPanel';
import type { RunPanel } from './webviews/runPanel';

/** The editors the extension opens (the report, the run panels), as they are now. */
export interface Panels {
  report(): ReportPanel | undefined;
  runs(): readonly RunPanel[];
}

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
  /** The finding Next/Previous Finding went to last (its rank). */
  findingCursor?: number;
  panels: Panels;
}

/** One command: its id (as in package.json) and what it does. */
export interface Command {
  id: string;
  run(s: Services, ...args: unknown[]): unknown;
}
