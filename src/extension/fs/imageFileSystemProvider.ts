import * as vscode from 'vscode';
import { CompareError, isCompareError, messageOf } from '../../core/util/errors';
import type { MergedEntry } from '../../core/layers/fileTree';
import type { EntryType, FileEntry, ImageModel } from '../../core/image/model';
import { octal, shortId } from '../../core/util/text';
import { humanSize } from '../../core/util/units';
import type { EngineService } from '../engineService';
import { withProgress } from '../progress';
import { ImageUri } from './imageUri';

/**
 * Files above this size open as a short text placeholder (size, sha256, how
 * to get the bytes) instead of being copied whole into the window: a 2 GB
 * database file would otherwise freeze it. VS Code's own binary and large-file
 * handling takes over below it.
 */
export const MAX_OPEN_BYTES = 64 * 2 ** 20;

const READONLY = vscode.FilePermission.Readonly;

/**
 * The read-only file system of images (scheme container-image): the merged
 * filesystem, or one layer's own entries. Images never change under a digest,
 * so there is nothing to watch. Engine errors become FileSystemErrors here and
 * nowhere else.
 */
export class ImageFileSystemProvider implements vscode.FileSystemProvider {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;

  constructor(
    private readonly engine: EngineService,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.guard(uri, async () => {
      const u = ImageUri.parse(uri);
      if (u.absent) return { type: vscode.FileType.File, size: 0, ctime: 0, mtime: 0, permissions: READONLY };
      const image = await this.image(u);
      const time = Date.parse(image.config.created ?? '') || 0;
      const stat = (type: vscode.FileType, size: number): vscode.FileStat => ({ type, size, ctime: time, mtime: time, permissions: READONLY });
      if (u.meta) return stat(vscode.FileType.File, Buffer.byteLength(this.metadata(image, u)));
      if (u.path === '/') return stat(vscode.FileType.Directory, 0);
      if (u.layer !== undefined) {
        const own = this.layerEntry(image, u);
        if (own) return stat(fileType(own.type), servedSize(own));
        if (this.layerChildren(image, u).length) return stat(vscode.FileType.Directory, 0);
        throw vscode.FileSystemError.FileNotFound(uri);
      }
      const tree = this.engine.tree(image);
      const own = tree.get(u.path);
      const target = tree.resolve(u.path);
      if (own?.type === 'symlink') {
        // What VS Code expects of a link: its own flag plus the type of what it points to.
        return stat(vscode.FileType.SymbolicLink | (target ? fileType(target.entry.type) : vscode.FileType.Unknown), target ? servedSize(target.entry) : 0);
      }
      if (!target) throw vscode.FileSystemError.FileNotFound(uri);
      return stat(fileType(target.entry.type), servedSize(target.entry));
    });
  }

