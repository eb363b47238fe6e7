// Reads of the indexed ERC-1155 goods (D251): an item, its licence and a holder's units, each row
// checked against the state map at use and answered with its state proof under a signed checkpoint.
import type { Hex } from 'viem';
import { ChainError, InputError, quote } from '../errors/index.ts';
import type { Store } from '../store/index.ts';
import {
  EDITION_BALANCE_KIND,
  EDITION_KIND,
  EDITION_LICENCE_KIND,
  EDITION_RENTAL_KIND,
  type IndexedEdition,
  type IndexedEditionBalance,
  type IndexedEditionRental,
} from './editions-index.ts';
import { chainObjectId, type IndexedLicence } from './indexed.ts';
import type { ChainProofs } from './proof.ts';

/** An item as read, with its licence, a holder's units when asked, and the proofs of every row read. */
export interface EditionRead {
  readonly value: IndexedEdition;
  readonly licence: IndexedLicence | null;
  /** With a holder: its units (an absent row, proven absent, is "0"). */
  readonly balance: { readonly account: Hex; readonly amount: string } | null;
  readonly tx: Hex;
  readonly block: number;
  readonly evidence: ChainProofs;
}

/** Proves state rows against the log's latest checkpoint (`proveChainRows` of a store and its log). */
export type Prove = (keys: readonly { kind: string; id: string }[]) => Promise<ChainProofs>;

function decimal(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^[0-9]{1,78}$/.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(v)} must be a decimal number`);
  return BigInt(v).toString();
}

function notIndexed(what: string): ChainError {
  return new ChainError(
    'VERITY_E_CHAIN_NOT_INDEXED',
    `${what} is not in Verity's index of the chain (not confirmed yet, or never on chain)`,
  );
}

async function doc<T>(store: Store, kind: string, id: string): Promise<T | undefined> {
  // The read is checked against the state map (a changed or deleted row is VERITY_E_STATE_TAMPERED).
  const r = await store.reader.getObject(kind, id);
  return r === undefined ? undefined : (JSON.parse(r.body) as T);
}

/** An indexed item (and a holder's units of it) with proofs; VERITY_E_CHAIN_NOT_INDEXED when there is none. */
export async function readEdition(
  store: Store,
  prove: Prove,
  chainId: number,
  tokenId: string,
  holder?: string,
): Promise<EditionRead> {
  const t = decimal(tokenId, 'token id');
  let account: Hex | undefined;
  if (holder !== undefined) {
    if (typeof holder !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(holder))
      throw new InputError('VERITY_E_INPUT_INVALID', `holder ${quote(holder)} must be a 20-byte 0x address`);
    account = holder.toLowerCase() as Hex;
  }
  const id = chainObjectId(chainId, t);
  const value = await doc<IndexedEdition>(store, EDITION_KIND, id);
  if (value === undefined) throw notIndexed(`edition ${t}`);
  const lid = chainObjectId(chainId, value.licenceId);
  const keys = [
    { kind: EDITION_KIND, id },
    { kind: EDITION_LICENCE_KIND, id: lid },
  ];
  const licence = (await doc<IndexedLicence>(store, EDITION_LICENCE_KIND, lid)) ?? null;
  let balance: EditionRead['balance'] = null;
  if (account !== undefined) {
    const bid = chainObjectId(chainId, t, account);
    keys.push({ kind: EDITION_BALANCE_KIND, id: bid });
    const b = await doc<IndexedEditionBalance>(store, EDITION_BALANCE_KIND, bid);
    balance = { account, amount: b?.amount ?? '0' };
  }
  const evidence = await prove(keys);
  return { value, licence, balance, tx: value.tx, block: value.block, evidence };
}

/** An indexed ERC-5006 rental with its proof. */
export async function readEditionRental(
  store: Store,
  prove: Prove,
  chainId: number,
  recordId: string,
): Promise<{ value: IndexedEditionRental; tx: Hex; block: number; evidence: ChainProofs }> {
  const id = chainObjectId(chainId, decimal(recordId, 'record id'));
  const value = await doc<IndexedEditionRental>(store, EDITION_RENTAL_KIND, id);
  if (value === undefined) throw notIndexed(`rental ${recordId}`);
  const evidence = await prove([{ kind: EDITION_RENTAL_KIND, id }]);
  return { value, tx: value.tx, block: value.block, evidence };
}
