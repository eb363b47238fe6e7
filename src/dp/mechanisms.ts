// Mechanisms over integers: additive discrete Laplace / discrete Gaussian noise calibrated to an
// integer sensitivity, and permute-and-flip selection for the exponential-mechanism family.
import { calibrateGaussian } from './calibrate.ts';
import { type Fraction, fractionOf, reduce } from './exact.ts';
import { uniformBelowSmall } from './random.ts';
import { bernoulliExp, sampleDiscreteGaussian, sampleDiscreteLaplace } from './samplers.ts';

/** The additive noise distribution of one part of a query, with exact parameters. */
export type NoiseSpec =
  | { readonly kind: 'laplace'; readonly scale: Fraction }
  | { readonly kind: 'gaussian'; readonly variance: Fraction; readonly rho: number };

/**
 * Discrete Laplace noise for ε-DP at integer sensitivity Δ (L1): scale Δ/ε, exactly (ε is the
 * exact rational value of the double).
 */
export function laplaceNoise(epsilon: number, sensitivity: bigint): NoiseSpec {
  const e = fractionOf(epsilon);
  return { kind: 'laplace', scale: reduce(sensitivity * e.den, e.num) };
}

/**
 * Discrete Gaussian noise for (ε, δ)-DP at integer sensitivity Δ (L2): σ² = Δ²/(2ρ), where ρ is the
 * largest zCDP parameter that provably converts to (ε, δ)-DP (calibrate.ts).
 */
export function gaussianNoise(epsilon: number, delta: number, sensitivity: bigint): NoiseSpec {
  const { variance, rho } = calibrateGaussian(epsilon, delta, sensitivity);
  return { kind: 'gaussian', variance, rho };
}

/** One draw of the given noise. */
export function sampleNoise(noise: NoiseSpec): bigint {
  return noise.kind === 'laplace'
    ? sampleDiscreteLaplace(noise.scale.num, noise.scale.den)
    : sampleDiscreteGaussian(noise.variance.num, noise.variance.den);
}

/**
 * Permute-and-flip (McKenna & Sheldon, "Permute-and-Flip: A new mechanism for differentially
 * private selection", NeurIPS 2020), sampled exactly.
 *
 * Given utilities u_i = scores[i]/scoreDen and their maximum u*, it visits the candidates in a
 * uniformly random order and accepts candidate i with probability exp(-ε·(u* - u_i)/(2Δu)),
 * stopping at the first acceptance (a candidate with u_i = u* is always accepted, so it stops).
 * For utilities of sensitivity Δu it is ε-DP, like the exponential mechanism, and its expected
 * utility is never worse. Unlike "report noisy max" with Gumbel noise, which would need
 * continuous samples, every step is exact: the order comes from uniform integers drawn by
 * rejection and each coin is CKS20 Algorithm 1 with the rational exponent ε·(u* - u_i)/(2Δu).
 *
 * `epsilon` and `sensitivity` are exact fractions; returns the index of the selected candidate.
 */
export function permuteAndFlip(
  scores: readonly bigint[],
  scoreDen: bigint,
  epsilon: Fraction,
  sensitivity: Fraction,
): number {
  const m = scores.length;
  if (m === 0) throw new RangeError('permuteAndFlip needs at least one candidate');
  let best = scores[0] as bigint;
  for (const s of scores) if (s > best) best = s;
  // γ_i = ε·(u* - u_i)/(2Δu) = (ε.num·Δu.den·(best - s_i)) / (2·ε.den·Δu.num·scoreDen)
  const gNum = epsilon.num * sensitivity.den;
  const gDen = 2n * epsilon.den * sensitivity.num * scoreDen;
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  for (let k = 0; k < m; k++) {
    // Lazy Fisher-Yates: the k-th candidate is uniform among those not yet visited.
    const j = k + uniformBelowSmall(m - k);
    const pick = order[j] as number;
    order[j] = order[k] as number;
    order[k] = pick;
    const loss = best - (scores[pick] as bigint);
    if (bernoulliExp(gNum * loss, gDen)) return pick;
  }
  // Unreachable: the best candidate is accepted with probability exp(0) = 1.
  throw new Error('permute-and-flip did not select a candidate');
}
