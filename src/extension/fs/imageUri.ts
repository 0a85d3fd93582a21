import * as vscode from 'vscode';
import { CompareError } from '../../core/util/errors';

export const SCHEME = 'container-image';

/**
 * A file of an image, as a URI the read-only file system provider serves:
 *
 *   container-image://<64 hex of the image id>/etc/passwd              merged filesystem
 *   container-image://<64 hex>/etc/passwd?layer=3                       layer 3's own entry
 *   container-image://<64 hex>/etc/passwd?absent                        not in this image: an empty
 *                                                                       document, the side of a one-sided diff
 *
 *   container-image://<64 hex>/etc/passwd?meta                          the entry's type, mode, owner, size,
 *                                                                       link target and hash as text (to diff
 *                                                                       directories, links and metadata)
 *
 * `view` only tells apart where a URI is shown (tree decorations differ per
 * view); the provider ignores it.
 */
export class ImageUri {
  private constructor(
    /** "sha256:<hex>". */
    readonly imageId: string,
    /** Absolute, normalised: "/", "/etc/passwd". */
    readonly path: string,
    readonly layer?: number,
    readonly absent = false,
    readonly view?: string,
    readonly meta = false,
  ) {}

  static of(imageId: string, path = '/', opts: { layer?: number; absent?: boolean; view?: string; meta?: boolean } = {}): ImageUri {
    if (!/^sha256:[0-9a-f]{64}$/.test(imageId)) throw new CompareError('badArgument', `"${imageId}" is not an image id`);
    return new ImageUri(imageId, normalise(path), opts.layer, opts.absent ?? false, opts.view, opts.meta ?? false);
  }

  static is(uri: vscode.Uri): boolean {
    return uri.scheme === SCHEME;
  }

  static parse(uri: vscode.Uri): ImageUri {
    if (uri.scheme !== SCHEME || !/^[0-9a-f]{64}$/.test(uri.authority)) {
      throw new CompareError('badArgument', `${uri.toString()} is not a ${SCHEME} URI`);
    }
    const q = new URLSearchParams(uri.query);
    const layerText = q.get('layer');
    let layer: number | undefined;
    if (layerText !== null) {
      if (!/^\d+$/.test(layerText)) throw new CompareError('badArgument', `${uri.toString()}: layer must be a number`);
      layer = Number(layerText);
    }
    return new ImageUri(`sha256:${uri.authority}`, normalise(uri.path), layer, q.has('absent'), q.get('view') ?? undefined, q.has('meta'));
  }

  with(change: { path?: string; layer?: number | null; absent?: boolean; view?: string | null; meta?: boolean }): ImageUri {
    return new ImageUri(
      this.imageId,
      change.path === undefined ? this.path : normalise(change.path),
      change.layer === null ? undefined : change.layer ?? this.layer,
      change.absent ?? this.absent,
      change.view === null ? undefined : change.view ?? this.view,
      change.meta ?? this.meta,
    );
  }

  toUri(): vscode.Uri {
    const q: string[] = [];
    if (this.layer !== undefined) q.push(`layer=${this.layer}`);
    if (this.absent) q.push('absent');
    if (this.meta) q.push('meta');
    if (this.view) q.push(`view=${encodeURIComponent(this.view)}`);
    return vscode.Uri.from({ scheme: SCHEME, authority: this.imageId.slice('sha256:'.length), path: this.path, query: q.join('&') });
  }
}

function normalise(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return '/' + parts.join('/');
}
