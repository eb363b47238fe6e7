import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../errors/index.ts';
import { isPowerOfTwo } from './exact.ts';
import { count, histogram, mean, quantile, sum } from './index.ts';
import {
  type AdditiveSpec,
  type BoundedOptions,
  chooseGranularity,
  histogramSpec,
  meanSpec,
  quantileSpec,
  releaseAdditive,
  releaseSelection,
  sumSpec,
} from './queries.ts';

const isOnGrid = (value: number, g: number) => Number.isFinite(value) && Number.isInteger(value / g);

/** Bounds of many magnitudes, ordered. */
const boundsArb = fc
  .tuple(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.double({ min: 1e-6, max: 1e12, noNaN: true }))
  .map(([lower, width]) => ({ lower, upper: lower + width }))
  .filter(({ lower, upper }) => lower < upper);

/** Values around and beyond the bounds, including awkward low bits. */
const valuesFor = (lower: number, upper: number) =>
  fc.array(
    fc.oneof(
      fc.double({ min: lower, max: upper, noNaN: true }),
      fc.double({ min: -1e15, max: 1e15, noNaN: true }),
      fc.constantFrom(lower, upper, 0, 0.1, -0.30000000000000004),
    ),
    { maxLength: 40 },
  );

const noiseArb = fc.oneof(
  fc.record({ epsilon: fc.double({ min: 0.01, max: 20, noNaN: true }), mechanism: fc.constant('laplace' as const) }),
  fc.record({
    epsilon: fc.double({ min: 0.01, max: 20, noNaN: true }),
    delta: fc.double({ min: 1e-12, max: 0.1, noNaN: true }),
    mechanism: fc.constant('gaussian' as const),
  }),
);

/** A dataset and a neighbour: one value added (or, read the other way round, removed). */
const neighboursArb = boundsArb.chain(({ lower, upper }) =>
  fc.record({
    lower: fc.constant(lower),
    upper: fc.constant(upper),
    values: valuesFor(lower, upper),
    extra: fc.oneof(fc.double({ min: -1e15, max: 1e15, noNaN: true }), fc.constantFrom(lower, upper)),
    at: fc.nat(),
    noise: noiseArb,
  }),
);

function withExtra(values: number[], extra: number, at: number): number[] {
  const i = values.length === 0 ? 0 : at % (values.length + 1);
  return [...values.slice(0, i), extra, ...values.slice(i)];
}

/** L1 distance between the statistics of two datasets, per part. */
function l1(a: bigint[][], b: bigint[][]): bigint[] {
  return a.map((part, i) =>
    part.reduce((acc, x, j) => {
      const d = x - (b[i]?.[j] as bigint);
      return acc + (d < 0n ? -d : d);
    }, 0n),
  );
}

/**
 * The grid property of an additive spec for a pair of neighbours: the statistics move by at most
 * the sensitivity, and for any noise z on the first dataset, the noise z' = z + s(D) - s(D') (an
 * integer, hence a possible draw) gives the second dataset the very same output. So the sets of
 * reachable outputs are identical: both are { decode(w) : w integer }.
 */
function checkNeighbours<T>(spec: AdditiveSpec<T>, d: number[], d2: number[], noise: bigint[][]): void {
  const s1 = spec.statistics(d);
  const s2 = spec.statistics(d2);
  const dist = l1(s1, s2);
  dist.forEach((x, i) => {
    assert.ok(x <= (spec.parts[i]?.sensitivity as bigint), `part ${i} moved by ${x} > sensitivity`);
  });
  const w1 = s1.map((part, i) => part.map((x, j) => x + (noise[i]?.[j] ?? 0n)));
  const zPrime = w1.map((part, i) => part.map((w, j) => w - (s2[i]?.[j] as bigint))); // an integer draw
  const w2 = s2.map((part, i) => part.map((x, j) => x + (zPrime[i]?.[j] as bigint)));
  assert.deepEqual(spec.decode(w2), spec.decode(w1));
}

