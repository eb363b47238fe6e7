/** `verity dp ...`: differentially private datasets with a privacy budget, on a data directory. */

import type { DpQuery } from '../../deid/index.ts';
import { Deid } from '../../deid/index.ts';
import { type Command, type Group, type OptionSpec, usage, type Values } from '../command.ts';
import { ACTOR, DATA, num, opt, printWithVerity, str } from '../common.ts';
import { stdinLines } from '../io.ts';

const COMMON: Record<string, OptionSpec> = {
  ...DATA,
  name: { type: 'string', value: 'N', identifier: true, required: true, help: 'the dataset' },
  purpose: { type: 'string', value: 'P', identifier: true, help: 'the purpose (default analytics)' },
};

function access(values: Values): { actor: string; purpose: string } {
  return { actor: ACTOR, purpose: opt(values, 'purpose') ?? 'analytics' };
}

const create: Command = {
  name: 'create',
  summary: 'a private dataset (one number per line on stdin) with its privacy budget',
  options: {
    ...COMMON,
    epsilon: { type: 'string', value: 'E', help: 'the total epsilon budget (default 1)' },
    delta: { type: 'string', value: 'D', help: 'the total delta budget (default 0)' },
  },
  async run({ values }) {
    const lines = (await stdinLines()).filter((l) => l.trim().length > 0);
    const numbers = lines.map((l) => {
      const n = Number(l);
      if (!Number.isFinite(n)) usage(`not a number: ${JSON.stringify(l.slice(0, 40))}`, 'dp create');
      return n;
    });
    return printWithVerity(values, (v) =>
      new Deid(v).datasets.create(
        str(values, 'name'),
        numbers,
        { epsilon: num(values, 'epsilon') ?? 1, delta: num(values, 'delta') ?? 0 },
        access(values),
      ),
    );
  },
};

const query: Command = {
  name: 'query',
  summary: 'a noisy answer, charged to the budget (VERITY_E_PRIVACY_BUDGET once it is spent)',
  options: {
    ...COMMON,
    query: { type: 'string', value: 'Q', required: true, help: 'count, sum, mean, histogram or quantile' },
    epsilon: { type: 'string', value: 'E', help: 'the epsilon this answer spends' },
    delta: { type: 'string', value: 'D', help: 'the delta this answer spends (gaussian)' },
    mechanism: { type: 'string', value: 'M', help: 'laplace or gaussian' },
    lower: { type: 'string', value: 'L', help: 'clamp values to at least L (sum, mean, quantile)' },
    upper: { type: 'string', value: 'U', help: 'clamp values to at most U' },
    edges: { type: 'string', value: 'A,B,...', help: 'histogram bin edges' },
    q: { type: 'string', value: 'Q', help: 'the quantile, 0 to 1' },
  },
  async run({ values }) {
    const n = (name: string) => num(values, name);
    const edges = opt(values, 'edges');
    const mechanism = opt(values, 'mechanism');
    const q = {
      query: str(values, 'query'),
      epsilon: n('epsilon'),
      ...(n('delta') === undefined ? {} : { delta: n('delta') }),
      ...(mechanism === undefined ? {} : { mechanism }),
      ...(n('lower') === undefined ? {} : { lower: n('lower') }),
      ...(n('upper') === undefined ? {} : { upper: n('upper') }),
      ...(n('q') === undefined ? {} : { q: n('q') }),
      ...(edges === undefined ? {} : { edges: edges.split(',').map(Number) }),
    } as unknown as DpQuery;
    return printWithVerity(values, (v) => new Deid(v).datasets.query(str(values, 'name'), q, access(values)));
  },
};

export const dp: Group = {
  name: 'dp',
  summary: 'differential privacy: datasets with a budget, noisy answers until it is spent',
  commands: [create, query],
};
