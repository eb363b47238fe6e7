/** `verity types ...`: the JSON Schemas of record types. */

import { parseJson } from '../../encoding/index.ts';
import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, printWithLog, printWithVerity, str } from '../common.ts';
import { readInput } from '../io.ts';

const add: Command = {
  name: 'add',
  summary: 'register the JSON Schema of a record type (from FILE, or - for stdin)',
  options: {
    ...DATA,
    type: { type: 'string', value: 'TYPE', required: true, identifier: true, help: 'the record type' },
  },
  args: ['FILE'],
  async run({ values, positionals }) {
    const schema = parseJson(
      await readInput(positionals[0] as string, 256 * 1024),
      { maxBytes: 256 * 1024, maxDepth: 64 },
      'schema',
    );
    return printWithVerity(values, (v) =>
      v.vault.registerSchema(str(values, 'type'), schema, { actor: ACTOR, purpose: 'administration' }),
    );
  },
};

const listTypes: Command = {
  name: 'list',
  summary: 'the registered record types and their schemas (no secret needed)',
  options: { ...DATA },
  async run({ values }) {
    return printWithLog(values, async ({ store }) =>
      (await store.reader.listSchemas()).map((s) => ({
        type: s.type,
        createdAt: new Date(s.createdAt).toISOString(),
        schema: JSON.parse(s.schema) as unknown,
      })),
    );
  },
};

export const types: Group = {
  name: 'types',
  summary: 'record types and their JSON Schemas',
  commands: [add, listTypes],
};