  async readDirectory(uri: vscode.Uri): Promise<Array<[string, vscode.FileType]>> {
    return this.guard(uri, async () => {
      const u = ImageUri.parse(uri);
      if (u.absent) return [];
      const image = await this.image(u);
      if (u.layer !== undefined) return this.layerChildren(image, u);
      const tree = this.engine.tree(image);
      const dir = tree.resolve(u.path);
      if (!dir) throw vscode.FileSystemError.FileNotFound(uri);
      if (dir.entry.type !== 'dir') throw vscode.FileSystemError.FileNotADirectory(uri);
      return (tree.list(dir.path) ?? []).map((e): [string, vscode.FileType] => {
        const type = e.type === 'symlink' ? vscode.FileType.SymbolicLink | fileType(tree.resolve(e.path)?.entry.type) : fileType(e.type);
        return [e.path.slice(e.path.lastIndexOf('/') + 1), type];
      });
    });
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.guard(uri, async () => {
      const u = ImageUri.parse(uri);
      if (u.absent) return new Uint8Array();
      const image = await this.image(u);
      if (u.meta) return Buffer.from(this.metadata(image, u), 'utf8');
      const file = this.engine.find(image, u.path, u.layer);
      const e = file.entry;
      if (e.type === 'dir') throw vscode.FileSystemError.FileIsADirectory(uri);
      const placeholder = placeholderFor(file.path, e);
      if (placeholder !== undefined) return Buffer.from(placeholder, 'utf8');
      return withProgress(`Reading ${file.path} from ${image.name}`, (signal, report) => {
        report({ message: `layer ${file.layer}` });
        return this.engine.readFile(image, file, signal);
      });
    });
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  private image(u: ImageUri): Promise<ImageModel> {
    const loaded = this.engine.image(u.imageId);
    if (loaded) return Promise.resolve(loaded);
    // After a window reload, restored editors ask before any view has loaded the image.
    return withProgress(`Loading image ${shortId(u.imageId)}`, (signal, report) => this.engine.imageById(u.imageId, { signal, onProgress: report }));
  }

  /** The entry as text: what a diff of two directories, links or devices can show. */
  private metadata(image: ImageModel, u: ImageUri): string {
    const e = u.layer !== undefined ? this.layerEntry(image, u) : this.engine.tree(image).get(u.path);
    if (!e) throw new CompareError('notFound', `${u.path}: not in ${u.layer !== undefined ? `layer ${u.layer} of ` : ''}${image.name}`);
    return describeEntry(e);
  }

  private layerEntry(image: ImageModel, u: ImageUri): FileEntry | undefined {
    const idx = this.layerIndex(image, u);
    return idx.find((e) => e.path === u.path && e.type !== 'whiteout' && e.type !== 'opaque');
  }

  /** Direct children of a directory among one layer's entries, directories implied by deeper paths included. */
  private layerChildren(image: ImageModel, u: ImageUri): Array<[string, vscode.FileType]> {
    const prefix = u.path === '/' ? '/' : `${u.path}/`;
    const out = new Map<string, vscode.FileType>();
    for (const e of this.layerIndex(image, u)) {
      if (!e.path.startsWith(prefix) || e.type === 'whiteout' || e.type === 'opaque') continue;
      const rest = e.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) out.set(rest, fileType(e.type));
      else if (!out.has(rest.slice(0, slash))) out.set(rest.slice(0, slash), vscode.FileType.Directory);
    }
    return [...out].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  private layerIndex(image: ImageModel, u: ImageUri): FileEntry[] {
    const idx = image.indexes[u.layer!];
    if (!idx) throw new CompareError('notFound', `${image.name} has no layer ${u.layer}`);
    return idx;
  }

  private async guard<T>(uri: vscode.Uri, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof vscode.FileSystemError) throw e;
      const message = `${uri.path}: ${messageOf(e)}`;
      this.log.warn(`${uri.toString()}: ${messageOf(e)}`);
      if (!isCompareError(e)) throw vscode.FileSystemError.Unavailable(message);
      switch (e.reason) {
        case 'notFound':
        case 'unknownImage':
        case 'badArgument':
          throw vscode.FileSystemError.FileNotFound(message);
        case 'cancelled':
          throw new vscode.CancellationError();
        default:
          throw vscode.FileSystemError.Unavailable(message);
      }
    }
  }
}

function fileType(t: EntryType | undefined): vscode.FileType {
  if (t === 'dir') return vscode.FileType.Directory;
  if (t === 'file' || t === 'hardlink' || t === 'char' || t === 'block' || t === 'fifo') return vscode.FileType.File;
  return vscode.FileType.Unknown;
}

/** The text served instead of the bytes, for devices, pipes and files too large to open. */
export function placeholderFor(path: string, e: FileEntry | MergedEntry): string | undefined {
  if (e.type === 'char' || e.type === 'block' || e.type === 'fifo') {
    const kind = e.type === 'fifo' ? 'a named pipe' : `a ${e.type === 'char' ? 'character' : 'block'} device`;
    return `${path} is ${kind} (mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}); it has no content in the image.\n`;
  }
  if ((e.type === 'file' || e.type === 'hardlink') && e.size > MAX_OPEN_BYTES) {
    return [
      `${path}: ${humanSize(e.size)} (${e.size} bytes), too large to open in the editor (limit ${humanSize(MAX_OPEN_BYTES)}).`,
      `sha256 ${e.sha256 ?? 'unknown'}`,
      `mode ${octal(e.mode)}, owner ${e.uid}:${e.gid}`,
      '',
      'To get the bytes: container-compare cat IMAGE ' + path + ' > file',
      '',
    ].join('\n');
  }
  return undefined;
}

/** An entry's metadata, one fact a line, so that a diff lines up what differs. */
export function describeEntry(e: FileEntry): string {
  const lines = [`path: ${e.path}`, `type: ${e.type}`, `mode: ${octal(e.mode)}`, `owner: ${e.uid}:${e.gid}`];
  if (e.linkTarget !== undefined) lines.push(`${e.type === 'symlink' ? 'target' : 'links to'}: ${e.linkTarget}`);
  if (e.type === 'file' || e.type === 'hardlink') {
    lines.push(`size: ${e.size} bytes`);
    if (e.sha256) lines.push(`sha256: ${e.sha256}`);
    if (e.text !== undefined) lines.push(`content: ${e.text ? `text, ${e.lineEndings === 'none' ? 'a single line' : `${(e.lineEndings ?? 'lf').toUpperCase()} line endings`}` : 'binary'}`);
  }
  return lines.join('\n') + '\n';
}

function servedSize(e: FileEntry): number {
  const p = placeholderFor(e.path, e);
  return p === undefined ? e.size : Buffer.byteLength(p);
}
