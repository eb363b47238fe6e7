// Exact arithmetic helpers: every finite double is a dyadic rational m·2^e, so privacy parameters
// given as numbers can be turned into exact BigInt fractions and nothing downstream of a sampler
// depends on floating-point rounding.

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** `x` (finite) written exactly as `mantissa · 2^exponent`, with `mantissa` an integer (0 for ±0). */
export function decompose(x: number): { mantissa: bigint; exponent: number } {
  if (!Number.isFinite(x)) throw new RangeError('decompose needs a finite number');
  F64[0] = x;
  const bits = U64[0] as bigint;
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  let mantissa: bigint;
  let exponent: number;
  if (biased === 0) {
    mantissa = fraction; // zero or subnormal
    exponent = -1074;
  } else {
    mantissa = fraction | 0x10000000000000n;
    exponent = biased - 1075;
  }
  if (mantissa === 0n) return { mantissa: 0n, exponent: 0 };
  while ((mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent += 1;
  }
  return { mantissa: negative ? -mantissa : mantissa, exponent };
}

/** A fraction `num/den` with `den > 0`, in lowest terms. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

/** The exact value of the finite double `x` as a fraction in lowest terms (the denominator is a power of two). */
export function fractionOf(x: number): Fraction {
  const { mantissa, exponent } = decompose(x);
  return exponent >= 0
    ? { num: mantissa << BigInt(exponent), den: 1n }
    : { num: mantissa, den: 1n << BigInt(-exponent) };
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    const r = x % y;
    x = y;
    y = r;
  }
  return x;
}

/** `num/den` in lowest terms with a positive denominator. */
export function reduce(num: bigint, den: bigint): Fraction {
  if (den === 0n) throw new RangeError('zero denominator');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** ⌊√n⌋ for `n ≥ 0`, exactly (Newton's method on integers). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  if (n < 2n ** 52n) return BigInt(Math.floor(Math.sqrt(Number(n)))); // exact: n and its root are exact doubles
  // Newton's method from a start above the root decreases monotonically to ⌊√n⌋.
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Number of bits of `n > 0` (⌊log2 n⌋ + 1); 0 for 0. */
export function bitLength(n: bigint): number {
  if (n < 0n) n = -n;
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0] as string, 16)));
}

/** 2^e as a double, exactly, for integer e in [-1074, 1023]. */
export function pow2(e: number): number {
  if (!Number.isInteger(e) || e < -1074 || e > 1023) throw new RangeError('pow2 exponent out of range');
  U64[0] = e >= -1022 ? BigInt(e + 1023) << 52n : 1n << BigInt(e + 1074);
  return F64[0] as number;
}

/** ⌊log2 |x|⌋ exactly, for finite `x ≠ 0`. */
export function floorLog2(x: number): number {
  const { mantissa, exponent } = decompose(x);
  if (mantissa === 0n) throw new RangeError('floorLog2 of zero');
  return exponent + bitLength(mantissa) - 1;
}

/** True when `x` is a (positive) power of two, 2^k for an integer k. */
export function isPowerOfTwo(x: number): boolean {
  if (!Number.isFinite(x) || x <= 0) return false;
  return decompose(x).mantissa === 1n;
}

/** The scale at which every double is an integer: 2^1074. */
export const DYADIC_SHIFT = 1074n;

/** `x · 2^1074`, which is an integer for every finite double, exactly. */
export function toDyadic(x: number): bigint {
  const { mantissa, exponent } = decompose(x);
  return mantissa << (BigInt(exponent) + DYADIC_SHIFT);
}

/**
 * The largest double ≤ k · 2^-1074, for k ≥ 0 (rounds down, so remaining budgets are never overstated).
 * Returns Number.MAX_VALUE when the value is larger than every finite double.
 */
export function fromDyadicFloor(k: bigint): number {
  if (k <= 0n) return 0;
  const len = bitLength(k);
  if (len <= 53) return Number(k) * pow2(-1074); // exact: the product is representable
  const shift = len - 53;
  const e = shift - 1074;
  if (e + 52 > 1023) return Number.MAX_VALUE;
  return Number(k >> BigInt(shift)) * pow2(e); // a 53-bit integer times a power of two: exact
}
