// Custodial wallets against a real store, log, key store, passkeys (a software authenticator) and
// Verity's contracts on the in-process chain: a good handed on and agreement terms signed only after
// the player's passkey confirms that exact action, once, within the window; every refusal logged,
// and no player, address or transaction in the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getAddress, type Hex, type LocalAccount, verifyTypedData } from 'viem';
import { AddressBindings, type ChainClient, itemId, type VerityContracts } from '../src/chain/index.ts';
import type { Clock } from '../src/clock/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import type { Store } from '../src/store/index.ts';
import { CustodialWallets, keyStoreAccount, WALLET_KIND } from '../src/wallets/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { deployedChain, marketplaceTerms } from './helpers/chain-trade.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const ORIGIN = 'https://play.example.com';
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

describe('custodial wallets', () => {
  let core: TestCore;
  let chain: ChainClient;
  let v: VerityContracts;
  let passkeys: Passkeys;
  let wallets: CustodialWallets;
  let alice: string;
  let bob: string;
  let aliceWallet: Hex;
  let tokenId: bigint;
  let skew = 0;
  const clock: Clock = { now: () => Date.now() + skew };
  const aliceDevice = new SoftAuthenticator();
  const bobDevice = new SoftAuthenticator();
  // Bob's second passkey, for two confirmations at once.
  const bobPhone = new SoftAuthenticator();
  let aliceCred: string;
  let bobCred: string;
  let bobPhoneCred: string;
  let from: number;
  let txHash = '';
  const acct = (i: number) => chain.accounts[i] as LocalAccount;

  const confirm = (device: SoftAuthenticator, credentialId: string, options: Parameters<SoftAuthenticator['get']>[0]) =>
    device.get(options, { origin: ORIGIN, credentialId });

  before(async () => {
    let deployed: Awaited<ReturnType<typeof deployedChain>>;
    [deployed, core] = await Promise.all([deployedChain(), makeCore('sqlite')]);
    ({ chain, v } = deployed);
    const store = core.store as Store;
    const sessions = new Sessions({ keys: core.keys, store, log: core.log });
    passkeys = new Passkeys({
      store,
      log: core.log,
      keys: core.keys,
      sessions,
      clock,
      config: { rpId: 'play.example.com', rpName: 'Verity test', origins: [ORIGIN] },
    });
    wallets = new CustodialWallets({ store, log: core.log, keys: core.keys, passkeys, contracts: v, clock });
    const tokens = new Tokens(store, core.log);
    const t = await tokens.create({
      principal: 'game',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open'],
      actor: 'operator:test',
    });
    const svc = await tokens.authenticate(t.token);
    alice = await core.vault.subjectRef('alice');
    bob = await core.vault.subjectRef('bob');
    for (const [who, device] of [
      [alice, aliceDevice],
      [bob, bobDevice],
      [bob, bobPhone],
    ] as const) {
      const s = await sessions.open(svc, who, { actor: svc.actor, purpose: 'authentication' });
      const r = { via: 'session' as const, subjectRef: who, sessionId: s.id };
      const reg = await passkeys.register(r, device.create(await passkeys.registrationOptions(r), { origin: ORIGIN }));
      if (device === aliceDevice) aliceCred = reg.id;
      else if (device === bobDevice) bobCred = reg.id;
      else bobPhoneCred = reg.id;
    }
    from = (await core.log.head()).size;
  });
  after(async () => {
    await passkeys?.close();
    await chain?.close();
    await core?.dispose();
  });

  it('creates a player’s wallet once: its key in the key store, its address in the authenticated state', async () => {
    await assert.rejects(
      wallets.stepUp(alice, { kind: 'transfer', tokenId: 1n, to: acct(7).address }),
      code('VERITY_E_WALLET_NOT_FOUND'),
    );
    const w = await wallets.create(alice, 'service:game');
    assert.equal(w.created, true);
    assert.equal(w.address, getAddress(w.address));
    assert.equal((await wallets.create(alice, 'service:game')).created, false);
    assert.equal((await wallets.create(alice, 'service:game')).address, w.address);
    assert.notEqual((await wallets.create(bob, 'service:game')).address, w.address);
    const row = await (core.store as Store).reader.getObject(WALLET_KIND, alice);
    assert.equal(JSON.parse(row?.body ?? '{}').address, w.address);
    aliceWallet = w.address;
    // The platform pays the wallet's gas; here the development chain funds it.
    await chain.public.request({ method: 'hardhat_setBalance', params: [aliceWallet, '0xde0b6b3a7640000'] } as never);
    await v.defineLicence(acct(3), 1n, { commercialUse: false, modification: true, resale: true, uri: 'ar://cbe' });
    ({ tokenId } = await v.mint(acct(2), aliceWallet, acct(6).address, 1n, 500));
  });

  it('hands a good on after the player confirms that transfer with a passkey, once', async () => {
    const action = { kind: 'transfer' as const, tokenId, to: acct(7).address };
    const s = await wallets.stepUp(alice, action);
    assert.equal(s.options.userVerification, 'required');
    assert.deepEqual(
      s.options.allowCredentials?.map((c) => c.id),
      [aliceCred],
    );
    const assertion = confirm(aliceDevice, aliceCred, s.options);
    const r = await wallets.execute(alice, action, assertion, 'service:game');
    assert.equal(r.kind, 'transfer');
    assert.equal(r.kind === 'transfer' && r.receipt.status, 'success');
    assert.equal(r.kind === 'transfer' && getAddress(r.receipt.from), aliceWallet);
    assert.equal(await v.ownerOf(tokenId), acct(7).address);
    if (r.kind === 'transfer') txHash = r.receipt.transactionHash;
    // The same assertion again: its challenge is spent (authenticated state), nothing is signed.
    await assert.rejects(wallets.execute(alice, action, assertion, 'service:game'), code('VERITY_E_WALLET_STEP_UP'));
  });

  it('refuses an assertion for another action, another player’s passkey, and one past the window', async () => {
    // Give the good back to the wallet for this test.
    await v.transfer(acct(7), acct(7).address, aliceWallet, tokenId);
    const toBob = { kind: 'transfer' as const, tokenId, to: acct(8).address };
    const toOther = { kind: 'transfer' as const, tokenId, to: acct(9).address };
    // Confirmed for a transfer to one account, used for a transfer to another.
    const s = await wallets.stepUp(alice, toBob);
    await assert.rejects(
      wallets.execute(alice, toOther, confirm(aliceDevice, aliceCred, s.options), 'service:game'),
      code('VERITY_E_WALLET_STEP_UP'),
    );
    // Bob's passkey cannot confirm Alice's action.
    const s2 = await wallets.stepUp(alice, toBob);
    await assert.rejects(
      wallets.execute(alice, toBob, confirm(bobDevice, bobCred, s2.options), 'service:game'),
      code('VERITY_E_WALLET_STEP_UP'),
    );
    // Past the window (120 s by default).
    const s3 = await wallets.stepUp(alice, toBob);
    const late = confirm(aliceDevice, aliceCred, s3.options);
    skew += 121_000;
    try {
      await assert.rejects(wallets.execute(alice, toBob, late, 'service:game'), code('VERITY_E_WALLET_STEP_UP'));
    } finally {
      skew = 0;
    }
    // Without user verification.
    aliceDevice.uv = false;
    try {
      const s4 = await wallets.stepUp(alice, toBob);
      await assert.rejects(
        wallets.execute(alice, toBob, confirm(aliceDevice, aliceCred, s4.options), 'service:game'),
        code('VERITY_E_WALLET_STEP_UP'),
      );
    } finally {
      aliceDevice.uv = true;
    }
    assert.equal(await v.ownerOf(tokenId), aliceWallet);
    // A player without a wallet: refused, and logged like the other refusals.
    const carol = await core.vault.subjectRef('carol');
    await assert.rejects(
      wallets.execute(carol, toBob, confirm(aliceDevice, aliceCred, s.options), 'service:game'),
      code('VERITY_E_WALLET_NOT_FOUND'),
    );
  });

  it('signs agreement terms the player confirmed; the contract accepts the signature', async () => {
    const platform = acct(5);
    const now = (await chain.public.getBlock()).timestamp;
    const terms = marketplaceTerms(aliceWallet, platform.address, now, 'wallets-test');
    const action = { kind: 'agreement' as const, terms };
    const s = await wallets.stepUp(alice, action);
    assert.equal(s.digest, await v.agreementId(terms));
    const r = await wallets.execute(alice, action, confirm(aliceDevice, aliceCred, s.options), 'service:game');
    assert.ok(r.kind === 'agreement');
    const typed = v.agreementTypedData(terms);
    assert.ok(await verifyTypedData({ address: aliceWallet, ...typed, signature: r.signature }));
    const { id } = await v.createAgreement(platform, terms, r.signature, await platform.signTypedData(typed));
    assert.equal(id, s.digest);
    assert.equal(await v.permits(id, itemId('marketplace'), itemId('inventory')), true);
    // Terms the wallet is no party to are refused before any challenge.
    await assert.rejects(
      wallets.stepUp(alice, { kind: 'agreement', terms: { ...terms, subject: acct(9).address } }),
      code('VERITY_E_INPUT_INVALID'),
    );
  });

  it('a key-store account signs only what its guard allows', async () => {
    const w = await wallets.find(alice);
    assert.ok(w !== undefined);
    let seen = 0;
    const account = keyStoreAccount(core.keys, w.key, w.publicKey, () => {
      seen++;
      throw new Error('not approved');
    });
    await assert.rejects(account.signMessage({ message: 'hello' }), /not approved/);
    assert.equal(seen, 1);
    const open = keyStoreAccount(core.keys, w.key, w.publicKey);
    assert.equal(open.address, aliceWallet);
    const { verifyMessage } = await import('viem');
    assert.ok(
      await verifyMessage({
        address: aliceWallet,
        message: 'hello',
        signature: await open.signMessage({ message: 'hello' }),
      }),
    );
  });

  it("binds each wallet to its player, and pays a transfer's gas within the limits (D298)", async () => {
    const store = core.store as Store;
    const bindings = new AddressBindings(store, core.log, chain.chain.id);
    const base = { store, log: core.log, keys: core.keys, passkeys, contracts: v, clock, bindings };
    const funded = new CustodialWallets({ ...base, gas: { funder: acct(5) } });
    // Bob's wallet was made without bindings: it is bound when it is next asked for.
    const w = await funded.create(bob, 'service:game');
    assert.equal(w.created, false);
    assert.deepEqual(
      (await bindings.addressesOf(bob)).map((b) => [b.address, b.method]),
      [[w.address.toLowerCase(), 'siwe']],
    );
    await funded.create(bob, 'service:game');
    assert.equal((await bindings.addressesOf(bob)).length, 1, 'bound once');
    // A good for Bob's wallet, which holds no coin: the platform pays what the transfer's gas lacks.
    const { tokenId: good } = await v.mint(acct(2), w.address, acct(6).address, 1n, 500);
    assert.equal(await chain.public.getBalance({ address: w.address }), 0n);
    const platformBefore = await chain.public.getBalance({ address: acct(5).address });
    const action = { kind: 'transfer' as const, tokenId: good, to: acct(7).address };
    const s = await funded.stepUp(bob, action);
    const r = await funded.execute(bob, action, confirm(bobDevice, bobCred, s.options), 'service:game');
    assert.equal(r.kind === 'transfer' && r.receipt.status, 'success');
    assert.equal(await v.ownerOf(good), acct(7).address);
    assert.ok((await chain.public.getBalance({ address: acct(5).address })) < platformBefore);
    const paid = JSON.parse((await store.reader.getObject(WALLET_KIND, bob))?.body ?? '{}').gasPaid;
    assert.equal(paid.day, new Date(clock.now()).toISOString().slice(0, 10));
    assert.ok(BigInt(paid.wei) > 0n);
    // Past the day's limit: refused before anything is sent; the good stays.
    const limited = new CustodialWallets({ ...base, gas: { funder: acct(5), maxWeiPerDay: BigInt(paid.wei) } });
    await v.transfer(acct(7), acct(7).address, w.address, good);
    const again = { kind: 'transfer' as const, tokenId: good, to: acct(8).address };
    const s2 = await limited.stepUp(bob, again);
    await assert.rejects(
      limited.execute(bob, again, confirm(bobDevice, bobCred, s2.options), 'service:game'),
      code('VERITY_E_CHAIN_NO_FUNDS'),
    );
    assert.equal(await v.ownerOf(good), w.address);
  });

  it('logs every signature and every refusal, naming no player, address or transaction', async () => {
    const entries = (await core.log.entries(from, (await core.log.head()).size)).map((e) =>
      new TextDecoder().decode(e),
    );
    const wallet = entries.filter((e) => e.includes('"wallet.'));
    const sign = wallet.filter((e) => e.includes('"wallet.sign"'));
    // Two confirmed actions, and the two transfers of the gas test (the second confirmed, then failed
    // for want of gas: an error entry with its code).
    assert.equal(sign.filter((e) => e.includes('"outcome":"success"')).length, 4);
    assert.ok(sign.some((e) => e.includes('"outcome":"error"') && e.includes('VERITY_E_CHAIN_NO_FUNDS')));
    assert.ok(sign.filter((e) => e.includes('"outcome":"denied"')).length >= 5);
    assert.ok(sign.some((e) => e.includes('VERITY_E_PASSKEY_CHALLENGE')));
    assert.ok(sign.some((e) => e.includes('VERITY_E_WALLET_NOT_FOUND')));
    assert.equal(wallet.filter((e) => e.includes('"wallet.create"')).length, 2);
    const text = entries.join('\n').toLowerCase();
    assert.ok(txHash.length === 66);
    assert.ok(text.includes('wallet.fund'), 'the gas paid is logged');
    for (const secret of [aliceWallet, alice, bob, 'alice', 'carol', aliceCred, txHash])
      assert.ok(!text.includes(secret.toLowerCase()), `the log names ${secret}`);
  });

  it("holds transfers at once to the day's gas limit together, not each to its own (D322)", async () => {
    const store = core.store as Store;
    const w = await wallets.find(bob);
    assert.ok(w !== undefined);
    // Two goods in Bob's wallet, which holds no coin: each transfer needs a top-up.
    const goods = [
      (await v.mint(acct(2), w.address, acct(6).address, 1n, 500)).tokenId,
      (await v.mint(acct(2), w.address, acct(6).address, 1n, 500)).tokenId,
    ];
    await chain.public.request({ method: 'hardhat_setBalance', params: [w.address, '0x0'] } as never);
    // What one top-up pays, as the client reckons it; the day's limit leaves room for one and a half.
    const call = v.transferCall(w.address, acct(8).address, goods[0] as bigint);
    const gas = await chain.public.estimateContractGas({ account: w.address, ...call } as never);
    const fees = await chain.public.estimateFeesPerGas();
    const one = ((gas * 120n) / 100n) * (fees.maxFeePerGas ?? 0n);
    const spentBefore = BigInt(JSON.parse((await store.reader.getObject(WALLET_KIND, bob))?.body ?? '{}').gasPaid.wei);
    const limit = spentBefore + (one * 3n) / 2n;
    const store2 = { store, log: core.log, keys: core.keys, passkeys, contracts: v, clock };
    const limited = new CustodialWallets({ ...store2, gas: { funder: acct(5), maxWeiPerDay: limit } });
    const actions = goods.map((tokenId) => ({ kind: 'transfer' as const, tokenId, to: acct(8).address }));
    const steps = await Promise.all(actions.map((a) => limited.stepUp(bob, a)));
    // Each confirmed by its own passkey, so that neither waits for the other's.
    const answers = steps.map((s, i) =>
      i === 0 ? confirm(bobDevice, bobCred, s.options) : confirm(bobPhone, bobPhoneCred, s.options),
    );
    const results = await Promise.allSettled(
      actions.map((a, i) => limited.execute(bob, a, answers[i] as never, 'service:game')),
    );
    const spent = BigInt(JSON.parse((await store.reader.getObject(WALLET_KIND, bob))?.body ?? '{}').gasPaid.wei);
    assert.ok(spent <= limit, `paid ${spent - spentBefore} wei at once, over the ${limit - spentBefore} left`);
    assert.equal(
      results.filter((r) => r.status === 'fulfilled').length,
      1,
      `one transfer paid for: ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; ')}`,
    );
    // Bob's wallet sent a transfer before (the test above): this one is signed under its own
    // confirmation, not refused by the earlier action's guard (D322).
    const sent = goods.filter((_g, i) => results[i]?.status === 'fulfilled');
    assert.equal(await v.ownerOf(sent[0] as bigint), acct(8).address);
    const refused = results.find((r) => r.status === 'rejected');
    assert.ok(refused?.status === 'rejected' && isVerityError(refused.reason, 'VERITY_E_CHAIN_NO_FUNDS'));
  });
});
