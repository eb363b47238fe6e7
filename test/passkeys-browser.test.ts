// Passkeys in a real browser: Debian's Chromium (playwright-core) with a CDP virtual authenticator
// (CTAP2, internal transport, resident keys, user verification) registers a passkey through a real
// Verity server and signs in with it; the player then reaches exactly their own records. The
// refusals: a replayed assertion, a reused challenge, a forged origin and a signature counter set
// back. (Chromium refuses itself to make a credential for an RP id its origin does not own, so a
// wrong RP id is refused in test/passkeys.test.ts, by a software authenticator.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import type { Store } from '../src/store/index.ts';
import { addAuthenticator, CHROMIUM_MISSING, HAVE_CHROMIUM, launchChromium, webAuthn } from './helpers/browser.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';
import { httpCall } from './helpers/server.ts';

it('finds the browser the passkey tests need', () => {
  assert.ok(HAVE_CHROMIUM, CHROMIUM_MISSING);
});

type Json = Record<string, unknown>;

/** In the page: create or get a credential from JSON options, answered as JSON (WebAuthn Level 3). */
async function ceremony(page: Page, kind: 'create' | 'get', options: Json, rpId?: string): Promise<Json> {
  return page.evaluate(
    async ({ kind, options, rpId }) => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's WebAuthn globals are not in Node's types
      const PKC = (globalThis as any).PublicKeyCredential;
      // biome-ignore lint/suspicious/noExplicitAny: as above
      const creds = (globalThis as any).navigator.credentials;
      if (kind === 'create') {
        const o = { ...options, ...(rpId ? { rp: { ...(options['rp'] as object), id: rpId } } : {}) };
        return (await creds.create({ publicKey: PKC.parseCreationOptionsFromJSON(o) })).toJSON();
      }
      return (await creds.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) })).toJSON();
    },
    { kind, options, rpId },
  );
}

