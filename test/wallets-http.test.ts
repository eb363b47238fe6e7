// Custodial wallets over HTTP: capabilities granted explicitly (`wallet.create`, `wallet.sign`), a
// player's own session for its own wallet, the step-up's options and typed data, a transfer signed
// and mined after the player's assertion, and the refusals (no capability, a replayed assertion).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getAddress, type LocalAccount } from 'viem';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { type ChainClient, deployContracts, type VerityContracts } from '../src/chain/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import type { Store } from '../src/store/index.ts';
import { CustodialWallets } from '../src/wallets/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { deployedChain } from './helpers/chain-trade.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const ORIGIN = 'https://play.example.com';

describe('custodial wallets over HTTP', () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let passkeys: Passkeys;
  const tokens: Record<string, string> = {};
  const device = new SoftAuthenticator();
  let credId: string;
  const acct = (i: number) => chain.accounts[i] as LocalAccount;

  before(async () => {
    let deployed: Awaited<ReturnType<typeof deployedChain>>;
    [deployed, core] = await Promise.all([deployedChain(), makeCore('sqlite')]);
    ({ chain, v } = deployed);
    const store = core.store as Store;
    const sessions = new Sessions({ keys: core.keys, store, log: core.log });
    const t = new Tokens(store, core.log);
    passkeys = new Passkeys({
      store,
      log: core.log,
      keys: core.keys,
      sessions,
      config: { rpId: 'play.example.com', rpName: 'Verity test', origins: [ORIGIN] },
    });
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens: t, sessions, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      wallets: new CustodialWallets({ store, log: core.log, keys: core.keys, passkeys, contracts: v }),
    });
    await app.ready();
    const make = async (name: string, capabilities: string[]) =>
      (await t.create({ principal: name, role: 'service', recordTypes: [], capabilities, actor: 'operator:test' }))
        .token;
    tokens.creator = await make('onboarding', ['wallet.create', 'session.open']);
    tokens.signer = await make('market', ['wallet.sign']);
    tokens.none = await make('other', []);
    const svc = await t.authenticate(tokens.creator);
    const alice = await core.vault.subjectRef('alice');
    const s = await sessions.open(svc, alice, { actor: svc.actor, purpose: 'authentication' });
    tokens.alice = s.token;
    const r = { via: 'session' as const, subjectRef: alice, sessionId: s.id };
    credId = (await passkeys.register(r, device.create(await passkeys.registrationOptions(r), { origin: ORIGIN }))).id;
  });
  after(async () => {
    await app?.close();
    await passkeys?.close();
    await chain?.close();
    await core?.dispose();
  });

  const call = async (url: string, token: string, payload: unknown) => {
    const r = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}` },
      payload: payload as object,
    });
    return { status: r.statusCode, json: r.json() as Record<string, any> };
  };
  const codeOf = (r: { json: Record<string, any> }) => r.json.error?.code;

  it('creates a wallet for a service granted `wallet.create`, or for the player’s own session', async () => {
    const denied = await call('/v1/wallets/custodial', tokens.none as string, { player: 'alice' });
    assert.equal(denied.status, 403);
    assert.equal(codeOf(denied), 'VERITY_E_ACCESS_DENIED');
    assert.match(denied.json.error.message, /--capability wallet\.create/);
    // The signer's capability is not the creator's.
    assert.equal((await call('/v1/wallets/custodial', tokens.signer as string, { player: 'alice' })).status, 403);
    const made = await call('/v1/wallets/custodial', tokens.creator as string, { player: 'alice' });
    assert.equal(made.status, 201);
    assert.equal(made.json.created, true);
    const own = await call('/v1/wallets/custodial', tokens.alice as string, {});
    assert.equal(own.status, 201);
    assert.deepEqual(own.json, { address: made.json.address, created: false });
    // A player names no other player.
    assert.equal((await call('/v1/wallets/custodial', tokens.alice as string, { player: 'bob' })).status, 403);
  });

  it('signs and sends a transfer after the step-up, once', async () => {
    const wallet = getAddress((await call('/v1/wallets/custodial', tokens.alice as string, {})).json.address as string);
    await chain.public.request({ method: 'hardhat_setBalance', params: [wallet, '0xde0b6b3a7640000'] } as never);
    await v.defineLicence(acct(3), 1n, { commercialUse: false, modification: true, resale: true, uri: 'ar://cbe' });
    const { tokenId } = await v.mint(acct(2), wallet, acct(6).address, 1n, 0);
    const action = { kind: 'transfer', tokenId: tokenId.toString(), to: acct(7).address };
    assert.equal(
      (await call('/v1/wallets/custodial/step-up', tokens.none as string, { player: 'alice', action })).status,
      403,
    );
    const bad = await call('/v1/wallets/custodial/step-up', tokens.signer as string, {
      player: 'alice',
      action: { kind: 'transfer', tokenId: '-1', to: acct(7).address },
    });
    assert.equal(bad.status, 400);
    const s = await call('/v1/wallets/custodial/step-up', tokens.signer as string, { player: 'alice', action });
    assert.equal(s.status, 200);
    assert.equal(s.json.typedData.primaryType, 'Call');
    assert.equal(s.json.typedData.message.from, wallet);
    const credential = device.get(s.json.options as never, { origin: ORIGIN, credentialId: credId });
    const signed = await call('/v1/wallets/custodial/sign', tokens.signer as string, {
      player: 'alice',
      action,
      credential,
    });
    assert.equal(signed.status, 201, JSON.stringify(signed.json));
    assert.equal(signed.json.kind, 'transfer');
    assert.equal(signed.json.digest, s.json.digest);
    assert.equal(await v.ownerOf(tokenId), acct(7).address);
    const again = await call('/v1/wallets/custodial/sign', tokens.signer as string, {
      player: 'alice',
      action,
      credential,
    });
    assert.equal(again.status, 403);
    assert.equal(codeOf(again), 'VERITY_E_WALLET_STEP_UP');
  });
});
