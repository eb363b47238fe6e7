// Noise calibration: from a privacy target and an integer sensitivity Δ to exact sampler parameters.
//
// Discrete Laplace (pure ε-DP). Scale t = Δ/ε, computed exactly: ε is a double, hence an exact
// dyadic rational m·2^e, so t = Δ·2^-e/m is an exact fraction and the mechanism is ε-DP for the very
// ε that is charged to the budget (see samplers.ts for the one-line proof).
//
// Discrete Gaussian ((ε, δ)-DP). CKS20 §2 shows that adding N_Z(0, σ²) to an integer query of
// (L2) sensitivity Δ satisfies ρ-zCDP with ρ = Δ²/(2σ²). CKS20 §2.3 ("conversion to approximate
// DP") proves that ρ-zCDP implies (ε, δ)-DP for
//
//     δ = inf_{α > 1}  exp((α - 1)(αρ - ε)) / (α - 1) · (1 - 1/α)^α ,
//
// which is never worse than the textbook bound δ = exp(-(ε - ρ)²/(4ρ)) (Bun & Steinke 2016).
// We use this conversion, not the paper's exact δ formula for the discrete Gaussian (CKS20 Thm 7,
// δ = P[Y > εσ²/Δ - Δ/2] - e^ε·P[Y > εσ²/Δ + Δ/2]): the exact formula is a difference of two
// infinite tail sums over ~σ terms (σ is 2^20 grid steps and more here) that cancel, so bounding
// its floating-point error is delicate, while the conversion is a closed form for each α.
//
// Why the calibration is sound although it is computed in floating point:
//  1. Every α > 1 gives a valid upper bound on δ (the infimum is only the best of them), so an
//     imprecise search for the optimal α can only make δ larger, never invalid.
//  2. For a fixed α the bound increases with ρ, so a smaller ρ (more noise) is always safe.
//  3. We evaluate log δ(α) in doubles and require log δ(α) + margin ≤ log δ_target, where the margin
//     (1e-10 relative to the size of the terms, plus 1e-12) is orders of magnitude larger than the
//     few-ulp rounding error of the handful of operations involved.
//  4. The final ρ is truncated downwards to 30 significant bits and checked again; σ² = Δ²/(2ρ) is
//     then an exact fraction computed with BigInts, so the sampler's variance matches ρ exactly.
// The search itself (bisection on ρ, and on α through the derivative of the convex exponent, as in
// Steinke's reference code cdp2adp.py) only affects how tight the result is.
import { decompose, type Fraction, fractionOf, reduce } from './exact.ts';

/** log of the CKS20 conversion bound at a given α > 1, with a conservative rounding margin added. */
function logDeltaUpper(rho: number, epsilon: number, alpha: number): number {
  const a1 = alpha - 1;
  const t1 = a1 * (alpha * rho - epsilon);
  const t2 = alpha * Math.log1p(-1 / alpha);
  const t3 = Math.log(a1);
  const size = Math.abs(a1 * alpha * rho) + Math.abs(a1 * epsilon) + Math.abs(t2) + Math.abs(t3);
  return t1 + t2 - t3 + 1e-10 * size + 1e-12;
}

/** The α minimizing the bound: the root of (2α - 1)ρ - ε + log(1 - 1/α) (the exponent is convex in α). */
function bestAlpha(rho: number, epsilon: number): number {
  let lo = 1 + 1e-9;
  let hi = Math.max(2, (epsilon + 1) / (2 * rho) + 2);
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    const derivative = (2 * mid - 1) * rho - epsilon + Math.log1p(-1 / mid);
    if (derivative < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * An upper bound on the δ for which ρ-zCDP implies (ε, δ)-DP (CKS20 §2.3), evaluated with a
 * safety margin. Returns 0 for ρ = 0.
 */
export function zcdpToDelta(rho: number, epsilon: number): number {
  if (!(rho >= 0) || !(epsilon >= 0)) throw new RangeError('zcdpToDelta needs ρ ≥ 0 and ε ≥ 0');
  if (rho === 0) return 0;
  return Math.min(1, Math.exp(logDeltaUpper(rho, epsilon, bestAlpha(rho, epsilon))));
}

function satisfies(rho: number, epsilon: number, logDelta: number): boolean {
  const lt = logDelta - 1e-12 * (1 + Math.abs(logDelta)); // the target's own log, rounded down
  return logDeltaUpper(rho, epsilon, bestAlpha(rho, epsilon)) <= lt;
}

/** `x > 0` truncated towards zero to at most `bits` significant bits. */
function truncateBits(x: number, bits: number): number {
  const { mantissa, exponent } = decompose(x);
  const len = mantissa.toString(2).length;
  if (len <= bits) return x;
  const drop = len - bits;
  return Number(mantissa >> BigInt(drop)) * 2 ** (exponent + drop);
}

/** Discrete Gaussian parameters for (ε, δ)-DP at sensitivity Δ. */
export interface GaussianCalibration {
  /** σ² as an exact fraction. */
  readonly variance: Fraction;
  /** The zCDP parameter ρ = Δ²/(2σ²) actually achieved (exactly). */
  readonly rho: number;
}

/**
 * The largest ρ for which ρ-zCDP provably implies (ε, δ)-DP (see the header), and σ² = Δ²/(2ρ).
 * Needs ε > 0, 0 < δ < 1, Δ ≥ 1. Throws RangeError when no usable ρ exists (cannot happen for
 * the parameter ranges the queries accept).
 */
export function calibrateGaussian(epsilon: number, delta: number, sensitivity: bigint): GaussianCalibration {
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new RangeError('calibrateGaussian needs ε > 0');
  if (!(delta > 0 && delta < 1)) throw new RangeError('calibrateGaussian needs 0 < δ < 1');
  if (sensitivity < 1n) throw new RangeError('calibrateGaussian needs Δ ≥ 1');
  const rho = maxRho(epsilon, delta);
  const { num: rn, den: rd } = fractionOf(rho);
  // σ² = Δ² / (2ρ) = Δ²·rd / (2·rn)
  const variance = reduce(sensitivity * sensitivity * rd, 2n * rn);
  return { variance, rho };
}

const rhoCache = new Map<string, number>();

/** The largest ρ (30 significant bits) with ρ-zCDP ⇒ (ε, δ)-DP by the conservative check. */
export function maxRho(epsilon: number, delta: number): number {
  const key = `${epsilon}/${delta}`;
  const cached = rhoCache.get(key);
  if (cached !== undefined) return cached;
  const logDelta = Math.log(delta);
  let lo = 0;
  let hi = epsilon + 1;
  while (satisfies(hi, epsilon, logDelta)) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) throw new RangeError('calibration diverged');
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (satisfies(mid, epsilon, logDelta)) lo = mid;
    else hi = mid;
  }
  let rho = truncateBits(lo, 30);
  // Re-check after truncation (ρ only went down, so this holds unless the search found nothing).
  while (rho > 0 && !satisfies(rho, epsilon, logDelta)) rho = truncateBits(rho * (1 - 2 ** -20), 30);
  if (!(rho > 0) || !Number.isFinite(rho)) throw new RangeError('no zCDP parameter meets this (ε, δ)');
  if (rhoCache.size > 1024) rhoCache.clear();
  rhoCache.set(key, rho);
  return rho;
}
