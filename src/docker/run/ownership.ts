import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CompareError, messageOf } from '../../core/util/errors';
import { OWNER_LABEL, RUN_LABEL, SIDE_LABEL, TOKEN_LABEL } from '../../core/run/runModel';
import type { Side } from '../../core/util/side';

/** In the cache folder: never in an image, never in a label. */
export const KEY_FILE = 'run-owner.key';

/** Whether a container is certainly one we created, and why not when it is not. */
export type Ownership = { ours: true } | { ours: false; why: string };

/**
 * Which containers are ours to remove. Labels alone cannot say: an image
 * carries labels, and `docker commit` of one of our containers gives an
 * image whose every container has them. So each container we create also
 * carries TOKEN_LABEL, an HMAC over its name and our other labels with a key
 * only this installation knows (KEY_FILE in the cache folder, mode 0600).
 * A container is ours when its token matches its own name (a container
 * started from a committed image has another name) and the token is not its
 * image's (one given our old container's name after that was removed).
 * Containers started with another cache folder's key are not ours either:
 * each sweeps its own.
 */
export class RunOwnership {
  private constructor(
    private readonly key: Buffer,
    /** Where the key is kept. */
    readonly file: string,
  ) {}

  /** The key of the cache folder `dir`, made on first use; two processes making it at once agree on one. */
  static async load(dir: string): Promise<RunOwnership> {
    const file = join(dir, KEY_FILE);
    for (let attempt = 0; ; attempt++) {
      let text: string | undefined;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CompareError('io', `Cannot read the run key ${file} (${messageOf(e)})`, { cause: e });
      }
      if (text !== undefined) {
        if (!/^[0-9a-f]{64}\n?$/.test(text)) {
          throw new CompareError('io', `${file} is not a container-compare run key (64 hex digits); remove it and a new one is made (containers of earlier runs are then left alone)`);
        }
        return new RunOwnership(Buffer.from(text.slice(0, 64), 'hex'), file);
      }
      if (attempt > 0) throw new CompareError('io', `Cannot create the run key ${file}`);
      // Written aside, then linked into place: a reader sees the whole key or none, and the first link wins.
      const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
        await link(tmp, file).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
      } catch (e) {
        throw new CompareError('io', `Cannot create the run key ${file} (${messageOf(e)})`, { cause: e });
      } finally {
        await rm(tmp, { force: true });
      }
    }
  }

  /**
   * The labels of a container we create: the run, the side (none for the
   * fast path's helper), the owner process (host:pid, this one's by
   * default), and the token over them and the name.
   */
  labels(name: string, runId: string, side: Side | undefined, owner = `${hostname()}:${process.pid}`): Record<string, string> {
    return { [RUN_LABEL]: runId, ...(side ? { [SIDE_LABEL]: side } : {}), [OWNER_LABEL]: owner, [TOKEN_LABEL]: this.token(name, runId, side ?? '', owner) };
  }

  /**
   * Whether the container named `name` (without the engine's leading slash)
   * with these labels is one we created. `imageLabels`: its image's
   * Config.Labels; undefined when the image cannot be read, and then it is not certain.
   */
  owns(name: string, labels: Readonly<Record<string, string>>, imageLabels: Readonly<Record<string, string>> | undefined | null): Ownership {
    const token = labels[TOKEN_LABEL];
    if (!token) return { ours: false, why: 'it has no ownership token (started by hand, or by an older version)' };
    const expected = this.token(name, labels[RUN_LABEL] ?? '', labels[SIDE_LABEL] ?? '', labels[OWNER_LABEL] ?? '');
    const given = Buffer.from(token, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, 'utf8'))) {
      return { ours: false, why: 'its ownership token is not ours (another installation, a renamed container, or labels copied from an image)' };
    }
    if (imageLabels === undefined) return { ours: false, why: 'its image cannot be read, so its labels cannot be told from the image’s' };
    if (imageLabels?.[TOKEN_LABEL] === token || (imageLabels?.[RUN_LABEL] !== undefined && imageLabels[RUN_LABEL] === labels[RUN_LABEL])) {
      return { ours: false, why: 'its labels come from its image (a commit of one of our containers)' };
    }
    return { ours: true };
  }

  private token(name: string, runId: string, side: string, owner: string): string {
    return createHmac('sha256', this.key).update(['container-compare run v1', name, runId, side, owner].join('\0')).digest('hex');
  }
}
