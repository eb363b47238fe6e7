// A test identity provider's signing keys, and ID tokens signed two independent ways: with jose, and
// with node:crypto directly (the JWS signing input and signature built by hand, RFC 7515 5.1), so
// that Verity's validation is not only checked against the library it verifies with.
import { constants, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';

export type TestAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface TestKey {
  readonly alg: TestAlg;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK as an issuer publishes it. */
  readonly jwk: Record<string, unknown>;
}

/** A fresh key pair for `alg`. */
export function makeKey(alg: TestAlg, kid: string): TestKey {
  const pair =
    alg === 'RS256' || alg === 'PS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, use: 'sig', alg };
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

/** A JWK Set of these keys' public halves. */
export function jwksOf(...keys: TestKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => k.jwk) };
}

const b64u = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

/** Signs `input` with node:crypto as JWS `alg` says (RFC 7518 3.3-3.5, RFC 8037 3.1). */
export function nodeSignature(key: TestKey, input: string): Buffer {
  const data = Buffer.from(input);
  switch (key.alg) {
    case 'RS256':
      return sign('sha256', data, key.privateKey);
    case 'PS256':
      return sign('sha256', data, {
        key: key.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    case 'ES256':
      return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    default:
      return sign(null, data, key.privateKey);
  }
}

/** A compact JWS of exactly these header and payload texts, signed with node:crypto. */
export function signRaw(key: TestKey, headerText: string, payloadText: string): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${input}.${b64u(nodeSignature(key, input))}`;
}

/** An ID token signed with node:crypto (header: alg, kid, typ JWT unless overridden). */
export function signWithNode(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  return signRaw(key, JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }), JSON.stringify(claims));
}

/** An ID token signed with jose. */
export async function signWithJose(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const pk = await importJWK(key.privateKey.export({ format: 'jwk' }) as Parameters<typeof importJWK>[0], key.alg);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header } as { alg: string })
    .sign(pk);
}

/** `alg: none`: no signature at all. */
export function unsigned(claims: Record<string, unknown>): string {
  return `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}.`;
}

/** HS256 with the issuer's public key (its PEM text) as the MAC secret: the classic key confusion. */
export function hs256WithPublicKey(key: TestKey, claims: Record<string, unknown>): string {
  const input = `${b64u(JSON.stringify({ alg: 'HS256', kid: key.kid, typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}`;
  const secret = key.publicKey.export({ format: 'pem', type: 'spki' });
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Claims of a valid ID token at `now` (ms). */
export function claimsAt(
  now: number,
  o: { iss: string; aud: string; sub: string; nonce: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const t = Math.floor(now / 1000);
  return { iss: o.iss, aud: o.aud, sub: o.sub, nonce: o.nonce, iat: t, exp: t + 300, ...extra };
}
