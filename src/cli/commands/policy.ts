/**
 * `verity policy install`: puts the files of DIR/policies in force (D416); `verity policy test`: a
 * table of expected decisions against a policy set.
 */

import { join } from 'node:path';
import { DEFAULT_POLICIES, PolicyEngine, runPolicyTable } from '../../access/index.ts';
import { installPolicies, readPolicies, writeMissingDefaults } from '../../embedded/index.ts';
import { parseJson } from '../../encoding/index.ts';
import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, dataDir, opt, printWithVerity } from '../common.ts';
import { out, readInput } from '../io.ts';

const test: Command = {
  name: 'test',
  summary:
    'run a table of expected decisions (JSON) against policy files (without --data or --policies: the defaults); exit 1 when one differs',
  details:
    'An example table: docs/examples/policy-table.json (each case: name, principal, action, resource, context, expect).',
  options: {
    data: {
      type: 'string',
      value: 'DIR',
      help: 'the policy files of this data directory (DIR/policies, as edited: install them to put them in force)',
    },
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

const install: Command = {
  name: 'install',
  summary: 'put the files of DIR/policies in force: the Cedar policies and a new privacy policy version, each logged',
  details:
    'Requests are decided by the policies the authenticated state holds in force, never by the files as they stand: ' +
    'edit DIR/policies, check the edit with `verity policy test --data DIR TABLE`, then install it. ' +
    'A running server takes the installed set up within seconds. Under secure boot, sign a new release and restart.',
  options: { ...DATA },
  async run({ values }) {
    const dir = dataDir(values);
    return printWithVerity(values, (v) => installPolicies(v, dir, { actor: ACTOR }));
  },
};

const defaults: Command = {
  name: 'defaults',
  summary:
    "how this release's default policies stand in the set in force and in DIR/policies; --write adds the missing ones to the files",
  details:
    'A data directory keeps the policies it was made with: a policy added to the defaults by a later release (player-own-rights, ' +
    'which lets players carry out their own rights requests) is not in force there until its operator installs it. --write adds the ' +
    'default policies the files lack to DIR/policies/verity-defaults.cedar; nothing changes what is in force before `verity policy install`.',
  options: {
    ...DATA,
    write: { type: 'boolean', help: 'add the default policies the files lack to DIR/policies/verity-defaults.cedar' },
  },
  async run({ values }) {
    const dir = dataDir(values);
    return printWithVerity(values, (v) => writeMissingDefaults(v, dir, { write: values['write'] === true }));
  },
};

export const policy: Group = {
  name: 'policy',
  summary:
    "Cedar policies: install the files of a data directory, compare them with this release's defaults, test a table against them",
  commands: [install, defaults, test],
};
