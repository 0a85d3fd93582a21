/**
 * Who the container runs as, and what that user may read: USER from the
 * config, resolved through the image's own /etc/passwd and /etc/group.
 */
export interface ResolvedUser {
  /** USER as the config writes it ("app", "1000:1000", "" for root). */
  spec: string;
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups (from /etc/group). */
  groups: number[];
}

const ROOT = (spec: string): ResolvedUser => ({ spec, name: 'root', uid: 0, gid: 0, groups: [0] });

function table(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/**
 * USER resolved to ids: root and numeric users need no files; a name needs
 * the image's passwd (and group, for a named group or supplementary
 * groups). Undefined when a name is not found (or the files are missing).
 */
export function resolveUser(spec: string | undefined, passwd?: string, group?: string): ResolvedUser | undefined {
  const s = (spec ?? '').trim();
  if (!s) return ROOT(s);
  const [user, grp] = s.split(':', 2);
  const users = table(passwd);
  const groups = table(group);
  const numeric = /^\d+$/.test(user);
  const row = users.find((r) => (numeric ? r[2] === user : r[0] === user));
  if (!numeric && !row) return undefined;
  const uid = numeric ? Number(user) : Number(row![2]);
  const name = row?.[0] ?? user;
  let gid = row ? Number(row[3]) : uid;
  if (grp !== undefined) {
    if (/^\d+$/.test(grp)) gid = Number(grp);
    else {
      const g = groups.find((r) => r[0] === grp);
      if (!g) return undefined;
      gid = Number(g[2]);
    }
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  const extra = groups.filter((g) => (g[3] ?? '').split(',').includes(name)).map((g) => Number(g[2]));
  return { spec: s, name, uid, gid, groups: [...new Set([gid, ...extra])] };
}

/** Whether `user` may read a file of this owner and mode (root may read anything). */
export function canRead(f: { mode: number; uid: number; gid: number }, user: ResolvedUser): boolean {
  if (user.uid === 0) return true;
  if (f.uid === user.uid) return (f.mode & 0o400) !== 0;
  if (user.groups.includes(f.gid)) return (f.mode & 0o040) !== 0;
  return (f.mode & 0o004) !== 0;
}
