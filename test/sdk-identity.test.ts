// The SDK's IdentityClient against a real server: passkey registration in a session, sign-in with
// the passkey, the player's devices and sessions, a step-up, recovery codes and revocations, each
// answered (or refused) as the HTTP API says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVerityError } from '../src/errors/index.ts';
import type { Passkeys } from '../src/passkeys/index.ts';
import { IdentityClient } from '../src/sdk/index.ts';
import type { buildServer } from '../src/server/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { PASSKEY_ORIGIN, servePasskeys } from './helpers/server.ts';

const ORIGIN = PASSKEY_ORIGIN;

describe('SDK identity client', () => {
  let core: TestCore;
  let passkeys: Passkeys;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  let opened: string;
  const device = new SoftAuthenticator();

  before(async () => {
    core = await makeCore('sqlite');
    let vouch: (player: string) => Promise<{ token: string }>;
    ({ app, url, passkeys, vouch } = await servePasskeys(core));
    // The first session a platform service opened, in which the player registers a passkey.
    opened = (await vouch('alice')).token;
  });
  after(async () => {
    await app?.close();
    await passkeys?.close();
    await core?.dispose();
  });

  it('registers a passkey, signs in with it, lists and revokes, and steps up', async () => {
    const anon = new IdentityClient({ url });
    const first = anon.withSession(opened);
    const created = device.create((await first.registrationOptions()) as never, { origin: ORIGIN });
    const registered = await first.register(created, 'test phone');
    assert.equal(typeof registered['id'], 'string');
    const credentialId = registered['id'] as string;

    const options = await anon.passkeySignInOptions();
    const session = await anon.signInWithPasskey(device.get(options as never, { origin: ORIGIN, credentialId }));
    assert.equal(session.passkey, credentialId);
    const mine = anon.withSession(session.token);
    const devices = await mine.passkeys();
    assert.equal(devices.length, 1);
    assert.equal(devices[0]?.['id'], credentialId);
    assert.ok((await mine.sessions()).some((s) => s['id'] === session.id));

    const stepped = await mine.stepUp(
      device.get((await mine.stepUpOptions()) as never, { origin: ORIGIN, credentialId }),
    );
    assert.ok(stepped.stepUpAt > 0);
    const codes = await mine.newRecoveryCodes();
    assert.ok(codes.recoveryCodes.length > 0);

    // A replayed assertion is refused with the server's code.
    const replay = device.get(options as never, { origin: ORIGIN, credentialId });
    await assert.rejects(anon.signInWithPasskey(replay), (e) => isVerityError(e) && e.code.startsWith('VERITY_E_'));

    assert.deepEqual(await mine.revokeSession(session.id), { revoked: true });
    await assert.rejects(mine.passkeys(), (e) => isVerityError(e, 'VERITY_E_UNAUTHENTICATED'));
  });

  it('signs in with an ID token only from a configured issuer, with the server error as a typed error', async () => {
    const anon = new IdentityClient({ url });
    await assert.rejects(anon.signInWithIdToken('a.b.c'), (e) => isVerityError(e) && e.code.startsWith('VERITY_E_'));
  });
});
