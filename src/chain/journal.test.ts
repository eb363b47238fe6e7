// The embedded chain's journal (D321): a chain made, used, closed and replayed to the same blocks and
// state; an edited, reordered or truncated journal refused; a torn last line dropped; one process at
// a time; nothing but signed transactions and reads taken.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createWalletClient, custom, type Hex, type LocalAccount } from 'viem';
import { isVerityError } from '../errors/index.ts';
import {
  ChainClient,
  type ContractAddresses,
  deployContracts,
  devAccounts,
  EMBEDDED_CHAIN_ID,
  openEmbeddedChain,
  VerityContracts,
} from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempJournal(): string {
  const d = mkdtempSync(join(tmpdir(), 'verity-journal-'));
  dirs.push(d);
  return join(d, 'chain.journal');
}

const platform = devAccounts(1)[0] as LocalAccount;
const checkpoint = (size: number) => ({
  origin: 'verity.example/log',
  size,
  rootHash: new Uint8Array(32).fill(size),
  extensions: [],
});

/** Opens the chain in `file`, deploying Verity's contracts the first time. */
async function open(file: string, now?: () => number) {
  const e = await openEmbeddedChain({ file, funded: [platform.address], ...(now === undefined ? {} : { now }) });
  const client = await ChainClient.overProvider(e.provider, [platform]);
  let addresses: ContractAddresses | undefined = e.contracts;
  if (addresses === undefined) {
    addresses = await deployContracts(client, {
      admin: platform,
      anchorer: platform,
      minter: platform,
      licensor: platform,
    });
    e.recordContracts(addresses);
  }
  const close = async () => {
    e.close();
    await client.close();
  };
  return { e, client, v: new VerityContracts(client, addresses), close };
}

const refusedJournal = (e: unknown) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_JOURNAL';

