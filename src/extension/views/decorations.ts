import * as vscode from 'vscode';

export type ChangeMark = 'added' | 'modified' | 'deleted';

const STYLE: Record<ChangeMark, { badge: string; color: string; tooltip: string }> = {
  added: { badge: 'A', color: 'gitDecoration.addedResourceForeground', tooltip: 'Added' },
  modified: { badge: 'M', color: 'gitDecoration.modifiedResourceForeground', tooltip: 'Modified' },
  deleted: { badge: 'D', color: 'gitDecoration.deletedResourceForeground', tooltip: 'Deleted' },
};

/** What should not ship, on top of a change mark: '!' in the warning colour, or the error colour for secrets. */
export interface Warning {
  secret: boolean;
  reason: string;
}

/**
 * A/M/D marks on tree items, as the SCM view shows them, and '!' for files
 * that should not ship (leftovers, secrets), which wins over A/M/D. Views register the
 * URIs of the items they render, grouped by owner, and replace an owner's set
 * when their model changes.
 */
export class ChangeDecorations implements vscode.FileDecorationProvider {
  private readonly marks = new Map<string, { mark: ChangeMark; tooltip?: string; warning?: Warning }>();
  private readonly owners = new Map<string, Set<string>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.changed.event;

  set(owner: string, uri: vscode.Uri, mark: ChangeMark, tooltip?: string, warning?: Warning): void {
    const key = uri.toString();
    this.marks.set(key, { mark, tooltip, ...(warning ? { warning } : {}) });
    let keys = this.owners.get(owner);
    if (!keys) this.owners.set(owner, (keys = new Set()));
    keys.add(key);
  }

  /** Drops an owner's marks and tells VS Code to ask again for those URIs. */
  clear(owner: string): void {
    const keys = this.owners.get(owner);
    if (!keys) return;
    this.owners.delete(owner);
    for (const k of keys) this.marks.delete(k);
    this.changed.fire([...keys].map((k) => vscode.Uri.parse(k)));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const m = this.marks.get(uri.toString());
    if (!m) return undefined;
    const s = STYLE[m.mark];
    if (m.warning) {
      const color = m.warning.secret ? 'list.errorForeground' : 'list.warningForeground';
      return { badge: '!', color: new vscode.ThemeColor(color), tooltip: `${m.warning.reason}\n${m.tooltip ?? s.tooltip}`, propagate: false };
    }
    return { badge: s.badge, color: new vscode.ThemeColor(s.color), tooltip: m.tooltip ?? s.tooltip, propagate: false };
  }

  dispose(): void {
    this.changed.dispose();
  }
}
