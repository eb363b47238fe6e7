// `verity serve` without `--chain` (D321): the data directory's embedded chain, started as the server
// starts it: Verity's contracts deployed at the first start with the platform's KeyStore account in
// every role, an anchor and its index kept across a restart, and a start refused when the journal
// no longer holds the blocks Verity indexed; a second server on the same directory refused while
// the first runs.
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anchorLatestCheckpoint, type ChainIndexer, EMBEDDED_CHAIN_ID } from '../src/chain/index.ts';
import { chainFrom, EMBEDDED_JOURNAL, platformAccount, startChain } from '../src/cli/chain.ts';
import { isVerityError } from '../src/errors/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';

describe('the embedded chain of `verity serve`', () => {
  let core: TestCore;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    core = await makeCore('sqlite');
    ({ dir, cleanup } = await tempDir());
  });
  after(async () => {
    await core?.dispose();
    await cleanup?.();
  });
  const settings = () => {
    const s = chainFrom({});
    assert.ok(s);
    return s;
  };

  it('is started by default, kept across a restart, and refused when its journal lost indexed blocks', async () => {
    const platform = await platformAccount(core as never);
    const first = await startChain(core as never, settings(), dir);
    let cursor: Awaited<ReturnType<ChainIndexer['cursor']>>;
    const indexer = (r: typeof first.routes) => r.indexer as ChainIndexer;
    let anchored: number;
    try {
      const r = first.routes;
      assert.equal(r.contracts?.chain.chain.id, EMBEDDED_CHAIN_ID);
      assert.equal(r.anchorer?.address, platform.address);
      assert.equal(r.sender?.address, platform.address);
      assert.equal(r.minter?.address, platform.address);
      // A second server on the same data directory while this one runs: refused.
      await assert.rejects(
        startChain(core as never, settings(), dir),
        (e) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_UNAVAILABLE',
      );
      await core.log.append([new TextEncoder().encode('a record was written')]);
      const a = await anchorLatestCheckpoint(r.contracts as never, r.anchorer as never, core.log, {
        actor: 'operator:test',
      });
      anchored = a.treeSize;
      await indexer(r).sync();
      cursor = await indexer(r).cursor();
      assert.ok(cursor?.blockHash, 'the anchor indexed');
    } finally {
      await first.close();
    }

    const second = await startChain(core as never, settings(), dir);
    try {
      const r = second.routes;
      assert.equal((await r.contracts?.latestAnchor(core.log.origin))?.treeSize, anchored);
      assert.deepEqual(await indexer(r).cursor(), cursor, 'the index and the replayed chain agree');
      const block = await r.contracts?.chain.public.getBlock({ blockNumber: BigInt(cursor?.blockNumber ?? 0) });
      assert.equal(block?.hash.toLowerCase(), cursor?.blockHash);
    } finally {
      await second.close();
    }

    // The journal lost: a new chain would not hold the indexed blocks, so the server does not start.
    const file = join(dir, EMBEDDED_JOURNAL);
    const kept = await readFile(file);
    await rename(file, `${file}.lost`);
    await assert.rejects(
      startChain(core as never, settings(), dir),
      (e) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_JOURNAL' && e.message.includes('restore'),
    );
    // Cut back to before the anchor: refused too.
    const lines = kept.toString().trimEnd().split('\n');
    await writeFile(file, `${lines.slice(0, -1).join('\n')}\n`);
    await assert.rejects(
      startChain(core as never, settings(), dir),
      (e) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_JOURNAL',
    );
    // Restored from the backup: it starts again.
    await writeFile(file, kept);
    const third = await startChain(core as never, settings(), dir);
    await third.close();
  });
});
