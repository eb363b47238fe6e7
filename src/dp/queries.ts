// Differentially private aggregates over one numeric column (FGMV-46 7.1.3).
//
// Neighbouring datasets differ by adding or removing one record (one value); every sensitivity
// below is for that relation. (If one record may instead be replaced by another, a replacement is a
// removal plus an addition, and each query's guarantee becomes (2ε, 2δ)-DP.) Each query is built
// in two steps so that budget can be spent in between (engine.ts):
//  1. a *spec* from the public parameters alone: validation, granularity, sensitivity and exact
//     noise parameters. Nothing here reads the data, and every error is raised here;
//  2. a release over the data: exact integer statistics, exact noise, and a decoder that depends
//     only on the public parameters.
//
// Fixed-point grid. Real-valued statistics are never noised in floating point. Each value x is
// clamped and rounded to an integer number of grid steps, v = clamp(round(x/g), L, H) with
// L = round(lower/g) and H = round(upper/g); the integer statistic gets integer noise from an exact
// sampler; the result is scaled back as k·g. The granularity g is a power of two chosen from the
// public parameters only:
//
//     g = 2^(⌊log2 min(R, R/ε)⌋ - 20)
//
// where R is the real-valued range that drives the sensitivity (sum: max(|lower|, |upper|); mean:
// upper - lower) and ε is the budget of the noisy real-valued part. Then rounding moves a value by
// at most g/2 ≤ 2^-21·R, and the noise (its scale is sensitivity/ε, about R/ε in real units, or
// (R/2)/ε for the mean's centred sum) spans 2^19 grid steps or more, so discretization is
// negligible next to the noise. Because the noise takes every integer
// value with positive probability and the decoder k ↦ k·g (mean: a rounding of the noisy ratio to
// the grid, clamped to [L, H]) does not look at the data, every possible output is an exact
// multiple of g whatever the input, and neighbouring inputs have exactly the same set of
// reachable outputs: nothing in the low-order bits can depend on the true value (Mironov 2012).
import { floorLog2, fractionOf, pow2 } from './exact.ts';
import { gaussianNoise, laplaceNoise, type NoiseSpec, permuteAndFlip, sampleNoise } from './mechanisms.ts';
import {
  checkBounds,
  checkCandidates,
  checkDelta,
  checkEdges,
  checkEpsilon,
  checkOptions,
  checkQuantile,
  checkValues,
  invalid,
  type NumericColumn,
} from './validate.ts';

/** Additive noise mechanism: 'laplace' (pure ε-DP) or 'gaussian' ((ε, δ)-DP via zCDP). */
export type Mechanism = 'laplace' | 'gaussian';

export interface NoiseOptions {
  /** Privacy loss ε of this query, > 0. */
  readonly epsilon: number;
  /** δ of this query: 0 (or omitted) for 'laplace', 0 < δ < 1 for 'gaussian'. */
  readonly delta?: number;
  /** Default 'laplace'. */
  readonly mechanism?: Mechanism;
}

export interface BoundedOptions extends NoiseOptions {
  /** Values below are clamped up to this bound. */
  readonly lower: number;
  /** Values above are clamped down to this bound. */
  readonly upper: number;
}

export interface HistogramOptions extends NoiseOptions {
  /** Strictly increasing bin edges; bin i is [edges[i], edges[i+1]), the last bin also holds its upper edge. */
  readonly edges: readonly number[];
}

export interface QuantileOptions {
  readonly epsilon: number;
  readonly lower: number;
  readonly upper: number;
  /** The quantile in [0, 1]; 0.5 is the median. */
  readonly q: number;
  /** Most grid candidates to choose from (default 1024, at most 65536). */
  readonly candidates?: number;
}

export interface DpResult<T = number> {
  readonly value: T;
  /** ε this release cost. */
  readonly epsilon: number;
  /** δ this release cost. */
  readonly delta: number;
  readonly mechanism: Mechanism | 'exponential';
  /** For real-valued results: the grid step; the value is always an exact multiple of it. */
  readonly granularity?: number;
}

/** Bits of grid resolution below the range and below the noise scale. */
export const GRID_BITS = 20;
/** Largest grid index a bound may have (so grid integers are exact in doubles). */
const MAX_GRID_INDEX = 2 ** 52;

