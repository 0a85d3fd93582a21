import type * as vscode from 'vscode';
import type { ImageModel } from '../core/image/model';
import { describeChange, type ReportFile, type ReportFileSide } from '../core/report/report';
import { ImageUri } from './fs/imageUri';
import { inert } from '../core/util/inert';

/** Where a changed file is compared: the merged filesystems, or one aligned layer pair (its row). */
export type ChangeScope = { kind: 'merged' } | { kind: 'row'; row: number };

/** The two documents of a change, for vscode.diff, and a title that says what differs. */
export interface ChangeSides {
  left: vscode.Uri;
  right: vscode.Uri;
  title: string;
  /** The side that exists (B, or A for a removal), to open or reveal. */
  present: { image: ImageModel; uri: ImageUri };
  /** Text diffs cannot show this change (directories, links, devices): the metadata is compared instead. */
  metadata: boolean;
}

const FILE_LIKE = new Set(['file', 'hardlink']);

/**
 * The two sides of a changed file. Regular files diff their bytes; a file
 * present on one side only diffs against an empty document; directories,
 * symlinks, devices and type changes diff their metadata (type, mode, owner,
 * target), since their "content" says nothing. The title carries the reason,
 * so a mode- or line-ending-only change is not a puzzle of identical text.
 */
export function changeSides(a: ImageModel, b: ImageModel, f: ReportFile, scope: ChangeScope, names: [string, string]): ChangeSides {
  const metadata = ![f.a, f.b].every((s) => !s || FILE_LIKE.has(s.type)) || f.reasons.includes('type');
  const uriOf = (image: ImageModel, s: ReportFileSide | undefined): ImageUri => {
    const layer = scope.kind === 'row' && s ? s.layer : undefined;
    // A whiteout in a layer pair is a deletion: nothing to read on that side.
    const absent = !s || s.type === 'whiteout' || s.type === 'opaque';
    return ImageUri.of(image.id, f.path, { ...(layer !== undefined ? { layer } : {}), absent, meta: metadata && !absent });
  };
  const left = uriOf(a, f.a);
  const right = uriOf(b, f.b);
  const why = f.change === 'modified' ? describeChange(f) : f.change === 'added' ? `only in ${names[1]}` : `only in ${names[0]}`;
  const where = scope.kind === 'row' ? `, layer ${String(scope.row).padStart(2, '0')}` : '';
  const base = f.path.slice(f.path.lastIndexOf('/') + 1);
  const title = `${base} (${names[0]} ↔ ${names[1]}${where})${why ? ` · ${why}` : ''}${metadata ? ' · metadata' : ''}`;
  const present = f.b ? { image: b, uri: right } : { image: a, uri: left };
  // An editor title, from a path and image names: one inert line.
  return { left: left.toUri(), right: right.toUri(), title: inert(title), present: { image: present.image, uri: present.uri.with({ meta: false }) }, metadata };
}
