// The platform's cryptography and encodings in browsers, with the same functions as `node.ts`.
// Hashes, HMAC, HKDF and Ed25519 come from the audited @noble libraries, because WebCrypto offers
// them only asynchronously and Verity's proof checks are synchronous; randomness comes from
// WebCrypto's CSPRNG.
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export const PLATFORM = 'web';

const encoder = new TextEncoder();

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA-256 of `data` under `key`. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, data);
}

/** HKDF-SHA-256 (RFC 5869) with an empty salt. */
export function hkdfSha256(ikm: Uint8Array, info: string, length: number): Uint8Array {
  return hkdf(nobleSha256, ikm, new Uint8Array(0), encoder.encode(info), length);
}

/**
 * A verifier for one Ed25519 public key: RFC 8032 verification as OpenSSL does it (canonical
 * encodings, cofactorless equation), not the more permissive ZIP 215 rules. Throws when the key is
 * not a point on the curve.
 */
export function ed25519Verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
  if (publicKey.byteLength !== 32) throw new RangeError('an Ed25519 public key has 32 bytes');
  const key = new Uint8Array(publicKey);
  ed25519.Point.fromBytes(key);
  return (message, signature) => {
    if (signature.byteLength !== 64) return false;
    try {
      return ed25519.verify(signature, message, key, { zip215: false });
    } catch {
      return false;
    }
  };
}

/** Compares equal-length byte strings in time independent of their contents. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Fills `buf` from WebCrypto's CSPRNG (at most 65,536 bytes per call, as the API requires). */
export function randomFill<T extends Uint8Array>(buf: T): T {
  for (let i = 0; i < buf.byteLength; i += 65536) globalThis.crypto.getRandomValues(buf.subarray(i, i + 65536));
  return buf;
}

/** The native base64 of Uint8Array (TC39, in browsers since 2025), where the browser has it. */
const native = Uint8Array as unknown as {
  fromBase64?: (text: string, o: { alphabet: 'base64' | 'base64url'; lastChunkHandling: 'loose' }) => Uint8Array;
};
const nativeTo = Uint8Array.prototype as unknown as {
  toBase64?: (this: Uint8Array, o: { alphabet: 'base64' | 'base64url'; omitPadding: boolean }) => string;
};

/** Base64 (`base64`, padded) or base64url (`base64url`, unpadded) text of `bytes`. */
export function encodeBase64(bytes: Uint8Array, alphabet: 'base64' | 'base64url'): string {
  // The native encoder is several times faster than btoa over a binary string (access reports
  // decode and re-encode thousands of entries to check their canonical form).
  if (nativeTo.toBase64 !== undefined)
    return nativeTo.toBase64.call(bytes, { alphabet, omitPadding: alphabet === 'base64url' });
  let bin = '';
  for (let i = 0; i < bytes.byteLength; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const b64 = btoa(bin);
  return alphabet === 'base64' ? b64 : b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes text already checked to be of the alphabet (callers check canonical form). */
export function decodeBase64(text: string, alphabet: 'base64' | 'base64url'): Uint8Array {
  if (native.fromBase64 !== undefined) return native.fromBase64(text, { alphabet, lastChunkHandling: 'loose' });
  let b64 = text;
  if (alphabet === 'base64url') {
    b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    b64 += '='.repeat((4 - (b64.length % 4)) % 4);
  }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Lowercase hex of `bytes`. */
export function encodeHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Decodes text already checked to be even-length hex. */
export function decodeHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
