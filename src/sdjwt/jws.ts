import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { compactVerify, importJWK, type JWK } from 'jose';
import { fromBase64Url, fromUtf8, type JsonValue, parseJson, toBase64Url, utf8 } from '../encoding/index.ts';
import { CredentialError, quote } from '../errors/index.ts';

/**
 * JWS pieces shared by SD-JWTs, Key Binding JWTs and status list tokens: the algorithm allowlist,
 * public JWK checks, strict compact JWS verification (over jose), and the `_sd_alg` hashes.
 */

/** Signature algorithms Verity accepts, never `none`: the allowlist every verification passes to jose. */
export const JWS_ALGORITHMS = ['EdDSA', 'ES256', 'ES384'] as const;
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

/** Largest compact JWS accepted (issuer-signed JWT, KB-JWT, status list token). */
export const MAX_JWS_CHARS = 512 * 1024;
const JSON_LIMITS = { maxBytes: 384 * 1024, maxDepth: 32 };

export { CredentialError };

export function vcError(
  code: 'VERITY_E_VC_INVALID' | 'VERITY_E_VC_SIGNATURE_INVALID' | 'VERITY_E_VC_DISCLOSURE_INVALID',
  message: string,
): CredentialError {
  return new CredentialError(code, message);
}

/** Private JWK members: never accepted where a public key is meant. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;

/**
 * The one algorithm a public JWK verifies with (OKP Ed25519: EdDSA; EC P-256: ES256; EC P-384:
 * ES384). The algorithm comes from the key, never from the token: a token's `alg` must equal it.
 */
export function algorithmOf(jwk: unknown, what = 'the key'): JwsAlgorithm {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw new CredentialError('VERITY_E_VC_ALG_UNSUPPORTED', `${what} is not a JWK object`);
  const k = jwk as Record<string, unknown>;
  let alg: JwsAlgorithm | undefined;
  if (k['kty'] === 'OKP' && k['crv'] === 'Ed25519') alg = 'EdDSA';
  else if (k['kty'] === 'EC' && k['crv'] === 'P-256') alg = 'ES256';
  else if (k['kty'] === 'EC' && k['crv'] === 'P-384') alg = 'ES384';
  if (alg === undefined)
    throw new CredentialError(
      'VERITY_E_VC_ALG_UNSUPPORTED',
      `${what} is kty ${quote(k['kty'])} crv ${quote(k['crv'])}; Verity verifies Ed25519, P-256 and P-384 keys`,
    );
  if (k['alg'] !== undefined && k['alg'] !== alg)
    throw new CredentialError('VERITY_E_VC_ALG_UNSUPPORTED', `${what} says alg ${quote(k['alg'])}, not ${alg}`);
  return alg;
}

/** A public JWK: private members refused (`strip`: dropped instead, for a key file an operator gives). */
export function publicJwk(jwk: unknown, what = 'the key', strip = false): JWK {
  algorithmOf(jwk, what);
  const k = { ...(jwk as Record<string, unknown>) };
  for (const m of PRIVATE_MEMBERS) {
    if (!Object.hasOwn(k, m)) continue;
    if (!strip) throw new CredentialError('VERITY_E_VC_INVALID', `${what} holds private key material`);
    delete k[m];
  }
  return k as JWK;
}

/** A decoded, verified compact JWS. */
export interface VerifiedJws {
  readonly header: Record<string, JsonValue>;
  readonly payload: Record<string, JsonValue>;
  readonly alg: JwsAlgorithm;
}

