// What the indexer keeps of each contract's state (D210-D213, D299): the object kinds and their
// bodies, read by the decisions and the API with their state proofs (state.ts, access.ts). Every
// id starts with the chain id (`chainObjectId`).
import type { Hex } from 'viem';

export const CURSOR_KIND = 'chain.cursor';
export const UNDO_KIND = 'chain.undo';
export const AGREEMENT_KIND = 'chain.agreement';
export const PAIR_KIND = 'chain.pair';
export const GOOD_KIND = 'chain.good';
export const LICENCE_KIND = 'chain.licence';
export const ANCHOR_KIND = 'chain.anchor';
export const COMMERCIAL_KIND = 'chain.commercial';

/** Most agreements kept for one pair of parties (a decision reads them all). */
export const MAX_PAIR_AGREEMENTS = 64;

/** The last applied block. */
export interface ChainCursor {
  readonly chainId: number;
  readonly contracts: { readonly anchor: Hex; readonly agreements: Hex; readonly goods: Hex; readonly editions?: Hex };
  /** -1: nothing applied yet. */
  readonly blockNumber: number;
  /** null: nothing applied yet. */
  readonly blockHash: Hex | null;
  readonly updatedAt: number;
}

/** An agreement as indexed (the `chain.agreement` body). */
export interface IndexedAgreement {
  readonly id: Hex;
  readonly subject: Hex;
  readonly recipient: Hex;
  readonly purposes: readonly Hex[];
  readonly categories: readonly Hex[];
  /** Seconds since the epoch, decimal. */
  readonly expiry: string;
  readonly conditionsHash: Hex;
  readonly revoked: boolean;
  readonly createdTx: Hex;
  readonly revokedTx: Hex | null;
  /** The transaction and block that last set this state. */
  readonly tx: Hex;
  readonly block: number;
}

/** A virtual good as indexed (the `chain.good` body). */
export interface IndexedGood {
  /** Decimal. */
  readonly tokenId: string;
  readonly owner: Hex;
  readonly creator: Hex | null;
  readonly licenceId: string | null;
  readonly royaltyBps: number | null;
  /** The renter (ERC-4907), or null. */
  readonly user: Hex | null;
  /** Seconds since the epoch, decimal ("0" without a rental). */
  readonly userExpires: string;
  readonly mintedTx: Hex;
  /** The SHA-256 of its creation's signed provenance manifest (D300), absent or null when none. */
  readonly provenance?: Hex | null;
  readonly tx: Hex;
  readonly block: number;
}

/** A licence as indexed (the `chain.licence` body). */
export interface IndexedLicence {
  readonly licenceId: string;
  readonly commercialUse: boolean;
  readonly modification: boolean;
  readonly resale: boolean;
  readonly uri: string;
  readonly tx: Hex;
  readonly block: number;
}

/** The longest licence URI kept (longer ones are cut). */
export const MAX_URI = 512;

/** A `LicenceDefined` event's terms as indexed (the goods' and the editions' contracts emit the same event). */
export function licenceOf(args: Record<string, unknown>, tx: Hex, block: number): IndexedLicence {
  return {
    licenceId: String(args['licenceId']),
    commercialUse: args['commercialUse'] === true,
    modification: args['modification'] === true,
    resale: args['resale'] === true,
    uri: String(args['uri']).slice(0, MAX_URI),
    tx,
    block,
  };
}

/** An anchored checkpoint as indexed (the `chain.anchor` body). */
export interface IndexedAnchor {
  readonly originHash: Hex;
  readonly treeSize: number;
  readonly rootHash: Hex;
  readonly anchoredAt: number;
  readonly tx: Hex;
  readonly block: number;
}

/**
 * A commercial-account registration as indexed (the `chain.commercial` body, D299): whether the
 * goods or editions contract's licensor registered the account as commercial, so that it receives
 * only goods licensed for commercial use.
 */
export interface IndexedCommercial {
  /** The contract whose register it is (goods and editions keep their own). */
  readonly contract: Hex;
  readonly account: Hex;
  readonly commercial: boolean;
  readonly tx: Hex;
  readonly block: number;
}

/** The id of an indexed object: the chain id, then its parts. */
export function chainObjectId(chainId: number, ...parts: (string | number | bigint)[]): string {
  return [String(chainId), ...parts.map((p) => (typeof p === 'string' ? p.toLowerCase() : String(p)))].join('/');
}
