import { randomFill } from '../platform/index.ts';

const POOL_SIZE = 64 * 1024;
let pool = new Uint8Array(0);
let offset = 0;

/**
 * Cryptographically secure random bytes (the platform's CSPRNG). Small requests are served from a
 * pool refilled 64 KiB at a time: one call into the CSPRNG per pool instead of one per nonce, salt or
 * id, which measured as the largest single cost of a sealed write. Bytes are handed out once and
 * wiped from the pool as they leave it.
 */
export function randomBytesSecure(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('byte count must be a non-negative integer');
  if (n > 1024) return new Uint8Array(randomFill(new Uint8Array(n)));
  if (offset + n > pool.byteLength) {
    pool = randomFill(new Uint8Array(POOL_SIZE));
    offset = 0;
  }
  const out = pool.slice(offset, offset + n);
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
