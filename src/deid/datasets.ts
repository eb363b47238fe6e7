import { type Clock, systemClock } from '../clock/index.ts';
import {
  type BoundedOptions,
  type BudgetLedger,
  type BudgetRemaining,
  type DpResult,
  fromDyadicFloor,
  type HistogramOptions,
  type NoiseOptions,
  PrivateDataset,
  type QuantileOptions,
  toDyadic,
} from '../dp/index.ts';
import type { JsonValue } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import { RESERVED_SUBJECT_PREFIX } from '../identifiers/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store, StoreWriter } from '../store/index.ts';
import { type Access, auditEntry, type Vault } from '../vault/index.ts';
import { checkDomain } from './pseudonyms.ts';

/** The record type that holds a private dataset's values, sealed in the vault. */
export const DATASET_TYPE = 'verity.dataset';
const DATASET_SCHEMA: JsonValue = {
  type: 'object',
  additionalProperties: false,
  required: ['values'],
  properties: { values: { type: 'array', items: { type: 'number' } } },
};

/** A dataset's budget and where its values are, kept in the store's meta table. */
interface Account {
  readonly record: string;
  /** Who made the dataset (an actor): over HTTP only it queries, and so spends, the budget (D415). */
  readonly owner?: string;
  /** Exact amounts, as multiples of 2^-1074 (decimal strings of BigInts). */
  readonly totalEpsilon: string;
  readonly totalDelta: string;
  readonly spentEpsilon: string;
  readonly spentDelta: string;
}

export type DpQuery =
  | ({ readonly query: 'count' } & NoiseOptions)
  | ({ readonly query: 'sum' | 'mean' } & BoundedOptions)
  | ({ readonly query: 'histogram' } & HistogramOptions)
  | ({ readonly query: 'quantile' } & QuantileOptions);

function metaKey(name: string): string {
  return `dp.dataset.${name}`;
}

function remainingOf(a: Account): BudgetRemaining {
  return {
    remainingEpsilon: fromDyadicFloor(BigInt(a.totalEpsilon) - BigInt(a.spentEpsilon)),
    remainingDelta: fromDyadicFloor(BigInt(a.totalDelta) - BigInt(a.spentDelta)),
  };
}

/**
 * Differentially private aggregates over datasets kept sealed in the vault (FGMV-46 7.1.3): a
 * service registers a numeric column with a total privacy budget (epsilon, delta); analysts then
 * get only noisy counts, sums, means, histograms and quantiles, each charged to the budget. The
 * budget lives in the store and every charge is one write transaction with its audit entry
 * (`dp.query`: the query, its epsilon and delta, what is left), so it holds across restarts and
 * across every node on one database, and a query past the budget is refused with nothing spent.
 */
export class PrivateDatasets implements BudgetLedger {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #vault: Vault;
  readonly #clock: Clock;

  constructor(o: { store: Store; log: TransparencyLog; vault: Vault; clock?: Clock }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#vault = o.vault;
    this.#clock = o.clock ?? systemClock;
  }

