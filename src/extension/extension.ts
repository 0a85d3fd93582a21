import * as vscode from 'vscode';
import { registerCommands } from './commands/registerCommands';
import { ComparisonSession } from './comparisonSession';
import { EngineService } from './engineService';
import { ImageFileSystemProvider } from './fs/imageFileSystemProvider';
import { SCHEME } from './fs/imageUri';
import { inertLog, reportError } from './notify';
import type { Services } from './services';
import { SECTION, SOURCE_SETTINGS } from './settings';
import { ComparisonTreeProvider } from './views/comparisonTree';
import { ChangeDecorations } from './views/decorations';
import { EngineWatcher } from './views/engineWatcher';
import { FindingsTreeProvider } from './views/findingsTree';
import { ImagesTreeProvider } from './views/imagesTree';
import { ReportPanel } from './webviews/reportPanel';
import { RunPanel } from './webviews/runPanel';

/** What activate() returns: the extension's services, for its own extension-host tests. */
export type ContainerCompareApi = Services;

export function activate(context: vscode.ExtensionContext): ContainerCompareApi {
  const log = inertLog(vscode.window.createOutputChannel('Container Compare', { log: true }));
  context.subscriptions.push(log);
  log.info(`Container Compare ${context.extension.packageJSON.version as string} activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted'})`);

  const engine = new EngineService(context.globalState, log);
  const session = new ComparisonSession(engine, log);
  const decorations = new ChangeDecorations();
  const images = new ImagesTreeProvider(engine, decorations, log);
  const comparison = new ComparisonTreeProvider(session, decorations);
  const imagesView = vscode.window.createTreeView('containerCompare.images', { treeDataProvider: images, showCollapseAll: true });
  // No Collapse All: a few sections, and room for the description that names the pair.
  const comparisonView = vscode.window.createTreeView('containerCompare.comparison', { treeDataProvider: comparison });
  const findings = new FindingsTreeProvider(session, () => engine.settings().showInternals);
  const findingsView = vscode.window.createTreeView('containerCompare.findings', { treeDataProvider: findings });
  images.attach(imagesView);
  comparison.attach(comparisonView);
  findings.attach(findingsView);
  const services: Services = { context, log, engine, session, images, imagesView, comparison, comparisonView, decorations, findings, findingsView, selection: undefined, panels: { report: () => ReportPanel.open, runs: () => RunPanel.panels() } };
  const watcher = new EngineWatcher(engine, () => images.refresh(), log);

  context.subscriptions.push(
    session,
    decorations,
    imagesView,
    comparisonView,
    findingsView,
    watcher,
    vscode.window.registerFileDecorationProvider(decorations),
    vscode.workspace.registerFileSystemProvider(SCHEME, new ImageFileSystemProvider(engine, log), { isReadonly: true, isCaseSensitive: true }),
    ...registerCommands(services),
    ReportPanel.follow(services),
    RunPanel.follow(services),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      const sourceChanged = SOURCE_SETTINGS.some((s) => e.affectsConfiguration(s));
      engine.reset(sourceChanged ? 'all' : 'settings');
      try {
        engine.settings();
      } catch (err) {
        void reportError(log, 'Settings', err);
        return;
      }
      if (sourceChanged) {
        images.refresh();
        if (engine.settings().followEngine) watcher.start();
      }
      if (e.affectsConfiguration(`${SECTION}.followEngine`)) {
        if (engine.settings().followEngine) watcher.start();
        else watcher.stop();
      }
      // The images in memory were dropped with the old settings; the comparison keeps its own and re-applies ignore globs.
      if (e.affectsConfiguration(`${SECTION}.ignore`)) void session.recompute().catch((err: unknown) => reportError(log, 'Comparing again', err));
      // Silenced findings: only the ranking is done again.
      else if (e.affectsConfiguration(`${SECTION}.findings.ignore`)) session.rerank();
      if (e.affectsConfiguration(`${SECTION}.debug.showInternals`)) {
        findings.refresh();
        ReportPanel.open?.update();
      }
    }),
  );
  try {
    if (engine.settings().followEngine) watcher.start();
  } catch (e) {
    void reportError(log, 'Settings', e);
  }
  return services;
}

/** Containers started by Run Side by Side are stopped and removed before VS Code goes. */
export async function deactivate(): Promise<void> {
  await RunPanel.disposeAll();
}
