// The trade of FGMV-46 7.2.2 and 7.2.4 end to end through the HTTP API, on both chains (the
// in-process EVM, and a `hardhat node` on loopback started here, one for the file): a player binds
// their address (EIP-4361), the player and a platform sign a data-sharing agreement (EIP-712) that
// the server submits; the platform's token, granted reads under agreement only, reads the player's
// record; a licensed good is transferred with its royalty information readable, a transfer its
// licence forbids is refused; the platform revokes the agreement on chain and the next read through
// `/v1/records/...` is refused; the log's checkpoint is anchored and checked from the chain. Every
// action is in the log, and no player address is.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { keccak256, type LocalAccount, toBytes } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import {
  AddressBindings,
  type AgreementTerms,
  ChainClient,
  ChainIndexer,
  type ChainProofs,
  ChainState,
  deployContracts,
  devAccounts,
  itemId,
  VerityContracts,
  VirtualGoods,
  verifyChainProofs,
} from '../src/chain/index.ts';
import { verifyCheckpoint } from '../src/note/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { ChainReader } from '../src/sdk/chain.ts';
import { buildServer } from '../src/server/index.ts';
import { type LoopbackNode, startLoopbackNode } from './helpers/chain-node.ts';
import { tradeAccounts } from './helpers/chain-trade.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

interface Rig {
  chain: ChainClient;
  core: TestCore;
  v: VerityContracts;
  indexer: ChainIndexer;
  app: ReturnType<typeof buildServer>;
  unnamed: ReturnType<typeof buildServer>;
  tokens: Record<'world' | 'partner' | 'trader' | 'ops', string>;
  close(): Promise<void>;
}

/** Accounts: 0 admin, 1 anchorer, 2 minter, 3 licensor, 4 player, 5 platform (the server's), 6 creator, 7 other, 8 shop. */
async function rig(chain: ChainClient): Promise<Rig> {
  const acct = (i: number) => chain.accounts[i] as LocalAccount;
  const core = await makeCore('sqlite');
  const v = new VerityContracts(
    chain,
    await deployContracts(chain, { admin: acct(0), anchorer: acct(1), minter: acct(2), licensor: acct(3) }),
  );
  const indexer = new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 });
  const t = new Tokens(core.store, core.log);
  const state = new ChainState(core.store, core.log, chain.chain.id);
  const records = {
    vault: core.vault,
    tokens: t,
    sessions: new Sessions({ keys: core.keys, store: core.store, log: core.log }),
    policies: () => PolicyEngine.load(DEFAULT_POLICIES),
  };
  const chainRoutes = {
    state,
    contracts: v,
    anchorer: acct(1),
    sender: acct(5),
    indexer,
    bindings: new AddressBindings(core.store, core.log, chain.chain.id),
  };
  const app = buildServer({ log: core.log, records, chain: { ...chainRoutes, siweDomain: 'play.example.com' } });
  // The same server naming no domain for EIP-4361 messages (D415).
  const unnamed = buildServer({ log: core.log, records, chain: chainRoutes });
  await app.ready();
  await unnamed.ready();
  const make = async (name: string, input: Omit<Parameters<Tokens['create']>[0], 'principal' | 'actor'>) =>
    (await t.create({ principal: name, actor: 'operator:test', ...input })).token;
  const tokens: Record<'world' | 'partner' | 'trader' | 'ops', string> = {
    world: await make('world', { role: 'service', recordTypes: ['inventory'], capabilities: ['session.open'] }),
    partner: await make('partner', {
      role: 'service',
      capabilities: ['records.under-agreement'],
      agreementRecipient: acct(5).address,
    }),
    trader: await make('trader', {
      role: 'service',
      capabilities: ['chain.agree', 'chain.trade', 'chain.revoke', 'chain.read'],
    }),
    ops: await make('ops', { role: 'operator', capabilities: ['chain.anchor', 'chain.read'] }),
  };
  return {
    chain,
    core,
    v,
    indexer,
    app,
    unnamed,
    tokens,
    async close() {
      await unnamed.close();
      await app.close();
      await core.dispose();
    },
  };
}

