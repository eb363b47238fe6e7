import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../encoding/index.ts';
import { jsonProblem } from './json-problem.ts';

describe('jsonProblem', () => {
  it('names what canonical JSON cannot carry, the first found', () => {
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    const cases: [unknown, RegExp][] = [
      [{ s: 'ok\ud800' }, /^a string with an unpaired surrogate/],
      [{ a: ['fine', { b: '\udfffx' }] }, /^a string with an unpaired surrogate/],
      [{ 'k\ud83d': 1 }, /^a key with an unpaired surrogate/],
      [{ n: Number.POSITIVE_INFINITY }, /^a non-finite number/],
      [{ b: 10n }, /^a BigInt/],
      [() => 1, /^a function/],
      [loop, /^an object that contains itself/],
    ];
    for (const [value, why] of cases) {
      assert.throws(() => canonicalJson(value));
      assert.match(jsonProblem(value), why);
    }
  });
});
