import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Command, type Group, parseCommand, runCommand, UsageError } from './command.ts';
import { int } from './common.ts';

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

describe('runCommand', () => {
  it("points a shared check's usage error at the help of the command that ran it", async () => {
    const counted: Command = {
      name: 'tail',
      summary: 'test',
      options: { index: { type: 'string', value: 'N', help: 'an index' } },
      run: async (i) => int(i.values, 'index', true),
    };
    const g: Group = { name: 'log', summary: 'test', commands: [counted] };
    assert.equal(await runCommand(g, counted, ['--index', '7']), 7);
    await assert.rejects(
      runCommand(g, counted, ['--index', '-1']),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === '--index must be a non-negative integer; run `verity log tail --help` for usage',
    );
    // Another error of the command passes through as it was.
    const failing: Command = { ...counted, run: async () => Promise.reject(new RangeError('boom')) };
    await assert.rejects(runCommand(g, failing, []), RangeError);
  });
});

describe('the command table', () => {
  it("names each group as the group's own module does, once", async () => {
    const { GROUPS } = await import('./table.ts');
    assert.equal(new Set(GROUPS.map((g) => g.name)).size, GROUPS.length);
    for (const entry of GROUPS) assert.equal((await entry.load()).name, entry.name);
  });
});
