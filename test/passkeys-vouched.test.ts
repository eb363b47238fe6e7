// D432: a platform service granted `session.open` opened a session for any player, enrolled a
// passkey in it (a software authenticator answers as any browser would), signed in with it and
// held a session "the player signed in themselves": the player's whole reach (every service's
// records exported and erased, the key shredded), a verified person's vote, the controller's
// requests, recovery codes. By default a passkey enrolled in a session a service opened now signs
// in as a session of that service's token, comes with no recovery codes, and such sessions manage
// none of the player's own passkeys, sessions or codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { Passkeys, resolvePasskeyConfig } from '../src/passkeys/index.ts';
import type { Sessions, Tokens } from '../src/principals/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { PASSKEY_ORIGIN, servePasskeys } from './helpers/server.ts';

describe('a passkey enrolled in a session a service opened (D432)', () => {
  let core: TestCore;
  let app: { close(): Promise<unknown> };
  let url: string;
  let sessions: Sessions;
  let passkeys: Passkeys;
  let tokens: Tokens;
  let serviceTokenId: string;
  let vouch: (player: string) => Promise<{ id: string; token: string }>;
  const device = new SoftAuthenticator();

  before(async () => {
    core = await makeCore('sqlite');
    const s = await servePasskeys(core, { vouchedEnrollment: 'limited' });
    ({ app, url, sessions, passkeys, tokens, vouch } = s);
    serviceTokenId = s.service.tokenId;
  });
  after(async () => {
    await app?.close();
    await passkeys?.close();
    await core?.dispose();
  });

  const post = async (path: string, token: string | undefined, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  /** Enrols a passkey over HTTP in the session `token`; the registration's answer. */
  const enrol = async (token: string) => {
    const options = (await (
      await post('/v1/passkeys/register/options', token, {})
    ).json()) as PublicKeyCredentialCreationOptionsJSON;
    const r = await post('/v1/passkeys/register', token, {
      credential: device.create(options, { origin: PASSKEY_ORIGIN }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    return (await r.json()) as { id: string; recoveryCodes?: string[] };
  };
  const signIn = async (credentialId: string) => {
    const options = (await (
      await post('/v1/signin/passkey/options', undefined, {})
    ).json()) as PublicKeyCredentialRequestOptionsJSON;
    const r = await post('/v1/signin/passkey', undefined, {
      credential: device.get(options, { origin: PASSKEY_ORIGIN, credentialId }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    return (await r.json()) as { token: string };
  };

  it('is limited by default: no option given resolves to `limited`', () => {
    assert.equal(
      resolvePasskeyConfig({ rpId: 'play.example.com', rpName: 'x', origins: [PASSKEY_ORIGIN] }).vouchedEnrollment,
      'limited',
    );
  });

  it("signs in as a session of the service's token, with its reach, and brings no recovery codes", async () => {
    const opened = await vouch('carol');
    const enrolled = await enrol(opened.token);
    assert.equal(enrolled.recoveryCodes, undefined, 'the service could hold them');
    const s = await signIn(enrolled.id);
    const live = await sessions.authenticate(s.token);
    assert.equal(live.method, 'service', 'not a player who proved themselves');
    assert.equal(live.opener?.name, 'game');
    assert.deepEqual(live.recordTypes, ['profile']);
    // A passkey enrolled in that session is the service's too.
    const again = await enrol(s.token);
    assert.equal((await sessions.authenticate((await signIn(again.id)).token)).method, 'service');
  });

  it("manages none of the player's own passkeys, sessions or recovery codes", async () => {
    const opened = await vouch('dana');
    const codes = await post('/v1/passkeys/recovery-codes', opened.token, {});
    assert.equal(codes.status, 403, await codes.text());
    // A passkey of Dana's own: enrolled where her platform is not the one vouching (here by a
    // deployment that trusted the platform to enrol, as one made before D432 did).
    const trusting = new Passkeys({
      store: core.store,
      log: core.log,
      keys: core.keys,
      sessions,
      config: { rpId: 'play.example.com', rpName: 'x', origins: [PASSKEY_ORIGIN], vouchedEnrollment: 'full' },
    });
    const dana = await core.vault.subjectRef('dana');
    const r0 = { via: 'session' as const, subjectRef: dana, sessionId: opened.id };
    const own = await trusting.register(
      r0,
      device.create(await trusting.registrationOptions(r0), { origin: PASSKEY_ORIGIN }),
    );
    await trusting.close();
    const refused = await fetch(`${url}/v1/passkeys/${own.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${opened.token}` },
    });
    assert.equal(refused.status, 403, await refused.text());
    // The passkeys it enrolled itself it may revoke.
    const mine = await enrol(opened.token);
    const r = await fetch(`${url}/v1/passkeys/${mine.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${opened.token}` },
    });
    assert.equal(r.status, 200, await r.text());
  });

  it("ends with the service's token", async () => {
    const opened = await vouch('erin');
    const s = await signIn((await enrol(opened.token)).id);
    await sessions.authenticate(s.token);
    await tokens.revoke(serviceTokenId, 'operator:test');
    await assert.rejects(sessions.authenticate(s.token), { code: 'VERITY_E_UNAUTHENTICATED' });
  });
});
