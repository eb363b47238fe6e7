// `verity serve --chain in-process --chain-anchor-every DURATION`: the options checked, and the
// chain started as the server starts it anchoring the log's latest checkpoint on a 1 s schedule,
// each anchor in the log, and not again while the log grows only by its own bookkeeping; and
// `verity log verify-anchor` checking a signed checkpoint against a `hardhat node` on loopback; on
// such a node, the platform's account (a key of the KeyStore, D297) anchoring on the schedule once
// funded and granted the role, and refused with VERITY_E_CHAIN_NO_FUNDS before.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalAccount } from 'viem';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { ChainClient, deployContracts, devAccounts, VerityContracts } from '../src/chain/index.ts';
import { chainFrom, PLATFORM_KEY, platformAccount, startChain } from '../src/cli/chain.ts';
import { isVerityError } from '../src/errors/index.ts';
import { startLoopbackNode } from './helpers/chain-node.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';
import { runVerity } from './helpers/node.ts';

/** `verity ARGS` with the checkpoint note in a file (the last argument). */
async function verity(args: string[], note: string) {
  const { dir, cleanup } = await tempDir();
  try {
    const file = join(dir, 'checkpoint');
    await writeFile(file, note);
    return await runVerity([...args.slice(0, -1), file]);
  } finally {
    await cleanup();
  }
}

