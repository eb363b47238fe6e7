import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Command, type Group, parseCommand, UsageError } from './command.ts';

const cmd: Command = {
  name: 'revoke',
  summary: 'test',
  options: {
    id: { type: 'string', value: 'ID', help: 'an id' },
    data: { type: 'string', value: 'DIR', help: 'a dir' },
    all: { type: 'boolean', help: 'all' },
  },
  args: [],
  run: async () => 0,
};
const group: Group = { name: 'sessions', summary: 'test', commands: [cmd] };

describe('parseCommand', () => {
  it('takes a value that starts with `-` as the value of a string option (base64url ids)', () => {
    // A session id is 16 base64url characters: one in 64 starts with `-`.
    const r = parseCommand(group, cmd, ['--data', 'd', '--id', '-Xc3AAAAAAAAAAAA']);
    assert.equal(r.values['id'], '-Xc3AAAAAAAAAAAA');
    assert.equal(parseCommand(group, cmd, ['--id', '--AAAAAAAAAAAAAA']).values['id'], '--AAAAAAAAAAAAAA');
    assert.equal(parseCommand(group, cmd, ['--id=-a']).values['id'], '-a');
  });

  it('still refuses a missing value before another option, and unknown options', () => {
    assert.throws(() => parseCommand(group, cmd, ['--id', '--data', 'd']), UsageError);
    assert.throws(() => parseCommand(group, cmd, ['--id', '--all']), UsageError);
    assert.throws(() => parseCommand(group, cmd, ['--all', '-x']), UsageError);
    assert.throws(() => parseCommand(group, cmd, ['--bogus', '-x']), UsageError);
  });
});

describe('the command table', () => {
  it("names each group as the group's own module does, once", async () => {
    const { GROUPS } = await import('./table.ts');
    assert.equal(new Set(GROUPS.map((g) => g.name)).size, GROUPS.length);
    for (const entry of GROUPS) assert.equal((await entry.load()).name, entry.name);
  });
});
