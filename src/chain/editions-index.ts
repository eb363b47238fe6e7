// The indexer's part for VirtualEditions (D251): ERC-1155 items, holdings, licences and ERC-5006
// rentals followed from the contract's events into the authenticated state.
//
// Objects (kind, id), every id starting with the chain id:
//   chain.edition          CHAIN/TOKENID            an item: creator, licence, royalty, maximum supply, units minted
//   chain.edition.balance  CHAIN/TOKENID/ACCOUNT    the units an account holds (rented-out units are the contract's)
//   chain.edition.licence  CHAIN/LICENCEID          a licence's terms (the editions contract's own licences)
//   chain.edition.rental   CHAIN/RECORDID           an ERC-5006 user record: owner, user, amount, expiry, ended
import type { Hex } from 'viem';
import { licenceOf } from './indexed.ts';

export const EDITION_KIND = 'chain.edition';
export const EDITION_BALANCE_KIND = 'chain.edition.balance';
export const EDITION_LICENCE_KIND = 'chain.edition.licence';
export const EDITION_RENTAL_KIND = 'chain.edition.rental';

/** Most token ids of one TransferBatch applied (a larger batch is recorded up to this many). */
export const MAX_BATCH_IDS = 256;

/** An item as indexed (the `chain.edition` body). */
export interface IndexedEdition {
  /** Decimal. */
  readonly tokenId: string;
  readonly creator: Hex;
  readonly licenceId: string;
  readonly royaltyBps: number;
  /** Decimal. */
  readonly maxSupply: string;
  /** Units minted so far, decimal. */
  readonly supply: string;
  readonly createdTx: Hex;
  /** The SHA-256 of its creation's signed provenance manifest (D300), absent or null when none. */
  readonly provenance?: Hex | null;
  readonly tx: Hex;
  readonly block: number;
}

/** The units one account holds of one item (the `chain.edition.balance` body). */
export interface IndexedEditionBalance {
  readonly tokenId: string;
  readonly account: Hex;
  /** Decimal. */
  readonly amount: string;
  readonly tx: Hex;
  readonly block: number;
}

/** An ERC-5006 user record as indexed (the `chain.edition.rental` body). */
export interface IndexedEditionRental {
  readonly recordId: string;
  readonly tokenId: string;
  readonly owner: Hex;
  readonly user: Hex;
  readonly amount: string;
  /** Seconds since the epoch, decimal. */
  readonly expiry: string;
  /** Ended by deleteUserRecord (an expired record not yet deleted is not ended, but no longer usable). */
  readonly ended: boolean;
  readonly tx: Hex;
  readonly block: number;
}

/** The rows of one range, read and written through the indexer's transaction. */
export interface RowChanges {
  get<T>(kind: string, id: string): Promise<T | undefined>;
  set(kind: string, id: string, doc: unknown): Promise<void>;
}

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

function lower(a: unknown): Hex {
  return String(a).toLowerCase() as Hex;
}

/**
 * Applies one decoded event of the editions contract; false for events not indexed. `id` makes an
 * object id (the chain id first). TransferSingle and TransferBatch move units between balance rows
 * (a mint, from the zero address, also counts the item's supply).
 */
export async function applyEditionEvent(
  c: RowChanges,
  id: (...parts: (string | number | bigint)[]) => string,
  ev: { eventName: string; args: Record<string, unknown> },
  tx: Hex,
  block: number,
): Promise<boolean> {
  const args = ev.args;
  switch (ev.eventName) {
    case 'LicenceDefined': {
      const licence = licenceOf(args, tx, block);
      await c.set(EDITION_LICENCE_KIND, id(licence.licenceId), licence);
      return true;
    }
    case 'EditionCreated': {
      const doc: IndexedEdition = {
        tokenId: String(args.tokenId),
        creator: lower(args.creator),
        licenceId: String(args.licenceId),
        royaltyBps: Number(args.royaltyBps),
        maxSupply: String(args.maxSupply),
        supply: '0',
        createdTx: tx,
        tx,
        block,
      };
      await c.set(EDITION_KIND, id(doc.tokenId), doc);
      return true;
    }
    case 'ProvenanceSet': {
      const prev = await c.get<IndexedEdition>(EDITION_KIND, id(String(args.tokenId)));
      if (prev === undefined) return false;
      await c.set(EDITION_KIND, id(prev.tokenId), { ...prev, provenance: lower(args.manifestDigest), tx, block });
      return true;
    }
    case 'TransferSingle':
      await move(c, id, lower(args.from), lower(args.to), [args.id as bigint], [args.value as bigint], tx, block);
      return true;
    case 'TransferBatch':
      await move(
        c,
        id,
        lower(args.from),
        lower(args.to),
        (args.ids as bigint[]).slice(0, MAX_BATCH_IDS),
        (args.values as bigint[]).slice(0, MAX_BATCH_IDS),
        tx,
        block,
      );
      return true;
    case 'CreateUserRecord': {
      const doc: IndexedEditionRental = {
        recordId: String(args.recordId),
        tokenId: String(args.tokenId),
        owner: lower(args.owner),
        user: lower(args.user),
        amount: String(args.amount),
        expiry: String(args.expiry),
        ended: false,
        tx,
        block,
      };
      await c.set(EDITION_RENTAL_KIND, id(doc.recordId), doc);
      return true;
    }
    case 'DeleteUserRecord': {
      const rid = id(String(args.recordId));
      const prev = await c.get<IndexedEditionRental>(EDITION_RENTAL_KIND, rid);
      if (prev === undefined) return false;
      await c.set(EDITION_RENTAL_KIND, rid, { ...prev, ended: true, tx, block });
      return true;
    }
    default:
      return false;
  }
}

async function move(
  c: RowChanges,
  id: (...parts: (string | number | bigint)[]) => string,
  from: Hex,
  to: Hex,
  ids: readonly bigint[],
  values: readonly bigint[],
  tx: Hex,
  block: number,
): Promise<void> {
  for (let i = 0; i < ids.length && i < values.length; i++) {
    const tokenId = String(ids[i]);
    const value = values[i] as bigint;
    if (from === ZERO_ADDRESS) {
      const e = await c.get<IndexedEdition>(EDITION_KIND, id(tokenId));
      if (e !== undefined)
        await c.set(EDITION_KIND, id(tokenId), { ...e, supply: String(BigInt(e.supply) + value), tx, block });
    } else await add(c, id, tokenId, from, -value, tx, block);
    if (to !== ZERO_ADDRESS) await add(c, id, tokenId, to, value, tx, block);
  }
}

async function add(
  c: RowChanges,
  id: (...parts: (string | number | bigint)[]) => string,
  tokenId: string,
  account: Hex,
  delta: bigint,
  tx: Hex,
  block: number,
): Promise<void> {
  const key = id(tokenId, account);
  const prev = await c.get<IndexedEditionBalance>(EDITION_BALANCE_KIND, key);
  const amount = BigInt(prev?.amount ?? '0') + delta;
  // INVARIANT: the contract never lets a balance go below zero; a negative one means events were
  // missed, which the continuity checks rule out, so it is recorded as zero rather than trusted.
  const doc: IndexedEditionBalance = { tokenId, account, amount: String(amount < 0n ? 0n : amount), tx, block };
  await c.set(EDITION_BALANCE_KIND, key, doc);
}
