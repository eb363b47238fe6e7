// The indexer's part for Verity's own contracts besides the editions (D210-D213, D299): anchored
// checkpoints, data-sharing agreements (and the pairs of parties a decision reads them by), and the
// ERC-721 goods with their licences, rentals and the licensor's register of commercial accounts.
import type { Hex } from 'viem';
import type { RowChanges } from './editions-index.ts';
import {
  AGREEMENT_KIND,
  ANCHOR_KIND,
  COMMERCIAL_KIND,
  chainObjectId,
  GOOD_KIND,
  type IndexedAgreement,
  type IndexedAnchor,
  type IndexedCommercial,
  type IndexedGood,
  LICENCE_KIND,
  licenceOf,
  MAX_PAIR_AGREEMENTS,
  PAIR_KIND,
} from './indexed.ts';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

function lower(a: string): Hex {
  return a.toLowerCase() as Hex;
}

/**
 * Applies one event of the anchor, agreements or goods contract (`addr`, lowercase) to the rows;
 * false for an event Verity does not index. A `CommercialAccountSet` of the editions contract is
 * applied here too: both contracts keep a register of their own.
 */
export async function applyContractEvent(
  c: RowChanges,
  chainId: number,
  a: { anchor: Hex; agreements: Hex; goods: Hex; editions?: Hex | undefined },
  addr: Hex,
  ev: { eventName: string; args: Record<string, unknown> },
  tx: Hex,
  block: number,
): Promise<boolean> {
  const args = ev.args;
  if (ev.eventName === 'CommercialAccountSet' && (addr === a.goods || addr === a.editions)) {
    const doc: IndexedCommercial = {
      contract: addr,
      account: lower(args.account as Hex),
      commercial: args.commercial === true,
      tx,
      block,
    };
    await c.set(COMMERCIAL_KIND, chainObjectId(chainId, addr, doc.account), doc);
    return true;
  }
  if (addr === a.anchor && ev.eventName === 'CheckpointAnchored') {
    const doc: IndexedAnchor = {
      originHash: lower(args.originHash as Hex),
      treeSize: Number(args.treeSize),
      rootHash: lower(args.rootHash as Hex),
      anchoredAt: Number(args.anchoredAt),
      tx,
      block,
    };
    await c.set(ANCHOR_KIND, chainObjectId(chainId, doc.originHash, doc.treeSize), doc);
    return true;
  }
  if (addr === a.agreements && ev.eventName === 'AgreementCreated') {
    const doc: IndexedAgreement = {
      id: lower(args.id as Hex),
      subject: lower(args.subject as Hex),
      recipient: lower(args.recipient as Hex),
      purposes: (args.purposes as Hex[]).slice(0, 16).map(lower),
      categories: (args.categories as Hex[]).slice(0, 16).map(lower),
      expiry: String(args.expiry),
      conditionsHash: lower(args.conditionsHash as Hex),
      revoked: false,
      createdTx: tx,
      revokedTx: null,
      tx,
      block,
    };
    await c.set(AGREEMENT_KIND, chainObjectId(chainId, doc.id), doc);
    const pairId = chainObjectId(chainId, doc.subject, doc.recipient);
    const pair = (await c.get<{ agreements: Hex[] }>(PAIR_KIND, pairId)) ?? { agreements: [] };
    // The newest agreements are kept when a pair has more than the cap (an older one then no
    // longer grants anything through a decision: fail closed).
    await c.set(PAIR_KIND, pairId, { agreements: [...pair.agreements, doc.id].slice(-MAX_PAIR_AGREEMENTS) });
    return true;
  }
  if (addr === a.agreements && ev.eventName === 'AgreementRevoked') {
    const id = chainObjectId(chainId, args.id as Hex);
    const prev = await c.get<IndexedAgreement>(AGREEMENT_KIND, id);
    if (prev === undefined) return false;
    await c.set(AGREEMENT_KIND, id, { ...prev, revoked: true, revokedTx: tx, tx, block });
    return true;
  }
  if (addr !== a.goods) return false;
  if (ev.eventName === 'LicenceDefined') {
    const doc = licenceOf(args, tx, block);
    await c.set(LICENCE_KIND, chainObjectId(chainId, doc.licenceId), doc);
    return true;
  }
  if (ev.eventName === 'Transfer') {
    const tokenId = String(args.tokenId);
    const id = chainObjectId(chainId, tokenId);
    const prev = await c.get<IndexedGood>(GOOD_KIND, id);
    const base: IndexedGood = prev ?? {
      tokenId,
      owner: ZERO_ADDRESS,
      creator: null,
      licenceId: null,
      royaltyBps: null,
      user: null,
      userExpires: '0',
      mintedTx: tx,
      tx,
      block,
    };
    await c.set(GOOD_KIND, id, { ...base, owner: lower(args.to as Hex), tx, block });
    return true;
  }
  if (ev.eventName === 'GoodMinted') {
    const id = chainObjectId(chainId, String(args.tokenId));
    const prev = await c.get<IndexedGood>(GOOD_KIND, id);
    if (prev === undefined) return false;
    await c.set(GOOD_KIND, id, {
      ...prev,
      creator: lower(args.creator as Hex),
      licenceId: String(args.licenceId),
      royaltyBps: Number(args.royaltyBps),
      tx,
      block,
    });
    return true;
  }
  if (ev.eventName === 'ProvenanceSet') {
    const id = chainObjectId(chainId, String(args.tokenId));
    const prev = await c.get<IndexedGood>(GOOD_KIND, id);
    if (prev === undefined) return false;
    await c.set(GOOD_KIND, id, { ...prev, provenance: lower(args.manifestDigest as Hex), tx, block });
    return true;
  }
  if (ev.eventName === 'UpdateUser') {
    const id = chainObjectId(chainId, String(args.tokenId));
    const prev = await c.get<IndexedGood>(GOOD_KIND, id);
    if (prev === undefined) return false;
    const user = lower(args.user as Hex);
    await c.set(GOOD_KIND, id, {
      ...prev,
      user: user === ZERO_ADDRESS ? null : user,
      userExpires: String(args.expires),
      tx,
      block,
    });
    return true;
  }
  return false;
}
