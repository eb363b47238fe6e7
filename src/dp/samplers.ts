// Exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
// (NeurIPS 2020, arXiv:2004.00010), Algorithms 1-3. Every parameter is an exact rational (BigInt
// numerator and denominator) and every random decision is a uniform integer drawn by rejection
// from the CSPRNG (random.ts), so the output distribution is exactly the stated one: there is no
// floating-point arithmetic anywhere on the path from random bytes to the noise value, and hence no
// Mironov-style (CCS 2012) leakage through low-order bits of a double.
//
// Timing: the running time of these samplers depends on the random draws and is correlated with
// the magnitude of the noise (as noted by CKS20 and by Jin et al., "Are we there yet? Timing and
// floating-point attacks on differential privacy systems", S&P 2022). An observer who can time a
// single release precisely learns something about its noise. Interfaces that answer queries
// remotely should not expose fine-grained timing of individual releases.
import { isqrt } from './exact.ts';
import { MAX_SMALL_BOUND, randomBit, uniformBelow, uniformBelowSmall } from './random.ts';

const SMALL_DEN = 2n ** 40n;

/**
 * Algorithm 1 for γ = num/den ∈ [0, 1]: returns true with probability exactly exp(-γ).
 * Draws A_k ~ Bernoulli(γ/k) for k = 1, 2, ... until the first A_k = 0; P[that k is odd] = e^-γ.
 */
function bernoulliExpUnit(num: bigint, den: bigint): boolean {
  if (num === 0n) return true;
  if (den <= SMALL_DEN) {
    // Number path: den·k stays below 2^48 (exact in doubles) for every k that can occur in practice.
    const n = Number(num);
    const d = Number(den);
    let k = 1;
    for (;;) {
      const bound = d * k;
      const a = bound <= MAX_SMALL_BOUND ? uniformBelowSmall(bound) < n : uniformBelow(den * BigInt(k)) < num;
      if (!a) break;
      k += 1;
    }
    return (k & 1) === 1;
  }
  let k = 1n;
  while (uniformBelow(den * k) < num) k += 1n;
  return (k & 1n) === 1n;
}

/**
 * CKS20 Algorithm 1: true with probability exactly exp(-num/den), for num ≥ 0, den ≥ 1.
 * For γ > 1 it multiplies ⌊γ⌋ independent Bernoulli(e^-1) coins (stopping at the first failure)
 * with a Bernoulli(exp(-(γ - ⌊γ⌋))) coin.
 */
export function bernoulliExp(num: bigint, den: bigint): boolean {
  if (num < 0n || den < 1n) throw new RangeError('bernoulliExp needs num ≥ 0 and den ≥ 1');
  while (num > den) {
    if (!bernoulliExpUnit(1n, 1n)) return false;
    num -= den;
  }
  return bernoulliExpUnit(num, den);
}

/**
 * CKS20 Algorithm 2: a sample of the discrete Laplace distribution Lap_Z(t) with scale
 * t = scaleNum/scaleDen > 0, P[Y = y] = (e^{1/t} - 1)/(e^{1/t} + 1) · e^{-|y|/t} for y ∈ Z.
 *
 * Privacy: for an integer query with sensitivity Δ (|q(x) - q(x')| ≤ Δ on neighbours), releasing
 * q(x) + Lap_Z(t) with t = Δ/ε is ε-differentially private, since the ratio of the two output
 * probabilities at any y is exp((|y - q(x')| - |y - q(x)|)/t) ≤ exp(Δ/t) = e^ε.
 */
export function sampleDiscreteLaplace(scaleNum: bigint, scaleDen: bigint): bigint {
  if (scaleNum < 1n || scaleDen < 1n) throw new RangeError('discrete Laplace needs a positive scale');
  // In the paper's notation the scale is t/s with integers s, t.
  const t = scaleNum;
  const s = scaleDen;
  for (;;) {
    const u = uniformBelow(t);
    if (!bernoulliExp(u, t)) continue;
    let v = 0n;
    while (bernoulliExpUnit(1n, 1n)) v += 1n;
    const y = (u + t * v) / s; // X = U + t·V is geometric with parameter 1 - e^{-1/t}; Y = ⌊X/s⌋
    const negative = randomBit();
    if (negative && y === 0n) continue; // 0 would be counted twice
    return negative ? -y : y;
  }
}

/**
 * CKS20 Algorithm 3: a sample of the discrete Gaussian N_Z(0, σ²) with σ² = varNum/varDen > 0,
 * P[Y = y] ∝ exp(-y²/(2σ²)) for y ∈ Z. Rejection sampling from Lap_Z(t), t = ⌊σ⌋ + 1, accepting y
 * with probability exp(-(|y| - σ²/t)²/(2σ²)).
 *
 * Privacy (CKS20 §2): for an integer query with sensitivity Δ, q(x) + N_Z(0, σ²) satisfies
 * ρ-zCDP with ρ = Δ²/(2σ²) (exactly as for the continuous Gaussian); calibrate.ts turns that into
 * (ε, δ)-DP.
 */
export function sampleDiscreteGaussian(varNum: bigint, varDen: bigint): bigint {
  if (varNum < 1n || varDen < 1n) throw new RangeError('discrete Gaussian needs a positive variance');
  const t = isqrt(varNum / varDen) + 1n; // ⌊σ⌋ + 1, since ⌊√x⌋ = ⌊√⌊x⌋⌋
  // γ(y) = (|y| - σ²/t)² / (2σ²) = (|y|·t·varDen - varNum)² / (2·varNum·varDen·t²)
  const den = 2n * varNum * varDen * t * t;
  const tv = t * varDen;
  for (;;) {
    const y = sampleDiscreteLaplace(t, 1n);
    const a = y < 0n ? -y : y;
    const d = a * tv - varNum;
    if (bernoulliExp(d * d, den)) return y;
  }
}
