// Platform sign-in with OpenID Connect on a real store: nonces used once on every node, JWKS key
// rotation (an unknown `kid` fetches the keys again, rate-limited; a key the issuer dropped is
// refused), removal of an issuer ending its sessions, and a log that names no player.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../src/clock/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { type FetchLike, Issuers, Nonces, OidcSignIn } from '../src/oidc/index.ts';
import { Sessions } from '../src/principals/index.ts';
import type { Store } from '../src/store/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { claimsAt, jwksOf, makeKey, signWithJose, signWithNode, type TestKey } from './helpers/idp.ts';

const ISS = 'https://id.example.com';
const CLIENT = 'verity-client';
const ACCESS = { actor: 'operator:cli', purpose: 'administration' };
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

describe('OpenID Connect sign-in', () => {
  const clock = fixedClock(Date.UTC(2026, 10, 27, 12));
  let core: TestCore;
  let sessions: Sessions;
  let issuers: Issuers;
  let signin: OidcSignIn;
  let published: { keys: Record<string, unknown>[] };
  let fetches = 0;
  let down = false;
  const k1 = makeKey('RS256', 'k1');
  const k2 = makeKey('ES256', 'k2');

  // The identity provider's JWKS endpoint (the HTTP end-to-end test serves it over a socket).
  const fetch: FetchLike = async (url) => {
    fetches++;
    assert.equal(url, 'https://id.example.com/jwks');
    if (down) return new Response('unavailable', { status: 503 });
    return new Response(JSON.stringify(published), { status: 200 });
  };

  const token = (k: TestKey, nonce: string, sub = 'alice', extra = {}) =>
    signWithJose(k, claimsAt(clock.now(), { iss: ISS, aud: CLIENT, sub, nonce }, extra));

  before(async () => {
    core = await makeCore('sqlite', { clock });
    sessions = new Sessions({
      keys: core.keys,
      store: core.store as Store,
      log: core.log,
      clock,
      signInRecordTypes: ['profile'],
    });
    issuers = new Issuers({ store: core.store as Store, log: core.log, sessions, clock, fetch });
    signin = new OidcSignIn({
      issuers,
      nonces: new Nonces({ log: core.log, clock }),
      sessions,
      store: core.store as Store,
      log: core.log,
      clock,
      subjectRef: (p) => core.vault.subjectRef(p),
    });
    published = jwksOf(k1);
    await issuers.add(
      {
        name: 'acme',
        issuer: ISS,
        clientId: CLIENT,
        algorithms: ['RS256', 'ES256'],
        jwksUri: 'https://id.example.com/jwks',
        jwksMinRefetchSeconds: 60,
      },
      ACCESS,
    );
  });
  after(() => core.dispose());

  it('signs a player in: the session names the issuer and the player by pseudonym only', async () => {
    const { nonce } = await signin.nonce('acme');
    const s = await signin.signIn('acme', await token(k1, nonce));
    assert.equal(s.player, 'acme:alice');
    const live = await sessions.authenticate(s.token);
    assert.equal(live.method, 'oidc');
    assert.equal(live.subjectRef, await core.vault.subjectRef('acme:alice'));
    assert.deepEqual(live.recordTypes, ['profile']);
    const info = await sessions.get(s.id);
    assert.equal(info?.openerTokenId, 'object:oidc.issuer/acme');
    const text = new TextDecoder().decode(Buffer.concat(await core.log.entries(0, (await core.log.head()).size)));
    assert.match(text, /"oidc\.signin"/);
    assert.match(text, /"keys":"oidc\.jwks\/acme@1"/);
    assert.doesNotMatch(text, /(?<![A-Za-z0-9+/_-])alice(?![A-Za-z0-9+/_-])/);
    assert.ok(!text.includes(nonce));
  });

  it('a nonce is used once: a replayed token is refused, as are unknown and expired nonces', async () => {
    const { nonce } = await signin.nonce();
    const t = await token(k1, nonce);
    await signin.signIn('acme', t);
    await assert.rejects(signin.signIn('acme', t), code('VERITY_E_OIDC_NONCE_INVALID'));
    // The nonce was deleted from the authenticated state in the transaction that opened the session.
    assert.equal((await core.store.reader.listObjects('oidc.nonce', undefined, { limit: 100 })).length, 0);
    await assert.rejects(signin.signIn('acme', await token(k1, 'made-up')), code('VERITY_E_OIDC_NONCE_INVALID'));
    const other = `${String(clock.now() + 60_000).padStart(13, '0')}.${'A'.repeat(43)}`;
    await assert.rejects(signin.signIn('acme', await token(k1, other)), code('VERITY_E_OIDC_NONCE_INVALID'));
    const late = await signin.nonce();
    clock.advance(301_000);
    await assert.rejects(signin.signIn('acme', await token(k1, late.nonce)), code('VERITY_E_OIDC_NONCE_INVALID'));
  });

  it('a nonce issued for one issuer is refused for another', async () => {
    const k = makeKey('EdDSA', 'e1');
    await issuers.add(
      { name: 'beta', issuer: 'https://beta.example', clientId: CLIENT, algorithms: ['EdDSA'], jwks: jwksOf(k) },
      ACCESS,
    );
    const { nonce } = await signin.nonce('acme');
    const t = signWithNode(k, claimsAt(clock.now(), { iss: 'https://beta.example', aud: CLIENT, sub: 'alice', nonce }));
    await assert.rejects(signin.signIn('beta', t), code('VERITY_E_OIDC_NONCE_INVALID'));
    const ok = await signin.nonce('beta');
    const s = await signin.signIn(
      'beta',
      signWithNode(
        k,
        claimsAt(clock.now(), { iss: 'https://beta.example', aud: CLIENT, sub: 'alice', nonce: ok.nonce }),
      ),
    );
    // A subject too long for a player id (namespace, colon and 250 characters) is refused as such.
    const n3 = await signin.nonce('beta');
    const long = signWithNode(
      k,
      claimsAt(clock.now(), { iss: 'https://beta.example', aud: CLIENT, sub: 'x'.repeat(252), nonce: n3.nonce }),
    );
    await assert.rejects(signin.signIn('beta', long), (e: unknown) => {
      assert.ok(isVerityError(e, 'VERITY_E_OIDC_TOKEN_INVALID'));
      assert.doesNotMatch(e.message, /xxxx/);
      return true;
    });
    // Two issuers' `alice` are two players.
    assert.equal(s.player, 'beta:alice');
    assert.notEqual((await sessions.authenticate(s.token)).subjectRef, await core.vault.subjectRef('acme:alice'));
  });

  it('an unknown kid fetches the JWKS again (rate-limited); a key the issuer removed is refused', async () => {
    // The issuer rotates to k2 and drops k1.
    published = jwksOf(k2);
    clock.advance(61_000);
    const before = fetches;
    const { nonce } = await signin.nonce('acme');
    const s = await signin.signIn('acme', await token(k2, nonce));
    assert.equal(fetches, before + 1);
    assert.ok(await sessions.authenticate(s.token));
    const n2 = await signin.nonce('acme');
    await assert.rejects(signin.signIn('acme', await token(k1, n2.nonce)), (e: unknown) => {
      assert.ok(isVerityError(e, 'VERITY_E_OIDC_TOKEN_INVALID'));
      assert.equal(e.details?.['reason'], 'key');
      return true;
    });
    // Within the refetch interval an unknown kid does not fetch again.
    assert.equal(fetches, before + 1);
    // The nonce was not used up by the refusal.
    published = jwksOf(k1, k2);
    clock.advance(61_000);
    await signin.signIn('acme', await token(k1, n2.nonce));
    assert.equal(fetches, before + 2);
  });

  it('keys are fetched again once older than their max age, and an unreachable JWKS refuses sign-in', async () => {
    published = jwksOf(k2);
    clock.advance(3601_000);
    const { nonce } = await signin.nonce('acme');
    // The cached set had k1; the fresh one does not.
    await assert.rejects(signin.signIn('acme', await token(k1, nonce)), code('VERITY_E_OIDC_TOKEN_INVALID'));
    const text = JSON.stringify(await issuers.get('acme'));
    assert.match(text, /"kid":"k2"/);
    assert.doesNotMatch(text, /"kid":"k1"/);
    down = true;
    clock.advance(3601_000);
    const n2 = await signin.nonce('acme');
    await assert.rejects(signin.signIn('acme', await token(k2, n2.nonce)), code('VERITY_E_OIDC_JWKS_UNAVAILABLE'));
    down = false;
  });

  it('removing the issuer ends its sessions on the next request and refuses new sign-ins', async () => {
    const { nonce } = await signin.nonce('acme');
    const s = await signin.signIn('acme', await token(k2, nonce));
    await sessions.authenticate(s.token);
    const r = await issuers.remove('acme', ACCESS);
    assert.ok(r.revokedSessions >= 1);
    await assert.rejects(sessions.authenticate(s.token), code('VERITY_E_UNAUTHENTICATED'));
    const n2 = await signin.nonce();
    await assert.rejects(signin.signIn('acme', await token(k2, n2.nonce)), code('VERITY_E_OIDC_ISSUER_NOT_TRUSTED'));
    await assert.rejects(issuers.remove('acme', ACCESS), code('VERITY_E_OIDC_ISSUER_NOT_FOUND'));
    assert.equal((await issuers.list()).filter((i) => i.name === 'acme').length, 0);
    assert.equal((await issuers.list(true)).filter((i) => i.name === 'acme').length, 1);
  });

  it('refuses a name or a namespace already in use', async () => {
    const k = makeKey('EdDSA', 'e2');
    const input = { name: 'beta', issuer: 'https://b.example', clientId: 'c', algorithms: ['EdDSA'], jwks: jwksOf(k) };
    await assert.rejects(issuers.add(input, ACCESS), code('VERITY_E_OIDC_ISSUER_EXISTS'));
    await assert.rejects(
      issuers.add({ ...input, name: 'gamma', namespace: 'beta' }, ACCESS),
      code('VERITY_E_OIDC_ISSUER_EXISTS'),
    );
    // A removed issuer's name and namespace are free again for that issuer, not for another: its
    // players' ids begin with the namespace, and another issuer would sign in as them (D415).
    await assert.rejects(issuers.add({ ...input, name: 'acme' }, ACCESS), (e) =>
      /named the players of another issuer/.test((e as Error).message),
    );
    await issuers.add({ ...input, name: 'acme', issuer: ISS }, ACCESS);
    // Nor a namespace of Verity's own subjects (a private dataset's are `verity-dataset:NAME`: D415).
    for (const namespace of ['verity-dataset', 'verity-x'])
      await assert.rejects(issuers.add({ ...input, name: 'delta', namespace }, ACCESS), (e) =>
        /Verity's own/.test((e as Error).message),
      );
  });

  it('logs every refusal with the issuer and the rule, never the token or the player', async () => {
    const start = (await core.log.head()).size;
    const { nonce } = await signin.nonce();
    const bad = await token(k1, nonce, 'mallory', { aud: 'other' });
    await assert.rejects(signin.signIn('acme', bad), code('VERITY_E_OIDC_TOKEN_INVALID'));
    await assert.rejects(signin.signIn('nope', bad), code('VERITY_E_OIDC_ISSUER_NOT_TRUSTED'));
    const entries = (await core.log.entries(start, (await core.log.head()).size)).map((e) =>
      new TextDecoder().decode(e),
    );
    const denied = entries.filter((e) => e.includes('"oidc.signin"') && e.includes('"denied"'));
    assert.equal(denied.length, 2);
    assert.ok(denied.some((e) => e.includes('"issuer:nope"') && e.includes('VERITY_E_OIDC_ISSUER_NOT_TRUSTED')));
    for (const e of entries) {
      assert.doesNotMatch(e, /mallory/);
      assert.ok(!e.includes(bad.slice(0, 30)));
    }
  });
});