function jsonObject(bytes: Uint8Array, what: string): Record<string, JsonValue> {
  let v: JsonValue;
  try {
    v = parseJson(fromUtf8(bytes, what), JSON_LIMITS, what);
  } catch (cause) {
    throw new CredentialError('VERITY_E_VC_INVALID', `${what} is not a JSON object of at most 384 KiB`, { cause });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CredentialError('VERITY_E_VC_INVALID', `${what} is not a JSON object`);
  return v;
}

/** Splits a compact JWS into its three canonical base64url parts (attacker-controlled text). */
function splitJws(jws: string, what: string): [string, string, string] {
  if (jws.length > MAX_JWS_CHARS)
    throw new CredentialError('VERITY_E_VC_INVALID', `${what} is longer than ${MAX_JWS_CHARS} characters`);
  const parts = jws.split('.');
  if (parts.length !== 3) throw new CredentialError('VERITY_E_VC_INVALID', `${what} is not a compact JWS`);
  for (const p of parts)
    try {
      // Canonical only: a changed unused bit in the last character would otherwise decode to the
      // same bytes, and a presentation altered in one byte must never verify.
      fromBase64Url(p, what);
    } catch {
      throw new CredentialError('VERITY_E_VC_INVALID', `${what} is not canonical unpadded base64url`);
    }
  return parts as [string, string, string];
}

/** Decodes a compact JWS header and payload WITHOUT verifying its signature (to pick a key). */
export function decodeJwsUnverified(
  jws: string,
  what: string,
): { header: Record<string, JsonValue>; payload: Record<string, JsonValue> } {
  const [h, p] = splitJws(jws, what);
  return {
    header: jsonObject(fromBase64Url(h), `${what} header`),
    payload: jsonObject(fromBase64Url(p), `${what} payload`),
  };
}

/**
 * Verifies a compact JWS with a public JWK: the header's `alg` must be on the allowlist and equal
 * the key's algorithm, `typ` one of `types` (when given); jose checks the signature (and `crit`).
 */
export async function verifyJws(jws: string, jwk: JWK, what: string, types?: readonly string[]): Promise<VerifiedJws> {
  const { header, payload } = decodeJwsUnverified(jws, what);
  const alg = algorithmOf(jwk, `the key for ${what}`);
  if (typeof header['alg'] !== 'string' || !(JWS_ALGORITHMS as readonly string[]).includes(header['alg']))
    throw new CredentialError(
      'VERITY_E_VC_ALG_UNSUPPORTED',
      `${what} alg ${quote(header['alg'])} is not one of ${JWS_ALGORITHMS.join(', ')}`,
    );
  if (header['alg'] !== alg)
    throw new CredentialError(
      'VERITY_E_VC_ALG_UNSUPPORTED',
      `${what} alg ${quote(header['alg'])} does not fit its key`,
    );
  if (types !== undefined && (typeof header['typ'] !== 'string' || !types.includes(header['typ'])))
    throw new CredentialError(
      'VERITY_E_VC_INVALID',
      `${what} typ ${quote(header['typ'])} is not ${types.map((t) => `\`${t}\``).join(' or ')}`,
    );
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importCached(jwk, alg);
  } catch (cause) {
    throw new CredentialError('VERITY_E_VC_INVALID', `the key for ${what} is not a valid public JWK`, { cause });
  }
  try {
    await compactVerify(jws, key, { algorithms: [alg] });
  } catch (cause) {
    throw new CredentialError('VERITY_E_VC_SIGNATURE_INVALID', `${what} signature does not verify`, { cause });
  }
  return { header, payload, alg };
}

/** Imported public keys by their JWK text: importing costs more than verifying. Bounded, public keys only. */
const KEY_CACHE = new Map<string, Promise<Awaited<ReturnType<typeof importJWK>>>>();
const KEY_CACHE_MAX = 512;

function importCached(jwk: JWK, alg: JwsAlgorithm): ReturnType<typeof importJWK> {
  const id = `${alg} ${jwk.kty} ${jwk.crv} ${jwk.x} ${jwk.y ?? ''}`;
  let k = KEY_CACHE.get(id);
  if (k === undefined) {
    k = importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y === undefined ? {} : { y: jwk.y }) } as JWK, alg);
    k.catch(() => KEY_CACHE.delete(id));
    if (KEY_CACHE.size >= KEY_CACHE_MAX) KEY_CACHE.delete(KEY_CACHE.keys().next().value as string);
    KEY_CACHE.set(id, k);
  }
  return k;
}

/** Signs `header.payload` (JSON objects) with `sign`, giving a compact JWS. */
export async function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  sign: (input: Uint8Array) => Promise<Uint8Array>,
): Promise<string> {
  const input = `${toBase64Url(utf8(JSON.stringify(header)))}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
  return `${input}.${toBase64Url(await sign(utf8(input)))}`;
}

/** `_sd_alg` names (IANA Named Information Hash Algorithm registry) Verity computes. */
const HASHES: Readonly<Record<string, (b: Uint8Array) => Uint8Array>> = {
  'sha-256': sha256,
  'sha-384': sha384,
  'sha-512': sha512,
};

/** The hash an `_sd_alg` names (sha-256 when absent); unknown names are refused. */
export function sdHash(name: unknown): (b: Uint8Array) => Uint8Array {
  if (name === undefined) return sha256;
  if (typeof name !== 'string' || !Object.hasOwn(HASHES, name))
    throw new CredentialError(
      'VERITY_E_VC_ALG_UNSUPPORTED',
      `_sd_alg ${quote(name)} is not one of ${Object.keys(HASHES).join(', ')}`,
    );
  return HASHES[name] as (b: Uint8Array) => Uint8Array;
}

/** base64url(hash(ASCII(text))): a disclosure's digest and a KB-JWT's `sd_hash`. */
export function digestOf(hash: (b: Uint8Array) => Uint8Array, text: string): string {
  return toBase64Url(hash(utf8(text)));
}

type SignParams = Parameters<typeof crypto.subtle.sign>[0];
/** A WebCrypto private key (the global `CryptoKey`, typed without the DOM library). */
export type PrivateCryptoKey = Parameters<typeof crypto.subtle.sign>[1];

const SUBTLE_PARAMS: Readonly<Record<JwsAlgorithm, SignParams>> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  ES384: { name: 'ECDSA', hash: 'SHA-384' },
};

/**
 * A signer over a WebCrypto private key (a holder's or a test issuer's): WebCrypto's ECDSA output
 * is already the JWS form (r || s, RFC 7518 3.4).
 */
export function cryptoKeySigner(key: PrivateCryptoKey, alg: JwsAlgorithm): (input: Uint8Array) => Promise<Uint8Array> {
  const params = SUBTLE_PARAMS[alg];
  return async (input) => new Uint8Array(await crypto.subtle.sign(params, key, input as Uint8Array<ArrayBuffer>));
}
