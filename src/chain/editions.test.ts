// ERC-1155 goods on the in-process EVM, through the TypeScript wrappers: licence refusals decoded
// to Verity's codes, rental (ERC-5006), and the indexer following TransferSingle, TransferBatch,
// licence, item and rental events into the authenticated state, read back with state proofs that
// check without a store; a holding changed in the database behind Verity's back is refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalAccount } from 'viem';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { isVerityError } from '../errors/index.ts';
import {
  ChainClient,
  ChainIndexer,
  ChainState,
  chainObjectId,
  deployContracts,
  EDITION_BALANCE_KIND,
  Editions,
  VerityContracts,
  verifyChainProofs,
} from './index.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

describe('ERC-1155 goods (VirtualEditions)', () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let ed: Editions;
  let core: TestCore;
  // Roles: 0 admin, 1 anchorer, 2 minter, 3 licensor; 4 player, 5 shop (commercial), 6 creator, 7 other.
  const acct = (i: number) => chain.accounts[i] as LocalAccount;
  const addr = (i: number) => acct(i).address.toLowerCase() as `0x${string}`;

  before(async () => {
    chain = await ChainClient.inProcess();
    v = new VerityContracts(
      chain,
      await deployContracts(chain, { admin: acct(0), anchorer: acct(1), minter: acct(2), licensor: acct(3) }),
    );
    ed = Editions.of(v);
    await ed.defineLicence(acct(3), 1n, {
      commercialUse: false,
      modification: true,
      resale: true,
      uri: 'ar://cbe-personal',
    });
    await ed.defineLicence(acct(3), 2n, {
      commercialUse: false,
      modification: false,
      resale: false,
      uri: 'ar://cbe-nr',
    });
    await ed.setCommercial(acct(3), acct(5).address, true);
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
    await chain?.close();
  });

  it('mints, moves and rents units, refuses what the licence forbids, and indexes it all with proofs', async () => {
    const { tokenId: potion } = await ed.createEdition(acct(2), acct(6).address, 1n, 250, 1000n);
    const { tokenId: skin } = await ed.createEdition(acct(2), acct(6).address, 2n, 500, 10n);
    await ed.mintBatch(acct(2), acct(6).address, [potion, skin], [100n, 10n]);
    await ed.transfer(acct(6), acct(6).address, acct(4).address, potion, 40n);
    await ed.transferBatch(acct(6), acct(6).address, acct(4).address, [potion, skin], [10n, 2n]);
    assert.equal(await ed.balanceOf(acct(4).address, potion), 50n);
    assert.deepEqual(await ed.royaltyInfo(skin, 10_000n), { receiver: acct(6).address, amount: 500n });
    // The licence refuses a resale of the skin and any potion to the commercial shop.
    await assert.rejects(
      ed.transfer(acct(4), acct(4).address, acct(7).address, skin, 1n),
      code('VERITY_E_CHAIN_LICENCE_REFUSED'),
    );
    await assert.rejects(
      ed.transfer(acct(4), acct(4).address, acct(5).address, potion, 1n),
      code('VERITY_E_CHAIN_LICENCE_REFUSED'),
    );
    await assert.rejects(
      ed.transfer(acct(7), acct(4).address, acct(7).address, potion, 1n),
      code('VERITY_E_CHAIN_NOT_AUTHORIZED'),
    );
    const expiry = (await chain.public.getBlock()).timestamp + 3600n;
    const { recordId } = await ed.rent(acct(4), acct(4).address, acct(7).address, potion, 5n, expiry);
    assert.equal(await ed.usableBalanceOf(acct(7).address, potion), 5n);
    assert.equal(await ed.frozenBalanceOf(acct(4).address, potion), 5n);
    await assert.rejects(ed.endRental(acct(4), recordId), code('VERITY_E_CHAIN_NOT_AUTHORIZED'));

    const ix = new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 });
    await ix.sync();
    const state = new ChainState(core.store, core.log, chain.chain.id);
    const read = await state.edition(potion.toString(), acct(4).address);
    assert.equal(read.value.creator, addr(6));
    assert.equal(read.value.supply, '100');
    assert.equal(read.value.maxSupply, '1000');
    assert.equal(read.value.royaltyBps, 250);
    assert.equal(read.licence?.uri, 'ar://cbe-personal');
    assert.equal(read.balance?.amount, '45', '50 held, 5 rented out to the contract');
    const rows = verifyChainProofs(read.evidence, core.log.verifier, core.log.origin);
    assert.equal(rows.size, 3);
    const escrow = await state.edition(potion.toString(), v.addresses.editions as string);
    assert.equal(escrow.balance?.amount, '5', 'the rented units are held by the contract');
    const none = await state.edition(skin.toString(), acct(7).address);
    assert.equal(none.balance?.amount, '0', 'an account that never held the item, proven absent');
    assert.ok(
      verifyChainProofs(none.evidence, core.log.verifier).has(
        `${EDITION_BALANCE_KIND} ${chainObjectId(chain.chain.id, skin, addr(7))}`,
      ),
    );
    const rental = await state.editionRental(recordId.toString());
    assert.deepEqual(
      { owner: rental.value.owner, user: rental.value.user, amount: rental.value.amount, ended: rental.value.ended },
      { owner: addr(4), user: addr(7), amount: '5', ended: false },
    );
    // The user gives the rental up: the units go back and the index follows.
    await ed.endRental(acct(7), recordId);
    await ix.sync();
    assert.equal((await state.edition(potion.toString(), acct(4).address)).balance?.amount, '50');
    assert.equal((await state.editionRental(recordId.toString())).value.ended, true);
    await assert.rejects(state.edition('999'), code('VERITY_E_CHAIN_NOT_INDEXED'));
    await assert.rejects(state.edition('1', 'not an address'), code('VERITY_E_INPUT_INVALID'));

    // A holding raised in the database behind Verity's back is refused at use.
    const id = chainObjectId(chain.chain.id, potion, addr(4));
    const row = await core.store.reader.getObject(EDITION_BALANCE_KIND, id);
    await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [
      row!.body.replace('"amount":"50"', '"amount":"5000"'),
      EDITION_BALANCE_KIND,
      id,
    ]);
    await assert.rejects(state.edition(potion.toString(), acct(4).address), code('VERITY_E_STATE_TAMPERED'));
  });
});
