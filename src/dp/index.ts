// Differential privacy for aggregates (FGMV-46 7.1.3): exact discrete Laplace and discrete Gaussian
// noise (Canonne, Kamath & Steinke 2020) on a fixed-point grid, permute-and-flip for quantiles, and
// per-dataset privacy budgets. Calibration and guarantees: samplers.ts, calibrate.ts, queries.ts.
export type { BudgetLedger, BudgetRemaining, BudgetTotal } from './budget.ts';
export { MemoryBudgetLedger } from './budget.ts';
export { DpEngine, PrivateDataset } from './engine.ts';
export { fromDyadicFloor, toDyadic } from './exact.ts';
export type {
  BoundedOptions,
  DpResult,
  HistogramOptions,
  Mechanism,
  NoiseOptions,
  QuantileOptions,
} from './queries.ts';
export { count, histogram, mean, quantile, sum } from './queries.ts';
export { sampleDiscreteGaussian, sampleDiscreteLaplace } from './samplers.ts';
export type { NumericColumn } from './validate.ts';
