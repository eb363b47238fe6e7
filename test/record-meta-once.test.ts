// A record's stored metadata is parsed once per row object (D313): a read after its decision
// (`describe`, then `get` with the facts) answers exactly what a read on its own answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('record metadata read once per row', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
  });

  it('gives the same metadata after a decision as without one, for every version', async () => {
    let first = '';
    const put = (v: number): ReturnType<TestCore['vault']['put']> =>
      core.vault.put({
        actor: 'service:game',
        subject: 'player-1',
        type: 'profile',
        purpose: 'service-provision',
        data: { v },
        ...(v > 1 ? { id: first } : {}),
      });
    first = (await put(1)).id;
    await put(2);
    const access = { actor: 'auditor:test', purpose: 'audit' };
    for (const version of [undefined, 1, 2]) {
      const facts = await core.vault.describe(first, version);
      assert.ok(facts);
      const decided = await core.vault.get(first, { ...access, facts, ...(version === undefined ? {} : { version }) });
      const alone = await core.vault.get(first, { ...access, ...(version === undefined ? {} : { version }) });
      assert.deepEqual(decided.meta, alone.meta);
      assert.deepEqual(decided.data, alone.data);
      assert.equal(decided.meta.version, version ?? 2);
    }
  });
});