describe('verity serve --chain-anchor-every', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
  });

  it('takes a duration of 1 s to a week', () => {
    assert.deepEqual(chainFrom({ chain: 'in-process', 'chain-anchor-every': '10m' }), {
      url: 'in-process',
      anchorEveryMs: 600_000,
    });
    assert.equal(chainFrom({ chain: 'in-process', 'chain-anchor-every': '1s' })?.anchorEveryMs, 1000);
    const a = `0x${'1'.repeat(40)}`;
    assert.deepEqual(
      chainFrom({ chain: 'http://127.0.0.1:8545', 'chain-contracts': `${a},${a},${a},${a}` })?.contracts,
      {
        anchor: a,
        agreements: a,
        goods: a,
        editions: a,
      },
    );
    for (const values of [
      { chain: 'none', 'chain-anchor-every': '1m' },
      { chain: 'in-process', 'chain-anchor-every': '0s' },
      { chain: 'in-process', 'chain-anchor-every': '500ms' },
      { chain: 'in-process', 'chain-anchor-every': '169h' },
      { chain: 'in-process', 'chain-anchor-every': 'soon' },
    ])
      assert.throws(
        () => chainFrom(values),
        (e) => isVerityError(e) && e.code === 'VERITY_E_INPUT_INVALID',
        JSON.stringify(values),
      );
  });

  it('anchors the latest checkpoint every interval, each anchor in the log', async () => {
    await core.log.append([new TextEncoder().encode('a record was written')]);
    const settings = chainFrom({ chain: 'in-process', 'chain-anchor-every': '1s' });
    assert.ok(settings);
    const started = await startChain(core as never, settings, tmpdir());
    const anchors = async () => {
      const h = await core.log.head();
      return (await core.log.entries(0, h.size)).flatMap((e) => {
        try {
          const d = decodeAuditEntry(e);
          return d.action === 'chain.anchor' ? [d] : [];
        } catch {
          return [];
        }
      });
    };
    try {
      for (let i = 0; i < 100 && (await anchors()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await anchors()).length, 1, 'anchored at start');
      const contracts = started.routes.contracts;
      assert.ok(contracts);
      const first = await contracts.latestAnchor(core.log.origin);
      assert.ok(first);
      // Two more intervals with only the anchoring's and the indexer's entries: nothing new anchored.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal((await anchors()).length, 1, 'no anchor without growth');
      await core.log.append([new TextEncoder().encode('another record')]);
      for (let i = 0; i < 50 && (await anchors()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await anchors()).length, 2, 'the new entry anchored at the next interval');
      assert.ok(((await contracts.latestAnchor(core.log.origin))?.treeSize ?? 0) > first.treeSize);
    } finally {
      await started.close();
    }
  });

  it("verity log verify-anchor proves an anchored checkpoint's age, and refuses an unanchored or forked one", async () => {
    const node = await startLoopbackNode();
    try {
      const chain = await ChainClient.connect(node.url, devAccounts(4), { pollingMs: 2 });
      const [admin, anchorer, minter, licensor] = chain.accounts as LocalAccount[];
      const v = new VerityContracts(
        chain,
        await deployContracts(chain, {
          admin: admin as LocalAccount,
          anchorer: anchorer as LocalAccount,
          minter: minter as LocalAccount,
          licensor: licensor as LocalAccount,
        }),
      );
      await core.log.append([new TextEncoder().encode('a record to anchor')]);
      const note = await core.log.checkpoint();
      const args = ['log', 'verify-anchor', '--key', core.log.verifierKey, '--chain', node.url];
      const withContract = [...args, '--anchor-contract', v.addresses.anchor, '-'];
      const before = await verity(withContract, note);
      assert.equal(before.code, 1, before.stderr);
      assert.equal(JSON.parse(before.stdout).code, 'VERITY_E_CHAIN_NOT_ANCHORED');
      const { anchorLatestCheckpoint } = await import('../src/chain/index.ts');
      const a = await anchorLatestCheckpoint(v, anchorer as LocalAccount, core.log, { actor: 'operator:test' });
      const good = await verity(withContract, note);
      assert.equal(good.code, 0, good.stderr);
      const out = JSON.parse(good.stdout);
      assert.equal(out.anchored, true);
      assert.equal(out.size, a.treeSize);
      assert.equal(out.block, a.block);
      assert.ok(Date.parse(out.anchoredAt) > Date.now() - 600_000);
      // Another root anchored for a later size of this log (a fork shown to the chain): when the log
      // reaches that size, its own checkpoint is refused as a mismatch.
      const forkSize = a.treeSize + 3;
      await v.anchorCheckpoint(anchorer as LocalAccount, {
        origin: core.log.origin,
        size: forkSize,
        rootHash: new Uint8Array(32).fill(7),
        extensions: [],
      });
      while ((await core.log.head()).size < forkSize) await core.log.append([new TextEncoder().encode('more')]);
      const forked = await verity(withContract, await core.log.checkpoint());
      assert.equal(forked.code, 1, forked.stderr);
      assert.equal(JSON.parse(forked.stdout).code, 'VERITY_E_CHAIN_ANCHOR_MISMATCH');
      await chain.close();
    } finally {
      await node.stop();
    }
  });

  it("anchors on a JSON-RPC chain with the platform's KeyStore account, once it is funded", async () => {
    const node = await startLoopbackNode();
    try {
      const chain = await ChainClient.connect(node.url, devAccounts(4), { pollingMs: 2 });
      const [admin, anchorer, minter, licensor] = chain.accounts as LocalAccount[];
      // The operator's part: the platform's address (from the data directory's key store), the role.
      const platform = await platformAccount(core as never);
      assert.deepEqual(await platformAccount(core as never).then((p) => p.address), platform.address);
      const addresses = await deployContracts(chain, {
        admin: admin as LocalAccount,
        anchorer: anchorer as LocalAccount,
        minter: minter as LocalAccount,
        licensor: licensor as LocalAccount,
      });
      const v = new VerityContracts(chain, addresses);
      await chain.write(admin as LocalAccount, {
        address: addresses.anchor,
        abi: (await import('../src/chain/index.ts')).CheckpointAnchor.abi,
        functionName: 'grantRole',
        args: [
          await chain.read({
            address: addresses.anchor,
            abi: (await import('../src/chain/index.ts')).CheckpointAnchor.abi,
            functionName: 'ANCHOR_ROLE',
          }),
          platform.address,
        ],
      });
      await core.log.append([new TextEncoder().encode('a record to anchor by the platform')]);
      const { anchorLatestCheckpoint } = await import('../src/chain/index.ts');
      // Not funded yet: a typed refusal, nothing anchored.
      await assert.rejects(
        anchorLatestCheckpoint(v, platform, core.log, { actor: 'operator:test' }),
        (e) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_NO_FUNDS',
      );
      await chain.public.request({
        method: 'hardhat_setBalance' as never,
        params: [platform.address, '0x8ac7230489e80000'] as never,
      });
      const settings = chainFrom({
        chain: node.url,
        'chain-contracts': `${addresses.anchor},${addresses.agreements},${addresses.goods},${addresses.editions}`,
        'chain-anchor-every': '1s',
      });
      assert.ok(settings);
      const started = await startChain(core as never, settings, tmpdir());
      try {
        assert.equal(started.routes.anchorer?.address, platform.address);
        assert.equal(started.routes.sender?.address, platform.address);
        const size = (await core.log.head()).size;
        let anchored = await v.latestAnchor(core.log.origin);
        for (let i = 0; i < 100 && (anchored?.treeSize ?? 0) < size; i++) {
          await new Promise((r) => setTimeout(r, 100));
          anchored = await v.latestAnchor(core.log.origin);
        }
        assert.ok((anchored?.treeSize ?? 0) >= size, 'anchored by the schedule');
      } finally {
        await started.close();
      }
      assert.equal(PLATFORM_KEY, 'chain-platform');
    } finally {
      await node.stop();
    }
  });
});
