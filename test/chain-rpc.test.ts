// Verity's contracts over JSON-RPC against a real node on loopback (`hardhat node`, started here and
// stopped after): a trade of a licensed good under a data-sharing agreement, a checkpoint anchored and
// checked, a reorganization (snapshot and revert), and the node going away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChainClient, deployContracts, devAccounts, VerityContracts } from '../src/chain/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { type LoopbackNode, startLoopbackNode } from './helpers/chain-node.ts';
import { runTrade } from './helpers/chain-trade.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

describe('chain: Verity contracts on a JSON-RPC node on loopback', () => {
  let node: LoopbackNode;
  let chain: ChainClient;
  let v: VerityContracts;
  let core: TestCore;
  const accounts = devAccounts(10);
  const role = (i: number) => accounts[i] as (typeof accounts)[number];
  const [admin, anchorer, minter, licensor] = [role(0), role(1), role(2), role(3)];
  const [player, creator] = [role(4), role(6)];

  before(async () => {
    [node, core] = await Promise.all([startLoopbackNode(), makeCore('sqlite')]);
    chain = await ChainClient.connect(node.url, accounts, { pollingMs: 5 });
    v = new VerityContracts(chain, await deployContracts(chain, { admin, anchorer, minter, licensor }));
  });
  after(async () => {
    await chain?.close();
    await node?.stop();
    await core?.dispose();
  });

  it('runs a trade of a licensed good under a data-sharing agreement, and anchors the log', async () => {
    await runTrade(v, core.log, 1n);
  });

  it('assigns nonces in order to concurrent sends from one account', async () => {
    const minted = await Promise.all(
      Array.from({ length: 8 }, () => v.mint(minter, player.address, creator.address, 1n, 0)),
    );
    assert.equal(new Set(minted.map((m) => m.tokenId)).size, 8);
  });

  it('sees a reorganization: an anchor in dropped blocks is gone, and the sender goes on', async () => {
    const cp = { origin: 'verity.test/reorg', size: 4, rootHash: new Uint8Array(32).fill(4), extensions: [] };
    await v.anchorCheckpoint(anchorer, cp);
    const snap = await chain.snapshot();
    const later = { ...cp, size: 9, rootHash: new Uint8Array(32).fill(9) };
    await v.anchorCheckpoint(anchorer, later);
    assert.equal((await v.verifyAnchored(later)).treeSize, 9);
    await chain.revertTo(snap);
    await assert.rejects(v.verifyAnchored(later), code('VERITY_E_CHAIN_NOT_ANCHORED'));
    assert.equal((await v.latestAnchor(cp.origin))?.treeSize, 4);
    // Another root for size 9 can now be anchored on the new branch: why readers wait for confirmations.
    const fork = { ...later, rootHash: new Uint8Array(32).fill(10) };
    await v.anchorCheckpoint(anchorer, fork);
    await assert.rejects(v.verifyAnchored(later), code('VERITY_E_CHAIN_ANCHOR_MISMATCH'));
  });

  it('says the node is unavailable once it is gone', async () => {
    await node.stop();
    await assert.rejects(v.latestAnchor('verity.test/reorg'), code('VERITY_E_CHAIN_UNAVAILABLE'));
    await assert.rejects(
      v.anchorCheckpoint(anchorer, { origin: 'x', size: 1, rootHash: new Uint8Array(32).fill(1), extensions: [] }),
      code('VERITY_E_CHAIN_UNAVAILABLE'),
    );
  });
});
