// The end-to-end trade of FGMV-46 7.2.2 and 7.2.4, run on each chain (in process and over JSON-RPC):
// a data-sharing agreement signed by both parties, a licensed good minted and sold with its royalty
// information, a sale the licence forbids refused, a revocation that blocks the next data read, and
// Verity's log checkpoint anchored and checked from the chain.
import assert from 'node:assert/strict';
import { type Hex, keccak256, type LocalAccount, toBytes } from 'viem';
import { type AgreementTerms, ChainClient, deployContracts, itemId, VerityContracts } from '../../src/chain/index.ts';
import { isVerityError } from '../../src/errors/index.ts';
import { type NoteVerifier, verifyCheckpoint } from '../../src/note/index.ts';

/** Agreement terms for the marketplace's use of a player's inventory for a day from `now`, made distinct by `salt`. */
export function marketplaceTerms(subject: Hex, recipient: Hex, now: bigint, salt: string): AgreementTerms {
  return {
    subject,
    recipient,
    purposes: [itemId('marketplace')],
    categories: [itemId('inventory')],
    expiry: now + 86_400n,
    conditionsHash: keccak256(toBytes('marketplace conditions v1')),
    salt: keccak256(toBytes(salt)),
  };
}

/** A fresh in-process chain with Verity's contracts: admin, anchorer, minter and licensor are accounts 0 to 3. */
export async function deployedChain(): Promise<{ chain: ChainClient; v: VerityContracts }> {
  const chain = await ChainClient.inProcess();
  const [admin, anchorer, minter, licensor] = chain.accounts as [
    LocalAccount,
    LocalAccount,
    LocalAccount,
    LocalAccount,
  ];
  return { chain, v: new VerityContracts(chain, await deployContracts(chain, { admin, anchorer, minter, licensor })) };
}

/** The part of Verity's transparency log the trade uses. */
export interface TradeLog {
  readonly origin: string;
  readonly verifier: NoteVerifier;
  append(entries: readonly Uint8Array[]): Promise<unknown>;
  checkpoint(): Promise<string>;
}

/** The trade's roles by dev account index: 0 admin, 1 anchorer, 2 minter, 3 licensor, 4 player, 5 platform, 6 creator, 7 another player, 8 a commercial shop. */
export function tradeAccounts(chain: { accounts: readonly unknown[] }) {
  const acct = (i: number) => chain.accounts[i] as LocalAccount;
  return {
    admin: acct(0),
    anchorer: acct(1),
    minter: acct(2),
    licensor: acct(3),
    player: acct(4),
    platform: acct(5),
    creator: acct(6),
    other: acct(7),
    shop: acct(8),
  };
}

/**
 * Runs the trade. Accounts by index on `v.chain`: 1 anchorer, 2 minter, 3 licensor, 4 player,
 * 5 platform, 6 creator, 7 another player, 8 a commercial shop. `licenceId` must be unused.
 */
export async function runTrade(v: VerityContracts, log: TradeLog, licenceId: bigint): Promise<void> {
  const { anchorer, minter, licensor, player, platform, creator, other, shop } = tradeAccounts(v.chain);
  const refused = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

  // 1. The player and the platform sign a data-sharing agreement (EIP-712); the platform submits it.
  const now = (await v.chain.public.getBlock()).timestamp;
  const terms = marketplaceTerms(player.address, platform.address, now, `trade-${licenceId}`);
  const typed = v.agreementTypedData(terms);
  const { id } = await v.createAgreement(
    platform,
    terms,
    await player.signTypedData(typed),
    await platform.signTypedData(typed),
  );
  assert.equal(await v.permits(id, itemId('marketplace'), itemId('inventory')), true);

  // 2. A licensed good (personal use, resale allowed) sold by its creator, then resold.
  await v.defineLicence(licensor, licenceId, {
    commercialUse: false,
    modification: true,
    resale: true,
    uri: 'ar://cbe-personal',
  });
  await v.setCommercial(licensor, shop.address, true);
  const { tokenId } = await v.mint(minter, creator.address, creator.address, licenceId, 750);
  await v.transfer(creator, creator.address, player.address, tokenId);
  assert.equal(await v.ownerOf(tokenId), player.address);
  assert.deepEqual(await v.royaltyInfo(tokenId, 1_000_000n), { receiver: creator.address, amount: 75_000n });
  // A sale the licence does not allow (to a commercial account) is refused and changes nothing.
  await assert.rejects(
    v.transfer(player, player.address, shop.address, tokenId),
    refused('VERITY_E_CHAIN_LICENCE_REFUSED'),
  );
  assert.equal(await v.ownerOf(tokenId), player.address);
  await v.transfer(player, player.address, other.address, tokenId);
  assert.equal(await v.ownerOf(tokenId), other.address);

  // 3. The player revokes; the next check before a data read sees it.
  await v.revokeAgreement(player, id);
  assert.equal(await v.permits(id, itemId('marketplace'), itemId('inventory')), false);

  // 4. Verity's log checkpoint anchored and checked from the chain.
  await log.append([new TextEncoder().encode(`trade ${licenceId}`)]);
  const { checkpoint } = verifyCheckpoint(await log.checkpoint(), log.verifier, log.origin);
  await v.anchorCheckpoint(anchorer, checkpoint);
  assert.equal((await v.verifyAnchored(checkpoint)).treeSize, checkpoint.size);
}
