import type { ImageModel } from '../../../core/image/model';
import type { RepoNode } from '../imagesTree';

const OPENED = '\0opened';

/** Images read from archives, layouts and registries in this session: the "Opened in this session" group. */
export class OpenedImages {
  private readonly opened = new Map<string, { ref: string; name: string }>();

  /** Whether the group changed: the engine's images are listed by the engine, and an image is listed once. */
  add(image: ImageModel): boolean {
    if (image.source === 'daemon' || this.opened.has(image.id)) return false;
    this.opened.set(image.id, { ref: image.ref, name: image.name });
    return true;
  }

  /** The group, while it has images. */
  repo(): RepoNode | undefined {
    if (!this.opened.size) return undefined;
    const r: RepoNode = { kind: 'repo', id: `repo:${OPENED}`, label: 'Opened in this session', images: [], icon: 'file-zip' };
    for (const [id, o] of this.opened) r.images.push({ kind: 'image', id: `${r.id}/img:${id}`, parent: r, ref: o.ref, label: o.name, imageId: id });
    return r;
  }
}
