// Virtual goods in editions on chain (FGMV-46 7.2.4; D250-D252): the VirtualEditions contract
// (ERC-1155 items with ERC-2981 royalties, ERC-5006 rental and licence terms) through one client.
import type { Hex, LocalAccount, TransactionReceipt } from 'viem';
import { ChainError } from '../errors/index.ts';
import { PlainEditions, VirtualEditions } from './artifacts.ts';
import type { ChainClient } from './client.ts';
import { type LicenceTerms, provenanceBytes32, type VerityContracts } from './contracts.ts';
import { keccak256, toBytes } from './viem.ts';

/** An item as the contract holds it. */
export interface EditionInfo {
  readonly creator: Hex;
  readonly licenceId: bigint;
  readonly maxSupply: bigint;
  /** Units minted so far. */
  readonly supply: bigint;
}

/** An ERC-5006 user record. */
export interface UserRecord {
  readonly tokenId: bigint;
  readonly owner: Hex;
  readonly amount: bigint;
  readonly user: Hex;
  readonly expiry: bigint;
}

const MAX_LICENCE_URI = 512;
const U64 = 2n ** 64n;
const U128 = 2n ** 128n;
const EDITION_CREATED = keccak256(toBytes('EditionCreated(uint256,address,uint96,uint96,uint128)'));
const CREATE_USER_RECORD = keccak256(toBytes('CreateUserRecord(uint256,uint256,uint64,address,address,uint64)'));

function positive(v: bigint, limit: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || v < 1n || v >= limit)
    throw new RangeError(`${what} must be a positive integer below ${limit}`);
  return v;
}

/** Deploys OpenZeppelin's plain ERC-1155 (the gas baseline of the benchmark). */
export function deployPlainEditions(chain: ChainClient, sender: LocalAccount): Promise<Hex> {
  return chain.deploy(sender, PlainEditions.abi, PlainEditions.bytecode);
}

/**
 * Verity's ERC-1155 goods on one chain (see contracts/VirtualEditions.sol).
 *
 * @example
 * const ed = Editions.of(contracts);
 * const { tokenId } = await ed.createEdition(minter, creator.address, 1n, 500, 1000n);
 * await ed.mint(minter, player.address, tokenId, 10n);
 */
export class Editions {
  readonly chain: ChainClient;
  readonly address: Hex;

  constructor(chain: ChainClient, address: Hex) {
    this.chain = chain;
    this.address = address;
  }

  /** The editions contract of a deployment; VERITY_E_CHAIN_NOT_DEPLOYED when it has none. */
  static of(contracts: VerityContracts): Editions {
    const a = contracts.addresses.editions;
    if (a === undefined)
      throw new ChainError('VERITY_E_CHAIN_NOT_DEPLOYED', 'no VirtualEditions contract is configured for this chain');
    return new Editions(contracts.chain, a);
  }

