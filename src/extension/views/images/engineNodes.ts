import type { ImageSummary } from '../../../docker/daemonClient';
import type { RepoNode } from '../imagesTree';
import { shortId } from '../../../core/util/text';

const UNTAGGED = '\0untagged';

/** The engine's images by repository, newest first, the repositories by name and the untagged images last. */
export function engineRepos(images: readonly ImageSummary[]): RepoNode[] {
  const repos = new Map<string, RepoNode>();
  const repo = (key: string, label: string, icon: string): RepoNode => {
    let r = repos.get(key);
    if (!r) repos.set(key, (r = { kind: 'repo', id: `repo:${key}`, label, images: [], icon }));
    return r;
  };
  for (const s of [...images].sort((a, b) => (a.created < b.created ? 1 : -1))) {
    if (!s.repoTags.length) {
      const r = repo(UNTAGGED, 'Untagged', 'question');
      r.images.push({ kind: 'image', id: `${r.id}/img:${s.id}`, parent: r, ref: s.id, label: shortId(s.id), imageId: s.id, summary: s });
    }
    for (const tag of s.repoTags) {
      const { name, tag: t } = splitTag(tag);
      const r = repo(name, name, 'repo');
      r.images.push({ kind: 'image', id: `${r.id}/img:${tag}`, parent: r, ref: tag, label: t, imageId: s.id, summary: s });
    }
  }
  const untagged = (r: RepoNode): number => Number(r.id === `repo:${UNTAGGED}`);
  return [...repos.values()].sort((a, b) => untagged(a) - untagged(b) || (a.label < b.label ? -1 : 1));
}

/** "registry:5000/app:1.0" → name "registry:5000/app", tag "1.0". */
export function splitTag(repoTag: string): { name: string; tag: string } {
  const at = repoTag.indexOf('@');
  if (at !== -1) return { name: repoTag.slice(0, at), tag: repoTag.slice(at + 1) };
  const colon = repoTag.lastIndexOf(':');
  if (colon > repoTag.lastIndexOf('/')) return { name: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) };
  return { name: repoTag, tag: 'latest' };
}