/** A noisy part of an additive query: its statistics get independent noise of this spec. */
export interface NoisePart {
  /** Bound on the L1 (hence also L2) change of this part's statistics between neighbours. */
  readonly sensitivity: bigint;
  readonly noise: NoiseSpec;
}

interface SpecBase {
  readonly epsilon: number;
  readonly delta: number;
  readonly granularity: number | undefined;
}

/** A query answered by adding integer noise to integer statistics. */
export interface AdditiveSpec<T> extends SpecBase {
  readonly type: 'additive';
  readonly mechanism: Mechanism;
  readonly parts: readonly NoisePart[];
  /** The exact integer statistics, one array per part. Reads the data. */
  statistics(values: NumericColumn): bigint[][];
  /** Public post-processing of the noisy statistics; does not depend on the data. */
  decode(noisy: readonly (readonly bigint[])[]): T;
}

/** A query answered by selecting one of finitely many candidates (exponential-mechanism family). */
export interface SelectionSpec extends SpecBase {
  readonly type: 'selection';
  readonly mechanism: 'exponential';
  readonly granularity: number;
  /** The candidate outputs, fixed by the public parameters. */
  readonly candidates: readonly number[];
  /** Sensitivity of the utilities (exactly 1 for quantiles). */
  readonly sensitivity: 1;
  /** Exact utilities u_i = scores[i]/den of every candidate. Reads the data. */
  utilities(values: NumericColumn): { scores: bigint[]; den: bigint };
}

interface ResolvedNoise {
  epsilon: number;
  delta: number;
  mechanism: Mechanism;
}

function resolveNoise(o: Record<string, unknown>): ResolvedNoise {
  const mechanism = o['mechanism'] ?? 'laplace';
  if (mechanism !== 'laplace' && mechanism !== 'gaussian') {
    throw invalid("mechanism must be 'laplace' or 'gaussian'");
  }
  const epsilon = checkEpsilon(o['epsilon']);
  const delta = o['delta'] === undefined ? 0 : checkDelta(o['delta']);
  if (mechanism === 'laplace' && delta !== 0) {
    throw invalid("the laplace mechanism is pure ε-DP and spends no delta: omit delta, or choose mechanism 'gaussian'");
  }
  if (mechanism === 'gaussian' && delta === 0) {
    throw invalid('the gaussian mechanism needs a delta with 0 < delta < 1 (for example 1e-6 or less than 1/n)');
  }
  return { epsilon, delta, mechanism };
}

function noiseFor(r: ResolvedNoise, epsilon: number, delta: number, sensitivity: bigint): NoiseSpec {
  if (r.mechanism === 'laplace') return laplaceNoise(epsilon, sensitivity);
  try {
    return gaussianNoise(epsilon, delta, sensitivity);
  } catch (e) {
    if (e instanceof RangeError)
      throw invalid('no gaussian noise meets this epsilon and delta; raise epsilon or delta');
    throw e;
  }
}

/**
 * The grid step for a real-valued statistic with range R and noise budget ε:
 * g = 2^(⌊log2 min(R, R/ε)⌋ - 20) (see the header).
 */
export function chooseGranularity(range: number, epsilon: number): number {
  const r = Math.min(range, range / epsilon);
  if (!(r > 0) || !Number.isFinite(r)) throw invalid('lower and upper are too close together');
  const e = floorLog2(r) - GRID_BITS;
  if (e < -1022) throw invalid('lower and upper are too close together for a fixed-point grid; rescale the data');
  return pow2(e);
}

/** Grid indices of the bounds, checked to be exact integers in doubles. */
function gridBounds(lower: number, upper: number, g: number): { lo: number; hi: number } {
  const lo = Math.round(lower / g);
  const hi = Math.round(upper / g);
  if (Math.abs(lo) > MAX_GRID_INDEX || Math.abs(hi) > MAX_GRID_INDEX) {
    throw invalid(
      `lower and upper are too far from zero for their width (grid step ${g}); subtract an offset from the data first`,
    );
  }
  return { lo, hi };
}

