// Privacy budgets per dataset, with basic sequential composition: a dataset registered with a
// total (ε_total, δ_total) can answer queries (ε_1, δ_1), (ε_2, δ_2), ... as long as Σε_i ≤ ε_total
// and Σδ_i ≤ δ_total; the k-fold composition of (ε_i, δ_i)-DP releases is (Σε_i, Σδ_i)-DP.
//
// Accounting is exact: every double is an integer multiple of 2^-1074, so spent amounts are kept as
// BigInt multiples of 2^-1074 and compared exactly (a float sum could round down and let a query
// through that overspends by an ulp). Remaining amounts are reported rounded down.
import { quote, VerityError } from '../errors/index.ts';
import { fromDyadicFloor, toDyadic } from './exact.ts';
import { checkDatasetName, invalid } from './validate.ts';

export interface BudgetRemaining {
  readonly remainingEpsilon: number;
  readonly remainingDelta: number;
}

/** A per-dataset privacy budget. */
export interface BudgetLedger {
  /**
   * Atomically charges (ε, δ) to the dataset and returns what is left. When the charge would exceed
   * the dataset's total ε or total δ it throws VERITY_E_PRIVACY_BUDGET and charges nothing.
   * Concurrent calls for one dataset must behave as if run one after another.
   */
  spend(dataset: string, epsilon: number, delta: number): Promise<BudgetRemaining>;
  /** What is left of the dataset's budget. */
  remaining(dataset: string): Promise<BudgetRemaining>;
}

/** A dataset's total budget. */
export interface BudgetTotal {
  readonly epsilon: number;
  readonly delta: number;
}

interface Account {
  readonly totalEpsilon: bigint;
  readonly totalDelta: bigint;
  spentEpsilon: bigint;
  spentDelta: bigint;
}

function checkAmount(epsilon: unknown, delta: unknown, what: string): void {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) {
    throw invalid(`${what} epsilon must be a finite number greater than 0`);
  }
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta < 0 || delta >= 1) {
    throw invalid(`${what} delta must be a finite number with 0 ≤ delta < 1`);
  }
}

/** Runs async tasks one at a time per key, in call order (no installed package has a keyed lock). */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => T | Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    try {
      await previous;
      return await task();
    } finally {
      done();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** A BudgetLedger in memory: datasets are registered with their totals; spends are serialized per dataset. */
export class MemoryBudgetLedger implements BudgetLedger {
  readonly #accounts = new Map<string, Account>();
  readonly #mutex = new KeyedMutex();

  /** Registers a dataset with its total budget. A dataset can be registered once. */
  register(dataset: string, total: BudgetTotal): void {
    checkDatasetName(dataset);
    if (typeof total !== 'object' || total === null) throw invalid('total must be an object { epsilon, delta }');
    checkAmount(total.epsilon, total.delta, 'the total');
    if (this.#accounts.has(dataset)) {
      throw invalid(`dataset ${quote(dataset)} already has a budget; budgets are never reset or raised`);
    }
    this.#accounts.set(dataset, {
      totalEpsilon: toDyadic(total.epsilon),
      totalDelta: toDyadic(total.delta),
      spentEpsilon: 0n,
      spentDelta: 0n,
    });
  }

  spend(dataset: string, epsilon: number, delta: number): Promise<BudgetRemaining> {
    try {
      checkDatasetName(dataset);
      checkAmount(epsilon, delta, 'the query');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#mutex.run(dataset, () => {
      const account = this.#account(dataset);
      const e = toDyadic(epsilon);
      const d = toDyadic(delta);
      if (account.spentEpsilon + e > account.totalEpsilon || account.spentDelta + d > account.totalDelta) {
        const left = remainingOf(account);
        throw new VerityError(
          'VERITY_E_PRIVACY_BUDGET',
          `the query needs epsilon ${epsilon} and delta ${delta}, but dataset ${quote(dataset)} has only epsilon ${left.remainingEpsilon} and delta ${left.remainingDelta} left; nothing was spent: ask with a smaller epsilon or delta`,
          { details: { dataset, epsilon, delta, ...left } },
        );
      }
      account.spentEpsilon += e;
      account.spentDelta += d;
      return remainingOf(account);
    });
  }

  remaining(dataset: string): Promise<BudgetRemaining> {
    try {
      checkDatasetName(dataset);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#mutex.run(dataset, () => remainingOf(this.#account(dataset)));
  }

  #account(dataset: string): Account {
    const account = this.#accounts.get(dataset);
    if (account === undefined) {
      throw invalid(`dataset ${quote(dataset)} has no privacy budget; register it with a total first`);
    }
    return account;
  }
}

function remainingOf(a: Account): BudgetRemaining {
  return {
    remainingEpsilon: fromDyadicFloor(a.totalEpsilon - a.spentEpsilon),
    remainingDelta: fromDyadicFloor(a.totalDelta - a.spentDelta),
  };
}
