// Verity's index of the chain on the in-process EVM, on SQLite and PostgreSQL: events into the
// authenticated state with their proofs, confirmation depth, a reorganization rewound (snapshot and
// revert), agreement checks from the indexed state, and a tampered or deleted row refused.
// One chain for the whole file; each backend indexes it from block 0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Hex, keccak256, type LocalAccount, toBytes } from 'viem';
import { BACKENDS, makeCore, type TestCore } from '../../test/helpers/core.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { isVerityError } from '../errors/index.ts';
import {
  AGREEMENT_KIND,
  type AgreementTerms,
  ChainClient,
  ChainIndexer,
  type ChainProofs,
  ChainState,
  chainObjectId,
  deployContracts,
  GOOD_KIND,
  itemId,
  originHash,
  PAIR_KIND,
  VerityContracts,
  verifyChainProofs,
} from './index.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

let chain: ChainClient;
let v: VerityContracts;
const acct = (i: number) => chain.accounts[i] as LocalAccount;
// Roles: 0 admin, 1 anchorer, 2 minter, 3 licensor; 4 player, 5 platform, 6 creator, 7 other.
let salt = 0;

before(async () => {
  chain = await ChainClient.inProcess();
  v = new VerityContracts(
    chain,
    await deployContracts(chain, { admin: acct(0), anchorer: acct(1), minter: acct(2), licensor: acct(3) }),
  );
  await v.defineLicence(acct(3), 1n, {
    commercialUse: false,
    modification: false,
    resale: true,
    uri: 'ar://cbe-personal',
  });
});
after(async () => {
  await chain.close();
});

async function agree(purposes = ['analytics'], categories = ['gameplay']): Promise<{ id: Hex; terms: AgreementTerms }> {
  const [subject, recipient] = [acct(4), acct(5)];
  const now = (await chain.public.getBlock()).timestamp;
  const terms: AgreementTerms = {
    subject: subject.address,
    recipient: recipient.address,
    purposes: purposes.map(itemId),
    categories: categories.map(itemId),
    expiry: now + 3600n,
    conditionsHash: keccak256(toBytes('conditions v1')),
    salt: keccak256(toBytes(`salt ${salt++}`)),
  };
  const typed = v.agreementTypedData(terms);
  const { id } = await v.createAgreement(
    acct(0),
    terms,
    await subject.signTypedData(typed),
    await recipient.signTypedData(typed),
  );
  return { id, terms };
}

const mine = () => chain.public.request({ method: 'evm_mine' as never });

