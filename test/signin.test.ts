// Sessions a player signs in themselves (passkey or OpenID Connect): opened only while the object
// that vouches for them is live and theirs, ended on the next request once it is revoked or gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBase64Url } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Sessions } from '../src/principals/index.ts';
import type { Store } from '../src/store/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const unauthenticated = (e: unknown) => isVerityError(e, 'VERITY_E_UNAUTHENTICATED');

async function putPasskey(core: TestCore, id: string, owner: string, body: object, version = 1): Promise<void> {
  await core.log.submit(async (tx, batch) => {
    await tx.putObject({ kind: 'passkey', id, owner, body: JSON.stringify(body), version, updatedAt: Date.now() });
    return batch.add(new TextEncoder().encode('{"test":"passkey"}'));
  });
}

describe('signed-in sessions', () => {
  let core: TestCore;
  let sessions: Sessions;
  let alice: string;
  let bob: string;

  before(async () => {
    core = await makeCore('sqlite');
    sessions = new Sessions({
      keys: core.keys,
      store: core.store as Store,
      log: core.log,
      signInRecordTypes: ['avatar.profile', 'verity.token'],
    });
    alice = await core.vault.subjectRef('alice');
    bob = await core.vault.subjectRef('bob');
    await putPasskey(core, 'pk-a', alice, { revokedAt: null });
    await putPasskey(core, 'idp', '', {});
  });
  after(() => core.dispose());

  it('opens a session for the passkey owner, reaching the sign-in record types but never vault tokens', async () => {
    const s = await sessions.openSignedIn(
      alice,
      { method: 'passkey', via: { kind: 'passkey', id: 'pk-a' } },
      {
        purpose: 'sign-in',
      },
    );
    const live = await sessions.authenticate(s.token);
    assert.equal(live.subjectRef, alice);
    assert.equal(live.method, 'passkey');
    assert.equal(live.opener, undefined);
    assert.deepEqual(live.recordTypes, ['avatar.profile']);
    // The log names the session and the method, never the player or the passkey.
    const [entry] = await core.log.entries(s.logIndex, s.logIndex + 1);
    const text = new TextDecoder().decode(entry);
    assert.match(text, /"session\.open"/);
    assert.match(text, /"method":"passkey"/);
    assert.doesNotMatch(text, new RegExp(`${alice}|pk-a|alice`));
  });

  it("refuses another player's passkey, a missing one and a revoked one", async () => {
    const via = { kind: 'passkey', id: 'pk-a' };
    await assert.rejects(
      sessions.openSignedIn(bob, { method: 'passkey', via }, { purpose: 'sign-in' }),
      unauthenticated,
    );
    await assert.rejects(
      sessions.openSignedIn(alice, { method: 'passkey', via: { kind: 'passkey', id: 'nope' } }, { purpose: 'sign-in' }),
      unauthenticated,
    );
    await putPasskey(core, 'pk-old', alice, { revokedAt: 1 });
    await assert.rejects(
      sessions.openSignedIn(
        alice,
        { method: 'passkey', via: { kind: 'passkey', id: 'pk-old' } },
        { purpose: 'sign-in' },
      ),
      unauthenticated,
    );
  });

  it('an ownerless vouching object (an identity provider) vouches for any player', async () => {
    const s = await sessions.openSignedIn(
      bob,
      { method: 'oidc', via: { kind: 'passkey', id: 'idp' } },
      {
        purpose: 'sign-in',
      },
    );
    assert.equal((await sessions.authenticate(s.token)).method, 'oidc');
  });

  it('ends the session on the next request once its passkey is revoked, and per passkey in bulk', async () => {
    await putPasskey(core, 'pk-b', bob, { revokedAt: null });
    const via = { kind: 'passkey', id: 'pk-b' };
    const s1 = await sessions.openSignedIn(bob, { method: 'passkey', via }, { purpose: 'sign-in' });
    const s2 = await sessions.openSignedIn(bob, { method: 'passkey', via }, { purpose: 'sign-in' });
    await sessions.authenticate(s1.token);
    // Every session one passkey opened, revoked at once (as when a device is removed).
    const { revoked } = await sessions.revokeAll(
      { openerTokenId: 'object:passkey/pk-b' },
      {
        actor: 'player:test',
        purpose: 'sign-out',
      },
    );
    assert.deepEqual(revoked.sort(), [s1.id, s2.id].sort());
    await assert.rejects(sessions.authenticate(s1.token), unauthenticated);
    const s3 = await sessions.openSignedIn(bob, { method: 'passkey', via }, { purpose: 'sign-in' });
    await sessions.authenticate(s3.token);
    await putPasskey(core, 'pk-b', bob, { revokedAt: Date.now() - 1 }, 2);
    await assert.rejects(sessions.authenticate(s3.token), unauthenticated);
  });

  it('a session token is bound to its row: a token for another subject is refused', async () => {
    const s = await sessions.openSignedIn(
      alice,
      { method: 'passkey', via: { kind: 'passkey', id: 'pk-a' } },
      {
        purpose: 'sign-in',
      },
    );
    const [h, p, sig] = s.token.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(p)));
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: bob })).toString('base64url');
    await assert.rejects(sessions.authenticate(`${h}.${forged}.${sig}`), unauthenticated);
  });
});
