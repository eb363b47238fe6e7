// The platform's cryptography and encodings on Node.js (node:crypto and Buffer: native code).
// `web.ts` implements the same functions for browsers; package.json's `#platform` import picks one.
import { Buffer } from 'node:buffer';
import {
  createHmac,
  createPublicKey,
  createSecretKey,
  hash,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
  verify as verifySignature,
} from 'node:crypto';

export const PLATFORM = 'node';

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const b = hash('sha256', data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// Keys reach node:crypto as KeyObjects, never as bytes (D343). Given bytes, createHmac, hkdfSync and
// createCipheriv first ask whether the key is a KeyObject by a check that throws and catches an
// error for anything else, and that costs more than the cryptography: measured on Node.js 24,
// HMAC-SHA-256 of a short message 12.8-13.7 µs with a byte key against 3.5 µs with the same key
// wrapped by createSecretKey first (0.6-0.8 µs), HKDF 10.7-13.4 µs against 6.4-6.8 µs. Each new
// subject derives two subkeys and a pseudonym this way.

/** HMAC-SHA-256 of `data` under `key`. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return bytesOf(createHmac('sha256', createSecretKey(key)).update(data).digest());
}

/** HKDF-SHA-256 (RFC 5869) with an empty salt. */
export function hkdfSha256(ikm: Uint8Array, info: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', createSecretKey(ikm), new Uint8Array(0), info, length));
}

/**
 * A verifier for one Ed25519 public key (RFC 8032): `verify(message, signature)`. Throws when the
 * key cannot be imported.
 */
export function ed25519Verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return (message, signature) => signature.byteLength === 64 && verifySignature(null, message, key, signature);
}

/** Compares equal-length byte strings in time independent of their contents. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/** Fills `buf` from the operating system's CSPRNG. */
export function randomFill<T extends Uint8Array>(buf: T): T {
  return randomFillSync(buf);
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Base64 (`base64`, padded) or base64url (`base64url`, unpadded) text of `bytes`. */
export function encodeBase64(bytes: Uint8Array, alphabet: 'base64' | 'base64url'): string {
  return view(bytes).toString(alphabet);
}

/** Decodes text already checked to be of the alphabet (callers check canonical form). */
export function decodeBase64(text: string, alphabet: 'base64' | 'base64url'): Uint8Array {
  return bytesOf(Buffer.from(text, alphabet));
}

/** Lowercase hex of `bytes`. */
export function encodeHex(bytes: Uint8Array): string {
  return view(bytes).toString('hex');
}

/** Decodes text already checked to be even-length hex. */
export function decodeHex(text: string): Uint8Array {
  return bytesOf(Buffer.from(text, 'hex'));
}
