// The memo of verified rows (D99): a point read served from memory while the database has not
// changed is exactly what a fresh read would return. Changes by this process (only the keys they
// touch), by another connection (another process), by another writer that committed before this
// process's next write, and edits behind Verity's back are all seen at the next read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVerityError } from '../src/errors/index.ts';
import type { Store } from '../src/store/index.ts';
import { openVerity, type Verity } from '../src/verity/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const KIND = 'test.memo';

/** Writes an object through the log, as capabilities do (compare-and-set on its version). */
async function put(v: Verity, id: string, body: string): Promise<void> {
  await v.log.submit(async (tx, batch) => {
    const prev = await tx.getObject(KIND, id);
    await tx.putObject({ kind: KIND, id, owner: 'o', body, version: (prev?.version ?? 0) + 1, updatedAt: 1 });
    batch.add(new TextEncoder().encode(JSON.stringify({ memo: id })));
  });
}

const body = async (s: Store, id: string) => (await s.reader.getObject(KIND, id))?.body;

describe('memo of verified rows (SQLite)', () => {
  let core: TestCore;
  let other: Verity;

  before(async () => {
    core = await makeCore('sqlite');
    // A second writer on the same database file, as another process would be.
    other = await openVerity({ store: await core.openStore(), keys: core.keys, origin: 'verity.test/log' });
  });
  after(async () => {
    await other?.close();
    await core?.dispose();
  });

  it('serves a row again unchanged, and sees this process’s own change of it at once', async () => {
    await put(core, 'a', '"1"');
    assert.equal(await body(core.store, 'a'), '"1"');
    assert.equal(await body(core.store, 'a'), '"1"');
    await put(core, 'a', '"2"');
    assert.equal(await body(core.store, 'a'), '"2"');
  });

  it('keeps rows an own write did not touch, and forgets the ones it did', async () => {
    await put(core, 'b', '"b1"');
    await put(core, 'c', '"c1"');
    assert.equal(await body(core.store, 'b'), '"b1"');
    assert.equal(await body(core.store, 'c'), '"c1"');
    await put(core, 'c', '"c2"');
    assert.equal(await body(core.store, 'b'), '"b1"');
    assert.equal(await body(core.store, 'c'), '"c2"');
  });

  it('sees another writer’s change at the next read', async () => {
    await put(core, 'd', '"mine"');
    assert.equal(await body(core.store, 'd'), '"mine"');
    await put(other, 'd', '"theirs"');
    assert.equal(await body(core.store, 'd'), '"theirs"');
  });

  it('sees another writer’s change that landed before this process’s next own write', async () => {
    await put(core, 'e', '"e1"');
    assert.equal(await body(core.store, 'e'), '"e1"');
    await put(other, 'e', '"e2"');
    // An own write of something else, on top of the other writer's commit.
    await put(core, 'f', '"f1"');
    assert.equal(await body(core.store, 'e'), '"e2"');
    assert.equal(await body(core.store, 'f'), '"f1"');
  });

  it('sees a revocation by another writer at the next read of the token', async () => {
    const { Tokens } = await import('../src/principals/index.ts');
    const made = await new Tokens(core.store, core.log).create({
      principal: 'svc',
      role: 'service',
      recordTypes: ['profile'],
      actor: 'operator:test',
    });
    const mine = new Tokens(core.store, core.log);
    assert.equal((await mine.authenticate(made.token)).actor, 'service:svc');
    assert.equal(await new Tokens(other.store, other.log).revoke(made.info.id, 'operator:test'), true);
    await assert.rejects(mine.authenticate(made.token), (e) => isVerityError(e));
  });

  it('refuses a row changed behind Verity’s back after it was served from memory', async () => {
    await put(core, 'g', '"honest"');
    assert.equal(await body(core.store, 'g'), '"honest"');
    await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', ['"forged"', KIND, 'g']);
    await assert.rejects(body(core.store, 'g'), (e) => isVerityError(e, 'VERITY_E_STATE_TAMPERED'));
  });
});
