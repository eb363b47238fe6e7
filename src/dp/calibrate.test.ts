import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { calibrateGaussian, maxRho, zcdpToDelta } from './calibrate.ts';
import {
  bitLength,
  decompose,
  floorLog2,
  fractionOf,
  fromDyadicFloor,
  isPowerOfTwo,
  isqrt,
  pow2,
  reduce,
  toDyadic,
} from './exact.ts';
import { laplaceNoise } from './mechanisms.ts';

/**
 * The exact δ(ε) of q(x) + N_Z(0, σ²) for an integer query of sensitivity Δ: the largest hockey-stick
 * divergence Σ_y max(0, P[Y = y] - e^ε·P[Y = y - μ]) over the shifts μ = 1..Δ (by symmetry, negative
 * shifts give the same values). Computed by direct summation, independently of calibrate.ts.
 */
function exactGaussianDelta(sigma2: number, epsilon: number, sensitivity: number): number {
  const k = Math.ceil(Math.sqrt(sigma2) * 40) + sensitivity + 10;
  let z = 0;
  for (let y = -k; y <= k; y++) z += Math.exp((-y * y) / (2 * sigma2));
  const p = (y: number) => Math.exp((-y * y) / (2 * sigma2)) / z;
  const ee = Math.exp(epsilon);
  let worst = 0;
  for (let mu = 1; mu <= sensitivity; mu++) {
    let d = 0;
    for (let y = -k; y <= k + mu; y++) d += Math.max(0, p(y) - ee * p(y - mu));
    worst = Math.max(worst, d);
  }
  return worst;
}

describe('exact arithmetic on doubles', () => {
  it('decomposes every finite double exactly', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const { mantissa, exponent } = decompose(x);
        if (x === 0) return assert.equal(mantissa, 0n);
        assert.ok(mantissa % 2n !== 0n, 'mantissa is odd');
        // The product of an odd integer below 2^53 and a power of two is exact when representable.
        assert.equal(Number(mantissa) * pow2(exponent), x);
      }),
    );
  });

  it('round-trips doubles through the dyadic scale and rounds sums down', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), (x) => {
        assert.equal(fromDyadicFloor(toDyadic(x)), x);
      }),
    );
    // 0.1 + 0.2 as exact binary values lies strictly between two doubles; we get the lower one.
    const s = fromDyadicFloor(toDyadic(0.1) + toDyadic(0.2));
    assert.ok(s <= 0.30000000000000004 && s >= 0.3);
    assert.ok(toDyadic(s) <= toDyadic(0.1) + toDyadic(0.2));
  });

  it('gives exact fractions, square roots, bit lengths and powers of two', () => {
    assert.deepEqual(fractionOf(0.75), { num: 3n, den: 4n });
    assert.deepEqual(fractionOf(3), { num: 3n, den: 1n });
    assert.deepEqual(fractionOf(0.1), { num: 3602879701896397n, den: 2n ** 55n });
    assert.deepEqual(reduce(6n, -4n), { num: -3n, den: 2n });
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 200n }), (n) => {
        const r = isqrt(n);
        assert.ok(r * r <= n && (r + 1n) * (r + 1n) > n);
        assert.equal(bitLength(n), n.toString(2).replace(/^0$/, '').length);
      }),
    );
    for (const e of [-1074, -1050, -1022, -1, 0, 1, 52, 1023]) {
      assert.equal(pow2(e), 2 ** e);
      assert.ok(isPowerOfTwo(pow2(e)));
      assert.equal(floorLog2(pow2(e)), e);
    }
    assert.equal(floorLog2(3), 1);
    assert.equal(floorLog2(0.3), -2);
    assert.equal(isPowerOfTwo(3), false);
  });
});

describe('noise calibration', () => {
  it('discrete Laplace uses the scale Δ/ε exactly, for the exact value of the double ε', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e6, noNaN: true }), fc.bigInt({ min: 1n, max: 2n ** 60n }), (eps, d) => {
        const noise = laplaceNoise(eps, d);
        assert.equal(noise.kind, 'laplace');
        if (noise.kind !== 'laplace') return;
        const e = fractionOf(eps);
        // scale·ε = Δ  ⇔  num·e.num = Δ·den·e.den
        assert.equal(noise.scale.num * e.num, d * noise.scale.den * e.den);
      }),
    );
  });

  it('finds ρ with ρ-zCDP ⇒ (ε, δ)-DP by the CKS conversion, nearly tight and better than the standard bound', () => {
    for (const [eps, delta] of [
      [1, 1e-6],
      [0.1, 1e-5],
      [0.5, 1e-9],
      [3, 1e-12],
      [10, 1e-3],
      [0.01, 1e-10],
    ] as const) {
      const rho = maxRho(eps, delta);
      assert.ok(zcdpToDelta(rho, eps) <= delta, `ε ${eps} δ ${delta}`);
      assert.ok(zcdpToDelta(rho * 1.001, eps) > delta * 0.999, `ρ is nearly the largest (ε ${eps} δ ${delta})`);
      const l = Math.log(1 / delta);
      const standard = (Math.sqrt(eps + l) - Math.sqrt(l)) ** 2; // ε = ρ + 2√(ρ log 1/δ)
      assert.ok(rho >= standard * 0.999999, `ρ ${rho} ≥ standard ${standard}`);
    }
  });

  it('gives σ² = Δ²/(2ρ) exactly, and the discrete Gaussian then meets (ε, δ) by the exact hockey-stick δ', () => {
    for (const [eps, delta, sens] of [
      [1, 1e-6, 1],
      [0.5, 1e-5, 1],
      [2, 1e-9, 1],
      [0.1, 1e-3, 1],
      [1, 1e-6, 3],
      [0.3, 1e-7, 2],
    ] as const) {
      const { variance, rho } = calibrateGaussian(eps, delta, BigInt(sens));
      const r = fractionOf(rho);
      // ρ = Δ²/(2σ²)  ⇔  r.num · 2 · var.num = Δ² · r.den · var.den
      assert.equal(r.num * 2n * variance.num, BigInt(sens * sens) * r.den * variance.den);
      const sigma2 = Number(variance.num) / Number(variance.den);
      const exact = exactGaussianDelta(sigma2, eps, sens);
      assert.ok(exact <= delta, `exact δ ${exact} > target ${delta} (ε ${eps}, Δ ${sens})`);
      // ... and the calibration is not wildly loose: the exact δ at 0.8σ² already exceeds the target.
      assert.ok(exactGaussianDelta(sigma2 * 0.8, eps, sens) > delta * 0.1 || sigma2 < 1);
    }
  });

  it('rejects impossible parameters', () => {
    assert.throws(() => calibrateGaussian(0, 1e-6, 1n), RangeError);
    assert.throws(() => calibrateGaussian(1, 0, 1n), RangeError);
    assert.throws(() => calibrateGaussian(1, 1, 1n), RangeError);
    assert.throws(() => calibrateGaussian(1, 1e-6, 0n), RangeError);
    assert.equal(zcdpToDelta(0, 1), 0);
  });
});
