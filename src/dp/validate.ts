// Parameter validation for the differential-privacy layer. Every check runs before any budget is
// spent or any data is read, and fails with VERITY_E_INPUT_INVALID and a message that says what to do.

import { InputError, quote } from '../errors/index.ts';
import { checkIdentifier } from '../identifiers/index.ts';

/** Most values a column may hold. */
export const MAX_VALUES = 10_000_000;
/** Most bins a histogram may have. */
export const MAX_BINS = 10_000;
/** Most candidates the quantile's exponential mechanism may consider, and the default. */
export const MAX_CANDIDATES = 65_536;
export const DEFAULT_CANDIDATES = 1_024;
/** Sanity range of ε for one query (beyond 1e6 there is no meaningful protection left). */
export const MIN_EPSILON = 1e-9;
export const MAX_EPSILON = 1e6;
/** Largest magnitude a clamping bound or histogram edge may have. */
export const MAX_BOUND = 1e18;

/** A numeric column: a plain array of numbers or a Float64Array. */
export type NumericColumn = readonly number[] | Float64Array;

export function invalid(message: string): InputError {
  return new InputError('VERITY_E_INPUT_INVALID', message);
}

export function checkEpsilon(epsilon: unknown, what = 'epsilon'): number {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) {
    throw invalid(`${what} must be a finite number greater than 0, got ${quote(epsilon)}`);
  }
  if (epsilon < MIN_EPSILON || epsilon > MAX_EPSILON) {
    throw invalid(`${what} must be between ${MIN_EPSILON} and ${MAX_EPSILON}, got ${quote(epsilon)}`);
  }
  return epsilon;
}

export function checkDelta(delta: unknown, what = 'delta'): number {
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta < 0 || delta >= 1) {
    throw invalid(`${what} must be a finite number with 0 ≤ ${what} < 1, got ${quote(delta)}`);
  }
  return delta;
}

export function checkBounds(lower: unknown, upper: unknown): { lower: number; upper: number } {
  for (const [name, v] of [
    ['lower', lower],
    ['upper', upper],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw invalid(`${name} must be a finite number (the clamping bound of the column), got ${quote(v)}`);
    }
    if (Math.abs(v) > MAX_BOUND) throw invalid(`${name} must be at most ${MAX_BOUND} in magnitude, got ${quote(v)}`);
  }
  if (!((lower as number) < (upper as number))) {
    throw invalid(`lower must be less than upper, got lower ${quote(lower)} and upper ${quote(upper)}`);
  }
  return { lower: lower as number, upper: upper as number };
}

/** Checks a column and returns it (not copied). Values must be finite numbers. */
export function checkValues(values: unknown, what = 'values'): NumericColumn {
  if (!Array.isArray(values) && !(values instanceof Float64Array)) {
    throw invalid(`${what} must be an array of numbers or a Float64Array`);
  }
  const column = values as NumericColumn;
  if (column.length > MAX_VALUES) {
    throw invalid(`${what} may hold at most ${MAX_VALUES} values, got ${column.length}; sample or partition the data`);
  }
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw invalid(`${what}[${i}] must be a finite number; remove or impute missing values first`);
    }
  }
  return column;
}

export function checkEdges(edges: unknown): readonly number[] {
  if (!Array.isArray(edges) || edges.length < 2 || edges.length > MAX_BINS + 1) {
    throw invalid(`edges must be an array of 2 to ${MAX_BINS + 1} bin edges in increasing order`);
  }
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    if (typeof e !== 'number' || !Number.isFinite(e) || Math.abs(e) > MAX_BOUND) {
      throw invalid(`edges[${i}] must be a finite number of magnitude at most ${MAX_BOUND}, got ${quote(e)}`);
    }
    if (i > 0 && !((edges[i - 1] as number) < e)) {
      throw invalid(`edges must be strictly increasing, but edges[${i - 1}] ≥ edges[${i}]`);
    }
  }
  return edges as readonly number[];
}

export function checkQuantile(q: unknown): number {
  if (typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
    throw invalid(`q must be a number between 0 and 1 (0.5 for the median), got ${quote(q)}`);
  }
  return q;
}

export function checkCandidates(candidates: unknown): number {
  if (candidates === undefined) return DEFAULT_CANDIDATES;
  if (
    typeof candidates !== 'number' ||
    !Number.isInteger(candidates) ||
    candidates < 2 ||
    candidates > MAX_CANDIDATES
  ) {
    throw invalid(`candidates must be an integer between 2 and ${MAX_CANDIDATES}, got ${quote(candidates)}`);
  }
  return candidates;
}

export function checkOptions(options: unknown): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('query options must be an object, e.g. { epsilon: 0.5 }');
  }
  return options as Record<string, unknown>;
}

export function checkDatasetName(name: unknown): string {
  return checkIdentifier(name, 'dataset name');
}
