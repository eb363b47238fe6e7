import { p256 } from '@noble/curves/nist.js';
import { base58 } from '@scure/base';
import type { JWK } from 'jose';
import { concatBytes, fromBase64Url, toBase64Url } from '../encoding/index.ts';
import { DidError, quote } from '../errors/index.ts';

/**
 * did:key (W3C CCG did:key method): `did:key:` + multibase base58btc (`z`) of a multicodec
 * public key: 0xed 0x01 + 32 bytes for Ed25519, 0x80 0x24 (0x1200) + the 33-byte compressed point
 * for P-256. Resolved locally, with no network.
 */

const ED25519 = Uint8Array.of(0xed, 0x01);
const P256 = Uint8Array.of(0x80, 0x24);
const DID_KEY_RE = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;

/** A verification method of a DID document (JsonWebKey2020 with its public JWK). */
export interface VerificationMethod {
  readonly id: string;
  readonly type: 'JsonWebKey2020';
  readonly controller: string;
  readonly publicKeyJwk: JWK;
  /** When the key was retired (W3C Controlled Identifiers `revoked`): valid for what it signed before. */
  readonly revoked?: string;
}

/** A DID document (W3C DID Core 1.0), as Verity builds and reads them. */
export interface DidDocument {
  readonly '@context': readonly string[];
  readonly id: string;
  readonly verificationMethod: readonly VerificationMethod[];
  readonly authentication: readonly string[];
  readonly assertionMethod: readonly string[];
}

export const DID_CONTEXT = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'] as const;

/** The did:key of an Ed25519 or P-256 public JWK. */
export function didKeyFromJwk(jwk: JWK): string {
  let bytes: Uint8Array;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string') {
    bytes = concatBytes(ED25519, fromBase64Url(jwk.x, 'Ed25519 key'));
    if (bytes.length !== 34) throw new DidError('VERITY_E_DID_INVALID', 'an Ed25519 public key is 32 bytes');
  } else if (jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    const x = fromBase64Url(jwk.x, 'P-256 x');
    const y = fromBase64Url(jwk.y, 'P-256 y');
    const point = p256.Point.fromBytes(concatBytes(Uint8Array.of(4), x, y));
    bytes = concatBytes(P256, point.toBytes(true));
  } else throw new DidError('VERITY_E_DID_UNSUPPORTED', 'did:key is made for Ed25519 and P-256 keys');
  return `did:key:z${base58.encode(bytes)}`;
}

/** The public JWK a did:key names (attacker-controlled text: checked strictly). */
export function jwkFromDidKey(did: string): JWK {
  const bare = did.split('#')[0] as string;
  if (!DID_KEY_RE.test(bare)) throw new DidError('VERITY_E_DID_INVALID', `${quote(did)} is not a base58btc did:key`);
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(bare.slice('did:key:z'.length));
  } catch (cause) {
    throw new DidError('VERITY_E_DID_INVALID', `${quote(did)} is not base58btc`, { cause });
  }
  if (bytes[0] === 0xed && bytes[1] === 0x01) {
    if (bytes.length !== 34) throw new DidError('VERITY_E_DID_INVALID', 'a did:key Ed25519 key is 32 bytes');
    return { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(bytes.subarray(2)) };
  }
  if (bytes[0] === 0x80 && bytes[1] === 0x24) {
    if (bytes.length !== 35)
      throw new DidError('VERITY_E_DID_INVALID', 'a did:key P-256 key is a 33-byte compressed point');
    let raw: Uint8Array;
    try {
      raw = p256.Point.fromBytes(bytes.subarray(2)).toBytes(false);
    } catch (cause) {
      throw new DidError('VERITY_E_DID_INVALID', 'the did:key P-256 key is not a point on the curve', { cause });
    }
    return { kty: 'EC', crv: 'P-256', x: toBase64Url(raw.subarray(1, 33)), y: toBase64Url(raw.subarray(33)) };
  }
  throw new DidError('VERITY_E_DID_UNSUPPORTED', 'the did:key is not an Ed25519 or P-256 key');
}

/** The DID document of a did:key (one key, for authentication and assertions). */
export function didKeyDocument(did: string): DidDocument {
  const jwk = jwkFromDidKey(did);
  const id = `${did}#${did.slice('did:key:'.length)}`;
  return {
    '@context': DID_CONTEXT,
    id: did,
    verificationMethod: [{ id, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk }],
    authentication: [id],
    assertionMethod: [id],
  };
}
