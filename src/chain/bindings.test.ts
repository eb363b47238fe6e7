// The binding of players to chain addresses (EIP-4361) and the decisions of reads under agreement,
// on a real store and log, without a chain: each way a binding is refused, the conflict of one
// address claimed by two players, unbinding, a changed binding row refused at use, and tokens that
// read under agreement only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalAccount } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { fixedClock } from '../clock/index.ts';
import { isVerityError } from '../errors/index.ts';
import { Tokens } from '../principals/index.ts';
import { AgreementReads } from './access.ts';
import { AddressBindings, BINDING_KIND } from './bindings.ts';
import { devAccounts } from './client.ts';
import { ChainState } from './state.ts';

const refused = (code: string, reason?: string) => (e: unknown) =>
  isVerityError(e) && e.code === code && (reason === undefined || e.details?.reason === reason);

describe('chain: players bind addresses with EIP-4361', () => {
  const clock = fixedClock(Date.parse('2026-06-01T00:00:00Z'));
  let core: TestCore;
  let b: AddressBindings;
  const [alice, bob] = devAccounts(2) as [LocalAccount, LocalAccount];
  const A = 'A'.repeat(43);
  const B = 'B'.repeat(43);
  const domain = 'play.example.com';

  before(async () => {
    core = await makeCore('sqlite', { clock });
    b = new AddressBindings(core.store, core.log, 31337, { clock });
  });
  after(async () => core?.dispose());

  const signed = async (
    who: LocalAccount,
    nonce: string,
    over: Partial<Parameters<typeof createSiweMessage>[0]> = {},
  ) => {
    const message = createSiweMessage({
      address: who.address,
      chainId: 31337,
      domain,
      nonce,
      uri: `https://${domain}/`,
      version: '1',
      issuedAt: new Date(clock.now()),
      ...over,
    });
    return { kind: 'siwe' as const, message, signature: await who.signMessage({ message }) };
  };

  it('binds on a message signed over its nonce, once; refuses every other message', async () => {
    const fresh = async (subject = A) => (await b.issueNonce(subject, domain, 'player:session-1')).nonce;
    assert.match(await fresh(), /^[0-9a-f]{45}$/);
    const cases: [string, () => Promise<unknown>][] = [
      [
        'domain',
        async () =>
          b.bindAddress(A, alice.address, await signed(alice, await fresh(), { domain: 'evil.example' }), 'a'),
      ],
      ['chain', async () => b.bindAddress(A, alice.address, await signed(alice, await fresh(), { chainId: 1 }), 'a')],
      ['address', async () => b.bindAddress(A, alice.address, await signed(bob, await fresh()), 'a')],
      ['nonce-player', async () => b.bindAddress(A, alice.address, await signed(alice, await fresh(B)), 'a')],
      [
        'nonce-unknown',
        async () => b.bindAddress(A, alice.address, await signed(alice, `${'9'.repeat(13)}${'a'.repeat(32)}`), 'a'),
      ],
      [
        'issued-at',
        async () =>
          b.bindAddress(
            A,
            alice.address,
            await signed(alice, await fresh(), { issuedAt: new Date(clock.now() - 3_600_000) }),
            'a',
          ),
      ],
      [
        'signature',
        async () => {
          const e = await signed(alice, await fresh());
          const other = await signed(alice, await fresh());
          return b.bindAddress(A, alice.address, { ...e, signature: other.signature }, 'a');
        },
      ],
    ];
    for (const [reason, run] of cases)
      await assert.rejects(run(), refused('VERITY_E_CHAIN_BINDING_INVALID', reason), reason);
    assert.deepEqual(await b.addressesOf(A), []);

    const e = await signed(alice, await fresh());
    const bound = await b.bindAddress(A, alice.address, e, 'player:session-1');
    assert.equal(bound.address, alice.address.toLowerCase());
    await assert.rejects(
      b.bindAddress(A, alice.address, e, 'a'),
      refused('VERITY_E_CHAIN_BINDING_INVALID', 'nonce-unknown'),
    );
    // One address, one player: bob's player cannot take alice's address even with her signature.
    await assert.rejects(
      b.bindAddress(B, alice.address, await signed(alice, await fresh(B)), 'a'),
      refused('VERITY_E_CHAIN_CONFLICT'),
    );
    // An expired nonce.
    const late = await fresh();
    const ev = await signed(alice, late);
    clock.advance(6 * 60_000);
    await assert.rejects(
      b.bindAddress(A, alice.address, ev, 'a'),
      refused('VERITY_E_CHAIN_BINDING_INVALID', 'issued-at'),
    );
    assert.deepEqual(
      (await b.addressesOf(A)).map((x) => x.address),
      [alice.address.toLowerCase()],
    );
    // No address and no player in the log.
    const text = (await core.log.entries(0, (await core.log.head()).size))
      .map((x) => new TextDecoder().decode(x))
      .join();
    for (const s of [alice.address.slice(2).toLowerCase(), A]) assert.ok(!text.includes(s));
  });

  it('decides reads on the bound addresses; a changed binding row is refused at use; unbinding ends it', async () => {
    const reads = new AgreementReads(b, new ChainState(core.store, core.log, 31337, { clock }));
    assert.deepEqual(await reads.decide(A, bob.address, 'service-provision', 'profile'), {
      allowed: false,
      reason: 'no-agreement',
    });
    const n = (await b.issueNonce(B, domain, 'player:session-2')).nonce;
    await b.bindAddress(B, bob.address, await signed(bob, n), 'player:session-2');
    assert.equal((await b.addressesOf(B)).length, 1);
    assert.equal(await b.unbindAddress(B, bob.address, 'player:session-2'), true);
    assert.equal(await b.unbindAddress(B, bob.address, 'player:session-2'), false);
    assert.deepEqual(await b.addressesOf(B), []);
    await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [
      JSON.stringify({ addresses: [] }),
      BINDING_KIND,
      A,
    ]);
    await assert.rejects(
      reads.decide(A, bob.address, 'service-provision', 'profile'),
      refused('VERITY_E_STATE_TAMPERED'),
    );
  });

  it('grants reads under agreement only explicitly, to services, with a recipient and no record types', async () => {
    const t = new Tokens(core.store, core.log, clock);
    const base = { principal: 'partner', role: 'service', actor: 'operator:test' };
    const bad = [
      { ...base, capabilities: ['records.under-agreement'] },
      { ...base, agreementRecipient: bob.address },
      { ...base, capabilities: ['records.under-agreement'], agreementRecipient: '0x12' },
      {
        ...base,
        capabilities: ['records.under-agreement'],
        agreementRecipient: bob.address,
        recordTypes: ['inventory'],
      },
      { ...base, role: 'operator', capabilities: ['records.under-agreement'], agreementRecipient: bob.address },
    ];
    for (const input of bad)
      await assert.rejects(t.create(input), refused('VERITY_E_INPUT_INVALID'), JSON.stringify(input));
    const ok = await t.create({ ...base, capabilities: ['records.under-agreement'], agreementRecipient: bob.address });
    assert.equal(ok.info.agreementRecipient, bob.address.toLowerCase());
    assert.equal((await t.authenticate(ok.token)).agreementRecipient, bob.address.toLowerCase());
  });
});
