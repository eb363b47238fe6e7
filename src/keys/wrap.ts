import { randomBytes } from 'node:crypto';
import { toBase64 } from '../encoding/index.ts';
import { bindAad } from '../envelope/index.ts';
import type { WrappedKey } from './types.ts';

/**
 * The additional data every key store binds into a KEK wrap: the KEK version and the subject
 * context, so a wrapped key moved to another subject or relabelled to another version fails.
 */
export function kekWrapAad(version: number, context: Uint8Array): Uint8Array {
  return bindAad('verity/kek-wrap/v1', [String(version), toBase64(context)]);
}

/** A fresh random 256-bit data key and its wrap by `wrap` (KeyStore.generateDataKey). */
export async function freshDataKey(
  wrap: (key: Uint8Array) => Promise<WrappedKey>,
): Promise<{ key: Uint8Array; wrapped: WrappedKey }> {
  const key = new Uint8Array(randomBytes(32));
  return { key, wrapped: await wrap(key) };
}
