// Uniform integers and rational coin flips from the platform CSPRNG, without floating point and
// without modulo bias: a draw takes just enough random bits to cover the range and is rejected
// and redrawn when it falls outside (expected fewer than two tries).
//
// Hand-written: node:crypto's randomInt is the nearest library function, but it takes ranges below
// 2^48 only (the samplers need BigInt ranges), is not on the web platform, and leaves the random
// bytes it has consumed in its cache, where this file wipes them.
import { randomFill } from '../platform/index.ts';
import { bitLength } from './exact.ts';

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let pos = POOL_BYTES;

/** 32 uniform random bits as an unsigned integer. */
export function randomUint32(): number {
  if (pos + 4 > POOL_BYTES) {
    randomFill(pool);
    pos = 0;
  }
  const v = ((pool[pos] as number) << 24) | ((pool[pos + 1] as number) << 16) | ((pool[pos + 2] as number) << 8);
  const w = (v | (pool[pos + 3] as number)) >>> 0;
  // Consumed bytes are wiped so a later memory disclosure cannot reveal past noise.
  pool[pos] = 0;
  pool[pos + 1] = 0;
  pool[pos + 2] = 0;
  pool[pos + 3] = 0;
  pos += 4;
  return w;
}

let bitWord = 0;
let bitsLeft = 0;

/** One fair random bit. */
export function randomBit(): boolean {
  if (bitsLeft === 0) {
    bitWord = randomUint32();
    bitsLeft = 32;
  }
  const b = bitWord & 1;
  bitWord >>>= 1;
  bitsLeft -= 1;
  return b === 1;
}

const TWO_32 = 2 ** 32;
/** Largest bound the number-only path handles; products below it are exact in doubles. */
export const MAX_SMALL_BOUND = 2 ** 48;

/** A uniform integer in [0, n) for an integer 1 ≤ n ≤ 2^48, by rejection. */
export function uniformBelowSmall(n: number): number {
  if (n <= 1) return 0;
  if (n <= TWO_32) {
    const shift = Math.clz32(n - 1); // keep 32 - shift bits: the bit length of n - 1
    for (;;) {
      const v = randomUint32() >>> shift;
      if (v < n) return v;
    }
  }
  const hiMax = Math.floor((n - 1) / TWO_32); // ≥ 1 here
  const shift = Math.clz32(hiMax);
  for (;;) {
    const hi = randomUint32() >>> shift;
    const v = hi * TWO_32 + randomUint32();
    if (v < n) return v;
  }
}

/** A uniform integer in [0, n) for an integer n ≥ 1, by rejection over ⌈log2 n⌉ random bits. */
export function uniformBelow(n: bigint): bigint {
  if (n < 1n) throw new RangeError('uniformBelow needs n ≥ 1');
  if (n <= BigInt(MAX_SMALL_BOUND)) return BigInt(uniformBelowSmall(Number(n)));
  const bits = bitLength(n - 1n);
  const words = Math.ceil(bits / 32);
  const topShift = words * 32 - bits; // drop this many bits of the first word
  for (;;) {
    let v = BigInt(randomUint32() >>> topShift);
    for (let i = 1; i < words; i++) v = (v << 32n) | BigInt(randomUint32());
    if (v < n) return v;
  }
}

/** True with probability exactly num/den (0 ≤ num ≤ den, den ≥ 1). */
export function bernoulli(num: bigint, den: bigint): boolean {
  if (num <= 0n) return false;
  if (num >= den) return true;
  return uniformBelow(den) < num;
}