describe('the embedded chain', () => {
  it('is replayed from its journal to the same blocks, contracts and state', async () => {
    const file = tempJournal();
    const a = await open(file);
    assert.equal(a.client.chain.id, EMBEDDED_CHAIN_ID);
    assert.equal(a.e.replayed, 0);
    await a.v.anchorCheckpoint(platform, checkpoint(3));
    await a.v.anchorCheckpoint(platform, checkpoint(7));
    const head = await a.client.public.getBlock({ blockTag: 'latest' });
    const addresses = a.v.addresses;
    await a.close();

    const b = await open(file);
    try {
      assert.ok(b.e.replayed >= 6, 'the deployments, role grants and anchors replayed');
      assert.deepEqual(b.v.addresses, {
        anchor: addresses.anchor.toLowerCase(),
        agreements: addresses.agreements.toLowerCase(),
        goods: addresses.goods.toLowerCase(),
        editions: addresses.editions?.toLowerCase(),
      });
      const again = await b.client.public.getBlock({ blockNumber: head.number });
      assert.equal(again.hash, head.hash);
      assert.equal(again.timestamp, head.timestamp);
      assert.equal((await b.v.latestAnchor('verity.example/log'))?.treeSize, 7);
      // It goes on from there, and the next start replays that too.
      await b.v.anchorCheckpoint(platform, checkpoint(9));
    } finally {
      await b.close();
    }
    const c = await open(file);
    try {
      assert.equal((await c.v.latestAnchor('verity.example/log'))?.treeSize, 9);
    } finally {
      await c.close();
    }
  });

  it('replays a transaction that reverted in its block, between ones that did not', async () => {
    const file = tempJournal();
    const a = await open(file);
    await a.v.anchorCheckpoint(platform, checkpoint(2));
    // A call the contract has no function for, with its gas given (no estimate to refuse it first):
    // mined, reverted, journaled.
    const wallet = createWalletClient({ account: platform, transport: custom(a.e.provider) });
    await assert.rejects(
      wallet.sendTransaction({ chain: null, to: a.v.addresses.anchor, data: '0x12345678', gas: 100_000n }),
    );
    // A client of its own after it, since the first one counts the sender's nonces itself.
    const c = await ChainClient.overProvider(a.e.provider, [platform]);
    await new VerityContracts(c, a.v.addresses).anchorCheckpoint(platform, checkpoint(4));
    await c.close();
    const head = await a.client.public.getBlock({ blockTag: 'latest' });
    const reverted = await a.client.public.getBlock({ blockNumber: head.number - 1n, includeTransactions: true });
    const receipt = await a.client.public.getTransactionReceipt({ hash: reverted.transactions[0]?.hash as Hex });
    assert.equal(receipt.status, 'reverted');
    await a.close();

    const b = await open(file);
    try {
      const again = await b.client.public.getBlock({ blockTag: 'latest' });
      assert.equal(again.number, head.number);
      assert.equal(again.hash, head.hash);
    } finally {
      await b.close();
    }
  });

  it('refuses a journal whose transactions do not replay to the recorded blocks', async () => {
    const file = tempJournal();
    const a = await open(file);
    await a.v.anchorCheckpoint(platform, checkpoint(1));
    await a.v.anchorCheckpoint(platform, checkpoint(2));
    await a.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const txs = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('"tx"'));
    const [last, lastAt] = txs[txs.length - 1] as readonly [string, number];
    const [prev, prevAt] = txs[txs.length - 2] as readonly [string, number];
    const variants: Record<string, string[]> = {
      'a recorded hash changed': lines.map((l, i) =>
        i === lastAt ? l.replace(/"h":"0x[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`) : l,
      ),
      'a block time changed': lines.map((l, i) =>
        i === lastAt ? l.replace(/"t":([0-9]+)/, (_m, t) => `"t":${Number(t) + 1}`) : l,
      ),
      'two transactions swapped': lines.map((l, i) => (i === lastAt ? prev : i === prevAt ? last : l)),
      'a transaction removed': lines.filter((_l, i) => i !== prevAt),
      'the header edited': lines.map((l, i) => (i === 0 ? l.replace(/"genesisTime":([0-9]+)/, '"genesisTime":1') : l)),
      'a line that is not JSON': [...lines.slice(0, 2), '{"n":', ...lines.slice(2)],
    };
    for (const [what, text] of Object.entries(variants)) {
      writeFileSync(file, `${text.join('\n')}\n`);
      await assert.rejects(openEmbeddedChain({ file, funded: [platform.address] }), refusedJournal, what);
    }
    // The lock is released after each refusal, and the untouched journal opens.
    writeFileSync(file, `${lines.join('\n')}\n`);
    const b = await open(file);
    assert.equal((await b.v.latestAnchor('verity.example/log'))?.treeSize, 2);
    await b.close();
  });

  it('drops a torn last line, and serves one process at a time', async () => {
    const file = tempJournal();
    const a = await open(file);
    await assert.rejects(
      openEmbeddedChain({ file, funded: [platform.address] }),
      (e) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_UNAVAILABLE' && e.message.includes(String(process.pid)),
    );
    const replayedBefore = (await a.client.public.getBlockNumber()) as bigint;
    await a.close();
    appendFileSync(file, '{"n":99,"t":17000');
    const b = await open(file);
    try {
      assert.equal(await b.client.public.getBlockNumber(), replayedBefore);
      assert.ok(readFileSync(file, 'utf8').endsWith('}\n'), 'the torn line is gone from the file');
    } finally {
      await b.close();
    }
    // A lock left by a process that is gone is taken over.
    writeFileSync(`${file}.lock`, '2147483646');
    const c = await open(file);
    await c.close();
  });

  it('takes signed transactions and reads only', async () => {
    const file = tempJournal();
    const a = await open(file);
    try {
      for (const method of ['evm_mine', 'evm_revert', 'hardhat_setBalance', 'eth_sendTransaction', 'debug_setHead'])
        await assert.rejects(
          a.e.provider.request({ method: method as never, params: [] as never }),
          (e: unknown) => (e as { code?: number }).code === 4200,
          method,
        );
      assert.equal(await a.client.public.getChainId(), EMBEDDED_CHAIN_ID);
    } finally {
      await a.close();
    }
  });

  it('keeps block times at the clock, several blocks in one second', async () => {
    const file = tempJournal();
    const a = await open(file, () => 1_900_000_000);
    try {
      await a.v.anchorCheckpoint(platform, checkpoint(1));
      await a.v.anchorCheckpoint(platform, checkpoint(2));
      const b = await a.client.public.getBlock({ blockTag: 'latest' });
      assert.equal(b.timestamp, 1_900_000_000n);
      assert.ok(b.number > 2n);
    } finally {
      await a.close();
    }
  });
});
