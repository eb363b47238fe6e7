import { toBase64Url, utf8 } from '../encoding/index.ts';
import { hkdfSha256, hmacSha256 } from '../platform/index.ts';

/**
 * Derives a purpose-bound subkey from a subject's data key (HKDF-SHA-256), so the same data key
 * never serves two algorithms: one subkey seals records, another derives audit pseudonyms.
 */
export function deriveSubkey(dataKey: Uint8Array, info: string): Uint8Array {
  return hkdfSha256(dataKey, info, 32);
}

/**
 * The subject's pseudonym in the audit trail: HMAC-SHA-256 under a subkey of the subject's data
 * key, truncated to 128 bits. Stable while the data key lives, so a subject's entries can be found
 * by whoever can unwrap the key; unlinkable by anyone once the key is shredded.
 */
export function auditPseudonym(dataKey: Uint8Array): string {
  const k = deriveSubkey(dataKey, 'verity/audit-pseudonym/v1');
  const mac = hmacSha256(k, utf8('subject'));
  return `sp_${toBase64Url(mac.subarray(0, 16))}`;
}
