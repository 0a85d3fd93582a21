import * as vscode from 'vscode';
import { inert, inertText } from '../../core/util/inert';

/**
 * A tree item as the views hand it to VS Code: its label and description on
 * one inert line, its tooltip inert (core/util/inert.ts, the rule every
 * output follows). Each tree's getTreeItem ends with it, so no file name,
 * history line or registry answer reaches the workbench raw.
 */
export function inertItem(item: vscode.TreeItem): vscode.TreeItem {
  if (typeof item.label === 'string') item.label = inert(item.label);
  else if (item.label) item.label = { ...item.label, label: inert(item.label.label) };
  if (typeof item.description === 'string') item.description = inert(item.description);
  if (typeof item.tooltip === 'string') item.tooltip = inertText(item.tooltip);
  else if (item.tooltip instanceof vscode.MarkdownString) item.tooltip.value = inertText(item.tooltip.value);
  return item;
}
