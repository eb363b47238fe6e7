// Credentials round-trip with selective disclosure and revocation: Verity issues SD-JWT VCs with its
// did:web key, a holder presents chosen disclosures with key binding, Verity verifies them against
// its status lists, key rotation keeps old credentials verifiable, other issuers only from the
// trust list. On a real store, log and key store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { DidWebIdentities, didKeyFromJwk } from '../src/did/index.ts';
import type { JsonValue } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import {
  CREDENTIAL_KIND,
  Credentials,
  cryptoKeySigner,
  issueSdJwt,
  PresentationVerifier,
  type PrivateCryptoKey,
  presentSdJwt,
  TrustList,
} from '../src/vc/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const REF = 'A'.repeat(43);
const AS = { actor: 'service:world-1' };
const KB = { audience: 'https://shop.example', nonce: 'n-42' };

describe('credentials (sqlite)', () => {
  let core: TestCore;
  let ids: DidWebIdentities;
  let creds: Credentials;
  let trust: TrustList;
  let verifier: PresentationVerifier;
  let holder: { jwk: JWK; sign: (b: Uint8Array) => Promise<Uint8Array> };
  let issuer: string;

  before(async () => {
    core = await makeCore('sqlite');
    ids = new DidWebIdentities({ keys: core.keys, store: core.store, log: core.log, host: 'verity.test' });
    issuer = ids.didFor();
    await ids.ensure(issuer, AS);
    creds = new Credentials({
      store: core.store,
      log: core.log,
      identities: ids,
      issuer,
      statusBase: 'https://verity.test/v1/status-lists',
    });
    trust = new TrustList({ store: core.store, log: core.log });
    verifier = new PresentationVerifier({ identities: ids, issuer, trust, credentials: creds });
    const kp = await generateKeyPair('ES256', { extractable: true });
    holder = {
      jwk: (await exportJWK(kp.publicKey)) as JWK,
      sign: cryptoKeySigner(kp.privateKey as PrivateCryptoKey, 'ES256'),
    };
  });
  after(() => core.dispose());

  const present = (sdJwt: string, names: readonly string[]) =>
    presentSdJwt(sdJwt, (d) => names.includes(d.disclosure.name ?? String(d.disclosure.value)), {
      alg: 'ES256',
      sign: holder.sign,
      ...KB,
    });

  it('over-18: needs evidence; discloses age_over_18 and nothing else', async () => {
    await assert.rejects(creds.issue({ type: 'over-18', subjectRef: REF, holderJwk: holder.jwk }, AS), (e: unknown) =>
      isVerityError(e, 'VERITY_E_VC_EVIDENCE_REQUIRED'),
    );
    const { sdJwt, credential } = await creds.issue(
      { type: 'over-18', subjectRef: REF, holderJwk: holder.jwk, evidence: { ageOver18: true } },
      AS,
    );
    const v = await verifier.verify(await present(sdJwt, ['age_over_18']), KB);
    assert.equal(v.claims['age_over_18'], true);
    assert.equal(v.vct, 'urn:verity:credential:over-18');
    const domain = Object.keys(v.claims).filter((k) => !['iss', 'iat', 'exp', 'vct', 'cnf', 'status'].includes(k));
    assert.deepEqual(domain, ['age_over_18']);
    // Presented without the disclosure: the verifier learns nothing but the type.
    const none = await verifier.verify(await present(sdJwt, []), KB);
    assert.equal(none.claims['age_over_18'], undefined);
    // The store keeps metadata, never claims, owned by the subject's pseudonym.
    const row = await core.store.reader.getObject(CREDENTIAL_KIND, credential.id);
    assert.equal(row?.owner, REF);
    assert.ok(!row?.body.includes('age_over_18'));
  });

  it('membership: revoked credentials fail, suspended ones fail until reinstated', async () => {
    const a = await creds.issue(
      { type: 'membership', subjectRef: REF, holderJwk: holder.jwk, claims: { platform: 'world-1', tier: 'gold' } },
      AS,
    );
    const b = await creds.issue(
      { type: 'membership', subjectRef: REF, holderJwk: holder.jwk, claims: { platform: 'world-1' } },
      AS,
    );
    const pa = await present(a.sdJwt, ['tier']);
    assert.deepEqual((await verifier.verify(pa, KB)).claims['tier'], 'gold');
    assert.equal((await verifier.verify(pa, KB)).claims['platform'], undefined);
    await creds.setStatus(a.credential.id, 'revoked', AS);
    await assert.rejects(verifier.verify(pa, KB), (e: unknown) => isVerityError(e, 'VERITY_E_VC_REVOKED'));
    await assert.rejects(creds.setStatus(a.credential.id, 'valid', AS), (e: unknown) =>
      isVerityError(e, 'VERITY_E_VC_REVOKED'),
    );
    const pb = await present(b.sdJwt, ['platform']);
    await creds.setStatus(b.credential.id, 'suspended', AS);
    await assert.rejects(verifier.verify(pb, KB), (e: unknown) => isVerityError(e, 'VERITY_E_VC_SUSPENDED'));
    await creds.setStatus(b.credential.id, 'valid', AS);
    assert.equal((await verifier.verify(pb, KB)).claims['platform'], 'world-1');
    assert.equal((await creds.listFor(REF)).length >= 3, true);
  });

  it('key rotation: old credentials still verify, the old key is kept and marked retired', async () => {
    const before = await creds.issue(
      {
        type: 'verified-creator',
        subjectRef: REF,
        holderJwk: holder.jwk,
        claims: { creator_name: 'Ada', asset_kinds: ['mesh', 'texture'] },
      },
      AS,
    );
    await new Promise((r) => setTimeout(r, 5));
    const rotated = await ids.rotate(issuer, AS);
    assert.equal(rotated.keys.length, 2);
    const doc = await ids.document(issuer);
    assert.equal(doc.verificationMethod.length, 2);
    assert.ok(typeof doc.verificationMethod[0]?.revoked === 'string');
    assert.deepEqual(doc.assertionMethod, [`${issuer}#key-2`]);
    const v = await verifier.verify(await present(before.sdJwt, ['creator_name', 'texture']), KB);
    assert.equal(v.claims['creator_name'], 'Ada');
    assert.deepEqual(v.claims['asset_kinds'], ['texture']);
    const after = await creds.issue(
      { type: 'membership', subjectRef: REF, holderJwk: holder.jwk, claims: { tier: 'x' } },
      AS,
    );
    assert.ok(after.sdJwt.startsWith('ey'));
    assert.equal((await verifier.verify(await present(after.sdJwt, []), KB)).issuer, issuer);
  });

  it('other issuers only from the trust list (by JWK or did:key)', async () => {
    const kp = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = (await exportJWK(kp.publicKey)) as JWK;
    const sign = cryptoKeySigner(kp.privateKey as PrivateCryptoKey, 'EdDSA');
    const did = didKeyFromJwk(jwk);
    const mk = (iss: string, kid?: string) =>
      issueSdJwt(
        { iss, vct: 'urn:other:badge', cnf: { jwk: holder.jwk as JsonValue }, badge: 'gold' },
        { sd: ['badge'] },
        { alg: 'EdDSA', typ: 'dc+sd-jwt', sign, ...(kid === undefined ? {} : { kid }) },
      );
    const p1 = await present((await mk('https://other.example')).sdJwt, ['badge']);
    await assert.rejects(verifier.verify(p1, KB), (e: unknown) => isVerityError(e, 'VERITY_E_VC_ISSUER_UNTRUSTED'));
    await trust.trust({ iss: 'https://other.example', jwks: [jwk] }, 'operator:cli');
    assert.equal((await verifier.verify(p1, KB)).claims['badge'], 'gold');
    const p2 = await present((await mk(did, `${did}#${did.slice(8)}`)).sdJwt, ['badge']);
    await assert.rejects(verifier.verify(p2, KB), (e: unknown) => isVerityError(e, 'VERITY_E_VC_ISSUER_UNTRUSTED'));
    await trust.trust({ iss: did, did }, 'operator:cli');
    assert.equal((await verifier.verify(p2, KB)).claims['badge'], 'gold');
    assert.ok(await trust.distrust('https://other.example', 'operator:cli'));
    await assert.rejects(verifier.verify(p1, KB), (e: unknown) => isVerityError(e, 'VERITY_E_VC_ISSUER_UNTRUSTED'));
  });

  it('every identity event is in the log, with no subject reference in it', async () => {
    const head = await core.log.head();
    const actions = new Set<string>();
    for (const bytes of await core.log.entries(0, head.size)) {
      const text = new TextDecoder().decode(bytes);
      assert.ok(!text.includes(REF), 'a subject reference reached the log');
      try {
        actions.add(decodeAuditEntry(bytes).action);
      } catch {
        // state entries
      }
    }
    for (const a of [
      'did.create',
      'did.rotate',
      'credential.issue',
      'credential.revoke',
      'credential.suspend',
      'credential.reinstate',
      'issuer.trust',
      'issuer.distrust',
    ])
      assert.ok(actions.has(a), a);
  });
});
