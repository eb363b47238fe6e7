/**
 * L2-regularised logistic regression: fitting (Newton's method, i.e. iteratively reweighted least
 * squares) and scoring with each feature's contribution.
 *
 * Written here rather than taken from npm: the registry's JavaScript logistic regressions are
 * unmaintained or fit by plain gradient descent without a convergence test, and scoring is a dot
 * product. The fit is checked against a closed-form case and against coefficients computed by an
 * independent implementation (NumPy, `scripts/logreg-reference.py`) in `model.test.ts`.
 */

import { InputError } from '../errors/index.ts';

/** A trained model as shipped (`src/risk/model.json`). */
export interface LogisticModel {
  readonly kind: 'logistic-regression';
  readonly version: 1;
  /** Column names, in the order of the feature vector. */
  readonly features: readonly string[];
  /** Standardisation: (x - mean) / scale per column. */
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  readonly intercept: number;
  readonly coefficients: readonly number[];
  /** How it was trained (seed, sizes, regularisation), for reproducibility. */
  readonly training?: Readonly<Record<string, unknown>>;
}

/** Options of `fitLogistic`. */
export interface FitOptions {
  /** L2 penalty on the coefficients (not the intercept), as in ½·l2·‖w‖². Default 1. */
  readonly l2?: number;
  /** Newton steps at most. Default 50. */
  readonly maxIterations?: number;
  /** Stop when no parameter moves by more than this. Default 1e-10. */
  readonly tolerance?: number;
  /**
   * Keep every coefficient at or above zero (features built so that larger means riskier): a
   * column whose fitted coefficient is negative is dropped, the most negative first, and the rest
   * refitted, until none is. A negative weight on a risk signal is a collinearity artefact of the
   * training data that an unseen attack would exploit as a discount.
   */
  readonly nonNegative?: boolean;
  /** A weight per row (default 1 each): the log-likelihood is the weighted sum. */
  readonly weights?: ArrayLike<number>;
}

/** The logistic function, written to stay finite for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Solves A·x = b (A square, symmetric positive definite here) by Gaussian elimination with pivoting. */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const m = a.map((row, i) => {
    const r = new Float64Array(n + 1);
    r.set(row);
    r[n] = b[i] as number;
    return r;
  });
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    if (Math.abs(pivot) < 1e-300) throw new RangeError('the system is singular');
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * Fits `P(y=1|x) = σ(b + w·x)` maximising the log-likelihood minus ½·l2·‖w‖² by Newton's method.
 * `rows` are used as given (standardise them first). Returns the intercept and the coefficients.
 */
export function fitLogistic(
  rows: readonly Float64Array[],
  labels: ArrayLike<number>,
  options: FitOptions = {},
): { intercept: number; coefficients: number[]; iterations: number } {
  if (options.nonNegative !== true) return newton(rows, labels, options, undefined);
  const d = (rows[0] as Float64Array | undefined)?.length ?? 0;
  // An active-set method: drop the most negative coefficient and refit; once none is negative,
  // bring back a dropped column whose gradient at zero says the fit wants it positive (the KKT
  // condition of the bound), until neither happens. Bounded: at most 4·d refits.
  let active = Array.from({ length: d }, (_, k) => k);
  let last: { intercept: number; coefficients: number[]; iterations: number } | undefined;
  for (let round = 0; round < 4 * d + 1; round++) {
    const cols = active;
    // Warm start from the last fit: a refit moves little, and Newton converges in a few steps.
    const start = Float64Array.from([last?.intercept ?? 0, ...cols.map((k) => last?.coefficients[k] ?? 0)]);
    const fit = newton(
      rows.map((r) => Float64Array.from(cols, (k) => r[k] as number)),
      labels,
      options,
      start,
    );
    const coefficients = new Array<number>(d).fill(0);
    cols.forEach((k, j) => {
      coefficients[k] = fit.coefficients[j] as number;
    });
    last = { intercept: fit.intercept, coefficients, iterations: fit.iterations };
    let worst = -1;
    for (const k of cols) if (coefficients[k]! < 0 && (worst < 0 || coefficients[k]! < coefficients[worst]!)) worst = k;
    if (worst >= 0) {
      active = cols.filter((k) => k !== worst);
      continue;
    }
    const grad = new Float64Array(d);
    rows.forEach((r, i) => {
      let z = fit.intercept;
      for (const k of cols) z += coefficients[k]! * r[k]!;
      const res = (options.weights === undefined ? 1 : options.weights[i]!) * (labels[i]! - sigmoid(z));
      for (let k = 0; k < d; k++) grad[k]! += res * r[k]!;
    });
    let best = -1;
    for (let k = 0; k < d; k++)
      if (!cols.includes(k) && grad[k]! > 1e-7 * rows.length && (best < 0 || grad[k]! > grad[best]!)) best = k;
    if (best < 0) return last;
    active = [...cols, best].sort((a, b) => a - b);
  }
  return last as { intercept: number; coefficients: number[]; iterations: number };
}