/**
 * k·g as a double: an exact multiple of g (Number(k) is an integer, g a power of two). Beyond the
 * double range, which noise never reaches in practice, it saturates at ±Number.MAX_VALUE, itself a
 * multiple of every power of two up to 2^971.
 */
function onGrid(k: bigint, g: number): number {
  const v = Number(k) * g;
  return Number.isFinite(v) ? v : Math.sign(v) * Number.MAX_VALUE;
}

/** Σ (clamp(round(x/g), lo, hi) - offset), exactly. */
function gridSum(values: NumericColumn, g: number, lo: number, hi: number, offset: number): bigint {
  const maxAbs = Math.max(Math.abs(lo - offset), Math.abs(hi - offset), 1);
  const chunk = Math.max(1, Math.floor(2 ** 53 / maxAbs));
  let total = 0n;
  let acc = 0;
  let inChunk = 0;
  for (let i = 0; i < values.length; i++) {
    const k = Math.round((values[i] as number) / g);
    acc += Math.min(Math.max(k, lo), hi) - offset;
    if (++inChunk === chunk) {
      total += BigInt(acc);
      acc = 0;
      inChunk = 0;
    }
  }
  return total + BigInt(acc);
}

/**
 * Noisy count of the values (sensitivity 1). The result is an integer; it may be negative or exceed
 * the true range, as unbiased noise does; clamp it afterwards if needed (post-processing is free).
 */
export function countSpec(options: NoiseOptions): AdditiveSpec<number> {
  const r = resolveNoise(checkOptions(options));
  return {
    type: 'additive',
    ...r,
    granularity: undefined,
    parts: [{ sensitivity: 1n, noise: noiseFor(r, r.epsilon, r.delta, 1n) }],
    statistics: (values) => [[BigInt(values.length)]],
    decode: (noisy) => Number(noisy[0]?.[0] as bigint),
  };
}

/**
 * Noisy sum of the values clamped to [lower, upper], on the grid. Under add/remove neighbours one
 * value moves the grid sum by at most max(|L|, |H|) steps: that is the sensitivity.
 */
export function sumSpec(options: BoundedOptions): AdditiveSpec<number> {
  const o = checkOptions(options);
  const r = resolveNoise(o);
  const { lower, upper } = checkBounds(o['lower'], o['upper']);
  const g = chooseGranularity(Math.max(Math.abs(lower), Math.abs(upper)), r.epsilon);
  const { lo, hi } = gridBounds(lower, upper, g);
  const sensitivity = BigInt(Math.max(Math.abs(lo), Math.abs(hi), 1));
  return {
    type: 'additive',
    ...r,
    granularity: g,
    parts: [{ sensitivity, noise: noiseFor(r, r.epsilon, r.delta, sensitivity) }],
    statistics: (values) => [[gridSum(values, g, lo, hi, 0)]],
    decode: (noisy) => onGrid(noisy[0]?.[0] as bigint, g),
  };
}

/**
 * Noisy mean of the values clamped to [lower, upper], on the grid.
 *
 * Budget split (basic composition): half of ε (and of δ) goes to a noisy sum, half to a noisy
 * count. The sum is taken around the grid midpoint M = ⌊(L + H)/2⌋, i.e. Σ(v - M), so its
 * sensitivity is max(H - M, M - L) ≈ (H - L)/2 steps instead of max(|L|, |H|); the count has
 * sensitivity 1. The answer is M + noisySum / max(noisyCount, 1), rounded to the grid and clamped
 * to [L, H]: post-processing of the two noisy values, so it costs nothing more and always lies on
 * the grid within the bounds.
 */
export function meanSpec(options: BoundedOptions): AdditiveSpec<number> {
  const o = checkOptions(options);
  const r = resolveNoise(o);
  const { lower, upper } = checkBounds(o['lower'], o['upper']);
  const eps = r.epsilon / 2;
  const del = r.delta / 2;
  const g = chooseGranularity(upper - lower, eps);
  const { lo, hi } = gridBounds(lower, upper, g);
  const mid = Math.floor((lo + hi) / 2);
  const sensitivity = BigInt(Math.max(hi - mid, mid - lo, 1));
  return {
    type: 'additive',
    ...r,
    granularity: g,
    parts: [
      { sensitivity, noise: noiseFor(r, eps, del, sensitivity) },
      { sensitivity: 1n, noise: noiseFor(r, eps, del, 1n) },
    ],
    statistics: (values) => [[gridSum(values, g, lo, hi, mid)], [BigInt(values.length)]],
    decode: (noisy) => {
      const s = Number(noisy[0]?.[0] as bigint);
      const c = Number(noisy[1]?.[0] as bigint);
      const k = Math.round(mid + s / Math.max(c, 1));
      return Math.min(Math.max(k, lo), hi) * g;
    },
  };
}

