// Platform sign-in end to end over HTTP: an identity provider (a Fastify server on loopback serving
// its JWKS) signs a player in; the session reaches exactly the player's own records (written earlier
// by a service under the player id `<namespace>:<sub>`); removing the issuer ends the session on the
// next request; managing issuers needs the explicit `issuer.manage` capability; and the log holds
// the sign-ins and the refusals without the player id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { identityServices } from '../src/cli/identity.ts';
import { decodeStateEntry } from '../src/log/index.ts';
import { Issuers, Nonces, OidcSignIn } from '../src/oidc/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { claimsAt, jwksOf, makeKey, signWithNode } from './helpers/idp.ts';

type App = ReturnType<typeof buildServer>;
const CLIENT = 'verity-game';

describe('OpenID Connect sign-in over HTTP', () => {
  let core: TestCore;
  let idp: FastifyInstance;
  let idpUrl: string;
  let app: App;
  const key = makeKey('RS256', 'idp-2026');
  const tok: Record<string, string> = {};
  const records: Record<string, string> = {};
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    core = await makeCore('sqlite');
    const engine = PolicyEngine.load(DEFAULT_POLICIES);
    // The platform's identity provider: it publishes its public keys and signs ID tokens.
    idp = Fastify();
    idp.get('/jwks', async () => jwksOf(key));
    idpUrl = await idp.listen({ host: '127.0.0.1', port: 0 });
    const sessions = new Sessions({
      keys: core.keys,
      store: core.store,
      log: core.log,
      signInRecordTypes: ['profile'],
    });
    const issuers = new Issuers({ store: core.store, log: core.log, sessions, fetch: (u, i) => fetch(u, i) });
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        sessions,
        policies: () => engine,
      },
      oidc: {
        issuers,
        signIn: new OidcSignIn({
          issuers,
          nonces: new Nonces({ log: core.log }),
          sessions,
          store: core.store,
          log: core.log,
          subjectRef: (p) => core.vault.subjectRef(p),
        }),
      },
      // Verifiable credentials too, never asked for the issuer's did.json before a first issuance.
      identity: identityServices(core, 'verity.test'),
    });
    await app.ready();
    const tokens = new Tokens(core.store, core.log);
    const make = async (name: string, input: Omit<Parameters<Tokens['create']>[0], 'actor'>) => {
      tok[name] = (await tokens.create({ ...input, actor: 'operator:test' })).token;
    };
    await make('admin', { principal: 'identity', role: 'operator', capabilities: ['issuer.manage'] });
    await make('ops', { principal: 'ops', role: 'operator' });
    await make('profiles', { principal: 'profiles', role: 'service', recordTypes: ['profile'] });
    await make('platform', {
      principal: 'platform',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open', 'credential.issue'],
    });
  });
  after(async () => {
    await app.close();
    await idp.close();
    await core.dispose();
  });

  const signIn = async (sub: string, extra: Record<string, unknown> = {}) => {
    const n = await app.inject({ method: 'POST', url: '/v1/signin/oidc/nonce', payload: { issuer: 'acme' } });
    assert.equal(n.statusCode, 201, n.body);
    const idToken = signWithNode(
      key,
      claimsAt(Date.now(), { iss: idpUrl, aud: CLIENT, sub, nonce: n.json().nonce }, extra),
    );
    return {
      idToken,
      r: await app.inject({ method: 'POST', url: '/v1/signin/oidc', payload: { issuer: 'acme', idToken } }),
    };
  };

  it('only a token granted `issuer.manage` manages issuers; an operator role alone is refused', async () => {
    const body = { name: 'acme', issuer: idpUrl, clientId: CLIENT, algorithms: ['RS256'], jwksUri: `${idpUrl}/jwks` };
    for (const who of ['ops', 'profiles']) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/issuers',
        headers: auth(tok[who] as string),
        payload: body,
      });
      assert.equal(r.statusCode, 403, r.body);
    }
    assert.equal((await app.inject({ method: 'POST', url: '/v1/issuers', payload: body })).statusCode, 401);
    const r = await app.inject({
      method: 'POST',
      url: '/v1/issuers',
      headers: auth(tok['admin'] as string),
      payload: body,
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual(r.json().keys, [{ kid: 'idp-2026', kty: 'RSA', alg: 'RS256' }]);
    const list = await app.inject({ url: '/v1/issuers', headers: auth(tok['admin'] as string) });
    assert.deepEqual(
      list.json().map((i: { name: string }) => i.name),
      ['acme'],
    );
    // `alg: none` or a MAC cannot even be configured.
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/issuers',
      headers: auth(tok['admin'] as string),
      payload: { ...body, name: 'weak', algorithms: ['HS256'] },
    });
    assert.equal(bad.statusCode, 400, bad.body);
  });

  it('a player signed in by an ID token reaches exactly their own records', async () => {
    for (const who of ['alice', 'bob']) {
      const w = await app.inject({
        method: 'POST',
        url: '/v1/records',
        headers: auth(tok['profiles'] as string),
        payload: { subject: `acme:${who}`, type: 'profile', purpose: 'service-provision', data: { name: who } },
      });
      assert.equal(w.statusCode, 201, w.body);
      records[who] = w.json().id;
    }
    const { idToken, r } = await signIn('alice');
    assert.equal(r.statusCode, 201, r.body);
    const s = r.json();
    assert.equal(s.player, 'acme:alice');
    assert.equal(s.issuer, 'acme');
    const mine = await app.inject({
      url: `/v1/records/${records['alice']}?purpose=user-request`,
      headers: auth(s.token),
    });
    assert.equal(mine.statusCode, 200, mine.body);
    assert.equal(mine.json().data.name, 'alice');
    const theirs = await app.inject({
      url: `/v1/records/${records['bob']}?purpose=user-request`,
      headers: auth(s.token),
    });
    assert.ok([403, 404].includes(theirs.statusCode), theirs.body);
    // The same token again (a replay) is refused: its nonce was used.
    const again = await app.inject({ method: 'POST', url: '/v1/signin/oidc', payload: { issuer: 'acme', idToken } });
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().error.code, 'VERITY_E_OIDC_NONCE_INVALID');
    // A session cannot manage issuers.
    const manage = await app.inject({ url: '/v1/issuers', headers: auth(s.token) });
    assert.equal(manage.statusCode, 403);
  });

  it("no service opens a session for an identity provider's player: they sign in through it (D422)", async () => {
    const open = (player: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: auth(tok['platform'] as string),
        payload: { player, purpose: 'authentication' },
      });
    const refused = await open('acme:bob');
    assert.equal(refused.statusCode, 403, refused.body);
    assert.match(refused.json().error.message, /`acme:` names the players of a trusted identity provider/);
    const head = await core.log.head();
    const entry = decodeAuditEntry((await core.log.entries(head.size - 1, head.size))[0] as Uint8Array);
    assert.deepEqual([entry.action, entry.outcome], ['policy.decision', 'denied']);
    assert.ok(!JSON.stringify(entry).includes('bob'), 'the player is not in the log');
    // The platform's own players, a colon in their ids or not, are its to vouch for.
    assert.equal((await open('eu:player-9')).statusCode, 201);
    assert.equal((await open('player-9')).statusCode, 201);
  });

  it("nor issues a credential for one (D435); the issuer's did:web is made by a first issuance", async () => {
    const holder = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    const issue = (player: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/credentials',
        headers: auth(tok['platform'] as string),
        payload: { type: 'membership', player, holderJwk: holder, purpose: 'identity' },
      });
    const refused = await issue('acme:bob');
    assert.equal(refused.statusCode, 403, refused.body);
    assert.match(refused.json().error.message, /`acme:` names the players of a trusted identity provider/);
    // No GET of /.well-known/did.json came first.
    const issued = await issue('player-9');
    assert.equal(issued.statusCode, 201, issued.body);
  });

  it('refuses tokens for another audience, and logs sign-ins and refusals without the player id', async () => {
    const { r } = await signIn('carol', { aud: 'another-client' });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error.code, 'VERITY_E_OIDC_TOKEN_INVALID');
    assert.match(r.json().error.message, /aud/);
    const ok = await signIn('carol');
    assert.equal(ok.r.statusCode, 201, ok.r.body);
    const text = (await core.log.entries(0, (await core.log.head()).size))
      .filter((b) => decodeStateEntry(b) === undefined)
      .map((b) => new TextDecoder().decode(b));
    assert.ok(text.some((e) => e.includes('"oidc.signin"') && e.includes('"denied"') && e.includes('"reason":"aud"')));
    assert.ok(text.some((e) => e.includes('"oidc.signin"') && e.includes('"success"')));
    // Hashes, pseudonyms and record ids are random base64url that may spell a name by chance: the
    // names are looked for in what is left.
    for (const e of text) assert.doesNotMatch(e.replace(/[A-Za-z0-9_-]{20,}/g, ''), /alice|bob|carol/);
  });

  it('removing the issuer ends the session on the next request', async () => {
    const { r } = await signIn('alice');
    const s = r.json();
    const read = () =>
      app.inject({ url: `/v1/records/${records['alice']}?purpose=user-request`, headers: auth(s.token) });
    assert.equal((await read()).statusCode, 200);
    const del = await app.inject({ method: 'DELETE', url: '/v1/issuers/acme', headers: auth(tok['admin'] as string) });
    assert.equal(del.statusCode, 200, del.body);
    assert.ok(del.json().revokedSessions >= 1);
    const after = await read();
    assert.equal(after.statusCode, 401, after.body);
    const n = await app.inject({ method: 'POST', url: '/v1/signin/oidc/nonce', payload: { issuer: 'acme' } });
    assert.equal(n.statusCode, 401, 'no nonce is issued for a removed issuer');
    assert.equal(n.json().error.code, 'VERITY_E_OIDC_ISSUER_NOT_TRUSTED');
    const text = (await core.log.entries(0, (await core.log.head()).size)).map((b) => new TextDecoder().decode(b));
    assert.ok(text.some((e) => e.includes('"oidc.issuer.remove"')));
    assert.ok(text.some((e) => e.includes('"session.revoke"')));
  });
});
