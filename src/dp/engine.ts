// Budgeted queries: a PrivateDataset holds one numeric column and answers differentially private
// queries about it, charging each one to the dataset's budget in a BudgetLedger.
//
// Order of every query: (1) validate the parameters and derive the noise from them alone, so a
// bad request fails without spending anything; (2) spend (ε, δ) atomically in the ledger, which
// refuses with VERITY_E_PRIVACY_BUDGET when the budget would be exceeded; (3) only then read the
// data, compute and release the noisy answer. A release is never refunded, not even if step (3)
// fails unexpectedly: a refund that depends on what happened while the data was read could leak.
// Running time grows with the number of records (and the samplers' time with the noise drawn, see
// samplers.ts): do not expose precise timings of single queries where those must stay secret.

import type { BudgetLedger, BudgetRemaining } from './budget.ts';
import {
  type AdditiveSpec,
  type BoundedOptions,
  countSpec,
  type DpResult,
  type HistogramOptions,
  histogramSpec,
  meanSpec,
  type NoiseOptions,
  type QuantileOptions,
  quantileSpec,
  releaseAdditive,
  releaseSelection,
  type SelectionSpec,
  sumSpec,
} from './queries.ts';
import { checkDatasetName, checkValues } from './validate.ts';

/** One numeric column under a privacy budget. The values are copied and never exposed. */
export class PrivateDataset {
  readonly name: string;
  readonly #values: Float64Array;
  readonly #ledger: BudgetLedger;

  /**
   * `name` is the dataset's key in the ledger. The values are checked here (finite numbers, at most
   * 10 million), so queries never fail because of the data's content.
   */
  constructor(name: string, values: readonly number[] | Float64Array, ledger: BudgetLedger) {
    this.name = checkDatasetName(name);
    this.#values = Float64Array.from(checkValues(values));
    this.#ledger = ledger;
  }

  /** Noisy number of records. */
  count(options: NoiseOptions): Promise<DpResult<number>> {
    return this.#additive(() => countSpec(options));
  }

  /** Noisy sum of the values clamped to [lower, upper]. */
  sum(options: BoundedOptions): Promise<DpResult<number>> {
    return this.#additive(() => sumSpec(options));
  }

  /** Noisy mean of the values clamped to [lower, upper] (half the budget to a sum, half to a count). */
  mean(options: BoundedOptions): Promise<DpResult<number>> {
    return this.#additive(() => meanSpec(options));
  }

  /** Noisy counts per bin; the whole histogram costs one (ε, δ). */
  histogram(options: HistogramOptions): Promise<DpResult<number[]>> {
    return this.#additive(() => histogramSpec(options));
  }

  /** Private q-quantile on a grid within [lower, upper] (exponential mechanism, pure ε-DP). */
  async quantile(options: QuantileOptions): Promise<DpResult<number>> {
    const spec: SelectionSpec = quantileSpec(options);
    await this.#ledger.spend(this.name, spec.epsilon, spec.delta);
    return releaseSelection(spec, this.#values);
  }

  /** What is left of this dataset's budget. */
  remaining(): Promise<BudgetRemaining> {
    return this.#ledger.remaining(this.name);
  }

  async #additive<T>(build: () => AdditiveSpec<T>): Promise<DpResult<T>> {
    const spec = build();
    await this.#ledger.spend(this.name, spec.epsilon, spec.delta);
    return releaseAdditive(spec, this.#values);
  }
}

/** Ties a budget ledger to datasets: `engine.dataset(name, values).mean({ ... })`. */
export class DpEngine {
  readonly ledger: BudgetLedger;

  constructor(ledger: BudgetLedger) {
    this.ledger = ledger;
  }

  /** A PrivateDataset over `values`, charged to `name` in this engine's ledger. */
  dataset(name: string, values: readonly number[] | Float64Array): PrivateDataset {
    return new PrivateDataset(name, values, this.ledger);
  }
}
