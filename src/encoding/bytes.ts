import { InputError, quote } from '../errors/index.ts';
import { constantTimeEqual, decodeBase64, decodeHex, encodeBase64, encodeHex } from '../platform/index.ts';

const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_B64 = /^[A-Za-z0-9_-]*$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Standard base64 (RFC 4648 section 4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes, 'base64');
}

/**
 * Strict standard base64 decode: rejects non-alphabet characters, missing padding and
 * non-canonical trailing bits (Node's Buffer would silently accept all of these).
 */
export function fromBase64(text: string, what = 'base64 value'): Uint8Array {
  if (typeof text !== 'string' || !STD_B64.test(text)) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} ${quote(text)} is not standard padded base64`);
  }
  const out = decodeBase64(text, 'base64');
  if (encodeBase64(out, 'base64') !== text) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} ${quote(text)} is not canonical base64`);
  }
  return out;
}

/** Unpadded base64url (RFC 4648 section 5). */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, 'base64url');
}

/** Strict unpadded base64url decode. */
export function fromBase64Url(text: string, what = 'base64url value'): Uint8Array {
  if (typeof text !== 'string' || !URL_B64.test(text) || text.length % 4 === 1) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} ${quote(text)} is not unpadded base64url`);
  }
  const out = decodeBase64(text, 'base64url');
  if (encodeBase64(out, 'base64url') !== text) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} ${quote(text)} is not canonical base64url`);
  }
  return out;
}

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return encodeHex(bytes);
}

/** Strict hex decode (even length, hex digits only). */
export function fromHex(text: string, what = 'hex value'): Uint8Array {
  if (typeof text !== 'string' || !HEX.test(text)) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} ${quote(text)} is not an even-length hex string`);
  }
  return decodeHex(text);
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 encode. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decode: invalid sequences throw instead of becoming U+FFFD. */
export function fromUtf8(bytes: Uint8Array, what = 'text'): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (cause) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} is not valid UTF-8`, { cause });
  }
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/**
 * Reads a stream to its end as one byte array, refusing more than `limit` bytes: past it the
 * stream is cancelled and `tooLarge()` thrown, so an answer is never held whole before it is refused.
 */
export async function readBounded(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) {
      // The limit is the error to report, not a failure to cancel.
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return joinBytes(chunks);
}

/** Constant-time equality for secrets, MACs and hashes (false when lengths differ). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b);
}