function newton(
  rows: readonly Float64Array[],
  labels: ArrayLike<number>,
  options: FitOptions,
  start: Float64Array | undefined,
): { intercept: number; coefficients: number[]; iterations: number } {
  const n = rows.length;
  if (n === 0 || labels.length !== n) throw new RangeError('rows and labels must be non-empty and of equal length');
  const d = (rows[0] as Float64Array).length;
  const l2 = options.l2 ?? 1;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-10;
  // Parameter 0 is the intercept; 1..d the coefficients.
  const beta = start ?? new Float64Array(d + 1);
  let it = 0;
  for (; it < maxIterations; it++) {
    const grad = new Float64Array(d + 1);
    const hess = Array.from({ length: d + 1 }, () => new Float64Array(d + 1));
    const xi = new Float64Array(d + 1);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as Float64Array;
      xi[0] = 1;
      xi.set(row, 1);
      let z = 0;
      for (let k = 0; k <= d; k++) z += (beta[k] as number) * (xi[k] as number);
      const p = sigmoid(z);
      const weight = options.weights === undefined ? 1 : (options.weights[i] as number);
      const r = weight * ((labels[i] as number) - p);
      const w = weight * Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a <= d; a++) {
        const xa = xi[a] as number;
        if (xa === 0) continue;
        grad[a]! += r * xa;
        const h = hess[a] as Float64Array;
        const wa = w * xa;
        for (let b = a; b <= d; b++) h[b]! += wa * (xi[b] as number);
      }
    }
    for (let a = 0; a <= d; a++) {
      for (let b = 0; b < a; b++) hess[a]![b] = hess[b]![a]!;
      if (a > 0) {
        grad[a]! -= l2 * beta[a]!;
        hess[a]![a]! += l2;
      }
    }
    const step = solve(hess, grad);
    let moved = 0;
    for (let k = 0; k <= d; k++) {
      beta[k]! += step[k]!;
      moved = Math.max(moved, Math.abs(step[k]!));
    }
    if (moved < tolerance) {
      it++;
      break;
    }
  }
  return { intercept: beta[0] as number, coefficients: Array.from(beta.subarray(1)), iterations: it };
}

/** Column means and scales (population standard deviation; 1 for a constant column). */
export function standardisation(rows: readonly Float64Array[]): { mean: number[]; scale: number[] } {
  const d = (rows[0] as Float64Array).length;
  const mean = new Array<number>(d).fill(0);
  const sq = new Array<number>(d).fill(0);
  for (const r of rows) for (let k = 0; k < d; k++) mean[k]! += r[k]!;
  for (let k = 0; k < d; k++) mean[k]! /= rows.length;
  for (const r of rows) for (let k = 0; k < d; k++) sq[k]! += (r[k]! - mean[k]!) ** 2;
  const scale = sq.map((s) => {
    const sd = Math.sqrt(s / rows.length);
    return sd > 1e-9 ? sd : 1;
  });
  return { mean, scale };
}

/** Checks a parsed model file before it is used (a damaged file must not score silently). */
export function checkModel(value: unknown, features: readonly string[]): LogisticModel {
  const m = value as Partial<LogisticModel> | null;
  const finite = (a: unknown) => Array.isArray(a) && a.length === features.length && a.every(Number.isFinite);
  if (
    m === null ||
    typeof m !== 'object' ||
    m.kind !== 'logistic-regression' ||
    m.version !== 1 ||
    !Array.isArray(m.features) ||
    m.features.join() !== features.join() ||
    !finite(m.mean) ||
    !finite(m.scale) ||
    !finite(m.coefficients) ||
    !Number.isFinite(m.intercept) ||
    (m.scale as number[]).some((s) => s <= 0)
  )
    throw new InputError(
      'VERITY_E_RISK_MODEL_INVALID',
      'the risk model does not match the features of this version; retrain it with scripts/train-risk.ts',
    );
  return m as LogisticModel;
}

/** The probability and each feature's contribution (coefficient × standardised value, in log-odds). */
export function predict(model: LogisticModel, x: Float64Array, contributions?: Float64Array): number {
  let z = model.intercept;
  const d = x.length;
  for (let k = 0; k < d; k++) {
    const c =
      ((model.coefficients[k] as number) * ((x[k] as number) - (model.mean[k] as number))) / (model.scale[k] as number);
    if (contributions !== undefined) contributions[k] = c;
    z += c;
  }
  return sigmoid(z);
}