describe('fixed-point grid', () => {
  it('chooses granularity 2^(⌊log2 min(R, R/ε)⌋ - 20)', () => {
    assert.equal(chooseGranularity(100, 1), 2 ** (6 - 20));
    assert.equal(chooseGranularity(100, 0.1), 2 ** (6 - 20));
    assert.equal(chooseGranularity(100, 10), 2 ** (3 - 20));
    assert.equal(chooseGranularity(1, 1), 2 ** -20);
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e18, noNaN: true }),
        fc.double({ min: 1e-9, max: 1e6, noNaN: true }),
        (r, e) => {
          const g = chooseGranularity(r, e);
          assert.ok(isPowerOfTwo(g));
          const m = Math.min(r, r / e);
          assert.ok(g * 2 ** 20 <= m && m < g * 2 ** 21);
        },
      ),
    );
  });

  it('sum: outputs are exact multiples of the granularity, and neighbours reach the same outputs', () => {
    fc.assert(
      fc.property(neighboursArb, fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), (c, z) => {
        const opts = { ...c.noise, lower: c.lower, upper: c.upper } as BoundedOptions;
        const spec = sumSpec(opts);
        const g = spec.granularity as number;
        assert.ok(isPowerOfTwo(g));
        const d2 = withExtra(c.values, c.extra, c.at);
        checkNeighbours(spec, c.values, d2, [[z]]);
        assert.ok(isOnGrid(spec.decode([[z]]), g), 'every decoded integer lies on the grid');
        for (const data of [c.values, d2]) {
          const r = releaseAdditive(spec, data);
          assert.ok(isOnGrid(r.value, g), `${r.value} is not a multiple of ${g}`);
          assert.equal(r.granularity, g);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('mean: outputs are grid points within the clamped range, and neighbours reach the same outputs', () => {
    fc.assert(
      fc.property(
        neighboursArb,
        fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
        fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
        (c, zs, zc) => {
          const opts = { ...c.noise, lower: c.lower, upper: c.upper } as BoundedOptions;
          let spec: AdditiveSpec<number>;
          try {
            spec = meanSpec(opts);
          } catch (e) {
            // Narrow bounds far from zero are refused up front (more than 2^52 grid steps).
            assert.ok(isVerityError(e, 'VERITY_E_INPUT_INVALID'));
            return;
          }
          const g = spec.granularity as number;
          const d2 = withExtra(c.values, c.extra, c.at);
          checkNeighbours(spec, c.values, d2, [[zs], [zc]]);
          const lo = Math.round(c.lower / g) * g;
          const hi = Math.round(c.upper / g) * g;
          for (const w of [
            spec.decode([[zs], [zc]]),
            releaseAdditive(spec, c.values).value,
            releaseAdditive(spec, d2).value,
          ]) {
            assert.ok(isOnGrid(w, g), `${w} is not a multiple of ${g}`);
            assert.ok(w >= lo && w <= hi, `${w} outside [${lo}, ${hi}]`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('histogram: one record moves one count by one; outputs are integers', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
          minLength: 2,
          maxLength: 12,
          comparator: 'SameValueZero',
        }),
        fc.array(fc.double({ min: -2e6, max: 2e6, noNaN: true }), { maxLength: 40 }),
        fc.double({ min: -2e6, max: 2e6, noNaN: true }),
        fc.nat(),
        noiseArb,
        (rawEdges, values, extra, at, noise) => {
          const edges = [...rawEdges].sort((a, b) => a - b);
          const spec = histogramSpec({ ...noise, edges });
          const d2 = withExtra(values, extra, at);
          const s1 = spec.statistics(values);
          assert.equal(s1[0]?.length, edges.length - 1);
          assert.equal(
            s1[0]?.reduce((a, b) => a + b, 0n),
            BigInt(values.length),
            'every value lands in exactly one bin',
          );
          checkNeighbours(spec, values, d2, [s1[0]?.map(() => 7n) ?? []]);
          const r = releaseAdditive(spec, d2);
          assert.ok(r.value.every(Number.isInteger));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('quantile: candidates come from the public parameters only, utilities move by at most 1, output is a candidate', () => {
    fc.assert(
      fc.property(
        neighboursArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 2, max: 300 }),
        (c, q, candidates) => {
          let spec: ReturnType<typeof quantileSpec>;
          try {
            spec = quantileSpec({ epsilon: c.noise.epsilon, lower: c.lower, upper: c.upper, q, candidates });
          } catch (e) {
            assert.ok(isVerityError(e, 'VERITY_E_INPUT_INVALID'));
            return;
          }
          const g = spec.granularity;
          assert.ok(spec.candidates.length >= 1 && spec.candidates.length <= candidates);
          for (const x of spec.candidates) {
            assert.ok(isOnGrid(x, g) && x >= c.lower && x <= c.upper);
          }
          const d2 = withExtra(c.values, c.extra, c.at);
          const u1 = spec.utilities(c.values);
          const u2 = spec.utilities(d2);
          assert.equal(u1.den, u2.den);
          u1.scores.forEach((s, i) => {
            const d = s - (u2.scores[i] as bigint);
            assert.ok((d < 0n ? -d : d) <= u1.den, 'utility sensitivity ≤ 1');
          });
          const r = releaseSelection(spec, d2);
          assert.ok(spec.candidates.includes(r.value));
          assert.equal(r.mechanism, 'exponential');
          assert.equal(r.delta, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a value whose low bits encode a secret does not show through: outputs carry only grid bits', () => {
    // Mironov's attack reads the true value from the low-order bits of a noisy double. Here the
    // answer is k·g for an integer k whatever the input, so all low bits below g are zero.
    const g = sumSpec({ epsilon: 1, lower: 0, upper: 1 }).granularity as number;
    for (let i = 0; i < 200; i++) {
      const secret = 0.5 + i * 2 ** -40;
      const r = sum([secret], { epsilon: 1, lower: 0, upper: 1 });
      assert.ok(isOnGrid(r.value, g));
    }
  });
});

describe('queries', () => {
  const data = Array.from({ length: 2000 }, (_, i) => (i % 100) + 0.5); // mean 50, median ≈ 50

  it('give useful answers at a moderate budget', () => {
    const c = count(data, { epsilon: 1 });
    assert.ok(Math.abs(c.value - 2000) < 60); // P[|Lap_Z(1)| ≥ 60] ≈ e^-60
    assert.deepEqual({ ...c, value: 0 }, { value: 0, epsilon: 1, delta: 0, mechanism: 'laplace' });
    const s = sum(data, { epsilon: 1, lower: 0, upper: 100 });
    assert.ok(Math.abs(s.value - 100_000) < 100 * 60);
    const m = mean(data, { epsilon: 1, delta: 1e-6, mechanism: 'gaussian', lower: 0, upper: 100 });
    assert.ok(Math.abs(m.value - 50) < 5, `mean ${m.value}`);
    assert.equal(m.delta, 1e-6);
    const h = histogram(data, { epsilon: 1, edges: [0, 50, 100] });
    assert.equal(h.value.length, 2);
    assert.ok(h.value.every((v) => Math.abs(v - 1000) < 60));
    const q = quantile(data, { epsilon: 1, lower: 0, upper: 100, q: 0.5 });
    assert.ok(Math.abs(q.value - 50) < 10, `median ${q.value}`);
  });

  it('clamps values to the bounds', () => {
    const s = sum([1e9, -1e9, 5], { epsilon: 1000, lower: 0, upper: 10 });
    assert.ok(Math.abs(s.value - 15) < 0.5, `sum ${s.value}`); // noise scale 0.01: 50 scales
    const h = histogram([-100, 0.5, 3, 100], { epsilon: 1000, edges: [0, 1, 2, 3] });
    assert.deepEqual(h.value, [2, 0, 2]);
  });

  it('handles an empty column', () => {
    assert.ok(Number.isInteger(count([], { epsilon: 1 }).value));
    const m = mean([], { epsilon: 1, lower: -1, upper: 1 });
    assert.ok(m.value >= -1 && m.value <= 1);
    assert.ok(quantile([], { epsilon: 1, lower: 0, upper: 1, q: 0.5 }).value >= 0);
  });
});

describe('parameter validation', () => {
  const expectInvalid = (f: () => unknown, label: string) =>
    assert.throws(
      f,
      (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID') && (e as Error).message.length > 10,
      label,
    );
  const b = { lower: 0, upper: 1 };

  it('refuses bad ε, δ and mechanism', () => {
    for (const epsilon of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e7, 1e-12, '1' as unknown as number]) {
      expectInvalid(() => count([1], { epsilon }), `epsilon ${String(epsilon)}`);
    }
    for (const delta of [-0.1, 1, 2, Number.NaN]) {
      expectInvalid(() => count([1], { epsilon: 1, delta, mechanism: 'gaussian' }), `delta ${delta}`);
    }
    expectInvalid(() => count([1], { epsilon: 1, delta: 1e-6 }), 'laplace with δ > 0');
    expectInvalid(() => count([1], { epsilon: 1, mechanism: 'gaussian' }), 'gaussian without δ');
    expectInvalid(() => count([1], { epsilon: 1, mechanism: 'cauchy' as 'laplace' }), 'unknown mechanism');
    expectInvalid(() => count([1], null as unknown as { epsilon: number }), 'no options');
  });

  it('refuses bad bounds, edges, q and candidates', () => {
    expectInvalid(() => sum([1], { epsilon: 1, lower: 1, upper: 1 }), 'empty range');
    expectInvalid(() => sum([1], { epsilon: 1, lower: 2, upper: 1 }), 'reversed');
    expectInvalid(() => sum([1], { epsilon: 1, lower: Number.NaN, upper: 1 }), 'NaN bound');
    expectInvalid(() => mean([1], { epsilon: 1, lower: 0, upper: 1e19 }), 'huge bound');
    expectInvalid(() => mean([1], { epsilon: 1, lower: 1e12, upper: 1e12 + 1e-3 }), 'narrow range far from zero');
    expectInvalid(() => histogram([1], { epsilon: 1, edges: [0] }), 'one edge');
    expectInvalid(() => histogram([1], { epsilon: 1, edges: [0, 2, 1] }), 'unsorted edges');
    expectInvalid(() => histogram([1], { epsilon: 1, edges: [0, 1, 1] }), 'repeated edge');
    expectInvalid(
      () => histogram([1], { epsilon: 1, edges: Array.from({ length: 10_002 }, (_, i) => i) }),
      'too many bins',
    );
    expectInvalid(() => quantile([1], { epsilon: 1, ...b, q: 1.5 }), 'q > 1');
    expectInvalid(() => quantile([1], { epsilon: 1, ...b, q: Number.NaN }), 'q NaN');
    expectInvalid(() => quantile([1], { epsilon: 1, ...b, q: 0.5, candidates: 1 }), 'one candidate');
    expectInvalid(() => quantile([1], { epsilon: 1, ...b, q: 0.5, candidates: 2.5 }), 'fractional candidates');
    expectInvalid(() => quantile([1], { epsilon: 1, ...b, q: 0.5, candidates: 100_000 }), 'too many candidates');
  });

  it('refuses bad columns', () => {
    expectInvalid(() => sum([1, Number.NaN], { epsilon: 1, ...b }), 'NaN value');
    expectInvalid(() => sum([1, Number.POSITIVE_INFINITY], { epsilon: 1, ...b }), 'infinite value');
    expectInvalid(() => sum(['1' as unknown as number], { epsilon: 1, ...b }), 'string value');
    expectInvalid(() => sum('12' as unknown as number[], { epsilon: 1, ...b }), 'not an array');
    expectInvalid(() => count(new Float64Array(10_000_001), { epsilon: 1 }), 'too many values');
  });
});