/** Index of the bin holding x: values outside the edges are clamped into the first or last bin. */
function binOf(edges: readonly number[], x: number): number {
  const bins = edges.length - 1;
  if (!(x >= (edges[1] as number))) return 0;
  if (x >= (edges[bins - 1] as number)) return bins - 1;
  let lo = 1; // edges[lo] ≤ x
  let hi = bins - 1; // x < edges[hi]
  while (hi - lo > 1) {
    const m = (lo + hi) >>> 1;
    if ((edges[m] as number) <= x) lo = m;
    else hi = m;
  }
  return lo;
}

/**
 * Noisy histogram over the given bins. Every record falls in exactly one bin (values outside the
 * edges are clamped into the first or last bin), so adding or removing one record changes one
 * count by 1: the count vector has L1 and L2 sensitivity 1. Each bin gets independent noise at the
 * full (ε, δ) and the whole histogram costs one (ε, δ) (parallel composition over disjoint bins;
 * for the Gaussian, the vector mechanism is ρ = 1/(2σ²)-zCDP because only one coordinate moves).
 */
export function histogramSpec(options: HistogramOptions): AdditiveSpec<number[]> {
  const o = checkOptions(options);
  const r = resolveNoise(o);
  const edges = [...checkEdges(o['edges'])];
  const bins = edges.length - 1;
  return {
    type: 'additive',
    ...r,
    granularity: undefined,
    parts: [{ sensitivity: 1n, noise: noiseFor(r, r.epsilon, r.delta, 1n) }],
    statistics: (values) => {
      const counts = new Float64Array(bins);
      for (let i = 0; i < values.length; i++) {
        const b = binOf(edges, values[i] as number);
        counts[b] = (counts[b] as number) + 1;
      }
      return [Array.from(counts, (c) => BigInt(c))];
    },
    decode: (noisy) => (noisy[0] as readonly bigint[]).map((c) => Number(c)),
  };
}

/**
 * Private q-quantile by the exponential mechanism over a finite grid of candidates, sampled
 * exactly with permute-and-flip (mechanisms.ts).
 *
 * Candidates: the multiples k·g of the smallest power of two g for which [lower, upper] holds at
 * most `candidates` of them (fixed by the public parameters). Utility of candidate c:
 * u(c) = -|rank(c) - q·n| with rank(c) = #{x : clamp(x) ≤ c}. Adding or removing one record moves
 * rank(c) by 0 or 1 and q·n by q, so u changes by at most max(q, 1 - q) ≤ 1: sensitivity 1.
 * Utilities are exact rationals (q is the exact fraction of the double), and the selection is
 * ε-DP with δ = 0. Every candidate has positive probability for every input, so the reachable
 * outputs are the same grid points for all datasets.
 */