for (const backend of BACKENDS) {
  describe(`chain indexer on ${backend}`, () => {
    let core: TestCore;
    let state: ChainState;
    const q = () => ({
      subject: acct(4).address,
      recipient: acct(5).address,
      purpose: 'analytics',
      category: 'gameplay',
    });
    before(async () => {
      core = await makeCore(backend);
      state = new ChainState(core.store, core.log, chain.chain.id);
    });
    after(async () => {
      await core.dispose();
    });
    const indexer = (confirmations = 0) =>
      new ChainIndexer(core.store, core.log, v, { confirmations, idleCommitMs: 0 });

    it('indexes goods, licences, agreements and anchors with the proof of the state and the transaction', async () => {
      const { tokenId, receipt: minted } = await v.mint(acct(2), acct(6).address, acct(6).address, 1n, 500);
      const sold = await v.transfer(acct(6), acct(6).address, acct(4).address, tokenId);
      const until = (await chain.public.getBlock()).timestamp + 3600n;
      const rented = await v.rent(acct(4), tokenId, acct(7).address, until);
      const { id } = await agree();
      await core.log.append([new TextEncoder().encode('an entry')]);
      const cp = {
        origin: core.log.origin,
        size: 1000 + salt,
        rootHash: new Uint8Array(32).fill(salt),
        extensions: [],
      };
      const anchored = await v.anchorCheckpoint(acct(1), cp);

      const ix = indexer();
      const r = await ix.sync();
      assert.ok(r.applied > 0 && r.ranges >= 1);
      assert.equal(r.rewound, 0);
      assert.equal(r.blockNumber, Number(await chain.public.getBlockNumber({ cacheTime: 0 })));

      const good = await state.good(tokenId.toString());
      assert.equal(good.value.owner, acct(4).address.toLowerCase());
      assert.equal(good.value.creator, acct(6).address.toLowerCase());
      assert.equal(good.value.user, acct(7).address.toLowerCase());
      assert.equal(good.value.userExpires, until.toString());
      assert.equal(good.value.royaltyBps, 500);
      assert.equal(good.value.mintedTx, minted.transactionHash);
      assert.equal(good.tx, rented.transactionHash);
      assert.equal(good.licence?.resale, true);
      assert.equal(good.licence?.uri, 'ar://cbe-personal');
      assert.notEqual(sold.transactionHash, good.tx);
      const checked = verifyChainProofs(good.evidence, core.log.verifier, core.log.origin);
      assert.equal(checked.size, 2);

      const a = await state.agreement(id);
      assert.equal(a.value.revoked, false);
      assert.deepEqual(a.value.purposes, [itemId('analytics')]);
      verifyChainProofs(a.evidence, core.log.verifier, core.log.origin);
      // A proof does not stand for another row: a changed body fails it.
      const forged = {
        ...a.evidence,
        rows: a.evidence.rows.map((x) => ({
          ...x,
          row: x.row && { ...x.row, body: x.row.body.replace('false', 'true') },
        })),
      };
      assert.throws(() => verifyChainProofs(forged, core.log.verifier), code('VERITY_E_STATE_PROOF_INVALID'));
      // Any one change of a proven answer (the body, the version, the id, the proof) is refused.
      const ev = good.evidence;
      fc.assert(
        fc.property(
          fc.nat({ max: ev.rows.length - 1 }),
          fc.constantFrom('body', 'version', 'id', 'proof', 'absent'),
          fc.nat(),
          (i, field, n) => {
            const rows = ev.rows.map((x) => ({ ...x, row: x.row && { ...x.row } }));
            const r = rows[i]!;
            const row = r.row!;
            if (field === 'body') {
              const k = n % row.body.length;
              row.body = row.body.slice(0, k) + (row.body[k] === 'a' ? 'b' : 'a') + row.body.slice(k + 1);
            } else if (field === 'version') row.version += 1 + (n % 5);
            else if (field === 'id') r.id = `${r.id}0`;
            else if (field === 'absent') r.row = null;
            else {
              const p = Buffer.from(r.proof, 'base64');
              if (p.length === 0) return;
              p[n % p.length]! ^= 1 << (n % 8);
              r.proof = p.toString('base64');
            }
            const tampered: ChainProofs = { checkpoint: ev.checkpoint, rows };
            assert.throws(() => verifyChainProofs(tampered, core.log.verifier, core.log.origin));
          },
        ),
        { numRuns: 60 },
      );

      const an = await state.anchor(originHash(core.log.origin), cp.size);
      assert.equal(an.tx, anchored.transactionHash);
      assert.equal(an.block, Number(anchored.blockNumber));
      await assert.rejects(state.anchor(originHash(core.log.origin), cp.size + 1), code('VERITY_E_CHAIN_NOT_INDEXED'));
      await assert.rejects(state.good('999999'), code('VERITY_E_CHAIN_NOT_INDEXED'));
      await assert.rejects(state.good('-1'), code('VERITY_E_INPUT_INVALID'));

      // The log holds one audit entry per applied range, naming no account.
      const head = await core.log.head();
      const entries = (await core.log.entries(0, head.size)).map((b) => new TextDecoder().decode(b));
      const indexed = entries.filter((e) => e.includes('"chain.index"'));
      assert.equal(indexed.length, r.ranges);
      const e = decodeAuditEntry(new TextEncoder().encode(indexed[0]));
      assert.equal(e.resource, `chain:${chain.chain.id}`);
      for (const i of [4, 5, 6, 7]) {
        const hex = acct(i).address.slice(2).toLowerCase();
        assert.ok(!entries.some((x) => x.toLowerCase().includes(hex)), 'no account in the log');
      }
      // Nothing new: a pass applies nothing and logs nothing.
      assert.equal((await ix.sync()).applied, 0);
      assert.equal((await core.log.head()).size, head.size);
    });

    it("indexes the licensors' registers of commercial accounts, with proofs of presence and absence (D299)", async () => {
      const shop = acct(8).address;
      await v.setCommercial(acct(3), shop, true);
      await indexer().sync();
      const goods = v.addresses.goods;
      const on = await state.commercial(goods, shop);
      assert.equal(on.value?.commercial, true);
      assert.equal(on.value?.account, shop.toLowerCase());
      assert.equal(verifyChainProofs(on.evidence, core.log.verifier, core.log.origin).size, 1);
      // Never registered: not commercial, proven absent. Another contract keeps its own register.
      const never = await state.commercial(goods, acct(9).address);
      assert.equal(never.value, null);
      verifyChainProofs(never.evidence, core.log.verifier, core.log.origin);
      if (v.addresses.editions !== undefined)
        assert.equal((await state.commercial(v.addresses.editions, shop)).value, null);
      await v.setCommercial(acct(3), shop, false);
      await indexer().sync();
      assert.equal((await state.commercial(goods, shop)).value?.commercial, false);
      await assert.rejects(state.commercial(goods, 'not an address'), code('VERITY_E_INPUT_INVALID'));
    });

    it('answers agreement checks from the indexed state; a revocation blocks the next check once indexed', async () => {
      const ix = indexer();
      const { id } = await agree(['analytics', 'support'], ['gameplay']);
      await assert.rejects(state.agreement(id), code('VERITY_E_CHAIN_NOT_INDEXED'), 'not indexed yet');
      assert.equal((await state.agreementPermits({ ...q(), purpose: 'support' })).allowed, false);
      await ix.sync();
      const yes = await state.agreementPermits(q(), { prove: true });
      assert.equal(yes.allowed, true);
      assert.equal(yes.reason, 'permitted');
      assert.ok(yes.agreementId !== null && yes.tx !== null);
      const rows = verifyChainProofs(yes.evidence!, core.log.verifier, core.log.origin);
      assert.ok(rows.get(`${AGREEMENT_KIND} ${chainObjectId(chain.chain.id, id)}`));
      assert.ok(rows.get(`${PAIR_KIND} ${chainObjectId(chain.chain.id, acct(4).address, acct(5).address)}`));
      // By name or by the on-chain identifier, the same.
      assert.equal((await state.agreementPermits({ ...q(), purpose: itemId('support') })).allowed, true);
      const other = await state.agreementPermits({ ...q(), category: 'location' });
      assert.equal(other.allowed, false);
      // Another pair of parties holds nothing.
      assert.equal((await state.agreementPermits({ ...q(), recipient: acct(7).address })).reason, 'no-agreement');

      // Revoke every agreement of the pair on chain; the index sees it at the next pass.
      const pair = await core.store.reader.getObject(
        PAIR_KIND,
        chainObjectId(chain.chain.id, acct(4).address, acct(5).address),
      );
      for (const aid of (JSON.parse(pair!.body) as { agreements: Hex[] }).agreements) {
        const a = await v.agreement(aid);
        if (a?.revokedAt === 0n) await v.revokeAgreement(acct(4), aid);
      }
      assert.equal((await state.agreementPermits(q())).allowed, true, 'the index has not seen it yet');
      await ix.sync();
      const no = await state.agreementPermits(q(), { prove: true });
      assert.equal(no.allowed, false);
      assert.equal(no.reason, 'revoked');
      verifyChainProofs(no.evidence!, core.log.verifier, core.log.origin);
      assert.equal((await state.agreement(id)).value.revoked, true);
      await assert.rejects(state.agreementPermits({ ...q(), subject: 'nobody' }), code('VERITY_E_INPUT_INVALID'));
    });

    it('commits a range without events only once the cursor is old enough', async () => {
      let now = Date.now();
      const ix = new ChainIndexer(core.store, core.log, v, {
        confirmations: 0,
        idleCommitMs: 60_000,
        clock: { now: () => now },
      });
      await ix.sync();
      const cursor = await ix.cursor();
      const size = (await core.log.head()).size;
      await mine();
      await mine();
      const idle = await ix.sync();
      assert.equal(idle.applied, 0);
      assert.equal(idle.blockNumber, cursor!.blockNumber);
      assert.equal((await core.log.head()).size, size, 'no entry for empty blocks');
      // An event: the range from the older cursor, empty blocks included, is applied at once.
      const { id } = await agree();
      const r = await ix.sync();
      assert.equal(r.applied, 3);
      assert.equal((await state.agreement(id)).value.id, id);
      // Empty blocks again, and the cursor gets old: committed.
      await mine();
      assert.equal((await ix.sync()).applied, 0);
      now += 60_000;
      assert.equal((await ix.sync()).applied, 1);
    });

    it('halves a range with more events than one transaction takes', async () => {
      const ix = new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0, maxRangeEvents: 2 });
      await ix.sync();
      // Three mints: two events each (Transfer, GoodMinted), one block each.
      const minted = [];
      for (let i = 0; i < 3; i++) minted.push((await v.mint(acct(2), acct(7).address, acct(6).address, 1n, 0)).tokenId);
      const r = await ix.sync();
      assert.equal(r.applied, 3);
      assert.equal(r.ranges, 3, 'one block per range');
      for (const t of minted)
        assert.equal((await state.good(t.toString())).value.creator, acct(6).address.toLowerCase());
    });

    it('two indexers on one store (as two processes would) apply each block once', async () => {
      const [one, two] = [indexer(), indexer()];
      const { id } = await agree(['racing']);
      const { tokenId } = await v.mint(acct(2), acct(7).address, acct(6).address, 1n, 0);
      await v.transfer(acct(7), acct(7).address, acct(4).address, tokenId);
      const size = (await core.log.head()).size;
      const [a, b] = await Promise.all([one.syncWithRetry(), two.syncWithRetry()]);
      assert.equal(a.blockNumber, b.blockNumber);
      assert.equal(a.applied + b.applied, 3, 'each block applied by one of them');
      const entries = (await core.log.entries(size, (await core.log.head()).size)).map((x) =>
        new TextDecoder().decode(x),
      );
      assert.equal(entries.filter((e) => e.includes('"chain.index"')).length, a.ranges + b.ranges);
      assert.equal((await state.agreement(id)).value.purposes.length, 1);
      assert.equal((await state.good(tokenId.toString())).value.owner, acct(4).address.toLowerCase());
    });

    it('applies a block only once it is the confirmation depth deep', async () => {
      const ix = indexer(1);
      await ix.sync();
      const { id } = await agree();
      const r = await ix.sync();
      assert.equal(r.blockNumber, Number(await chain.public.getBlockNumber({ cacheTime: 0 })) - 1);
      await assert.rejects(state.agreement(id), code('VERITY_E_CHAIN_NOT_INDEXED'));
      await mine();
      await ix.sync();
      assert.equal((await state.agreement(id)).value.id, id);
    });

    it('rewinds a reorganization to the fork point and applies the new branch', async () => {
      const ix = indexer(0);
      await ix.sync();
      const before = await ix.cursor();
      const snap = await chain.snapshot();
      const { id: dropped } = await agree(['marketing']);
      const { tokenId } = await v.mint(acct(2), acct(7).address, acct(6).address, 1n, 0);
      await ix.sync();
      assert.equal((await state.agreement(dropped)).value.revoked, false);
      assert.equal((await state.good(tokenId.toString())).value.owner, acct(7).address.toLowerCase());
      assert.equal((await state.agreementPermits({ ...q(), purpose: 'marketing' })).allowed, true);

      // The blocks are dropped; the new branch is longer and holds another mint of the same token id.
      await chain.revertTo(snap);
      const { tokenId: again } = await v.mint(acct(2), acct(4).address, acct(6).address, 1n, 100);
      assert.equal(again, tokenId);
      await mine();
      await mine();
      const r = await ix.sync();
      assert.ok(r.rewound >= 1, 'rewound');
      assert.equal(r.blockNumber, Number(await chain.public.getBlockNumber({ cacheTime: 0 })));
      await assert.rejects(state.agreement(dropped), code('VERITY_E_CHAIN_NOT_INDEXED'));
      assert.equal((await state.agreementPermits({ ...q(), purpose: 'marketing' })).allowed, false);
      const g = await state.good(tokenId.toString());
      assert.equal(g.value.owner, acct(4).address.toLowerCase());
      assert.equal(g.value.royaltyBps, 100);
      verifyChainProofs(g.evidence, core.log.verifier, core.log.origin);
      const cursor = await ix.cursor();
      assert.equal(cursor?.blockHash, (await chain.public.getBlock({ blockNumber: BigInt(cursor!.blockNumber) })).hash);
      assert.ok(cursor!.blockNumber > before!.blockNumber);
      const entries = (await core.log.entries(0, (await core.log.head()).size)).map((b) => new TextDecoder().decode(b));
      assert.equal(entries.filter((e) => e.includes('"chain.rewind"')).length, 1);

      // A shorter branch: the cursor's block is gone altogether.
      const snap2 = await chain.snapshot();
      const { id: gone } = await agree(['marketing']);
      await ix.sync();
      assert.equal((await state.agreement(gone)).value.id, gone);
      await chain.revertTo(snap2);
      const r2 = await ix.sync();
      assert.equal(r2.rewound, 1);
      await assert.rejects(state.agreement(gone), code('VERITY_E_CHAIN_NOT_INDEXED'));
    });

    it('a revocation in dropped blocks is rewound with them: the chain no longer holds it', async () => {
      const ix = indexer(0);
      const { id } = await agree(['support'], ['voice']);
      await ix.sync();
      const ask = { ...q(), purpose: 'support', category: 'voice' };
      assert.equal((await state.agreementPermits(ask)).allowed, true);
      const snap = await chain.snapshot();
      await v.revokeAgreement(acct(4), id);
      await ix.sync();
      assert.equal((await state.agreementPermits(ask)).allowed, false);
      await chain.revertTo(snap);
      await mine();
      await mine();
      const r = await ix.sync();
      assert.equal(r.rewound, 1);
      assert.equal((await state.agreement(id)).value.revoked, false);
      assert.equal((await state.agreementPermits(ask)).allowed, true, 'as the chain says now');
      // Revoked again on the surviving branch: refused once indexed.
      await v.revokeAgreement(acct(4), id);
      await ix.sync();
      assert.equal((await state.agreementPermits(ask)).allowed, false);
    });

    it('with confirmations, a block that is later dropped is never applied', async () => {
      const ix = indexer(2);
      await mine();
      await mine();
      await ix.sync();
      const logSize = (await core.log.head()).size;
      const snap = await chain.snapshot();
      const { id } = await agree(['marketing']);
      await mine();
      await ix.sync();
      await assert.rejects(state.agreement(id), code('VERITY_E_CHAIN_NOT_INDEXED'));
      await chain.revertTo(snap);
      await mine();
      await mine();
      const r = await ix.sync();
      assert.equal(r.rewound, 0);
      await assert.rejects(state.agreement(id), code('VERITY_E_CHAIN_NOT_INDEXED'));
      assert.ok((await core.log.head()).size > logSize);
      // The new branch's blocks are applied once deep enough; the dropped agreement never was.
      await mine();
      await mine();
      const r2 = await ix.sync();
      assert.equal(r2.rewound, 0);
      assert.equal(r2.blockNumber, Number(await chain.public.getBlockNumber({ cacheTime: 0 })) - 2);
      await assert.rejects(state.agreement(id), code('VERITY_E_CHAIN_NOT_INDEXED'));
    });

    it('refuses a changed or deleted row of the indexed state at use', async () => {
      const ix = indexer();
      await agree();
      await ix.sync();
      const d = await state.agreementPermits(q());
      assert.equal(d.allowed, true);
      const pairId = chainObjectId(chain.chain.id, acct(4).address, acct(5).address);
      const aid = chainObjectId(chain.chain.id, d.agreementId!);
      const row = await core.store.reader.getObject(AGREEMENT_KIND, aid);
      // A revoked agreement made active again in the database, behind Verity's back.
      await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [
        row!.body.replace('"expiry":"', '"expiry":"9'),
        AGREEMENT_KIND,
        aid,
      ]);
      await assert.rejects(state.agreementPermits(q()), code('VERITY_E_STATE_TAMPERED'));
      await assert.rejects(state.agreement(d.agreementId!), code('VERITY_E_STATE_TAMPERED'));
      await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [row!.body, AGREEMENT_KIND, aid]);
      assert.equal((await state.agreementPermits(q())).allowed, true);
      // The pair index deleted: the check does not read "no agreement", it refuses.
      await core.sql('DELETE FROM t.objects WHERE kind = ? AND id = ?', [PAIR_KIND, pairId]);
      await assert.rejects(state.agreementPermits(q()), code('VERITY_E_STATE_TAMPERED'));
      // A good's owner changed.
      const goods = await core.sql('SELECT id, body FROM t.objects WHERE kind = ?', [GOOD_KIND]);
      const g = goods[0] as { id: string; body: string };
      await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [
        g.body.replace(/"owner":"0x[0-9a-f]{40}"/, '"owner":"0x000000000000000000000000000000000000dead"'),
        GOOD_KIND,
        g.id,
      ]);
      await assert.rejects(state.good(g.id.split('/')[1]!), code('VERITY_E_STATE_TAMPERED'));
    });
  });
}
