// Statistical tests of the exact samplers against their exact distributions.
//
// Each check draws N = 200,000 samples and compares them with the exact pmf: a chi-square test over
// bins (adjacent values merged until each bin expects at least 10 samples, tails included) and
// z-tests of the mean and variance (the variance test uses the exact fourth moment). Every check
// rejects at p < 1e-9, so a correct sampler fails a check with probability about 1e-9 and a test
// (at most a handful of checks) well below 1e-6. Each test also compares the same samples with a
// deliberately wrong distribution (scale doubled, say) and asserts that the check rejects it, which
// shows the test has the power to catch a broken sampler.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permuteAndFlip } from './mechanisms.ts';
import { bernoulli, randomBit, uniformBelow } from './random.ts';
import { bernoulliExp, sampleDiscreteGaussian, sampleDiscreteLaplace } from './samplers.ts';

const N = 200_000;
const P_REJECT = 1e-9;
const Z_REJECT = 6.1; // two-sided normal tail ≈ 1.06e-9

// ---- statistics helpers ----

/** log Γ(x) (Lanczos, g = 7), accurate to ~1e-15 relative for x > 0. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0] as number;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) (series or continued fraction, Numerical Recipes §6.2). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const gln = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - gln);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - gln) * h;
}

/** P-value of a chi-square statistic with `df` degrees of freedom. */
function chiSquarePValue(stat: number, df: number): number {
  return gammaQ(df / 2, stat / 2);
}

interface Pmf {
  /** Probability of each integer in [min, max]; the mass outside is below 1e-15. */
  readonly min: number;
  readonly max: number;
  p(y: number): number;
}

/** Chi-square p-value of integer samples against a pmf, merging adjacent values until each bin expects ≥ 10. */
function chiSquare(samples: Int32Array | Float64Array, pmf: Pmf): { p: number; bins: number } {
  const n = samples.length;
  const uppers: number[] = []; // inclusive upper value of each bin
  const expected: number[] = [];
  let acc = 0;
  for (let y = pmf.min; y <= pmf.max; y++) {
    acc += pmf.p(y);
    if (acc * n >= 10) {
      uppers.push(y);
      expected.push(acc * n);
      acc = 0;
    }
  }
  if (acc > 0 && expected.length > 0) expected[expected.length - 1] = (expected.at(-1) as number) + acc * n;
  uppers[uppers.length - 1] = Number.POSITIVE_INFINITY; // the last bin takes the right tail, the first the left
  const observed = new Float64Array(expected.length);
  for (const s of samples) {
    let lo = 0;
    let hi = uppers.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s <= (uppers[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    observed[lo] = (observed[lo] as number) + 1;
  }
  let stat = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    stat += ((observed[i] as number) - e) ** 2 / e;
  }
  assert.ok(expected.length >= 2, 'need at least two bins');
  return { p: chiSquarePValue(stat, expected.length - 1), bins: expected.length };
}

function moments(pmf: Pmf): { mean: number; variance: number; mu4: number } {
  let mean = 0;
  for (let y = pmf.min; y <= pmf.max; y++) mean += y * pmf.p(y);
  let variance = 0;
  let mu4 = 0;
  for (let y = pmf.min; y <= pmf.max; y++) {
    const d = y - mean;
    variance += d * d * pmf.p(y);
    mu4 += d ** 4 * pmf.p(y);
  }
  return { mean, variance, mu4 };
}

/** z-scores of the sample mean and sample variance against the pmf's exact moments. */
function momentZ(samples: Int32Array, pmf: Pmf): { zMean: number; zVar: number } {
  const n = samples.length;
  const m = moments(pmf);
  let s = 0;
  for (const x of samples) s += x;
  const sampleMean = s / n;
  let v = 0;
  for (const x of samples) v += (x - m.mean) ** 2;
  const sampleVar = v / n; // around the true mean: unbiased, Var = (μ4 - σ⁴)/n
  return {
    zMean: (sampleMean - m.mean) / Math.sqrt(m.variance / n),
    zVar: (sampleVar - m.variance) / Math.sqrt((m.mu4 - m.variance ** 2) / n),
  };
}

/** Asserts the samples fit the pmf and do not fit the wrong pmf. */
function assertFits(samples: Int32Array, pmf: Pmf, wrong: Pmf, label: string): void {
  const good = chiSquare(samples, pmf);
  assert.ok(good.p >= P_REJECT, `${label}: chi-square rejects the correct pmf (p = ${good.p}, ${good.bins} bins)`);
  const z = momentZ(samples, pmf);
  assert.ok(Math.abs(z.zMean) < Z_REJECT, `${label}: mean off by ${z.zMean} standard errors`);
  assert.ok(Math.abs(z.zVar) < Z_REJECT, `${label}: variance off by ${z.zVar} standard errors`);
  const bad = chiSquare(samples, wrong);
  assert.ok(bad.p < P_REJECT, `${label}: chi-square does not reject the wrong pmf (p = ${bad.p})`);
  const zBad = momentZ(samples, wrong);
  assert.ok(Math.abs(zBad.zVar) >= Z_REJECT, `${label}: variance test does not reject the wrong pmf`);
}

function draw(n: number, f: () => bigint): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(f());
  return out;
}

