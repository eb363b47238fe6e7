/** `verity policy test`: a table of expected decisions against a policy set. */

import { join } from 'node:path';
import { DEFAULT_POLICIES, PolicyEngine, runPolicyTable } from '../../access/index.ts';
import { readPolicies } from '../../embedded/index.ts';
import { parseJson } from '../../encoding/index.ts';
import type { Command, Group } from '../command.ts';
import { opt } from '../common.ts';
import { out, readInput } from '../io.ts';

const test: Command = {
  name: 'test',
  summary: 'run a table of expected decisions (JSON) against the policies; exit 1 when one differs',
  details:
    'An example table: docs/examples/policy-table.json (each case: name, principal, action, resource, context, expect).',
  options: {
    data: { type: 'string', value: 'DIR', help: 'the policies of this data directory (DIR/policies)' },
    policies: { type: 'string', value: 'PATH', help: 'a .cedar file or a directory of them' },
  },
  args: ['TABLE'],
  async run({ values, positionals }) {
    const data = opt(values, 'data');
    const source = opt(values, 'policies') ?? (data === undefined ? undefined : join(data, 'policies'));
    const engine = PolicyEngine.load(source === undefined ? DEFAULT_POLICIES : await readPolicies(source));
    const table = parseJson(
      await readInput(positionals[0] as string),
      { maxBytes: 8 * 1024 * 1024, maxDepth: 10 },
      'policy test table',
    );
    const results = runPolicyTable(engine, table);
    const lines = results.map((r) =>
      r.pass
        ? `ok   ${r.name}`
        : `FAIL ${r.name}: expected ${r.expected}, got ${r.actual}${r.errors.length > 0 ? ` (${r.errors.join('; ')})` : ''}`,
    );
    const failed = results.filter((r) => !r.pass).length;
    lines.push(`policy set ${engine.policyHash}`, `${results.length - failed} passed, ${failed} failed`);
    await out(lines.join('\n'));
    return failed === 0 ? 0 : 1;
  },
};

export const policy: Group = {
  name: 'policy',
  summary: 'Cedar policies (without --data or --policies: the defaults)',
  commands: [test],
};
