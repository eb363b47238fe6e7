// The Cedar policy set in force, pinned in the authenticated state (D416): installed with its log
// entry, refused when it does not load, and a changed or deleted state row caught at use.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { DEFAULT_POLICIES, policySetHash } from '../access/index.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { isVerityError } from '../errors/index.ts';
import { POLICY_SET_KIND, PolicySets } from './index.ts';

const EXTRA = `${DEFAULT_POLICIES}\n// reviewed by the privacy board\n`;

describe('PolicySets', () => {
  let core: TestCore;
  let sets: PolicySets;
  before(async () => {
    core = await makeCore('sqlite');
    sets = new PolicySets({ store: core.store, log: core.log });
  });
  after(() => core.dispose());

  it('installs a set with its policy.install entry, once; a second set names the first', async () => {
    assert.equal(await sets.inForce(), undefined);
    const first = await sets.install(DEFAULT_POLICIES, { actor: 'operator:test' });
    assert.equal(first.installed, true);
    assert.equal(first.hash, policySetHash(DEFAULT_POLICIES));
    const again = await sets.install(DEFAULT_POLICIES, { actor: 'operator:test' });
    assert.deepEqual(again, {
      hash: first.hash,
      logIndex: first.logIndex,
      installed: false,
      added: [],
      removed: [],
      changed: [],
    });
    const second = await sets.install(EXTRA, { actor: 'operator:test' });
    assert.equal(second.previous, first.hash);
    const entry = decodeAuditEntry((await core.log.entries(second.logIndex, second.logIndex + 1))[0] as Uint8Array);
    assert.deepEqual(
      [entry.action, entry.actor, entry.contentHash, entry.details?.['previous']],
      ['policy.install', 'operator:test', second.hash, first.hash],
    );
    const inForce = await sets.inForce();
    assert.equal(inForce?.text, EXTRA);
    assert.equal(inForce?.logIndex, second.logIndex);
    assert.deepEqual([second.added, second.removed, second.changed], [[], [], []], 'a comment changes no policy');
  });

  it('names the policies whose text changed under their id, beside those added and removed (D425)', async () => {
    const at = EXTRA.indexOf('@id("player-own-rights")');
    const edited =
      EXTRA.slice(0, at) +
      EXTRA.slice(at).replace(
        'context.purpose == "user-request"',
        '["user-request", "fraud-prevention"].contains(context.purpose)',
      );
    assert.notEqual(edited, EXTRA);
    const r = await sets.install(edited, { actor: 'operator:test' });
    assert.deepEqual([r.added, r.removed, r.changed], [[], [], ['player-own-rights']]);
    const entry = decodeAuditEntry((await core.log.entries(r.logIndex, r.logIndex + 1))[0] as Uint8Array);
    assert.equal(entry.details?.['changed'], 1);
    await sets.install(EXTRA, { actor: 'operator:test' });
  });

  it('refuses a set that does not load, and writes nothing', async () => {
    const size = (await core.log.head()).size;
    await assert.rejects(
      sets.install('permit (principal, action == Verity::Action::"nosuch", resource);', { actor: 'operator:test' }),
      (e: unknown) => isVerityError(e, 'VERITY_E_POLICY_INVALID'),
    );
    assert.equal((await core.log.head()).size, size);
    assert.equal((await sets.inForce())?.text, EXTRA);
  });

  it('a set changed in the database, or deleted, is caught at use', async () => {
    const [row] = await core.sql('SELECT body FROM t.objects WHERE kind = ? AND id = ?', [POLICY_SET_KIND, 'current']);
    const body = JSON.parse(String(row?.['body'])) as { text: string };
    const open = { ...body, text: `${body.text}\npermit (principal, action, resource);\n` };
    await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [
      JSON.stringify(open),
      POLICY_SET_KIND,
      'current',
    ]);
    await assert.rejects(sets.inForce(), (e: unknown) => isVerityError(e, 'VERITY_E_STATE_TAMPERED'));
    await core.sql('DELETE FROM t.objects WHERE kind = ? AND id = ?', [POLICY_SET_KIND, 'current']);
    await assert.rejects(sets.inForce(), (e: unknown) => isVerityError(e, 'VERITY_E_STATE_TAMPERED'));
  });
});
