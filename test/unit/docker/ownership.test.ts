import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNER_LABEL, RUN_LABEL, SIDE_LABEL, TOKEN_LABEL } from '../../../src/core/run/runModel';
import { CompareError } from '../../../src/core/util/errors';
import { KEY_FILE, RunOwnership } from '../../../src/docker/run/ownership';

describe('RunOwnership: which containers are ours to remove', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cc-owner-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps one secret per cache folder, readable by its user only, the same for processes loading it at once', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => RunOwnership.load(dir)));
    const labels = all.map((o) => o.labels('cc-run-01234567-a', '01234567', 'a')[TOKEN_LABEL]);
    assert.equal(new Set(labels).size, 1);
    assert.match(await readFile(join(dir, KEY_FILE), 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal((await stat(join(dir, KEY_FILE))).mode & 0o777, 0o600);
    const other = await RunOwnership.load(await mkdtemp(join(dir, 'other-')));
    assert.notEqual(other.labels('cc-run-01234567-a', '01234567', 'a')[TOKEN_LABEL], labels[0], 'another installation signs differently');
  });

  it('labels: the run, the side, this process as owner, and the token', async () => {
    const o = await RunOwnership.load(dir);
    const l = o.labels('cc-run-01234567-b', '01234567', 'b');
    assert.deepEqual(Object.keys(l).sort(), [OWNER_LABEL, RUN_LABEL, SIDE_LABEL, TOKEN_LABEL].sort());
    assert.equal(l[OWNER_LABEL], `${hostname()}:${process.pid}`);
    assert.match(l[TOKEN_LABEL], /^[0-9a-f]{64}$/);
  });

  it('owns a container only with its own name and labels, and a token that is not its image’s', async () => {
    const o = await RunOwnership.load(dir);
    const name = 'cc-run-01234567-a';
    const ours = o.labels(name, '01234567', 'a');
    assert.deepEqual(o.owns(name, ours, null), { ours: true });
    assert.deepEqual(o.owns(name, { ...ours, 'org.example': 'x' }, { 'org.example': 'x' }), { ours: true }, 'other labels of the image do not matter');
    // Our labels on a container of someone else's: another name, another run, side or owner, no token, another key.
    const notOurs = [
      o.owns('festive_turing', ours, null),
      o.owns(name, { ...ours, [RUN_LABEL]: '89abcdef' }, null),
      o.owns(name, { ...ours, [SIDE_LABEL]: 'b' }, null),
      o.owns(name, { ...ours, [OWNER_LABEL]: 'elsewhere:1' }, null),
      o.owns(name, { ...ours, [TOKEN_LABEL]: 'x' }, null),
      o.owns(name, { [RUN_LABEL]: '01234567', [OWNER_LABEL]: ours[OWNER_LABEL] }, null),
      (await RunOwnership.load(await mkdtemp(join(dir, 'other-')))).owns(name, ours, null),
    ];
    for (const r of notOurs) assert.equal(r.ours, false, JSON.stringify(r));
    // Its name taken again by a container of a commit of ours: the labels are the image's.
    assert.deepEqual(o.owns(name, ours, ours), { ours: false, why: 'its labels come from its image (a commit of one of our containers)' });
    // The image cannot be read: not certain.
    assert.equal(o.owns(name, ours, undefined).ours, false);
  });

  it('refuses a key file that is not one, naming it', async () => {
    await writeFile(join(dir, KEY_FILE), 'not a key');
    await assert.rejects(RunOwnership.load(dir), (e: unknown) => e instanceof CompareError && e.reason === 'io' && e.message.includes(join(dir, KEY_FILE)));
  });
});