/** Exact pmf of Lap_Z(t): (1 - e^{-1/t})/(1 + e^{-1/t}) · e^{-|y|/t}. */
function laplacePmf(t: number): Pmf {
  const r = Math.exp(-1 / t);
  const c = (1 - r) / (1 + r);
  const k = Math.ceil(t * 40) + 5; // e^-40 ≈ 4e-18
  return { min: -k, max: k, p: (y) => c * r ** Math.abs(y) };
}

/** Exact pmf of N_Z(0, σ²): e^{-y²/2σ²} / Σ_z e^{-z²/2σ²}. */
function gaussianPmf(sigma2: number): Pmf {
  const k = Math.ceil(Math.sqrt(sigma2) * 9) + 3; // e^-40.5
  let z = 0;
  for (let y = -k; y <= k; y++) z += Math.exp((-y * y) / (2 * sigma2));
  return { min: -k, max: k, p: (y) => Math.exp((-y * y) / (2 * sigma2)) / z };
}

// ---- tests ----

describe('uniform integers from the CSPRNG', () => {
  const uniformPmf = (k: number): Pmf => ({ min: 0, max: k - 1, p: () => 1 / k });

  it('uniformBelow(7) is uniform (no modulo bias), and the test rejects a biased die', () => {
    const s = draw(N, () => uniformBelow(7n));
    assert.ok(s.every((x) => x >= 0 && x < 7));
    assert.ok(chiSquare(s, uniformPmf(7)).p >= P_REJECT);
    // A die made as `nibble % 7` is loaded: 0 and 1 get 3/16, 2..6 get 2/16.
    const loaded: Pmf = { min: 0, max: 6, p: (y) => (y < 2 ? 3 : 2) / 16 };
    const biased = draw(N, () => uniformBelow(16n) % 7n);
    assert.ok(chiSquare(biased, uniformPmf(7)).p < P_REJECT, 'modulo bias is detected');
    assert.ok(chiSquare(biased, loaded).p >= P_REJECT);
  });

  it('is uniform across the number/BigInt boundaries (2^32 + 5, 2^48 + 1, 3·2^60)', () => {
    for (const n of [2n ** 32n + 5n, 2n ** 48n + 1n, 3n * 2n ** 60n]) {
      const buckets = 16n;
      const s = draw(N / 4, () => {
        const v = uniformBelow(n);
        assert.ok(v >= 0n && v < n);
        return (v * buckets) / n;
      });
      // Bucket probabilities differ from 1/16 by less than 16/n < 1e-8: invisible at this N.
      assert.ok(chiSquare(s, uniformPmf(16)).p >= P_REJECT, `n = ${n}`);
    }
  });

  it('random bits and rational coins are fair', () => {
    let ones = 0;
    for (let i = 0; i < N; i++) if (randomBit()) ones++;
    assert.ok(Math.abs(ones - N / 2) / Math.sqrt(N / 4) < Z_REJECT);
    let hits = 0;
    for (let i = 0; i < N; i++) if (bernoulli(2n, 7n)) hits++;
    const p = 2 / 7;
    assert.ok(Math.abs(hits - N * p) / Math.sqrt(N * p * (1 - p)) < Z_REJECT);
    assert.equal(bernoulli(0n, 5n), false);
    assert.equal(bernoulli(5n, 5n), true);
  });
});

describe('CKS Algorithm 1: Bernoulli(exp(-γ))', () => {
  it('has success probability exp(-γ) for rational γ in [0, 1] and beyond', () => {
    const cases: [bigint, bigint][] = [
      [0n, 1n],
      [1n, 3n],
      [1n, 1n],
      [5n, 2n],
      [7n, 1n],
      [2n ** 70n + 1n, 2n ** 70n], // a huge denominator (BigInt path), γ just above 1
      [3n, 2n ** 41n], // tiny γ on the BigInt path
    ];
    for (const [num, den] of cases) {
      const gamma = Number(num) / Number(den);
      const p = Math.exp(-gamma);
      let hits = 0;
      for (let i = 0; i < N; i++) if (bernoulliExp(num, den)) hits++;
      if (p === 1) {
        assert.equal(hits, N);
        continue;
      }
      const z = (hits - N * p) / Math.sqrt(N * p * (1 - p));
      assert.ok(Math.abs(z) < Z_REJECT, `γ = ${num}/${den}: z = ${z}`);
      // Power: the same count against exp(-2γ) is rejected.
      const q = Math.exp(-2 * gamma);
      const zWrong = (hits - N * q) / Math.sqrt(N * q * (1 - q));
      if (gamma > 0.01) assert.ok(Math.abs(zWrong) >= Z_REJECT, `γ = ${num}/${den}: wrong p not rejected`);
    }
  });

  it('rejects bad parameters', () => {
    assert.throws(() => bernoulliExp(-1n, 1n), RangeError);
    assert.throws(() => bernoulliExp(1n, 0n), RangeError);
  });
});

