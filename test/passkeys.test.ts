// Passkey ceremonies against a real store and log, with a software authenticator: registration,
// sign-in, step-up, the refusals (reused challenge, wrong origin and RP id, counter regression,
// missing user verification), devices and sessions, recovery codes, and what the log says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVerityError } from '../src/errors/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions } from '../src/principals/index.ts';
import type { Store } from '../src/store/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const ORIGIN = 'https://play.example.com';
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

async function logText(core: TestCore, from: number): Promise<string> {
  const size = (await core.log.head()).size;
  return (await core.log.entries(from, size)).map((e) => new TextDecoder().decode(e)).join('\n');
}

describe('passkeys', () => {
  let core: TestCore;
  let sessions: Sessions;
  let passkeys: Passkeys;
  let alice: string;
  let bob: string;
  let aliceSession: { id: string };
  const device = new SoftAuthenticator();
  let credId: string;
  let second: string;
  let codes: readonly string[];

  before(async () => {
    core = await makeCore('sqlite');
    sessions = new Sessions({ keys: core.keys, store: core.store as Store, log: core.log });
    passkeys = new Passkeys({
      store: core.store as Store,
      log: core.log,
      keys: core.keys,
      sessions,
      // Its players enrol passkeys in sessions their platform opened, trusted to (D432: `full`).
      config: { rpId: 'play.example.com', rpName: 'Verity test', origins: [ORIGIN], vouchedEnrollment: 'full' },
      failureWindowMs: 60_000,
    });
    alice = await core.vault.subjectRef('alice');
    bob = await core.vault.subjectRef('bob');
    // Alice's first session is vouched for by a service (as when she first joined).
    const tokens = await import('../src/principals/index.ts');
    const t = await new tokens.Tokens(core.store, core.log).create({
      principal: 'game',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open'],
      actor: 'operator:test',
    });
    const svc = await new tokens.Tokens(core.store, core.log).authenticate(t.token);
    aliceSession = await sessions.open(svc, alice, { actor: svc.actor, purpose: 'authentication' });
  });
  after(async () => {
    await passkeys?.close();
    await core?.dispose();
  });

  it('registers a passkey for the session’s player, with recovery codes the first time', async () => {
    const from = (await core.log.head()).size;
    const r = { via: 'session' as const, subjectRef: alice, sessionId: aliceSession.id };
    const options = await passkeys.registrationOptions(r);
    assert.equal(options.authenticatorSelection?.userVerification, 'required');
    const res = await passkeys.register(r, device.create(options, { origin: ORIGIN }), 'laptop');
    credId = res.id;
    assert.equal(res.recoveryCodes?.length, 10);
    codes = res.recoveryCodes ?? [];
    const [info] = await passkeys.list(alice);
    assert.equal(info?.deviceName, 'laptop');
    assert.equal(info?.fmt, 'none');
    // The same response again: its challenge is spent.
    await assert.rejects(
      passkeys.register(r, device.create(options, { origin: ORIGIN })),
      code('VERITY_E_PASSKEY_CHALLENGE'),
    );
    // A second passkey: no new codes.
    const again = await passkeys.register(r, device.create(await passkeys.registrationOptions(r), { origin: ORIGIN }));
    assert.equal(again.recoveryCodes, undefined);
    second = again.id;
    assert.equal((await passkeys.list(alice)).length, 2);
    const text = await logText(core, from);
    assert.match(text, /"passkey\.register"/);
    assert.doesNotMatch(text, new RegExp(`${alice}|${credId}|alice`));
  });

  it('refuses a registration challenge issued for another session or player', async () => {
    const options = await passkeys.registrationOptions({
      via: 'session',
      subjectRef: alice,
      sessionId: aliceSession.id,
    });
    await assert.rejects(
      passkeys.register(
        { via: 'session', subjectRef: bob, sessionId: aliceSession.id },
        device.create(options, { origin: ORIGIN }),
      ),
      code('VERITY_E_PASSKEY_CHALLENGE'),
    );
  });

  it('signs in with a discoverable passkey: a session for its owner, vouched for by the passkey', async () => {
    const from = (await core.log.head()).size;
    const s = await passkeys.signIn(
      device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: credId }),
    );
    const live = await sessions.authenticate(s.token);
    assert.equal(live.subjectRef, alice);
    assert.equal(live.method, 'passkey');
    const text = await logText(core, from);
    assert.match(text, /"method":"passkey"/);
    assert.doesNotMatch(text, new RegExp(`${alice}|${credId}`));
  });

  it('refuses a replayed assertion, a wrong origin, a wrong RP id and no user verification', async () => {
    const options = await passkeys.signInOptions([credId]);
    assert.deepEqual(
      options.allowCredentials?.map((c) => c.id),
      [credId],
    );
    const a = device.get(options, { origin: ORIGIN, credentialId: credId });
    await passkeys.signIn(a);
    await assert.rejects(passkeys.signIn(a), code('VERITY_E_PASSKEY_CHALLENGE'));
    const o2 = await passkeys.signInOptions();
    await assert.rejects(
      passkeys.signIn(device.get(o2, { origin: 'https://evil.example', credentialId: credId })),
      code('VERITY_E_PASSKEY_INVALID'),
    );
    await assert.rejects(
      passkeys.signIn(device.get(o2, { origin: ORIGIN, rpId: 'evil.example', credentialId: credId })),
      code('VERITY_E_PASSKEY_INVALID'),
    );
    device.uv = false;
    await assert.rejects(
      passkeys.signIn(device.get(o2, { origin: ORIGIN, credentialId: credId })),
      code('VERITY_E_PASSKEY_INVALID'),
    );
    device.uv = true;
    // None of these spent the challenge: the good answer still signs in.
    await passkeys.signIn(device.get(o2, { origin: ORIGIN, credentialId: credId }));
  });

  it('a challenge from another server’s key, or for another ceremony, is refused', async () => {
    const stepUp = await passkeys.stepUpOptions({ subjectRef: alice, sessionId: aliceSession.id });
    await assert.rejects(
      passkeys.signIn(device.get(stepUp, { origin: ORIGIN, credentialId: credId })),
      code('VERITY_E_PASSKEY_CHALLENGE'),
    );
    const forged = { ...(await passkeys.signInOptions()), challenge: Buffer.alloc(58, 1).toString('base64url') };
    await assert.rejects(
      passkeys.signIn(device.get(forged, { origin: ORIGIN, credentialId: credId })),
      code('VERITY_E_PASSKEY_CHALLENGE'),
    );
  });

  it('steps up a session with the player’s own passkey only', async () => {
    const s = { subjectRef: alice, sessionId: aliceSession.id };
    const options = await passkeys.stepUpOptions(s);
    assert.equal(options.allowCredentials?.length, 2);
    const r = await passkeys.stepUp(s, device.get(options, { origin: ORIGIN, credentialId: credId }));
    assert.equal(await passkeys.stepUpAt(aliceSession.id), r.stepUpAt);
    const other = { subjectRef: bob, sessionId: aliceSession.id };
    await assert.rejects(
      passkeys.stepUp(other, device.get(await passkeys.stepUpOptions(other), { origin: ORIGIN, credentialId: credId })),
      code('VERITY_E_PASSKEY_UNKNOWN'),
    );
  });

  it('lists the player’s sessions and revokes one; revoking a device ends its sessions', async () => {
    const s = await passkeys.signIn(
      device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: credId }),
    );
    const mine = await passkeys.sessions({ subjectRef: alice, sessionId: s.id });
    assert.ok(mine.some((x) => x.id === s.id && x.current && x.passkey === credId));
    assert.ok(mine.some((x) => x.id === aliceSession.id && x.method === 'service'));
    await assert.rejects(passkeys.revokeSession(bob, s.id), code('VERITY_E_SESSION_NOT_FOUND'));
    await assert.rejects(passkeys.revoke(bob, credId), code('VERITY_E_PASSKEY_NOT_FOUND'));
    await passkeys.revoke(alice, credId);
    await assert.rejects(sessions.authenticate(s.token), code('VERITY_E_UNAUTHENTICATED'));
    await assert.rejects(
      passkeys.signIn(device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: credId })),
      code('VERITY_E_PASSKEY_UNKNOWN'),
    );
    assert.ok(
      (await passkeys.sessions({ subjectRef: alice, sessionId: aliceSession.id })).every((x) => x.passkey !== credId),
    );
  });

  it('refuses a counter that went backwards and takes the passkey out of use', async () => {
    await passkeys.signIn(
      device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: second, counter: 10 }),
    );
    const s = await passkeys.signIn(
      device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: second }),
    );
    await assert.rejects(
      passkeys.signIn(device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: second, counter: 5 })),
      code('VERITY_E_PASSKEY_COUNTER'),
    );
    const info = (await passkeys.list(alice)).find((p) => p.id === second);
    assert.equal(info?.flagged, 'counter-regression');
    await assert.rejects(sessions.authenticate(s.token), code('VERITY_E_UNAUTHENTICATED'));
  });

  it('a recovery code opens a ticket that registers one passkey and nothing else, once', async () => {
    const from = (await core.log.head()).size;
    await assert.rejects(passkeys.recover(alice, 'aaaa-aaaa-aaaa-aaaa'), code('VERITY_E_PASSKEY_RECOVERY'));
    await assert.rejects(passkeys.recover(bob, codes[0] as string), code('VERITY_E_PASSKEY_RECOVERY'));
    const { ticket } = await passkeys.recover(alice, (codes[0] as string).toUpperCase());
    await assert.rejects(passkeys.recover(alice, codes[0] as string), code('VERITY_E_PASSKEY_RECOVERY'));
    // Not a session: the session check refuses it.
    await assert.rejects(sessions.authenticate(ticket), code('VERITY_E_UNAUTHENTICATED'));
    assert.equal(await passkeys.ticketHolder(ticket), alice);
    const r = { via: 'recovery' as const, subjectRef: alice, ticket };
    const res = await passkeys.register(
      r,
      device.create(await passkeys.registrationOptions(r), { origin: ORIGIN }),
      'new phone',
    );
    assert.equal(res.recoveryCodes, undefined);
    await assert.rejects(
      passkeys.register(r, device.create(await passkeys.registrationOptions(r), { origin: ORIGIN })),
      code('VERITY_E_UNAUTHENTICATED'),
    );
    const s = await passkeys.signIn(
      device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: res.id }),
    );
    assert.equal((await sessions.authenticate(s.token)).subjectRef, alice);
    await passkeys.close();
    const text = await logText(core, from);
    assert.match(text, /"passkey\.recovery"/);
    // Failures are counted in one aggregated entry, naming nobody.
    assert.match(text, /"passkey\.failure".*"recovery_recovery":3/);
    assert.doesNotMatch(text, new RegExp(`${alice}|${bob}|${codes[0]}`));
  });

  it('aggregates a flood of failed sign-ins into one entry per window', async () => {
    await passkeys.close();
    const before = (await core.log.head()).size;
    const bad = {
      id: 'x'.repeat(20),
      rawId: 'x'.repeat(20),
      type: 'public-key',
      response: {},
      clientExtensionResults: {},
    };
    for (let i = 0; i < 50; i++) await assert.rejects(passkeys.signIn(bad as never), code('VERITY_E_PASSKEY_UNKNOWN'));
    await passkeys.close();
    const text = await logText(core, before);
    assert.equal(text.split('\n').length, 1);
    assert.match(text, /"signin_unknown":50/);
  });
});
