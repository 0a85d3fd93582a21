import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { Services } from '../../src/extension/services';
import type { ComparisonNode } from '../../src/extension/views/comparisonTree';
import type { FindingsNode } from '../../src/extension/views/findingsTree';
import type { ImagesNode } from '../../src/extension/views/imagesTree';

export const EXTENSION_ID = 'container-compare.container-compare';

/** The extension's services (activate()'s return value). */
export async function api(): Promise<Services> {
  const ext = vscode.extensions.getExtension<Services>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
  return ext.activate();
}

/** The repository root (the extension's development path). */
export function repoRoot(): string {
  return vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
}

/** An archive written by scripts/make-archives.sh (test-all.sh runs it before this suite). */
export function archive(name: string): string {
  const p = join(repoRoot(), '.cache', 'archives', name);
  assert.ok(existsSync(p), `${p} is missing: run scripts/make-archives.sh .cache/archives`);
  return p;
}

export const PHP_A = 'cc-example/php-fcgid:laptop';
export const PHP_B = 'cc-example/php-fcgid:ci';

/** The CLI of the same build, for parity checks. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), ...args], { maxBuffer: 64 * 2 ** 20, env: process.env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** Children of a tree node as the view would ask for them. */
export async function children<T extends ImagesNode | ComparisonNode | FindingsNode>(provider: vscode.TreeDataProvider<T>, node?: T): Promise<T[]> {
  return (await provider.getChildren(node)) ?? [];
}

export async function label<T>(provider: vscode.TreeDataProvider<T>, node: T): Promise<string> {
  const item = await provider.getTreeItem(node);
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

export async function description<T>(provider: vscode.TreeDataProvider<T>, node: T): Promise<string> {
  const item = await provider.getTreeItem(node);
  return typeof item.description === 'string' ? item.description : '';
}

/** Polls until `fn` returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The active editor tab's input, when it is a diff. */
export function activeDiff(): vscode.TabInputTextDiff | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputTextDiff ? input : undefined;
}

export async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Sets a user setting for the duration of a test; returns the undo. */
export async function withSetting(key: string, value: unknown): Promise<() => Promise<void>> {
  const c = vscode.workspace.getConfiguration('containerCompare');
  const before = c.inspect(key)?.globalValue;
  await c.update(key, value, vscode.ConfigurationTarget.Global);
  return () => c.update(key, before, vscode.ConfigurationTarget.Global) as Promise<void>;
}

/**
 * The last lines of the extension's own log (the "Container Compare" output
 * channel), for a failure message: what the extension saw when a test failed.
 */
export async function extensionLogTail(s: Services, lines = 40): Promise<string> {
  const dir = s.context.logUri.fsPath;
  const files = await readdir(dir).catch(() => [] as string[]);
  const log = files.find((f) => f.endsWith('.log'));
  if (!log) return `(no log file in ${dir}: ${files.join(', ') || 'empty'})`;
  return (await readFile(join(dir, log), 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
}
