// `verity serve --chain in-process --chain-anchor-every DURATION`: the options checked, and the
// chain started as the server starts it anchoring the log's latest checkpoint on a 1 s schedule,
// each anchor in the log, and not again while the log grows only by its own bookkeeping.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { chainFrom, startChain } from '../src/cli/chain.ts';
import { isVerityError } from '../src/errors/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('verity serve --chain-anchor-every', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
  });

  it('takes a duration of 1 s to a week, only with the in-process chain for now', () => {
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
      { 'chain-anchor-every': '1m' },
      { chain: 'in-process', 'chain-anchor-every': '0s' },
      { chain: 'in-process', 'chain-anchor-every': '500ms' },
      { chain: 'in-process', 'chain-anchor-every': '169h' },
      { chain: 'in-process', 'chain-anchor-every': 'soon' },
      { chain: 'http://127.0.0.1:8545', 'chain-contracts': `${a},${a},${a}`, 'chain-anchor-every': '1m' },
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
    const started = await startChain(core as never, settings);
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
});
