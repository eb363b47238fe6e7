// The public sign-in routes that write to the log answer 429 VERITY_E_RATE_LIMITED (with
// Retry-After) to an address over its limit, so that no one can grow the log without a token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { AddressLimiter, buildServer } from '../src/server/index.ts';
import type { Store } from '../src/store/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('sign-in rate limits', () => {
  let core: TestCore;
  let passkeys: Passkeys;
  let app: ReturnType<typeof buildServer>;
  let url: string;

  before(async () => {
    core = await makeCore('sqlite');
    const sessions = new Sessions({ keys: core.keys, store: core.store as Store, log: core.log });
    passkeys = new Passkeys({
      store: core.store as Store,
      log: core.log,
      keys: core.keys,
      sessions,
      config: { rpId: 'play.example.com', rpName: 'Verity test', origins: ['https://play.example.com'] },
    });
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        sessions,
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
      },
      passkeys,
      signInLimit: { requests: 3, windowMs: 60_000 },
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app?.close();
    await passkeys?.close();
    await core?.dispose();
  });

  it('refuses the fourth sign-in from one address in the window, and not the options that write nothing', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < 3; i++) assert.notEqual((await post('/v1/signin/passkey', { credential: {} })).status, 429);
    const over = await post('/v1/signin/passkey', { credential: {} });
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get('retry-after')) >= 1);
    assert.equal(((await over.json()) as { error: { code: string } }).error.code, 'VERITY_E_RATE_LIMITED');
    // The recovery route shares the address's budget; the options route writes nothing and is not limited.
    assert.equal((await post('/v1/signin/passkey/recover', { player: 'p', code: 'x' })).status, 429);
    for (let i = 0; i < 5; i++) assert.equal((await post('/v1/signin/passkey/options', {})).status, 200);
  });

  it('counts per address in fixed windows and forgets the oldest addresses first', () => {
    let now = 0;
    const l = new AddressLimiter({ requests: 2, windowMs: 1000 }, () => now);
    assert.equal(l.take('a'), 0);
    assert.equal(l.take('a'), 0);
    assert.equal(l.take('a'), 1000);
    assert.equal(l.take('b'), 0);
    now = 600;
    assert.equal(l.take('a'), 400);
    now = 1000;
    assert.equal(l.take('a'), 0);
    assert.throws(() => new AddressLimiter({ requests: 0, windowMs: 1000 }), RangeError);
  });
});
