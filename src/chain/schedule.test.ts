// Anchoring on a schedule on the in-process chain: a tick anchors the latest checkpoint and logs it;
// the next ticks skip while the log grew only by the anchoring and indexing entries; new entries are
// anchored; a failing anchoring (an account without the anchoring role) is reported and retried at
// the next interval until it succeeds, without the loop ever throwing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256, type LocalAccount, toBytes } from 'viem';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { isVerityError } from '../errors/index.ts';
import {
  AnchorSchedule,
  ChainClient,
  ChainIndexer,
  CheckpointAnchor,
  deployContracts,
  VerityContracts,
} from './index.ts';

describe('anchoring on a schedule', () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let core: TestCore;
  const acct = (i: number) => chain.accounts[i] as LocalAccount;
  const entry = (s: string) => core.log.append([new TextEncoder().encode(s)]);

  before(async () => {
    chain = await ChainClient.inProcess();
    v = new VerityContracts(
      chain,
      await deployContracts(chain, { admin: acct(0), anchorer: acct(1), minter: acct(2), licensor: acct(3) }),
    );
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
    await chain?.close();
  });

  it('anchors new entries, and skips when only its own bookkeeping grew the log', async () => {
    const s = new AnchorSchedule(v, acct(1), core.log);
    await entry('a record was written');
    const first = await s.tick();
    assert.ok('anchored' in first, JSON.stringify(first));
    const size = first.anchored.treeSize;
    assert.equal((await v.latestAnchor(core.log.origin))?.treeSize, size);
    const logged = decodeAuditEntry((await core.log.entries(first.anchored.logIndex, first.anchored.logIndex + 1))[0]!);
    assert.equal(logged.action, 'chain.anchor');
    assert.equal(logged.actor, 'service:chain-anchor');
    // The anchoring's own entry, then the indexer's entry for the CheckpointAnchored event: no growth.
    assert.deepEqual(await s.tick(), { skipped: 'no-growth', treeSize: size + 1 });
    await new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 }).sync();
    const again = await s.tick();
    assert.ok('skipped' in again && again.skipped === 'no-growth', JSON.stringify(again));
    await entry('another record');
    const second = await s.tick();
    assert.ok('anchored' in second && second.anchored.treeSize > size + 1, JSON.stringify(second));
    // Its own entry again: no growth, nothing sent.
    assert.deepEqual(await s.tick(), { skipped: 'no-growth', treeSize: second.anchored.treeSize + 1 });
  });

  it('reports a failing anchoring and retries it at the next interval until it succeeds', async () => {
    const errors: string[] = [];
    const anchored: number[] = [];
    // Account 7 does not hold the anchoring role yet: every tick is refused by the contract.
    const s = new AnchorSchedule(v, acct(7), core.log, {
      onError: (e) => errors.push(isVerityError(e) ? e.code : String(e)),
      onAnchor: (a) => anchored.push(a.treeSize),
    });
    await entry('a third record');
    s.start(1000);
    try {
      for (let i = 0; i < 100 && errors.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(errors.length >= 2, 'retried after the first failure');
      assert.ok(
        errors.every((c) => c === 'VERITY_E_CHAIN_NOT_AUTHORIZED'),
        errors.join(),
      );
      assert.ok(isVerityError(s.lastError));
      await chain.write(acct(0), {
        address: v.addresses.anchor,
        abi: CheckpointAnchor.abi,
        functionName: 'grantRole',
        args: [keccak256(toBytes('ANCHOR_ROLE')), acct(7).address],
      });
      for (let i = 0; i < 100 && anchored.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(anchored.length, 1, 'anchored once the role was granted');
      assert.equal((await v.latestAnchor(core.log.origin))?.treeSize, anchored[0]);
    } finally {
      await s.stop();
    }
    assert.equal(s.lastError, undefined);
    assert.throws(() => s.start(10), RangeError);
  });
});
