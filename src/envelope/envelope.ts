import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { randomBytesSecure } from '../encoding/index.ts';
import { KeyError } from '../errors/index.ts';

/** Format byte of version 1 envelopes: AES-256-GCM, 96-bit random nonce, 128-bit tag. */
export const ENVELOPE_V1 = 0x01;
const NONCE = 12;
const TAG = 16;
/** Overhead of an envelope over its plaintext. */
export const ENVELOPE_OVERHEAD = 1 + NONCE + TAG;
/** Largest plaintext sealed in one envelope. */
export const MAX_PLAINTEXT = 16 * 1024 * 1024;

// Importing a raw key into a KeyObject costs more than sealing a small record; keys are cached
// per Uint8Array instance (callers keep one instance per key).
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

function keyObject(key: Uint8Array): KeyObject {
  if (!(key instanceof Uint8Array) || key.byteLength !== 32) throw new RangeError('an AES-256 key has 32 bytes');
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return k;
}

/**
 * Seals `plaintext` with AES-256-GCM under `key`, authenticating `aad` too. Output: format byte,
 * 12-byte random nonce, ciphertext, 16-byte tag. With random 96-bit nonces one key must not seal
 * more than 2^32 messages (NIST SP 800-38D 8.3); Verity uses one key per subject.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  if (plaintext.byteLength > MAX_PLAINTEXT) throw new RangeError(`plaintext larger than ${MAX_PLAINTEXT} bytes`);
  const out = new Uint8Array(ENVELOPE_OVERHEAD + plaintext.byteLength);
  out[0] = ENVELOPE_V1;
  const nonce = randomBytesSecure(NONCE);
  out.set(nonce, 1);
  const c = createCipheriv('aes-256-gcm', keyObject(key), nonce, { authTagLength: TAG });
  c.setAAD(aad);
  const body = c.update(plaintext);
  out.set(body, 1 + NONCE);
  const fin = c.final();
  out.set(fin, 1 + NONCE + body.byteLength);
  out.set(c.getAuthTag(), 1 + NONCE + plaintext.byteLength);
  return out;
}

/**
 * Opens an envelope made by `seal`. Any failure (wrong key, altered bytes or aad, truncation,
 * unknown format) is the same VERITY_E_ENVELOPE_INVALID, so nothing leaks about which.
 */
export function open(key: Uint8Array, envelope: Uint8Array, aad: Uint8Array): Uint8Array {
  const k = keyObject(key);
  const fail = (cause?: unknown) =>
    new KeyError(
      'VERITY_E_ENVELOPE_INVALID',
      'the sealed data failed authentication: it was altered, or the key or bound context is wrong',
      cause === undefined ? undefined : { cause },
    );
  if (!(envelope instanceof Uint8Array) || envelope.byteLength < ENVELOPE_OVERHEAD || envelope[0] !== ENVELOPE_V1)
    throw fail();
  const nonce = envelope.subarray(1, 1 + NONCE);
  const tag = envelope.subarray(envelope.byteLength - TAG);
  const body = envelope.subarray(1 + NONCE, envelope.byteLength - TAG);
  try {
    const d = createDecipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const a = d.update(body);
    const b = d.final();
    if (b.byteLength === 0) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const out = new Uint8Array(a.byteLength + b.byteLength);
    out.set(a);
    out.set(b, a.byteLength);
    return out;
  } catch (cause) {
    throw fail(cause);
  }
}

/**
 * Unambiguous additional data: the domain, then each field, each as a 4-byte big-endian length
 * and its UTF-8 bytes, so that ("ab", "c") and ("a", "bc") never collide.
 */
export function bindAad(domain: string, fields: readonly string[]): Uint8Array {
  let n = 4 + Buffer.byteLength(domain, 'utf8');
  for (const f of fields) n += 4 + Buffer.byteLength(f, 'utf8');
  const out = Buffer.allocUnsafe(n);
  let o = out.writeUInt32BE(Buffer.byteLength(domain, 'utf8'), 0);
  o += out.write(domain, o, 'utf8');
  for (const f of fields) {
    o = out.writeUInt32BE(Buffer.byteLength(f, 'utf8'), o);
    o += out.write(f, o, 'utf8');
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
