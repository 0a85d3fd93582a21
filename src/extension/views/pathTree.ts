import { byPath } from '../../core/util/text';
/** A folder of a path tree built for a view, children sorted folders first. */
export interface PathFolder<T> {
  /** Absolute path of the folder ("/usr/local/bin"). */
  path: string;
  /** What the view shows: one name, or a chain of single-child folders ("usr/local/bin"). */
  label: string;
  /** The item at this path when it is itself listed (a directory entry that changed). */
  item?: T;
  folders: PathFolder<T>[];
  items: Array<{ path: string; item: T }>;
}

/**
 * Groups items with absolute paths into folders, the way the explorer shows
 * them, compacting chains of folders that hold a single folder and nothing
 * else ("usr/local/bin"). An item whose path is also a folder of other items
 * (a directory entry) becomes that folder's `item`.
 */
export function buildPathTree<T>(entries: ReadonlyArray<{ path: string; item: T }>): PathFolder<T> {
  const root: PathFolder<T> = { path: '/', label: '/', folders: [], items: [] };
  const folders = new Map<string, PathFolder<T>>([['/', root]]);
  const folderOf = (path: string): PathFolder<T> => {
    let f = folders.get(path);
    if (f) return f;
    const slash = path.lastIndexOf('/');
    const parent = folderOf(slash === 0 ? '/' : path.slice(0, slash));
    f = { path, label: path.slice(slash + 1), folders: [], items: [] };
    parent.folders.push(f);
    folders.set(path, f);
    return f;
  };
  const isParent = new Set<string>();
  for (const e of entries) for (let i = e.path.lastIndexOf('/'); i > 0; i = e.path.lastIndexOf('/', i - 1)) isParent.add(e.path.slice(0, i));
  for (const e of entries) {
    if (isParent.has(e.path)) folderOf(e.path).item = e.item;
    else {
      const slash = e.path.lastIndexOf('/');
      folderOf(slash <= 0 ? '/' : e.path.slice(0, slash)).items.push(e);
    }
  }
  const finish = (f: PathFolder<T>): PathFolder<T> => {
    f.folders = f.folders.map(finish).map(compact).sort((a, b) => (a.label < b.label ? -1 : 1));
    f.items.sort(byPath);
    return f;
  };
  return finish(root);
}

function compact<T>(f: PathFolder<T>): PathFolder<T> {
  let cur = f;
  let label = f.label;
  while (cur.items.length === 0 && cur.folders.length === 1 && cur.item === undefined) {
    cur = cur.folders[0];
    label += '/' + cur.label;
  }
  return cur === f ? f : { ...cur, label };
}
