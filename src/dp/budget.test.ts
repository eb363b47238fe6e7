import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { isVerityError, VerityError } from '../errors/index.ts';
import { KeyedMutex } from './budget.ts';
import { type BudgetLedger, type BudgetRemaining, DpEngine, MemoryBudgetLedger, PrivateDataset } from './index.ts';

/**
 * Exact value of a finite double x ≥ 0 as a multiple of 2^-1074, computed independently of
 * exact.ts: doubling is exact, so after k doublings x·2^k is an integer for some k ≤ 1074.
 */
function exact(x: number): bigint {
  let k = 0;
  let y = x;
  while (!Number.isInteger(y)) {
    y *= 2;
    k += 1;
  }
  // y < 2^1024 here for the amounts used in these tests
  return BigInt(y) << BigInt(1074 - k);
}

const isBudgetError = (e: unknown) => isVerityError(e, 'VERITY_E_PRIVACY_BUDGET');
const isInputError = (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID');

const amountArb = fc.oneof(
  fc.constantFrom(0.1, 0.2, 0.3, 1 / 3, 0.5, 0.25, 1e-6, 1),
  fc.double({ min: 1e-6, max: 2, noNaN: true }),
);
const deltaArb = fc.oneof(
  fc.constant(0),
  fc.constantFrom(1e-6, 1e-7, 5e-7),
  fc.double({ min: 0, max: 1e-5, noNaN: true }),
);

describe('MemoryBudgetLedger', () => {
  it('never lets a sequence of spends exceed the totals, refuses without spending, and accepts what fits', async () => {
    await fc.assert(
      fc.asyncProperty(
        amountArb,
        deltaArb,
        fc.array(fc.tuple(amountArb, deltaArb), { maxLength: 30 }),
        async (totalE, totalD, requests) => {
          const ledger = new MemoryBudgetLedger();
          ledger.register('d', { epsilon: totalE, delta: totalD });
          let spentE = 0n;
          let spentD = 0n;
          for (const [e, d] of requests) {
            const before = await ledger.remaining('d');
            const fits = spentE + exact(e) <= exact(totalE) && spentD + exact(d) <= exact(totalD);
            try {
              const after = await ledger.spend('d', e, d);
              assert.ok(fits, `accepted a spend (${e}, ${d}) that does not fit`);
              spentE += exact(e);
              spentD += exact(d);
              assert.deepEqual(after, await ledger.remaining('d'));
            } catch (err) {
              assert.ok(isBudgetError(err), String(err));
              assert.ok(!fits, `refused a spend (${e}, ${d}) that fits`);
              assert.deepEqual(await ledger.remaining('d'), before, 'a refused spend changes nothing');
            }
            assert.ok(spentE <= exact(totalE) && spentD <= exact(totalD));
            // Remaining is reported rounded down: never more than what is really left.
            const left = await ledger.remaining('d');
            assert.ok(exact(left.remainingEpsilon) <= exact(totalE) - spentE);
            assert.ok(exact(left.remainingDelta) <= exact(totalD) - spentD);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accounts exactly: 0.1 + 0.2 exceeds the double 0.3, but spending exactly the reported remainder always fits', async () => {
    const ledger = new MemoryBudgetLedger();
    ledger.register('a', { epsilon: 0.3, delta: 0 });
    await ledger.spend('a', 0.1, 0);
    // As binary fractions 0.1 + 0.2 = 0.3000000000000000166..., above 0.29999999999999998889...
    await assert.rejects(ledger.spend('a', 0.2, 0), isBudgetError);
    const left = await ledger.remaining('a');
    assert.ok(left.remainingEpsilon > 0.19999999 && left.remainingEpsilon < 0.2);
    const after = await ledger.spend('a', left.remainingEpsilon, 0);
    assert.deepEqual(after, await ledger.remaining('a'));
    assert.ok(after.remainingEpsilon < 1e-16);
    await assert.rejects(ledger.spend('a', 1e-300, 0), isBudgetError);
  });

  it('serializes many parallel spends: exactly as many succeed as fit, the rest are refused', async () => {
    const ledger = new MemoryBudgetLedger();
    ledger.register('p', { epsilon: 1, delta: 1e-5 });
    ledger.register('q', { epsilon: 2, delta: 0 });
    const results = await Promise.allSettled([
      ...Array.from({ length: 500 }, (_, i) => ledger.spend('p', 0.01, i % 2 === 0 ? 1e-7 : 0)),
      ...Array.from({ length: 500 }, () => ledger.spend('q', 0.25, 0)),
      ...Array.from({ length: 100 }, () => ledger.remaining('p')),
    ]);
    const ok = (from: number, to: number) => results.slice(from, to).filter((r) => r.status === 'fulfilled').length;
    // How many of 0.01 fit into 1 exactly, independently: the largest k with k·exact(0.01) ≤ exact(1)
    // (δ allows 100 spends of 1e-7, i.e. 200 alternate spends, so ε decides).
    const fitP = Number(exact(1) / exact(0.01));
    assert.equal(ok(0, 500), fitP);
    assert.equal(ok(500, 1000), 8);
    for (const r of results.slice(0, 1000)) {
      if (r.status === 'rejected') assert.ok(isBudgetError(r.reason));
    }
    const left = await ledger.remaining('p');
    assert.ok(left.remainingEpsilon >= 0 && left.remainingEpsilon < 0.01);
    assert.deepEqual(await ledger.remaining('q'), { remainingEpsilon: 0, remainingDelta: 0 });
  });

  it('validates datasets and amounts without spending', async () => {
    const ledger = new MemoryBudgetLedger();
    assert.throws(() => ledger.register('', { epsilon: 1, delta: 0 }), isInputError);
    assert.throws(() => ledger.register('x', { epsilon: 0, delta: 0 }), isInputError);
    assert.throws(() => ledger.register('x', { epsilon: 1, delta: 1 }), isInputError);
    assert.throws(() => ledger.register('x', { epsilon: Number.POSITIVE_INFINITY, delta: 0 }), isInputError);
    ledger.register('x', { epsilon: 1, delta: 1e-6 });
    assert.throws(() => ledger.register('x', { epsilon: 5, delta: 0 }), isInputError, 'no re-registration');
    for (const [e, d] of [
      [0, 0],
      [-1, 0],
      [Number.NaN, 0],
      [1, -1e-9],
      [1, 1],
      [Number.POSITIVE_INFINITY, 0],
    ] as const) {
      await assert.rejects(ledger.spend('x', e, d), isInputError, `spend(${e}, ${d})`);
    }
    await assert.rejects(ledger.spend('nope', 0.1, 0), isInputError);
    await assert.rejects(ledger.remaining('nope'), isInputError);
    assert.deepEqual(await ledger.remaining('x'), { remainingEpsilon: 1, remainingDelta: 1e-6 });
  });
});

describe('KeyedMutex', () => {
  it('runs read-modify-write tasks with awaits inside one at a time per key', async () => {
    const mutex = new KeyedMutex();
    let balance = 10;
    let inside = 0;
    const tryTake = () =>
      mutex.run('k', async () => {
        inside += 1;
        assert.equal(inside, 1, 'no two tasks at once');
        const seen = balance;
        await sleep(0);
        await Promise.resolve();
        if (seen >= 1) balance = seen - 1;
        inside -= 1;
        return seen >= 1;
      });
    const results = await Promise.all(Array.from({ length: 50 }, tryTake));
    assert.equal(results.filter(Boolean).length, 10);
    assert.equal(balance, 0);
    // A failing task releases the lock.
    await assert.rejects(
      mutex.run('k', () => {
        throw new Error('boom');
      }),
    );
    assert.equal(await mutex.run('k', () => 42), 42);
  });
});

describe('DpEngine and PrivateDataset', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i % 10);

  it('spends before answering and refuses once the budget is gone', async () => {
    const ledger = new MemoryBudgetLedger();
    ledger.register('visits', { epsilon: 1, delta: 1e-6 });
    const ds = new DpEngine(ledger).dataset('visits', values);
    const m = await ds.mean({ epsilon: 0.25, delta: 5e-7, mechanism: 'gaussian', lower: 0, upper: 10 });
    assert.equal(m.epsilon, 0.25);
    assert.deepEqual(await ds.remaining(), { remainingEpsilon: 0.75, remainingDelta: 5e-7 });
    await ds.histogram({ epsilon: 0.25, edges: [0, 5, 10] });
    await ds.quantile({ epsilon: 0.25, lower: 0, upper: 10, q: 0.5 });
    await assert.rejects(ds.count({ epsilon: 0.5 }), isBudgetError);
    await assert.rejects(
      ds.sum({ epsilon: 0.1, delta: 1e-6, mechanism: 'gaussian', lower: 0, upper: 10 }),
      isBudgetError,
    );
    assert.deepEqual(await ds.remaining(), { remainingEpsilon: 0.25, remainingDelta: 5e-7 });
    await ds.count({ epsilon: 0.25 });
    assert.deepEqual(await ds.remaining(), { remainingEpsilon: 0, remainingDelta: 5e-7 });
  });

  it('answers exactly as many parallel queries as the budget allows', async () => {
    const ledger = new MemoryBudgetLedger();
    ledger.register('par', { epsilon: 5, delta: 0 });
    const ds = new PrivateDataset('par', values, ledger);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0 ? ds.sum({ epsilon: 0.125, lower: 0, upper: 10 }) : ds.count({ epsilon: 0.125 }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 40);
    assert.ok(results.every((r) => r.status === 'fulfilled' || isBudgetError(r.reason)));
    assert.deepEqual(await ds.remaining(), { remainingEpsilon: 0, remainingDelta: 0 });
  });

  it('charges the ledger once with the query’s (ε, δ), and releases nothing when the ledger refuses', async () => {
    const calls: [string, number, number][] = [];
    let refuse = false;
    const ledger: BudgetLedger = {
      async spend(dataset, epsilon, delta): Promise<BudgetRemaining> {
        calls.push([dataset, epsilon, delta]);
        if (refuse) throw new VerityError('VERITY_E_PRIVACY_BUDGET', 'no budget');
        return { remainingEpsilon: 1, remainingDelta: 1 };
      },
      async remaining() {
        return { remainingEpsilon: 1, remainingDelta: 1 };
      },
    };
    const ds = new PrivateDataset('spy', values, ledger);
    await ds.mean({ epsilon: 0.7, delta: 1e-6, mechanism: 'gaussian', lower: 0, upper: 10 });
    await ds.quantile({ epsilon: 0.3, lower: 0, upper: 10, q: 0.9 });
    assert.deepEqual(calls, [
      ['spy', 0.7, 1e-6],
      ['spy', 0.3, 0],
    ]);
    refuse = true;
    await assert.rejects(ds.count({ epsilon: 1 }), isBudgetError);
  });

  it('refuses bad parameters before spending anything, and bad data when the dataset is created', async () => {
    const ledger = new MemoryBudgetLedger();
    ledger.register('v', { epsilon: 1, delta: 1e-6 });
    const ds = new DpEngine(ledger).dataset('v', values);
    await assert.rejects(ds.count({ epsilon: -1 }), isInputError);
    await assert.rejects(ds.count({ epsilon: 0.5, delta: 1e-7 }), isInputError); // laplace with δ
    await assert.rejects(ds.sum({ epsilon: 0.5, lower: 3, upper: 1 }), isInputError);
    await assert.rejects(ds.mean({ epsilon: 0.5, lower: 0, upper: Number.NaN }), isInputError);
    await assert.rejects(ds.histogram({ epsilon: 0.5, edges: [1, 0] }), isInputError);
    await assert.rejects(ds.quantile({ epsilon: 0.5, lower: 0, upper: 1, q: 2 }), isInputError);
    await assert.rejects(ds.mean({ epsilon: 2, lower: 0, upper: 1 }), isBudgetError);
    assert.deepEqual(await ds.remaining(), { remainingEpsilon: 1, remainingDelta: 1e-6 });
    assert.throws(() => new PrivateDataset('v', [1, Number.NaN], ledger), isInputError);
    assert.throws(() => new PrivateDataset('', [1], ledger), isInputError);
    const unknown = new PrivateDataset('unregistered', [1], ledger);
    await assert.rejects(unknown.count({ epsilon: 0.1 }), isInputError);
  });

  it('keeps its own copy of the data', async () => {
    const ledger = new MemoryBudgetLedger();
    ledger.register('copy', { epsilon: 10_000, delta: 0 });
    const data = [1, 2, 3];
    const ds = new PrivateDataset('copy', data, ledger);
    data.push(1e9, 1e9);
    const r = await ds.sum({ epsilon: 5000, lower: 0, upper: 10 });
    assert.ok(Math.abs(r.value - 6) < 0.5); // noise scale 0.002
  });
});