  /** Registers a dataset: its values are sealed in the vault, its budget recorded. Names are never reused. */
  async create(
    name: string,
    values: readonly number[],
    total: { epsilon: number; delta: number },
    access: Access,
  ): Promise<{ name: string; logIndex: number }> {
    checkDomain(name, 'dataset name');
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === 'number' && Number.isFinite(v))
    )
      throw new InputError('VERITY_E_INPUT_INVALID', 'a dataset is a non-empty list of finite numbers');
    if (!(total.epsilon > 0 && Number.isFinite(total.epsilon)) || !(total.delta >= 0 && total.delta < 1))
      throw new InputError('VERITY_E_INPUT_INVALID', 'the budget needs epsilon > 0 and 0 <= delta < 1');
    if ((await this.#store.reader.getMeta(metaKey(name))) !== undefined)
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `dataset ${quote(name)} exists; budgets are never reset, use a new name`,
      );
    if ((await this.#store.reader.getSchema(DATASET_TYPE)) === undefined)
      await this.#vault.registerSchema(DATASET_TYPE, DATASET_SCHEMA, access);
    const r = await this.#vault.put({
      ...access,
      subject: `${RESERVED_SUBJECT_PREFIX}dataset:${name}`,
      type: DATASET_TYPE,
      data: { values: [...values] },
      classification: { category: `dataset.${name}`, sensitivity: 'restricted' },
    });
    const account: Account = {
      record: r.id,
      owner: access.actor,
      totalEpsilon: toDyadic(total.epsilon).toString(),
      totalDelta: toDyadic(total.delta).toString(),
      spentEpsilon: '0',
      spentDelta: '0',
    };
    try {
      const { result } = await this.#log.submit(async (tx, batch) => {
        if ((await tx.getMeta(metaKey(name))) !== undefined)
          throw new InputError('VERITY_E_INPUT_INVALID', `dataset ${quote(name)} exists; use a new name`);
        await tx.setMeta(metaKey(name), JSON.stringify(account));
        return batch.add(
          this.#entry(access, 'dp.dataset', name, {
            values: values.length,
            epsilon: total.epsilon,
            delta: total.delta,
          }),
        );
      });
      return { name, logIndex: result };
    } catch (e) {
      // Another process registered the name first: the values sealed for this attempt are erased.
      await this.#vault.erase(r.id, access).catch(() => undefined);
      throw e;
    }
  }

  /** Answers one query with noise, charging its (epsilon, delta) to the dataset's budget first. */
  async query(name: string, q: DpQuery, access: Access): Promise<DpResult<number | number[]> & BudgetRemaining> {
    checkDomain(name, 'dataset name');
    const account = await this.#account(this.#store.reader, name);
    const read = await this.#vault.get(account.record, access);
    const values = (read.data as { values: number[] }).values;
    const ledger: BudgetLedger = {
      spend: (dataset, epsilon, delta) => this.#spend(dataset, epsilon, delta, q.query, access),
      remaining: (dataset) => this.remaining(dataset),
    };
    const ds = new PrivateDataset(name, values, ledger);
    const { query, ...options } = q;
    const result =
      query === 'count'
        ? await ds.count(options as NoiseOptions)
        : query === 'sum'
          ? await ds.sum(options as BoundedOptions)
          : query === 'mean'
            ? await ds.mean(options as BoundedOptions)
            : query === 'histogram'
              ? await ds.histogram(options as HistogramOptions)
              : await ds.quantile(options as QuantileOptions);
    return { ...result, ...(await this.remaining(name)) };
  }

  async spend(dataset: string, epsilon: number, delta: number): Promise<BudgetRemaining> {
    return this.#spend(dataset, epsilon, delta, 'spend', { actor: 'system:dp', purpose: 'analytics' });
  }

  /** Who made the dataset (undefined for one made before owners were kept). */
  async owner(dataset: string): Promise<string | undefined> {
    checkDomain(dataset, 'dataset name');
    return (await this.#account(this.#store.reader, dataset)).owner;
  }

  async remaining(dataset: string): Promise<BudgetRemaining> {
    return remainingOf(await this.#account(this.#store.reader, dataset));
  }

  async #spend(
    dataset: string,
    epsilon: number,
    delta: number,
    query: string,
    access: Access,
  ): Promise<BudgetRemaining> {
    const e = toDyadic(epsilon);
    const d = toDyadic(delta);
    // One write transaction: read, check, charge, log. Every node of one database sees one budget.
    const { result } = await this.#log.submit(async (tx, batch) => {
      const a = await this.#account(tx, dataset);
      const spentE = BigInt(a.spentEpsilon) + e;
      const spentD = BigInt(a.spentDelta) + d;
      if (spentE > BigInt(a.totalEpsilon) || spentD > BigInt(a.totalDelta)) {
        const left = remainingOf(a);
        throw new VerityError(
          'VERITY_E_PRIVACY_BUDGET',
          `the query needs epsilon ${epsilon} and delta ${delta}, but dataset ${quote(dataset)} has only epsilon ${left.remainingEpsilon} and delta ${left.remainingDelta} left; nothing was spent`,
          { details: { dataset, epsilon, delta, ...left } },
        );
      }
      const next: Account = { ...a, spentEpsilon: spentE.toString(), spentDelta: spentD.toString() };
      await tx.setMeta(metaKey(dataset), JSON.stringify(next));
      const left = remainingOf(next);
      batch.add(
        this.#entry(access, 'dp.query', dataset, {
          query,
          epsilon,
          delta,
          remainingEpsilon: left.remainingEpsilon,
          remainingDelta: left.remainingDelta,
        }),
      );
      return left;
    });
    return result;
  }

  async #account(reader: Pick<StoreWriter, 'getMeta'>, name: string): Promise<Account> {
    const text = await reader.getMeta(metaKey(name));
    if (text === undefined)
      throw new InputError('VERITY_E_INPUT_INVALID', `there is no dataset ${quote(name)}; create it first`);
    return JSON.parse(text) as Account;
  }

  #entry(access: Access, action: 'dp.dataset' | 'dp.query', name: string, details: Record<string, string | number>) {
    return auditEntry(this.#clock, access, action, `dataset:${name}`, { details });
  }
}
