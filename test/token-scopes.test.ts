// A token's scopes are parsed once per row object (D311): every principal still gets lists of its
// own, and the scopes it gets are the row's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Tokens } from '../src/principals/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('token scopes', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
  });

  it('gives each authentication lists of its own, equal to the token’s scopes', async () => {
    const tokens = new Tokens(core.store, core.log);
    const made = await tokens.create({
      principal: 'svc',
      role: 'service',
      recordTypes: ['profile', 'avatar.state'],
      actor: 'operator:test',
    });
    const first = await tokens.authenticate(made.token);
    assert.deepEqual(first.recordTypes, ['profile', 'avatar.state']);
    (first.recordTypes as string[]).push('everything');
    (first.capabilities as string[]).push('admin');
    const second = await tokens.authenticate(made.token);
    assert.deepEqual(second.recordTypes, ['profile', 'avatar.state']);
    assert.deepEqual(second.capabilities, []);
    assert.notEqual(second.recordTypes, first.recordTypes);
  });

  it('refuses a wrong secret for a known token id', async () => {
    const tokens = new Tokens(core.store, core.log);
    const made = await tokens.create({
      principal: 'svc2',
      role: 'service',
      recordTypes: ['profile'],
      actor: 'operator:test',
    });
    const last = made.token.at(-1) === 'A' ? 'B' : 'A';
    await assert.rejects(tokens.authenticate(made.token.slice(0, -1) + last), { code: 'VERITY_E_UNAUTHENTICATED' });
  });
});
