// Verity's view of the chain over HTTP (`app.inject()`, the in-process EVM, SQLite): agreements,
// goods and anchors read from the authenticated state with their proofs and transactions, checked
// by the caller; the agreement check before and after a revocation; anchoring on demand; tokens
// without the capability refused, every decision logged.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256, type LocalAccount, toBytes } from 'viem';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import {
  type AgreementTerms,
  ChainClient,
  ChainIndexer,
  type ChainProofs,
  ChainState,
  deployContracts,
  Editions,
  itemId,
  originHash,
  VerityContracts,
  verifyChainProofs,
} from '../src/chain/index.ts';
import { chainFrom } from '../src/cli/chain.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('chain over HTTP', () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let indexer: ChainIndexer;
  const tokens: Record<string, string> = {};
  const acct = (i: number) => chain.accounts[i] as LocalAccount;

  before(async () => {
    [chain, core] = await Promise.all([ChainClient.inProcess(), makeCore('sqlite')]);
    v = new VerityContracts(
      chain,
      await deployContracts(chain, { admin: acct(0), anchorer: acct(1), minter: acct(2), licensor: acct(3) }),
    );
    indexer = new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 });
    const t = new Tokens(core.store, core.log);
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens: t, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      chain: { state: new ChainState(core.store, core.log, chain.chain.id), contracts: v, anchorer: acct(1), indexer },
    });
    await app.ready();
    const make = async (name: string, role: 'service' | 'operator' | 'auditor', capabilities: string[]) =>
      (await t.create({ principal: name, role, recordTypes: [], capabilities, actor: 'operator:test' })).token;
    tokens.reader = await make('world', 'service', ['chain.read']);
    tokens.none = await make('other', 'service', []);
    tokens.operator = await make('ops', 'operator', ['chain.anchor', 'chain.read']);
    tokens.plainOperator = await make('ops2', 'operator', ['chain.read']);
  });
  after(async () => {
    await app?.close();
    await chain?.close();
    await core?.dispose();
  });

  const call = async (method: 'GET' | 'POST', url: string, token: string | undefined, payload?: unknown) => {
    const r = await app.inject({
      method,
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: r.statusCode, json: r.json() as Record<string, unknown> };
  };
  const checked = (evidence: unknown) => verifyChainProofs(evidence as ChainProofs, core.log.verifier, core.log.origin);

  it('reads an agreement, a good and an anchor with their proofs and transactions; checks an agreement', async () => {
    await v.defineLicence(acct(3), 7n, {
      commercialUse: true,
      modification: true,
      resale: true,
      uri: 'ar://cbe-commercial',
    });
    const { tokenId, receipt } = await v.mint(acct(2), acct(4).address, acct(6).address, 7n, 250);
    const now = (await chain.public.getBlock()).timestamp;
    const terms: AgreementTerms = {
      subject: acct(4).address,
      recipient: acct(5).address,
      purposes: [itemId('analytics')],
      categories: [itemId('gameplay')],
      expiry: now + 3600n,
      conditionsHash: keccak256(toBytes('c')),
      salt: keccak256(toBytes('s')),
    };
    const typed = v.agreementTypedData(terms);
    const { id, receipt: created } = await v.createAgreement(
      acct(0),
      terms,
      await acct(4).signTypedData(typed),
      await acct(5).signTypedData(typed),
    );
    await indexer.sync();

    const a = await call('GET', `/v1/chain/agreements/${id}`, tokens.reader);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(a.json.tx, created.transactionHash);
    assert.equal((a.json.agreement as { revoked: boolean }).revoked, false);
    assert.equal(checked(a.json.evidence).size, 1);

    const g = await call('GET', `/v1/chain/goods/${tokenId}`, tokens.reader);
    assert.equal(g.status, 200);
    assert.equal((g.json.good as { owner: string }).owner, acct(4).address.toLowerCase());
    assert.equal((g.json.licence as { uri: string }).uri, 'ar://cbe-commercial');
    assert.equal(g.json.tx, receipt.transactionHash);
    assert.equal(checked(g.json.evidence).size, 2);
    assert.equal((await call('GET', '/v1/chain/goods/424242', tokens.reader)).status, 404);

    const check = { subject: acct(4).address, recipient: acct(5).address, purpose: 'analytics', category: 'gameplay' };
    const yes = await call('POST', '/v1/chain/agreements/check', tokens.reader, check);
    assert.equal(yes.status, 200);
    assert.equal(yes.json.allowed, true);
    checked(yes.json.evidence);
    await v.revokeAgreement(acct(5), id);
    await indexer.sync();
    const no = await call('POST', '/v1/chain/agreements/check', tokens.reader, check);
    assert.equal(no.json.allowed, false);
    assert.equal(no.json.reason, 'revoked');
    assert.equal(
      (await call('POST', '/v1/chain/agreements/check', tokens.reader, { ...check, subject: 'x' })).status,
      400,
    );

    const s = await call('GET', '/v1/chain/status', tokens.reader);
    assert.equal(s.status, 200);
    assert.equal(s.json.lastError, null);
    assert.equal(s.json.head, Number(await chain.public.getBlockNumber({ cacheTime: 0 })));
    assert.equal(
      (s.json.cursor as { blockNumber: number }).blockNumber,
      Number(await chain.public.getBlockNumber({ cacheTime: 0 })),
    );
  });

  it('anchors the latest checkpoint on demand (`chain.anchor`), logged, and reads it back indexed', async () => {
    const r = await call('POST', '/v1/chain/anchor', tokens.operator);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.originHash, originHash(core.log.origin));
    const [entry] = await core.log.entries(r.json.logIndex as number, (r.json.logIndex as number) + 1);
    const e = JSON.parse(new TextDecoder().decode(entry)) as { action: string; actor: string };
    assert.equal(e.action, 'chain.anchor');
    assert.equal(e.actor, 'operator:ops');
    await indexer.sync();
    const got = await call('GET', `/v1/chain/anchors/${r.json.originHash}/${r.json.treeSize}`, tokens.reader);
    assert.equal(got.status, 200);
    assert.equal(got.json.tx, r.json.tx);
    assert.equal((got.json.anchor as { rootHash: string }).rootHash, r.json.rootHash);
    checked(got.json.evidence);
    const verified = await v.verifyAnchored({
      origin: core.log.origin,
      size: r.json.treeSize as number,
      rootHash: Buffer.from((r.json.rootHash as string).slice(2), 'hex'),
      extensions: [],
    });
    assert.equal(verified.treeSize, r.json.treeSize);
  });

  it('refuses tokens without the capability, never implied by a role, and logs each decision', async () => {
    const sizeBefore = (await core.log.head()).size;
    assert.equal((await call('GET', '/v1/chain/status', undefined)).status, 401);
    const denied = await call('GET', '/v1/chain/status', tokens.none);
    assert.equal(denied.status, 403);
    assert.equal((denied.json.error as { code: string }).code, 'VERITY_E_ACCESS_DENIED');
    // An operator granted only `chain.read` cannot anchor.
    assert.equal((await call('POST', '/v1/chain/anchor', tokens.plainOperator)).status, 403);
    assert.equal((await call('POST', '/v1/chain/anchor', tokens.reader)).status, 403);
    const entries = (await core.log.entries(sizeBefore, (await core.log.head()).size)).map(
      (b) => JSON.parse(new TextDecoder().decode(b)) as { outcome: string; details?: { action?: string } },
    );
    assert.equal(entries.filter((x) => x.outcome === 'denied' && x.details?.action?.startsWith('chain.')).length, 3);
  });

  it('describes the chain routes in the OpenAPI document', async () => {
    const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
    for (const p of [
      '/v1/chain/status',
      '/v1/chain/agreements/{id}',
      '/v1/chain/agreements/check',
      '/v1/chain/goods/{tokenId}',
      '/v1/chain/anchors/{originHash}/{treeSize}',
      '/v1/chain/anchor',
    ])
      assert.ok(doc.paths[p], p);
  });

  it('reads `verity serve --chain` options: the embedded chain by default, off with `none`, checked when given', () => {
    assert.deepEqual(chainFrom({}), { url: 'embedded', byDefault: true });
    assert.deepEqual(chainFrom({ chain: 'embedded' }), { url: 'embedded' });
    assert.deepEqual(chainFrom({ 'chain-anchor-every': '1h' }), {
      url: 'embedded',
      byDefault: true,
      anchorEveryMs: 3_600_000,
    });
    assert.equal(chainFrom({ chain: 'none' }), undefined);
    assert.deepEqual(chainFrom({ chain: 'in-process' }), { url: 'in-process' });
    const a = `0x${'1'.repeat(40)}`;
    assert.deepEqual(
      chainFrom({ chain: 'http://127.0.0.1:8545', 'chain-contracts': `${a},${a},${a}`, 'chain-confirmations': '6' }),
      {
        url: 'http://127.0.0.1:8545',
        contracts: { anchor: a, agreements: a, goods: a },
        confirmations: 6,
      },
    );
    const refused = (values: Record<string, string>) =>
      assert.throws(
        () => chainFrom(values),
        (e) => isVerityError(e) && e.code === 'VERITY_E_INPUT_INVALID',
      );
    refused({ 'chain-contracts': `${a},${a},${a}` });
    refused({ chain: 'none', 'chain-anchor-every': '1h' });
    refused({ chain: 'embedded', 'chain-contracts': `${a},${a},${a}` });
    refused({ chain: 'ws://127.0.0.1:8545', 'chain-contracts': `${a},${a},${a}` });
    refused({ chain: 'http://127.0.0.1:8545' });
    refused({ chain: 'http://127.0.0.1:8545', 'chain-contracts': `${a},${a}` });
    refused({ chain: 'in-process', 'chain-contracts': `${a},${a},${a}` });
    refused({ chain: 'in-process', 'chain-confirmations': '-1' });
    refused({ chain: 'in-process', 'chain-confirmations': '5000' });
  });

  it('reads an ERC-1155 item and a holding with their proofs; refuses without chain.read', async () => {
    const ed = Editions.of(v);
    await ed.defineLicence(acct(3), 1n, { commercialUse: false, modification: true, resale: true, uri: 'ar://cbe' });
    const { tokenId, receipt } = await ed.createEdition(acct(2), acct(6).address, 1n, 300, 50n);
    await ed.mint(acct(2), acct(4).address, tokenId, 12n);
    await indexer.sync();
    const holder = acct(4).address;
    const r = await call('GET', `/v1/chain/editions/${tokenId}?holder=${holder}`, tokens.reader);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal((r.json.edition as { supply: string }).supply, '12');
    assert.equal((r.json.edition as { createdTx: string }).createdTx, receipt.transactionHash);
    assert.equal((r.json.licence as { uri: string }).uri, 'ar://cbe');
    assert.deepEqual(r.json.balance, { account: holder.toLowerCase(), amount: '12' });
    assert.equal(checked(r.json.evidence).size, 3);
    assert.equal((await call('GET', `/v1/chain/editions/${tokenId}`, tokens.reader)).json.balance, null);
    assert.equal((await call('GET', `/v1/chain/editions/${tokenId}`, tokens.none)).status, 403);
    assert.equal((await call('GET', '/v1/chain/editions/999', tokens.reader)).status, 404);
    assert.equal((await call('GET', `/v1/chain/editions/${tokenId}?holder=0x12`, tokens.reader)).status, 400);
    assert.equal((await call('GET', '/v1/chain/editions/1x', tokens.reader)).status, 400);
  });
});