async function trade(r: Rig): Promise<void> {
  const { app, v, indexer, core, tokens } = r;
  const { licensor, minter, player, platform, creator, other, shop } = tradeAccounts(r.chain);
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, json: res.json() as Record<string, unknown>, body: res.body };
  };
  const code = (x: { json: Record<string, unknown> }) => (x.json.error as { code?: string } | undefined)?.code;
  const reason = (x: { json: Record<string, unknown> }) =>
    (x.json.error as { details?: { reason?: string } }).details?.reason;
  const logFrom = (await core.log.head()).size;

  // A world service keeps the player's inventory; the partner platform reads it only under agreement.
  const put = await call('POST', '/v1/records', tokens.world, {
    subject: 'player-7',
    type: 'inventory',
    purpose: 'service-provision',
    data: { sword: 1 },
    classification: { category: 'profile' },
  });
  assert.equal(put.status, 201, put.body);
  const readUrl = `/v1/records/${put.json.id}?purpose=service-provision`;
  const before = await call('GET', readUrl, tokens.partner);
  assert.equal(before.status, 403, before.body);
  assert.equal(code(before), 'VERITY_E_AGREEMENT_REQUIRED');
  assert.equal(reason(before), 'no-agreement');

  // 1. The player binds their address in their session: an EIP-4361 message over Verity's nonce.
  const session = await call('POST', '/v1/sessions', tokens.world, { player: 'player-7', purpose: 'authentication' });
  assert.equal(session.status, 201, session.body);
  const playerToken = session.json.token as string;
  const nonce = await call('POST', '/v1/chain/addresses/nonce', playerToken);
  assert.equal(nonce.status, 201, nonce.body);
  assert.equal(nonce.json.domain, 'play.example.com');
  // The domain is the server's, whatever Host the caller sends (D415).
  const spoofed = await app.inject({
    method: 'POST',
    url: '/v1/chain/addresses/nonce',
    headers: { authorization: `Bearer ${playerToken}`, host: 'evil.example' },
  });
  assert.equal(spoofed.statusCode, 201, spoofed.body);
  assert.equal(spoofed.json().domain, 'play.example.com');
  // Without one, no nonce: the caller's Host header is no domain to bind under.
  const none = await r.unnamed.inject({
    method: 'POST',
    url: '/v1/chain/addresses/nonce',
    headers: { authorization: `Bearer ${playerToken}`, host: 'evil.example' },
  });
  assert.equal(none.statusCode, 503, none.body);
  assert.equal(none.json().error.code, 'VERITY_E_CHAIN_SIWE_DOMAIN_UNSET');
  const message = createSiweMessage({
    address: player.address,
    chainId: r.chain.chain.id,
    domain: 'play.example.com',
    nonce: nonce.json.nonce as string,
    uri: 'https://play.example.com/wallet',
    version: '1',
    issuedAt: new Date(),
    statement: 'Bind this address to my Verity account.',
  });
  const signature = await player.signMessage({ message });
  const bound = await call('POST', '/v1/chain/addresses', playerToken, { address: player.address, message, signature });
  assert.equal(bound.status, 201, bound.body);
  const replay = await call('POST', '/v1/chain/addresses', playerToken, {
    address: player.address,
    message,
    signature,
  });
  assert.equal(code(replay), 'VERITY_E_CHAIN_BINDING_INVALID');
  assert.equal(code(await call('POST', '/v1/chain/addresses/nonce', tokens.world)), 'VERITY_E_ACCESS_DENIED');
  const mine = await call('GET', '/v1/chain/addresses', playerToken);
  assert.deepEqual(
    (mine.json.addresses as { address: string }[]).map((a) => a.address),
    [player.address.toLowerCase()],
  );
  verifyChainProofs(mine.json.evidence as ChainProofs, core.log.verifier, core.log.origin);

  // 2. The player and the platform sign the agreement (EIP-712); the server submits it.
  const now = (await r.chain.public.getBlock()).timestamp;
  const terms: AgreementTerms = {
    subject: player.address,
    recipient: platform.address,
    purposes: [itemId('service-provision')],
    categories: [itemId('profile')],
    expiry: now + 86_400n,
    conditionsHash: keccak256(toBytes('marketplace conditions v1')),
    salt: keccak256(toBytes('http-trade')),
  };
  const typed = v.agreementTypedData(terms);
  const recipientSignature = await platform.signTypedData(typed);
  const submit = (subjectSignature: string) =>
    call('POST', '/v1/chain/agreements', tokens.trader, {
      terms: {
        subject: player.address,
        recipient: platform.address,
        purposes: ['service-provision'],
        categories: ['profile'],
        expiry: String(terms.expiry),
        conditionsHash: terms.conditionsHash,
        salt: terms.salt,
      },
      subjectSignature,
      recipientSignature,
    });
  // A signature by someone else than the subject is refused by the contract.
  assert.equal(code(await submit(await other.signTypedData(typed))), 'VERITY_E_CHAIN_AGREEMENT_INVALID');
  const agreed = await submit(await player.signTypedData(typed));
  assert.equal(agreed.status, 201, agreed.body);
  assert.equal(agreed.json.id, await v.agreementId(terms));
  await indexer.sync();

  // The partner reads under the agreement, for the purpose and category it covers only.
  const read = await call('GET', readUrl, tokens.partner);
  assert.equal(read.status, 200, read.body);
  assert.deepEqual(read.json.data, { sword: 1 });
  const other1 = await call('GET', `/v1/records/${put.json.id}?purpose=analytics`, tokens.partner);
  assert.equal(code(other1), 'VERITY_E_AGREEMENT_REQUIRED');
  assert.equal(reason(other1), 'not-covered');
  const listed = await call('POST', '/v1/records/query', tokens.partner, {
    subject: 'player-7',
    purpose: 'service-provision',
  });
  assert.equal(listed.status, 200, listed.body);
  assert.equal((listed.json as unknown as unknown[]).length, 1);

  // 3. A licensed good (personal use, resale allowed) through the server's account, approved by its holders.
  await v.defineLicence(licensor, 1n, {
    commercialUse: false,
    modification: true,
    resale: true,
    uri: 'ar://cbe-personal',
  });
  await v.setCommercial(licensor, shop.address, true);
  const { tokenId } = await v.mint(minter, creator.address, creator.address, 1n, 750);
  for (const holder of [creator, player])
    await r.chain.write(holder, {
      address: v.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'setApprovalForAll',
      args: [platform.address, true],
    });
  const sold = await call('POST', `/v1/chain/goods/${tokenId}/transfer`, tokens.trader, {
    from: creator.address,
    to: player.address,
  });
  assert.equal(sold.status, 200, sold.body);
  // A sale the licence forbids (to a commercial account) is refused and changes nothing.
  const refused = await call('POST', `/v1/chain/goods/${tokenId}/transfer`, tokens.trader, {
    from: player.address,
    to: shop.address,
  });
  assert.equal(refused.status, 403, refused.body);
  assert.equal(code(refused), 'VERITY_E_CHAIN_LICENCE_REFUSED');
  const expires = String((await r.chain.public.getBlock()).timestamp + 3600n);
  const rented = await call('POST', `/v1/chain/goods/${tokenId}/rent`, tokens.trader, { user: other.address, expires });
  assert.equal(rented.status, 200, rented.body);
  assert.equal(
    code(await call('POST', `/v1/chain/goods/${tokenId}/rent`, tokens.partner, { user: other.address, expires })),
    'VERITY_E_ACCESS_DENIED',
  );
  await indexer.sync();
  const good = await call('GET', `/v1/chain/goods/${tokenId}`, tokens.trader);
  assert.equal(good.status, 200, good.body);
  const g = good.json.good as { owner: string; creator: string; royaltyBps: number; user: string };
  assert.equal(g.owner, player.address.toLowerCase());
  assert.equal(g.creator, creator.address.toLowerCase());
  assert.equal(g.royaltyBps, 750);
  assert.equal(g.user, other.address.toLowerCase());
  assert.equal((good.json.licence as { resale: boolean }).resale, true);
  verifyChainProofs(good.json.evidence as ChainProofs, core.log.verifier, core.log.origin);
  assert.deepEqual(await v.royaltyInfo(tokenId, 1_000_000n), { receiver: creator.address, amount: 75_000n });

  // The SDK's chain reader checks what it reads against the pinned log key, through the same API.
  let lie = false;
  const injectFetch: typeof fetch = async (input, init) => {
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET' | 'POST',
      url: String(input).replace('http://verity.test', ''),
      headers: init?.headers as Record<string, string>,
      ...(init?.body === undefined ? {} : { payload: String(init.body) }),
    });
    // A server that lies about a good's royalty, with the honest proof.
    const text = lie ? res.body.replace('"royaltyBps":750', '"royaltyBps":0') : res.body;
    return new Response(text, { status: res.statusCode, headers: { 'content-type': 'application/json' } });
  };
  const reader = (token: string) =>
    new ChainReader({ url: 'http://verity.test', token, verifierKey: core.log.verifierKey, fetch: injectFetch });
  const sdk = reader(tokens.trader);
  assert.equal((await sdk.good(tokenId)).value.royaltyBps, 750);
  lie = true;
  await assert.rejects(sdk.good(tokenId), (e) => (e as { code?: string }).code === 'VERITY_E_STATE_PROOF_INVALID');
  lie = false;
  assert.equal((await sdk.agreement(agreed.json.id as string)).value.revoked, false);
  const q = { subject: player.address, recipient: platform.address, purpose: 'service-provision', category: 'profile' };
  assert.equal((await sdk.check(q)).allowed, true);

  // 4. The platform (a party) revokes on chain; the next read through /v1/records is refused.
  const revoked = await call('POST', `/v1/chain/agreements/${agreed.json.id}/revoke`, tokens.trader);
  assert.equal(revoked.status, 200, revoked.body);
  await indexer.sync();
  const after = await call('GET', readUrl, tokens.partner);
  assert.equal(after.status, 403, after.body);
  assert.equal(code(after), 'VERITY_E_AGREEMENT_REQUIRED');
  assert.equal(reason(after), 'revoked');
  assert.deepEqual((await sdk.check(q)).allowed, false);

  // 5. The log's checkpoint anchored, and checked from the chain and from the index.
  await assert.rejects(sdk.anchorNow(), (e) => (e as { code?: string }).code === 'VERITY_E_ACCESS_DENIED');
  const anchored = { json: (await reader(tokens.ops).anchorNow()) as unknown as Record<string, unknown> };
  const { checkpoint } = verifyCheckpoint(await core.log.checkpoint(), core.log.verifier, core.log.origin);
  assert.ok(
    checkpoint.size > (anchored.json.treeSize as number),
    'the anchoring entry came after the anchored checkpoint',
  );
  const onChain = await v.verifyAnchored({
    origin: core.log.origin,
    size: anchored.json.treeSize as number,
    rootHash: Buffer.from((anchored.json.rootHash as string).slice(2), 'hex'),
    extensions: [],
  });
  assert.equal(onChain.treeSize, anchored.json.treeSize);
  await indexer.sync();
  const indexed = await call(
    'GET',
    `/v1/chain/anchors/${anchored.json.originHash}/${anchored.json.treeSize}`,
    tokens.ops,
  );
  assert.equal((indexed.json.anchor as { rootHash: string }).rootHash, anchored.json.rootHash);

  // Every action in the log; no address of a party in it.
  const text = (await core.log.entries(logFrom, (await core.log.head()).size))
    .map((b) => new TextDecoder().decode(b))
    .join('\n');
  for (const a of ['chain.bind', 'chain.agreement', 'chain.transfer', 'chain.rent', 'chain.revoke', 'chain.anchor'])
    assert.ok(text.includes(`"action":"${a}"`), a);
  assert.ok(text.includes('"outcome":"error"'), 'the refused transfer is logged');
  assert.ok(text.includes('"agreement":"revoked"'), 'the refused read is logged with its reason');
  for (const a of [player, platform, creator, other, shop])
    for (const form of [a.address, a.address.toLowerCase(), a.address.slice(2).toLowerCase()])
      assert.ok(!text.includes(form), `an address reached the log: ${form}`);
}