  #write(sender: LocalAccount, functionName: string, args: readonly unknown[]): Promise<TransactionReceipt> {
    return this.chain.write(sender, { address: this.address, abi: VirtualEditions.abi, functionName, args });
  }

  #read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return this.chain.read<T>({ address: this.address, abi: VirtualEditions.abi, functionName, args });
  }

  #topic(receipt: TransactionReceipt, topic0: Hex): Hex | undefined {
    const l = receipt.logs.find(
      (x) => x.address.toLowerCase() === this.address.toLowerCase() && x.topics[0] === topic0,
    );
    return l === undefined ? undefined : ((l.topics[1] ?? l.data.slice(0, 66)) as Hex);
  }

  /** Defines a licence (once; its terms never change). */
  defineLicence(licensor: LocalAccount, licenceId: bigint, terms: LicenceTerms): Promise<TransactionReceipt> {
    if (terms.uri.length > MAX_LICENCE_URI)
      throw new RangeError(`a licence uri has at most ${MAX_LICENCE_URI} characters`);
    return this.#write(licensor, 'defineLicence', [
      licenceId,
      terms.commercialUse,
      terms.modification,
      terms.resale,
      terms.uri,
    ]);
  }

  /** Registers an account as commercial (it receives only items licensed for commercial use), or not. */
  setCommercial(licensor: LocalAccount, account: Hex, commercial: boolean): Promise<TransactionReceipt> {
    return this.#write(licensor, 'setCommercial', [account, commercial]);
  }

  /** Creates an item of at most `maxSupply` units by `creator` (royalty receiver at `royaltyBps`). Returns its token id. */
  async createEdition(
    minter: LocalAccount,
    creator: Hex,
    licenceId: bigint,
    royaltyBps: number,
    maxSupply: bigint,
    provenance?: string,
  ): Promise<{ tokenId: bigint; receipt: TransactionReceipt }> {
    if (!Number.isInteger(royaltyBps) || royaltyBps < 0 || royaltyBps > 10_000)
      throw new RangeError('royaltyBps must be an integer from 0 to 10000');
    positive(maxSupply, U128, 'maxSupply');
    const args = [creator, licenceId, BigInt(royaltyBps), maxSupply];
    // With a provenance manifest's digest (D300): the item refers to it (`provenanceOf`).
    const receipt =
      provenance === undefined
        ? await this.#write(minter, 'createEdition', args)
        : await this.#write(minter, 'createEditionWithProvenance', [...args, provenanceBytes32(provenance)]);
    const id = this.#topic(receipt, EDITION_CREATED);
    if (id === undefined) throw new ChainError('VERITY_E_CHAIN_REVERTED', 'the call emitted no EditionCreated event');
    return { tokenId: BigInt(id), receipt };
  }

  /** Mints `amount` units of an item to `to`. */
  mint(minter: LocalAccount, to: Hex, tokenId: bigint, amount: bigint, data: Hex = '0x'): Promise<TransactionReceipt> {
    return this.#write(minter, 'mint', [to, tokenId, positive(amount, U128, 'amount'), data]);
  }

  /** Mints several items to `to` in one transaction. */
  mintBatch(minter: LocalAccount, to: Hex, tokenIds: readonly bigint[], amounts: readonly bigint[]) {
    if (tokenIds.length !== amounts.length || tokenIds.length === 0 || tokenIds.length > 64)
      throw new RangeError('give 1 to 64 token ids and as many amounts');
    return this.#write(minter, 'mintBatch', [to, tokenIds, amounts.map((a) => positive(a, U128, 'amount')), '0x']);
  }

  /** Moves `amount` units (the holder or its operator signs; the licence is checked by the contract). */
  transfer(sender: LocalAccount, from: Hex, to: Hex, tokenId: bigint, amount: bigint): Promise<TransactionReceipt> {
    return this.#write(sender, 'safeTransferFrom', [from, to, tokenId, positive(amount, U128, 'amount'), '0x']);
  }

  /** Moves several items at once. */
  transferBatch(sender: LocalAccount, from: Hex, to: Hex, tokenIds: readonly bigint[], amounts: readonly bigint[]) {
    if (tokenIds.length !== amounts.length || tokenIds.length === 0 || tokenIds.length > 64)
      throw new RangeError('give 1 to 64 token ids and as many amounts');
    return this.#write(sender, 'safeBatchTransferFrom', [from, to, tokenIds, amounts, '0x']);
  }

  /** Lets `user` use `amount` of the owner's units until `expiry` (ERC-5006). Returns the record id. */
  async rent(
    sender: LocalAccount,
    owner: Hex,
    user: Hex,
    tokenId: bigint,
    amount: bigint,
    expiry: bigint,
  ): Promise<{ recordId: bigint; receipt: TransactionReceipt }> {
    const receipt = await this.#write(sender, 'createUserRecord', [
      owner,
      user,
      tokenId,
      positive(amount, U64, 'amount'),
      positive(expiry, U64, 'expiry'),
    ]);
    const id = this.#topic(receipt, CREATE_USER_RECORD);
    if (id === undefined) throw new ChainError('VERITY_E_CHAIN_REVERTED', 'the call emitted no CreateUserRecord event');
    return { recordId: BigInt(id), receipt };
  }

  /** Ends a rental: its user at any time, the owner or its operator once it expired. */
  endRental(sender: LocalAccount, recordId: bigint): Promise<TransactionReceipt> {
    return this.#write(sender, 'deleteUserRecord', [recordId]);
  }

  balanceOf(account: Hex, tokenId: bigint): Promise<bigint> {
    return this.#read<bigint>('balanceOf', [account, tokenId]);
  }

  /** Units `account` may use now through rentals (ERC-5006). */
  usableBalanceOf(account: Hex, tokenId: bigint): Promise<bigint> {
    return this.#read<bigint>('usableBalanceOf', [account, tokenId]);
  }

  /** Units of `account` held by the contract while rented out (ERC-5006). */
  frozenBalanceOf(account: Hex, tokenId: bigint): Promise<bigint> {
    return this.#read<bigint>('frozenBalanceOf', [account, tokenId]);
  }

  userRecord(recordId: bigint): Promise<UserRecord> {
    return this.#read<UserRecord>('userRecordOf', [recordId]);
  }

  edition(tokenId: bigint): Promise<EditionInfo> {
    return this.#read<EditionInfo>('edition', [tokenId]);
  }

  /** An item's licence and creator. */
  async licenceOf(tokenId: bigint): Promise<{ licenceId: bigint; terms: LicenceTerms; creator: Hex }> {
    const [licenceId, l, creator] = await this.#read<
      readonly [bigint, { commercialUse: boolean; modification: boolean; resale: boolean; uri: string }, Hex]
    >('licenceOf', [tokenId]);
    return {
      licenceId,
      terms: { commercialUse: l.commercialUse, modification: l.modification, resale: l.resale, uri: l.uri },
      creator,
    };
  }

  /** ERC-2981 royalty information for a sale price. */
  async royaltyInfo(tokenId: bigint, salePrice: bigint): Promise<{ receiver: Hex; amount: bigint }> {
    const [receiver, amount] = await this.#read<readonly [Hex, bigint]>('royaltyInfo', [tokenId, salePrice]);
    return { receiver, amount };
  }
}
