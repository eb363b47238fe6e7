// DIDs and credentials over HTTP: did:web documents served and resolved (through the local server,
// never the network), issuing authorized by the Cedar policies and explicit capabilities,
// presentations verified, revocation seen, and a second Verity trusting the first by its did:web.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { identityServices } from '../src/cli/identity.ts';
import { type DidFetch, DidWebIdentities, resolveDid, verificationKey } from '../src/did/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { decodeStateEntry } from '../src/log/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { CredentialsClient, createPresentation, disclosable } from '../src/sdk/index.ts';
import { buildServer } from '../src/server/index.ts';
import {
  cryptoKeySigner,
  PresentationVerifier,
  type PrivateCryptoKey,
  presentSdJwt,
  TrustList,
} from '../src/vc/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const HOST = 'verity.test';
const KB = { audience: 'https://shop.example', nonce: 'n-7' };

describe('identity over HTTP (sqlite)', () => {
  let core: TestCore;
  let other: TestCore;
  let app: ReturnType<typeof buildServer>;
  let base: string;
  let fetchDid: DidFetch;
  let issuerToken: string;
  let plainToken: string;
  let holder: { jwk: JWK; sign: (b: Uint8Array) => Promise<Uint8Array>; key: PrivateCryptoKey };

  before(async () => {
    core = await makeCore('sqlite');
    other = await makeCore('sqlite');
    const engine = PolicyEngine.load(DEFAULT_POLICIES);
    const identity = identityServices(core, HOST);
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        sessions: new Sessions(core),
        policies: () => engine,
      },
      identity,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    // did:web names https://verity.test/...: the test's fetch takes it to the local server instead.
    fetchDid = (url) => fetch(url.replace(`https://${HOST}`, base));
    const tokens = new Tokens(core.store, core.log);
    issuerToken = (
      await tokens.create({
        principal: 'world-1',
        role: 'service',
        recordTypes: ['game.profile'],
        capabilities: ['credential.issue', 'credential.revoke', 'session.open'],
        actor: 'operator:test',
      })
    ).token;
    plainToken = (
      await tokens.create({ principal: 'world-2', role: 'service', recordTypes: ['x.y'], actor: 'operator:test' })
    ).token;
    const kp = await generateKeyPair('EdDSA', { extractable: true });
    holder = {
      jwk: (await exportJWK(kp.publicKey)) as JWK,
      sign: cryptoKeySigner(kp.privateKey as PrivateCryptoKey, 'EdDSA'),
      key: kp.privateKey as PrivateCryptoKey,
    };
  });
  after(async () => {
    await app.close();
    await core.dispose();
    await other.dispose();
  });

  const post = (url: string, token: string, payload: unknown) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
  const present = (sdJwt: string, names: string[]) =>
    presentSdJwt(sdJwt, (d) => names.includes(d.disclosure.name ?? ''), { alg: 'EdDSA', sign: holder.sign, ...KB });

  it('serves the did:web document, resolvable by did:web rules', async () => {
    const doc = await resolveDid(`did:web:${HOST}`, { fetch: fetchDid });
    assert.equal(doc.id, `did:web:${HOST}`);
    assert.equal(verificationKey(doc, `did:web:${HOST}#key-1`).jwk.crv, 'Ed25519');
  });

  it('issues over-18 only with evidence and the capability; verifies; revocation is seen', async () => {
    const req = { type: 'over-18', player: 'alice', holderJwk: holder.jwk, purpose: 'identity' };
    assert.equal(
      (await post('/v1/credentials', plainToken, { ...req, evidence: { ageOver18: true } })).statusCode,
      403,
    );
    const noEvidence = await post('/v1/credentials', issuerToken, req);
    assert.equal(noEvidence.json().error.code, 'VERITY_E_VC_EVIDENCE_REQUIRED');
    // Allowed by the policies, then refused for what was asked: logged as an error with its code,
    // not as a success (D433).
    const head = await core.log.head();
    const last = (await core.log.entries(0, head.size))
      .filter((e) => decodeStateEntry(e) === undefined)
      .map((e) => decodeAuditEntry(e))
      .at(-1);
    assert.deepEqual(
      [last?.action, last?.outcome, last?.details?.['decision'], last?.details?.['error']],
      ['policy.decision', 'error', 'allow', 'VERITY_E_VC_EVIDENCE_REQUIRED'],
    );
    const r = await post('/v1/credentials', issuerToken, { ...req, evidence: { ageOver18: true } });
    assert.equal(r.statusCode, 201, r.body);
    const { sdJwt, credential } = r.json();
    assert.equal(credential.subjectRef, undefined);
    const p = await present(sdJwt, ['age_over_18']);
    const v = await post('/v1/presentations/verify', plainToken, { presentation: p, ...KB });
    assert.equal(v.statusCode, 200, v.body);
    assert.equal(v.json().claims.age_over_18, true);
    // Through the SDK's client, over the socket:
    const client = new CredentialsClient({ url: base, token: plainToken });
    assert.equal((await client.verify(p, KB)).claims['age_over_18'], true);
    await assert.rejects(client.verify(p, { ...KB, nonce: 'other' }), (e: unknown) =>
      isVerityError(e, 'VERITY_E_VC_KEY_BINDING_INVALID'),
    );
    const status = await app.inject({ url: `/v1/status-lists/${credential.list}` });
    assert.equal(status.headers['content-type'], 'application/statuslist+jwt');
    assert.equal((await post(`/v1/credentials/${credential.id}/revoke`, plainToken, {})).statusCode, 403);
    // The same answer for an id never issued: no one learns which ids were (D415).
    const unknown = `${credential.id.slice(0, -4)}${credential.id.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const forUnknown = await post(`/v1/credentials/${unknown}/revoke`, plainToken, {});
    assert.equal(forUnknown.statusCode, 403, forUnknown.body);
    assert.equal((await post(`/v1/credentials/${credential.id}/revoke`, issuerToken, {})).json().status, 'revoked');
    const after = await post('/v1/presentations/verify', plainToken, { presentation: p, ...KB });
    assert.equal(after.json().error.code, 'VERITY_E_VC_REVOKED');
  });

  it('a player session asks for its own membership credential, and nothing else', async () => {
    const s = await post('/v1/sessions', issuerToken, { player: 'bob', purpose: 'authentication' });
    assert.equal(s.statusCode, 201, s.body);
    const session = s.json().token as string;
    const m = await post('/v1/credentials', session, {
      type: 'membership',
      holderJwk: holder.jwk,
      purpose: 'user-request',
    });
    assert.equal(m.statusCode, 201, m.body);
    const o18 = await post('/v1/credentials', session, {
      type: 'over-18',
      holderJwk: holder.jwk,
      purpose: 'user-request',
      evidence: { ageOver18: true },
    });
    assert.equal(o18.statusCode, 403);
  });

  it('another Verity accepts the credentials once it trusts the issuer by did:web', async () => {
    const r = await post('/v1/credentials', issuerToken, {
      type: 'membership',
      player: 'carol',
      holderJwk: holder.jwk,
      purpose: 'identity',
      claims: { tier: 'gold' },
    });
    // The SDK's holder helper makes the presentation.
    assert.deepEqual(
      disclosable(r.json().sdJwt).map((d) => d.name),
      ['tier'],
    );
    const p = await createPresentation(r.json().sdJwt, ['tier'], { privateKey: holder.key, alg: 'EdDSA', ...KB });
    const ids = new DidWebIdentities({ keys: other.keys, store: other.store, log: other.log, host: 'verifier.test' });
    const trust = new TrustList({ store: other.store, log: other.log, fetch: fetchDid });
    const verifier = new PresentationVerifier({
      identities: ids,
      issuer: ids.didFor(),
      trust,
      fetchStatus: async (uri) => (await fetchDid(uri)).text(),
    });
    await assert.rejects(verifier.verify(p, KB), /not on the trust list/);
    await trust.trust({ iss: `did:web:${HOST}`, did: `did:web:${HOST}` }, 'operator:test');
    assert.equal((await verifier.verify(p, KB)).claims['tier'], 'gold');
  });
});