describe('a licensed trade under a data-sharing agreement through the HTTP API', () => {
  let node: LoopbackNode | undefined;
  const rigs: Rig[] = [];
  after(async () => {
    for (const x of rigs) await x.close();
    for (const x of rigs) await x.chain.close();
    await node?.stop();
  });

  it('on the in-process chain', async () => {
    const [chain, started] = await Promise.all([ChainClient.inProcess(), startLoopbackNode()]);
    node = started;
    rigs.push(await rig(chain));
    await trade(rigs[0] as Rig);
  });

  it('`verity chain` reads and checks through a server with a token, every answer verified', async () => {
    const r = rigs[0] as Rig;
    const address = await r.app.listen({ host: '127.0.0.1', port: 0 });
    const player = (r.chain.accounts[4] as LocalAccount).address;
    const platform = (r.chain.accounts[5] as LocalAccount).address;
    const verity = (...args: string[]) =>
      promisify(execFile)(join(import.meta.dirname, '..', 'bin', 'verity'), ['chain', ...args, '--url', address], {
        env: { ...process.env, VERITY_TOKEN: r.tokens.trader, VERITY_LOG_KEY: r.core.log.verifierKey },
      }).then(
        (x) => ({ code: 0, out: x.stdout }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const good = await verity('good', '--token-id', '1');
    assert.equal(good.code, 0, good.out);
    assert.equal((JSON.parse(good.out) as { verified: boolean; value: { royaltyBps: number } }).value.royaltyBps, 750);
    // The agreement was revoked: the check says no, exit 1.
    const check = await verity(
      'check',
      ...['--subject', player, '--recipient', platform, '--purpose', 'service-provision', '--category', 'profile'],
    );
    assert.equal(check.code, 1, check.out);
    assert.equal((JSON.parse(check.out) as { reason: string }).reason, 'revoked');
    const status = await verity(
      'status',
      '--key',
      await makeCore('sqlite').then(async (c) => {
        const k = c.log.verifierKey;
        await c.dispose();
        return k;
      }),
    );
    // Another log's key: the answer does not verify.
    assert.equal(status.code, 1, status.out);
    assert.match(status.out, /VERITY_E_LOG_SIGNATURE_INVALID|VERITY_E_STATE_PROOF_INVALID|VERITY_E_LOG_/);
  });

  it('on a JSON-RPC node on loopback', async () => {
    assert.ok(node);
    rigs.push(await rig(await ChainClient.connect(node.url, devAccounts(10), { pollingMs: 5 })));
    await trade(rigs[1] as Rig);
  });
});