describe('passkeys in a browser', { skip: HAVE_CHROMIUM ? false : CHROMIUM_MISSING }, () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let cleanup: () => Promise<void>;
  let service: string;
  let passkeys: Passkeys;

  const call = async (method: string, path: string, body?: Json, token?: string) => {
    const r = await httpCall(base, method, path, token, body);
    return { status: r.status, json: r.json };
  };

  const signIn = async (credential: Json) => call('POST', '/v1/signin/passkey', { credential });

  before(async () => {
    core = await makeCore('sqlite');
    const sessions = new Sessions({
      keys: core.keys,
      store: core.store as Store,
      log: core.log,
      signInRecordTypes: ['profile'],
    });
    const tokens = new Tokens(core.store, core.log);
    // The port is known once listening: the configuration is made for it then.
    const probe = buildServer({ log: core.log });
    const addr = await probe.listen({ host: '127.0.0.1', port: 0 });
    const port = Number(new URL(addr).port);
    await probe.close();
    base = `http://localhost:${port}`;
    passkeys = new Passkeys({
      store: core.store as Store,
      log: core.log,
      keys: core.keys,
      sessions,
      // Its players enrol passkeys in sessions their platform opened, trusted to (D432: `full`).
      config: { rpId: 'localhost', rpName: 'Verity', origins: [base], vouchedEnrollment: 'full' },
    });
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens, sessions, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      passkeys,
    });
    await app.listen({ host: '127.0.0.1', port });
    service = (
      await tokens.create({
        principal: 'game',
        role: 'service',
        recordTypes: ['profile'],
        capabilities: ['session.open'],
        actor: 'operator:test',
      })
    ).token;
    const dir = await tempDir('verity-chromium-');
    cleanup = dir.cleanup;
    ({ context, page } = await launchChromium(dir.dir));
    await page.goto(`${base}/healthz`);
    cdp = await webAuthn(context, page);
    authenticatorId = await addAuthenticator(cdp);
  });
  after(async () => {
    await context?.close();
    await app?.close();
    await passkeys?.close();
    await core?.dispose();
    await cleanup?.();
  });

  let alice: string;
  let first: Json;

  it('registers a passkey in the page for a player in a session, and signs in with it', async () => {
    const opened = await call('POST', '/v1/sessions', { player: 'alice', purpose: 'authentication' }, service);
    assert.equal(opened.status, 201, JSON.stringify(opened.json));
    const session = opened.json['token'] as string;
    const options = await call('POST', '/v1/passkeys/register/options', {}, session);
    assert.equal(options.status, 200);
    const made = await ceremony(page, 'create', options.json);
    const reg = await call('POST', '/v1/passkeys/register', { credential: made, deviceName: 'chromium' }, session);
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    assert.equal((reg.json['recoveryCodes'] as string[]).length, 10);

    const request = await call('POST', '/v1/signin/passkey/options', {});
    first = await ceremony(page, 'get', request.json);
    const signed = await signIn(first);
    assert.equal(signed.status, 201, JSON.stringify(signed.json));
    alice = signed.json['token'] as string;
    assert.equal(signed.json['passkey'], reg.json['id']);
    const mine = await call('GET', '/v1/passkeys', undefined, alice);
    assert.equal((mine.json['passkeys'] as Json[])[0]?.['deviceName'], 'chromium');
  });

  it('the player signed in by passkey reaches exactly their own records', async () => {
    const put = async (subject: string) =>
      (
        await call(
          'POST',
          '/v1/records',
          { subject, type: 'profile', purpose: 'service-provision', data: { n: 1 } },
          service,
        )
      ).json['id'] as string;
    const own = await put('alice');
    const other = await put('bob');
    assert.equal((await call('GET', `/v1/records/${own}?purpose=user-request`, undefined, alice)).status, 200);
    const theirs = await call('GET', `/v1/records/${other}?purpose=user-request`, undefined, alice);
    assert.ok([403, 404].includes(theirs.status), `${theirs.status}`);
  });

  it('refuses a replayed assertion and a reused challenge', async () => {
    const replay = await signIn(first);
    assert.equal(replay.status, 401);
    assert.equal((replay.json['error'] as Json)['code'], 'VERITY_E_PASSKEY_CHALLENGE');
    const request = await call('POST', '/v1/signin/passkey/options', {});
    const a = await ceremony(page, 'get', request.json);
    const b = await ceremony(page, 'get', request.json);
    assert.equal((await signIn(a)).status, 201);
    const reused = await signIn(b);
    assert.equal(reused.status, 401);
    assert.equal((reused.json['error'] as Json)['code'], 'VERITY_E_PASSKEY_CHALLENGE');
  });

  it('refuses an assertion whose client data names another origin', async () => {
    const request = await call('POST', '/v1/signin/passkey/options', {});
    const a = await ceremony(page, 'get', request.json);
    const response = a['response'] as Json;
    const client = JSON.parse(Buffer.from(response['clientDataJSON'] as string, 'base64url').toString());
    client.origin = 'http://127.0.0.1:1';
    const forged = {
      ...a,
      response: { ...response, clientDataJSON: Buffer.from(JSON.stringify(client)).toString('base64url') },
    };
    const r = await signIn(forged);
    assert.equal(r.status, 401);
    assert.equal((r.json['error'] as Json)['code'], 'VERITY_E_PASSKEY_INVALID');
    // The genuine answer to the same challenge still signs in: the forgery spent nothing.
    assert.equal((await signIn(a)).status, 201);
  });

  it('refuses a signature counter set back, and ends the sessions of that passkey', async () => {
    const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
      credentials: {
        credentialId: string;
        signCount: number;
        rpId: string;
        isResidentCredential: boolean;
        privateKey: string;
      }[];
    };
    const c = credentials.find((x) => x.rpId === 'localhost') as (typeof credentials)[number];
    assert.ok(c.signCount >= 3, `sign count ${c.signCount}`);
    // Clone the key into a second authenticator state whose counter is behind.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: c.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...c, signCount: 0 } });
    const request = await call('POST', '/v1/signin/passkey/options', {});
    const r = await signIn(await ceremony(page, 'get', request.json));
    assert.equal(r.status, 401);
    assert.equal((r.json['error'] as Json)['code'], 'VERITY_E_PASSKEY_COUNTER');
    assert.equal((await call('GET', '/v1/passkeys', undefined, alice)).status, 401);
  });
});
