// did:key (W3C CCG did:key method) test vectors, and the did:web method-specific id to URL mapping.
// Vectors: test/vectors/did-key/ (from the did:key specification's test-vectors folder).
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { base58 } from '@scure/base';
import fc from 'fast-check';
import type { JWK } from 'jose';
import { didKeyDocument, didKeyFromJwk, didWebFor, didWebUrl, jwkFromDidKey } from '../src/did/index.ts';
import { fromHex, toBase64Url } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';

const V = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'did-key', 'vectors.json'), 'utf8')) as {
  ed25519: { did: string; seed: string; publicKeyBase58: string }[];
  p256: { did: string; publicKeyJwk: JWK }[];
};

describe('did:key vectors', () => {
  for (const v of V.ed25519)
    it(`Ed25519 ${v.did.slice(0, 24)}…`, () => {
      // The seed is the Ed25519 private key: derive its public key independently (PKCS#8 prefix).
      const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), fromHex(v.seed)]);
      const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({
        format: 'der',
        type: 'spki',
      });
      const raw = new Uint8Array(spki.subarray(12));
      assert.deepEqual(raw, base58.decode(v.publicKeyBase58));
      const jwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(raw) };
      assert.equal(didKeyFromJwk(jwk), v.did);
      assert.deepEqual(jwkFromDidKey(v.did), jwk);
      const doc = didKeyDocument(v.did);
      assert.equal(doc.assertionMethod[0], `${v.did}#${v.did.slice(8)}`);
    });
  for (const v of V.p256)
    it(`P-256 ${v.did.slice(0, 24)}…`, () => {
      assert.equal(didKeyFromJwk(v.publicKeyJwk), v.did);
      assert.deepEqual(jwkFromDidKey(v.did), v.publicKeyJwk);
    });

  it('refuses other multicodecs, bad base58, a point off the curve', () => {
    for (const bad of [
      'did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc',
      'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpX',
      'did:key:0abc',
      'did:web:x',
    ])
      assert.throws(
        () => jwkFromDidKey(bad),
        (e: unknown) => isVerityError(e),
      );
  });

  it('property: did:key round-trips Ed25519 keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
        const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({
          format: 'der',
          type: 'spki',
        });
        const jwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(new Uint8Array(spki.subarray(12))) };
        assert.deepEqual(jwkFromDidKey(didKeyFromJwk(jwk)), jwk);
      }),
      { numRuns: 50 },
    );
  });
});

describe('did:web', () => {
  it('maps method-specific ids to URLs (did:web specification examples)', () => {
    assert.equal(didWebUrl('did:web:w3c-ccg.github.io'), 'https://w3c-ccg.github.io/.well-known/did.json');
    assert.equal(didWebUrl('did:web:w3c-ccg.github.io:user:alice'), 'https://w3c-ccg.github.io/user/alice/did.json');
    assert.equal(didWebUrl('did:web:example.com%3A3000'), 'https://example.com:3000/.well-known/did.json');
    assert.equal(didWebFor('localhost:8443', ['services', 'world-1']), 'did:web:localhost%3A8443:services:world-1');
  });

  it('refuses hosts and paths that could go elsewhere', () => {
    for (const bad of [
      'did:web:',
      'did:web:Example.com',
      'did:web:a..b',
      'did:web:x.com:..',
      'did:web:x.com/evil',
      'did:web:x.com:a%2Fb',
      'did:web:user@x.com',
    ])
      assert.throws(
        () => didWebUrl(bad),
        (e: unknown) => isVerityError(e, 'VERITY_E_DID_INVALID'),
        bad,
      );
  });
});