describe('CKS Algorithm 2: discrete Laplace', () => {
  const cases: { label: string; num: bigint; den: bigint }[] = [
    { label: 't = 1', num: 1n, den: 1n },
    { label: 't = 7/3', num: 7n, den: 3n },
    { label: 't = 10', num: 10n, den: 1n },
    // Δ/ε for Δ = 3 and ε = 0.1 taken exactly from the double 0.1 = 3602879701896397/2^55 (t ≈ 30)
    { label: 't = 3/0.1 exactly', num: 3n * 2n ** 55n, den: 3602879701896397n },
  ];
  for (const { label, num, den } of cases) {
    it(`matches the exact pmf of Lap_Z(t), ${label}, and rejects scale 2t`, () => {
      const t = Number(num) / Number(den);
      const s = draw(N, () => sampleDiscreteLaplace(num, den));
      assertFits(s, laplacePmf(t), laplacePmf(2 * t), label);
    });
  }

  it('rejects a non-positive scale', () => {
    assert.throws(() => sampleDiscreteLaplace(0n, 1n), RangeError);
    assert.throws(() => sampleDiscreteLaplace(1n, 0n), RangeError);
  });
});

describe('CKS Algorithm 3: discrete Gaussian', () => {
  const cases: { label: string; num: bigint; den: bigint }[] = [
    { label: 'σ² = 1', num: 1n, den: 1n },
    { label: 'σ² = 5/2', num: 5n, den: 2n },
    { label: 'σ² = 40', num: 40n, den: 1n },
    { label: 'σ² = (2^40 + 12345)/2^36 (BigInt path)', num: 2n ** 40n + 12345n, den: 2n ** 36n },
  ];
  for (const { label, num, den } of cases) {
    it(`matches the exact pmf of N_Z(0, σ²), ${label}, and rejects variance 4σ²`, () => {
      const sigma2 = Number(num) / Number(den);
      const s = draw(N, () => sampleDiscreteGaussian(num, den));
      assertFits(s, gaussianPmf(sigma2), gaussianPmf(4 * sigma2), label);
    });
  }

  it('tells σ² from a slightly wrong σ² (1.1σ²) at this sample size', () => {
    const s = draw(N, () => sampleDiscreteGaussian(10n, 1n));
    assert.ok(chiSquare(s, gaussianPmf(10)).p >= P_REJECT);
    assert.ok(chiSquare(s, gaussianPmf(11)).p < P_REJECT);
  });

  it('rejects a non-positive variance', () => {
    assert.throws(() => sampleDiscreteGaussian(0n, 1n), RangeError);
  });
});

describe('permute-and-flip', () => {
  /** Exact output distribution, by enumerating all orders of the candidates. */
  function exactPf(scores: number[], epsilon: number): number[] {
    const m = scores.length;
    const best = Math.max(...scores);
    const accept = scores.map((s) => Math.exp((epsilon * (s - best)) / 2));
    const out = new Array<number>(m).fill(0);
    const perms = (rest: number[]): number[][] =>
      rest.length === 0
        ? [[]]
        : rest.flatMap((x, i) => perms([...rest.slice(0, i), ...rest.slice(i + 1)]).map((p) => [x, ...p]));
    const all = perms(Array.from({ length: m }, (_, i) => i));
    for (const order of all) {
      let reach = 1 / all.length;
      for (const i of order) {
        out[i] = (out[i] as number) + reach * (accept[i] as number);
        reach *= 1 - (accept[i] as number);
      }
    }
    return out;
  }

  it('selects with the exact permute-and-flip distribution, and the test rejects the one for 2ε', () => {
    const scores = [0, -1, -3, -2, -1];
    const epsilon = 1;
    const s = draw(N, () =>
      BigInt(
        permuteAndFlip(
          scores.map((x) => BigInt(x)),
          1n,
          { num: 1n, den: 1n },
          { num: 1n, den: 1n },
        ),
      ),
    );
    const exact = exactPf(scores, epsilon);
    assert.ok(Math.abs(exact.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    const pmf: Pmf = { min: 0, max: scores.length - 1, p: (y) => exact[y] as number };
    const wrongExact = exactPf(scores, 2 * epsilon);
    const wrong: Pmf = { min: 0, max: scores.length - 1, p: (y) => wrongExact[y] as number };
    assert.ok(chiSquare(s, pmf).p >= P_REJECT);
    assert.ok(chiSquare(s, wrong).p < P_REJECT);
  });

  it('always returns a best candidate when ε is large, and the only candidate when there is one', () => {
    for (let i = 0; i < 1000; i++) {
      const pick = permuteAndFlip([-5n, 0n, -9n], 1n, { num: 1000n, den: 1n }, { num: 1n, den: 1n });
      assert.equal(pick, 1);
    }
    assert.equal(permuteAndFlip([-3n], 1n, { num: 1n, den: 1n }, { num: 1n, den: 1n }), 0);
  });
});
