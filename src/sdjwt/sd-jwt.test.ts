import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { type JsonValue, toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { issueSdJwt, presentSdJwt } from './issue.ts';
import { cryptoKeySigner, type JwsAlgorithm, type PrivateCryptoKey, signJws } from './jws.ts';
import { verifySdJwt } from './sd-jwt.ts';

const NOW = 1_800_000_000;

async function keys(alg: JwsAlgorithm) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { sign: cryptoKeySigner(privateKey as PrivateCryptoKey, alg), jwk: (await exportJWK(publicKey)) as JWK };
}

const issuerE = await keys('EdDSA');
const issuerP = await keys('ES256');
const holder = await keys('ES256');
const KB = { audience: 'https://verifier.example', nonce: 'n-1' };

const claimName = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,8}$/)
  .filter((k) => !['iss', 'cnf', 'exp', 'iat', 'nbf'].includes(k));
const claimValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.integer(), { maxKeys: 3 }),
);

describe('SD-JWT issue, present, verify', () => {
  it('property: presenting any subset discloses exactly that subset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(claimName, claimValue, { minKeys: 1, maxKeys: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        async (claims, pick, ed) => {
          const issuer = ed ? issuerE : issuerP;
          const names = Object.keys(claims);
          const sd = names.filter((_, i) => i % 2 === 0 || pick[5] === true);
          const { sdJwt } = await issueSdJwt(
            { iss: 'https://issuer.example', exp: NOW + 60, cnf: { jwk: holder.jwk as JsonValue }, ...claims },
            { sd },
            { alg: ed ? 'EdDSA' : 'ES256', typ: 'dc+sd-jwt', sign: issuer.sign, decoys: 1 },
          );
          const chosen = new Set(sd.filter((_, i) => pick[i] === true));
          const p = await presentSdJwt(sdJwt, (d) => chosen.has(d.disclosure.name as string), {
            alg: 'ES256',
            sign: holder.sign,
            ...KB,
            iat: NOW,
          });
          const v = await verifySdJwt(p, { issuerKey: issuer.jwk, now: NOW, keyBinding: KB });
          for (const n of names) {
            const visible = !sd.includes(n) || chosen.has(n);
            assert.equal(Object.hasOwn(v.claims, n), visible, n);
            if (visible)
              assert.deepEqual(JSON.parse(JSON.stringify(v.claims[n])), JSON.parse(JSON.stringify(claims[n])));
          }
          assert.equal(v.disclosures.length, chosen.size);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('property: any single-character change of a presentation fails', async () => {
    const { sdJwt } = await issueSdJwt(
      { iss: 'https://issuer.example', cnf: { jwk: holder.jwk as JsonValue }, a: 1, b: 'two', c: [1, 2] },
      { sd: ['a', 'b'], nested: { c: { items: true } } },
      { alg: 'EdDSA', typ: 'dc+sd-jwt', sign: issuerE.sign },
    );
    const p = await presentSdJwt(sdJwt, () => true, { alg: 'ES256', sign: holder.sign, ...KB, iat: NOW });
    await verifySdJwt(p, { issuerKey: issuerE.jwk, now: NOW, keyBinding: KB });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=+/ ';
    await fc.assert(
      fc.asyncProperty(fc.nat(p.length - 1), fc.constantFrom(...alphabet), async (at, c) => {
        fc.pre(p[at] !== c);
        const changed = `${p.slice(0, at)}${c}${p.slice(at + 1)}`;
        await assert.rejects(verifySdJwt(changed, { issuerKey: issuerE.jwk, now: NOW, keyBinding: KB }), (e: unknown) =>
          isVerityError(e),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('array elements and recursive disclosures round-trip; a parent comes with its child', async () => {
    const { sdJwt } = await issueSdJwt(
      { iss: 'x', address: { street: 'Main', city: 'Town' }, langs: ['en', 'fr'] },
      { sd: ['address'], nested: { address: { sd: ['street', 'city'] }, langs: { items: true } } },
      { alg: 'EdDSA', typ: 'dc+sd-jwt', sign: issuerE.sign },
    );
    const p = await presentSdJwt(sdJwt, (d) => d.disclosure.name === 'city' || d.disclosure.value === 'fr');
    const v = await verifySdJwt(p, { issuerKey: issuerE.jwk, now: NOW });
    assert.deepEqual(v.claims, { iss: 'x', address: { city: 'Town' }, langs: ['fr'] });
  });
});

describe('SD-JWT refusals', () => {
  const sign = issuerE.sign;
  const enc = (x: unknown) => toBase64Url(utf8(JSON.stringify(x)));
  const verify = (s: string) => verifySdJwt(s, { issuerKey: issuerE.jwk, now: NOW });
  async function refused(s: string, code: string) {
    await assert.rejects(verify(s), (e: unknown) => isVerityError(e) && e.code === code);
  }

  it('alg none, an unknown _sd_alg, an alg that does not fit the key', async () => {
    const body = enc({ iss: 'x' });
    await refused(`${enc({ alg: 'none' })}.${body}.~`, 'VERITY_E_VC_ALG_UNSUPPORTED');
    await refused(`${enc({ alg: 'none' })}.${body}.AA~`, 'VERITY_E_VC_ALG_UNSUPPORTED');
    await refused(`${await signJws({ alg: 'EdDSA' }, { _sd_alg: 'md5' }, sign)}~`, 'VERITY_E_VC_ALG_UNSUPPORTED');
    await refused(`${await signJws({ alg: 'ES256' }, { iss: 'x' }, sign)}~`, 'VERITY_E_VC_ALG_UNSUPPORTED');
  });

  it('reserved claim names, an overwritten claim, a digest twice, an unreferenced disclosure', async () => {
    const hash = async (d: string) => toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(d))));
    const dSd = enc(['s1', '_sd', ['x']]);
    const dDots = enc(['s2', '...', 1]);
    const dIss = enc(['s3', 'iss', 'evil']);
    const dOk = enc(['s4', 'ok', 1]);
    const jwt = await signJws(
      { alg: 'EdDSA' },
      {
        iss: 'x',
        _sd: [await hash(dSd), await hash(dDots), await hash(dIss), await hash(dOk)],
        arr: [{ '...': await hash(dOk) }],
      },
      sign,
    );
    await refused(`${jwt}~${dSd}~`, 'VERITY_E_VC_DISCLOSURE_INVALID');
    await refused(`${jwt}~${dDots}~`, 'VERITY_E_VC_DISCLOSURE_INVALID');
    await refused(`${jwt}~${dIss}~`, 'VERITY_E_VC_DISCLOSURE_INVALID');
    // The same digest in `_sd` and in the array:
    await refused(`${jwt}~`, 'VERITY_E_VC_DISCLOSURE_INVALID');
    const jwt2 = await signJws({ alg: 'EdDSA' }, { iss: 'x', _sd: [await hash(dOk)] }, sign);
    assert.deepEqual((await verify(`${jwt2}~${dOk}~`)).claims, { iss: 'x', ok: 1 });
    await refused(`${jwt2}~${dOk}~${enc(['s5', 'other', 2])}~`, 'VERITY_E_VC_DISCLOSURE_INVALID');
    // An array-element disclosure where a claim is expected:
    await refused(`${jwt2.replace(/./g, (c) => c)}~${enc(['s4', 1])}~`, 'VERITY_E_VC_DISCLOSURE_INVALID');
  });

  it('a KB-JWT with another typ, or signed by another key', async () => {
    const { sdJwt } = await issueSdJwt(
      { iss: 'x', cnf: { jwk: holder.jwk as JsonValue } },
      {},
      {
        alg: 'EdDSA',
        typ: 'dc+sd-jwt',
        sign,
      },
    );
    const good = await presentSdJwt(sdJwt, () => true, { alg: 'ES256', sign: holder.sign, ...KB, iat: NOW });
    const kbPayload = JSON.parse(
      Buffer.from((good.split('~')[1] as string).split('.')[1] as string, 'base64url').toString(),
    );
    const wrongTyp = await signJws({ alg: 'ES256', typ: 'JWT' }, kbPayload, holder.sign);
    const otherKey = await signJws({ alg: 'ES256', typ: 'kb+jwt' }, kbPayload, issuerP.sign);
    const o = { issuerKey: issuerE.jwk, now: NOW, keyBinding: KB };
    await verifySdJwt(good, o);
    for (const kb of [wrongTyp, otherKey])
      await assert.rejects(verifySdJwt(`${sdJwt}${kb}`, o), (e: unknown) =>
        isVerityError(e, 'VERITY_E_VC_KEY_BINDING_INVALID'),
      );
  });
});

describe('SD-JWT untrusted input', () => {
  it('property: any text, and any JSON as payload and disclosures, verifies or fails with a code', async () => {
    const enc = (x: unknown) => toBase64Url(utf8(JSON.stringify(x)));
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        await assert.rejects(verifySdJwt(text, { issuerKey: issuerE.jwk, now: NOW }), (e: unknown) => isVerityError(e));
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
        async (payload, ds) => {
          const jwt = await signJws({ alg: 'EdDSA' }, { _sd: [], payload } as Record<string, unknown>, issuerE.sign);
          const text = `${jwt}~${ds.map((d) => `${enc(d)}~`).join('')}`;
          try {
            await verifySdJwt(text, { issuerKey: issuerE.jwk, now: NOW });
            assert.equal(ds.length, 0);
          } catch (e) {
            assert.ok(isVerityError(e), String(e));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