export function quantileSpec(options: QuantileOptions): SelectionSpec {
  const o = checkOptions(options);
  const epsilon = checkEpsilon(o['epsilon']);
  const { lower, upper } = checkBounds(o['lower'], o['upper']);
  const q = checkQuantile(o['q']);
  const max = checkCandidates(o['candidates']);
  // ⌈x/g⌉ and ⌊x/g⌋, corrected for x/g underflowing to 0 when x is tiny (g is a power of two).
  const ceilDiv = (x: number, g: number) => {
    const k = Math.ceil(x / g);
    return k * g < x ? k + 1 : k;
  };
  const floorDiv = (x: number, g: number) => {
    const k = Math.floor(x / g);
    return k * g > x ? k - 1 : k;
  };
  const countAt = (g: number) => floorDiv(upper, g) - ceilDiv(lower, g) + 1;
  let e = floorLog2(upper - lower) + 1; // 2^e > upper - lower: at most 2 multiples in range
  while (e - 1 >= -1022 && countAt(pow2(e - 1)) <= max) e -= 1;
  const g = pow2(e);
  const k0 = ceilDiv(lower, g);
  const k1 = floorDiv(upper, g);
  if (Math.abs(k0) > MAX_GRID_INDEX || Math.abs(k1) > MAX_GRID_INDEX) {
    throw invalid('lower and upper are too far from zero for their width; subtract an offset from the data first');
  }
  const m = k1 - k0 + 1;
  if (m < 1) throw invalid('lower and upper are too close together for a grid of candidates');
  const candidates = Array.from({ length: m }, (_, j) => (k0 + j) * g);
  const qf = fractionOf(q);
  return {
    type: 'selection',
    epsilon,
    delta: 0,
    mechanism: 'exponential',
    granularity: g,
    candidates,
    sensitivity: 1,
    utilities: (values) => {
      const counts = new Float64Array(m);
      for (let i = 0; i < values.length; i++) {
        const x = values[i] as number;
        const c = Math.min(Math.max(x, lower), upper);
        const j = Math.max(ceilDiv(c, g) - k0, 0); // smallest candidate index with candidate ≥ c
        if (j < m) counts[j] = (counts[j] as number) + 1;
      }
      const target = qf.num * BigInt(values.length); // q·n·qd
      const scores: bigint[] = new Array(m);
      let rank = 0;
      for (let j = 0; j < m; j++) {
        rank += counts[j] as number;
        const d = BigInt(rank) * qf.den - target;
        scores[j] = d < 0n ? d : -d; // -|rank·qd - q·n·qd|
      }
      return { scores, den: qf.den };
    },
  };
}

/** Answers an additive query over the data: exact statistics, exact noise, public decoding. */
export function releaseAdditive<T>(spec: AdditiveSpec<T>, values: NumericColumn): DpResult<T> {
  const stats = spec.statistics(values);
  const noisy = stats.map((part, i) => {
    const noise = (spec.parts[i] as NoisePart).noise;
    return part.map((s) => s + sampleNoise(noise));
  });
  return result(spec, spec.decode(noisy));
}

/** Answers a selection query over the data with permute-and-flip. */
export function releaseSelection(spec: SelectionSpec, values: NumericColumn): DpResult<number> {
  const { scores, den } = spec.utilities(values);
  const i = permuteAndFlip(scores, den, fractionOf(spec.epsilon), { num: 1n, den: 1n });
  return result(spec, spec.candidates[i] as number);
}

function result<T>(spec: SpecBase & { mechanism: DpResult['mechanism'] }, value: T): DpResult<T> {
  const r = { value, epsilon: spec.epsilon, delta: spec.delta, mechanism: spec.mechanism };
  return spec.granularity === undefined ? r : { ...r, granularity: spec.granularity };
}

/** ε-DP (or (ε, δ)-DP) noisy count of the values. Spends no budget: see PrivateDataset. */
export function count(values: NumericColumn, options: NoiseOptions): DpResult<number> {
  const spec = countSpec(options);
  return releaseAdditive(spec, checkValues(values));
}

/** Noisy sum of the values clamped to [lower, upper]. Spends no budget: see PrivateDataset. */
export function sum(values: NumericColumn, options: BoundedOptions): DpResult<number> {
  const spec = sumSpec(options);
  return releaseAdditive(spec, checkValues(values));
}

/** Noisy mean of the values clamped to [lower, upper]. Spends no budget: see PrivateDataset. */
export function mean(values: NumericColumn, options: BoundedOptions): DpResult<number> {
  const spec = meanSpec(options);
  return releaseAdditive(spec, checkValues(values));
}

/** Noisy histogram over the given bin edges. Spends no budget: see PrivateDataset. */
export function histogram(values: NumericColumn, options: HistogramOptions): DpResult<number[]> {
  const spec = histogramSpec(options);
  return releaseAdditive(spec, checkValues(values));
}

/** Private q-quantile (exponential mechanism). Spends no budget: see PrivateDataset. */
export function quantile(values: NumericColumn, options: QuantileOptions): DpResult<number> {
  const spec = quantileSpec(options);
  return releaseSelection(spec, checkValues(values));
}
