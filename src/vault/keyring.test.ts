// Subject keys seen by two vaults with separate key caches over one store and log (as two
// processes would): the key row is checked in each write transaction and a stale or concurrent
// key is retried with fresh keys, never used.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { isVerityError } from '../errors/index.ts';
import { Vault } from './index.ts';

const A = { actor: 'operator:test', purpose: 'service-provision' };

describe('subject keys across vaults', () => {
  let core: TestCore;
  let other: Vault;
  before(async () => {
    core = await makeCore('sqlite');
    other = await Vault.open(core.store, core.keys, core.log, { unknownTypes: 'generic' });
  });
  after(() => core.dispose());

  it('two vaults creating the same new subject at once end with one key both can read with', async () => {
    const writes = await Promise.all(
      [core.vault, other, core.vault, other].map((v, i) =>
        v.put({ ...A, subject: 'new-player', type: 'note', data: { i } }),
      ),
    );
    const ref = await core.vault.subjectRef('new-player');
    assert.ok((await core.store.reader.getSubjectKey(ref)) !== undefined);
    for (const [i, w] of writes.entries()) {
      assert.deepEqual((await core.vault.get(w.id, A)).data, { i });
      assert.deepEqual((await other.get(w.id, A)).data, { i });
    }
  });

  it('a key shredded by one vault is not reused from the other vault’s cache', async () => {
    const first = await other.put({ ...A, subject: 'player-s', type: 'note', data: { n: 1 } });
    await core.vault.shredSubject('player-s', { ...A, rotate: false });
    // `other` still caches the shredded key: its next write must notice and create a new one.
    const second = await other.put({ ...A, subject: 'player-s', type: 'note', data: { n: 2 } });
    assert.deepEqual((await core.vault.get(second.id, A)).data, { n: 2 });
    await assert.rejects(other.get(first.id, A), (e) => isVerityError(e, 'VERITY_E_RECORD_ERASED'));
  });
});
