// Digital assets through the HTTP API (D301), on the in-process chain: licences defined and a shop
// registered commercial (`chain.license`), an ERC-721 good minted with its creation's provenance
// digest and an ERC-1155 item created and minted (`chain.mint`), units transferred, a transfer to
// the shop its licence forbids refused, units rented by ERC-5006 (`chain.trade`), all read back from
// Verity's index with proofs; a token without the capability refused; every action logged without
// an address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalAccount } from 'viem';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import {
  ChainClient,
  ChainIndexer,
  ChainState,
  deployContracts,
  Editions,
  provenanceBytes32,
  VerityContracts,
} from '../src/chain/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('digital assets over HTTP', () => {
  let chain: ChainClient;
  let core: TestCore;
  let v: VerityContracts;
  let state: ChainState;
  let indexer: ChainIndexer;
  let app: ReturnType<typeof buildServer>;
  const tokens: Record<string, string> = {};
  const acct = (i: number) => chain.accounts[i] as LocalAccount;
  const provenance = `sha256:${Buffer.alloc(32, 7).toString('base64url')}`;

  const post = async (token: string, url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> & { error?: { code: string } } };
  };

  before(async () => {
    chain = await ChainClient.inProcess();
    core = await makeCore('sqlite');
    v = new VerityContracts(
      chain,
      await deployContracts(chain, { admin: acct(0), anchorer: acct(1), minter: acct(2), licensor: acct(3) }),
    );
    state = new ChainState(core.store, core.log, chain.chain.id);
    indexer = new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 });
    const t = new Tokens(core.store, core.log);
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: t,
        sessions: new Sessions({ keys: core.keys, store: core.store, log: core.log }),
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
      },
      chain: { state, contracts: v, indexer, sender: acct(5), minter: acct(2), licensor: acct(3) },
    });
    await app.ready();
    for (const [name, role, capabilities] of [
      ['studio', 'service', ['chain.mint', 'chain.trade']],
      ['ops', 'operator', ['chain.license']],
      ['reader', 'service', ['chain.read']],
    ] as const)
      tokens[name] = (
        await t.create({
          principal: name,
          role,
          recordTypes: [],
          capabilities: [...capabilities],
          actor: 'operator:test',
        })
      ).token;
  });
  after(async () => {
    await app?.close();
    await core?.dispose();
    await chain?.close();
  });

  it('defines licences, mints and trades goods and items, each refused without its capability', async () => {
    const from = (await core.log.head()).size;
    for (const contract of ['goods', 'editions'])
      assert.equal(
        (
          await post(tokens['ops'] as string, '/v1/chain/licences', {
            contract,
            licenceId: '1',
            commercialUse: false,
            modification: true,
            resale: true,
            uri: 'ar://cbe-personal',
          })
        ).status,
        201,
      );
    const shop = acct(8).address;
    assert.equal(
      (
        await post(tokens['ops'] as string, '/v1/chain/commercial-accounts', {
          contract: 'editions',
          account: shop,
          commercial: true,
        })
      ).status,
      200,
    );
    // The studio mints; it was not granted licences, and the reader nothing but reads.
    const denied = await post(tokens['studio'] as string, '/v1/chain/licences', {
      contract: 'goods',
      licenceId: '2',
      commercialUse: true,
      modification: true,
      resale: true,
      uri: 'ar://x',
    });
    assert.equal(denied.body.error?.code, 'VERITY_E_ACCESS_DENIED');
    const good = await post(tokens['studio'] as string, '/v1/chain/goods', {
      to: acct(5).address,
      creator: acct(6).address,
      licenceId: '1',
      royaltyBps: 500,
      provenance,
    });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    assert.equal(
      (
        await post(tokens['reader'] as string, '/v1/chain/goods', {
          to: acct(5).address,
          creator: acct(6).address,
          licenceId: '1',
          royaltyBps: 0,
        })
      ).body.error?.code,
      'VERITY_E_ACCESS_DENIED',
    );
    const item = await post(tokens['studio'] as string, '/v1/chain/editions', {
      creator: acct(6).address,
      licenceId: '1',
      royaltyBps: 250,
      maxSupply: '10',
      provenance,
    });
    assert.equal(item.status, 201, JSON.stringify(item.body));
    const id = item.body['tokenId'] as string;
    assert.equal(
      (await post(tokens['studio'] as string, `/v1/chain/editions/${id}/mint`, { to: acct(5).address, amount: '6' }))
        .status,
      200,
    );
    // Past the maximum supply: refused by the contract, nothing minted.
    assert.equal(
      (await post(tokens['studio'] as string, `/v1/chain/editions/${id}/mint`, { to: acct(5).address, amount: '5' }))
        .status,
      422,
    );
    assert.equal(
      (
        await post(tokens['studio'] as string, `/v1/chain/editions/${id}/transfer`, {
          from: acct(5).address,
          to: acct(4).address,
          amount: '2',
        })
      ).status,
      200,
    );
    // The licence has no commercial use: units never reach the registered shop.
    const refused = await post(tokens['studio'] as string, `/v1/chain/editions/${id}/transfer`, {
      from: acct(5).address,
      to: shop,
      amount: '1',
    });
    assert.equal(refused.body.error?.code, 'VERITY_E_CHAIN_LICENCE_REFUSED');
    const until = String((await chain.public.getBlock()).timestamp + 3600n);
    const rented = await post(tokens['studio'] as string, `/v1/chain/editions/${id}/rent`, {
      owner: acct(5).address,
      user: acct(7).address,
      amount: '1',
      expires: until,
    });
    assert.equal(rented.status, 201, JSON.stringify(rented.body));

    // Verity's index of what was done, with proofs.
    await indexer.sync();
    const g = await state.good(good.body['tokenId'] as string);
    assert.equal(g.value.owner, acct(5).address.toLowerCase());
    assert.equal(g.value.provenance, provenanceBytes32(provenance));
    const e = await state.edition(id, acct(5).address);
    assert.equal(e.value.supply, '6');
    assert.equal(e.value.provenance, provenanceBytes32(provenance));
    assert.equal(await Editions.of(v).balanceOf(acct(4).address, BigInt(id)), 2n);
    assert.equal((await state.commercial(Editions.of(v).address, shop)).value?.commercial, true);

    // Every action and refusal in the log; no address.
    const text = (await core.log.entries(from, (await core.log.head()).size))
      .map((x) => new TextDecoder().decode(x))
      .join('\n')
      .toLowerCase();
    for (const a of ['chain.license', 'chain.mint', 'chain.transfer', 'chain.rent'])
      assert.ok(text.includes(`"${a}"`), a);
    assert.ok(text.includes('verity_e_chain_licence_refused'));
    for (const i of [4, 5, 6, 7, 8]) assert.ok(!text.includes(acct(i).address.slice(2).toLowerCase()), `address ${i}`);
  });
});
