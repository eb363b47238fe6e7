// Verity's contracts on one chain: deployment, checkpoint anchors, data-sharing agreements, virtual goods.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Hex, LocalAccount, TransactionReceipt } from 'viem';
import { ChainError, InputError, quote } from '../errors/index.ts';
import type { Checkpoint } from '../note/index.ts';
import { CheckpointAnchor, DataSharingAgreement, PlainGoods, VirtualEditions, VirtualGoods } from './artifacts.ts';
import type { ChainClient, ContractCall } from './client.ts';
import { bytesToHex, keccak256, toBytes } from './viem.ts';

/** Where Verity's contracts live on one chain. */
export interface ContractAddresses {
  readonly anchor: Hex;
  readonly agreements: Hex;
  readonly goods: Hex;
  /** The ERC-1155 goods (VirtualEditions); absent in deployments made before them. */
  readonly editions?: Hex;
}

/** The accounts that hold each contract role. */
export interface ContractRoles {
  readonly admin: LocalAccount;
  readonly anchorer: LocalAccount;
  readonly minter: LocalAccount;
  readonly licensor: LocalAccount;
}

/**
 * A provenance manifest's digest (`sha256:` and the base64url SHA-256 of its compact JWS, as
 * src/provenance gives it) as the bytes32 a token refers to it by (D300).
 */
export function provenanceBytes32(digest: string): Hex {
  const m = typeof digest === 'string' ? /^sha256:([A-Za-z0-9_-]{43})$/.exec(digest) : null;
  if (m === null)
    throw new InputError('VERITY_E_INPUT_INVALID', `provenance ${quote(digest)} must be a manifest digest, sha256:...`);
  return `0x${Buffer.from(m[1] as string, 'base64url').toString('hex')}` as Hex;
}

/** The manifest digest a token's bytes32 stands for (`provenanceBytes32` reversed). */
export function provenanceDigestOf(b: Hex): string {
  return `sha256:${Buffer.from(b.slice(2), 'hex').toString('base64url')}`;
}

/** Deploys the four contracts, the roles granted to the given accounts. */
export async function deployContracts(chain: ChainClient, roles: ContractRoles): Promise<ContractAddresses> {
  const d = roles.admin;
  const anchor = await chain.deploy(d, CheckpointAnchor.abi, CheckpointAnchor.bytecode, [
    d.address,
    roles.anchorer.address,
  ]);
  const agreements = await chain.deploy(d, DataSharingAgreement.abi, DataSharingAgreement.bytecode);
  const goods = await chain.deploy(d, VirtualGoods.abi, VirtualGoods.bytecode, [
    d.address,
    roles.minter.address,
    roles.licensor.address,
  ]);
  const editions = await chain.deploy(d, VirtualEditions.abi, VirtualEditions.bytecode, [
    d.address,
    roles.minter.address,
    roles.licensor.address,
    EDITIONS_METADATA_URI,
  ]);
  return { anchor, agreements, goods, editions };
}

/** The ERC-1155 metadata URI template of the editions Verity deploys (`{id}`: the token id, 64 hex digits). */
export const EDITIONS_METADATA_URI = 'verity:editions/{id}.json';

/** Deploys OpenZeppelin's plain ERC-721 (the gas baseline of the benchmark). */
export function deployPlainGoods(chain: ChainClient, sender: LocalAccount): Promise<Hex> {
  return chain.deploy(sender, PlainGoods.abi, PlainGoods.bytecode);
}

/** A 32-byte identifier of a purpose or data category name: keccak-256 of its UTF-8 bytes. */
export function itemId(name: string): Hex {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128)
    throw new RangeError('a purpose or category name must have 1 to 128 characters');
  return keccak256(toBytes(name));
}

/** The hash that names a log on chain: SHA-256 of its checkpoint origin line. */
export function originHash(origin: string): Hex {
  return bytesToHex(sha256(new TextEncoder().encode(origin)));
}

/**
 * Checks a checkpoint against the CheckpointAnchor contract at `anchor`: an anchor for its origin
 * and size must exist with its root hash (VERITY_E_CHAIN_NOT_ANCHORED, VERITY_E_CHAIN_ANCHOR_MISMATCH).
 * Returns the anchor, whose block time proves the checkpoint's age. Needs only the anchor's address,
 * so anyone holding the chain can run it.
 */
export async function verifyAnchoredAt(chain: ChainClient, anchor: Hex, checkpoint: Checkpoint): Promise<AnchorRecord> {
  const o = originHash(checkpoint.origin);
  const [rootHash, anchoredAt, blockNumber] = await chain.read<readonly [Hex, bigint, bigint]>({
    address: anchor,
    abi: CheckpointAnchor.abi,
    functionName: 'anchorAt',
    args: [o, BigInt(checkpoint.size)],
  });
  if (/^0x0+$/.test(rootHash))
    throw new ChainError(
      'VERITY_E_CHAIN_NOT_ANCHORED',
      `no anchor for tree size ${checkpoint.size} of log ${quote(checkpoint.origin)}`,
    );
  if (rootHash.toLowerCase() !== bytesToHex(checkpoint.rootHash))
    throw new ChainError(
      'VERITY_E_CHAIN_ANCHOR_MISMATCH',
      `the chain anchors another root hash for tree size ${checkpoint.size} of log ${quote(checkpoint.origin)}`,
      { details: { anchoredRootHash: rootHash } },
    );
  return { originHash: o, treeSize: checkpoint.size, rootHash, anchoredAt: Number(anchoredAt), blockNumber };
}

/** What the chain holds for an anchored checkpoint. */
export interface AnchorRecord {
  readonly originHash: Hex;
  readonly treeSize: number;
  readonly rootHash: Hex;
  /** The block time (seconds since the epoch) it was anchored at: the checkpoint existed by then. */
  readonly anchoredAt: number;
  readonly blockNumber: bigint;
}

/** The terms of a data-sharing agreement, as both parties sign them (EIP-712). */
export interface AgreementTerms {
  readonly subject: Hex;
  readonly recipient: Hex;
  /** Purpose identifiers (itemId of a purpose name), 1 to 16. */
  readonly purposes: readonly Hex[];
  /** Data category identifiers (itemId of a category name), 1 to 16. */
  readonly categories: readonly Hex[];
  /** Seconds since the epoch. */
  readonly expiry: bigint;
  /** The hash of the conditions document (never the document). */
  readonly conditionsHash: Hex;
  /** Makes two agreements with the same terms distinct. */
  readonly salt: Hex;
}

/** An agreement's state on chain. */
export interface AgreementState {
  readonly id: Hex;
  readonly subject: Hex;
  readonly recipient: Hex;
  readonly expiry: bigint;
  /** 0 when not revoked. */
  readonly revokedAt: bigint;
  readonly conditionsHash: Hex;
  readonly active: boolean;
}

/** A licence as the goods contract holds it. */
export interface LicenceTerms {
  readonly commercialUse: boolean;
  readonly modification: boolean;
  readonly resale: boolean;
  readonly uri: string;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const MAX_LICENCE_URI = 512;

function hex32(value: unknown, what: string): Hex {
  if (typeof value !== 'string' || !HEX32.test(value)) throw new RangeError(`${what} must be 32 bytes of hex`);
  return value as Hex;
}

/** Verity's contracts on one chain, through one client. */
export class VerityContracts {
  readonly chain: ChainClient;
  readonly addresses: ContractAddresses;

  constructor(chain: ChainClient, addresses: ContractAddresses) {
    this.chain = chain;
    this.addresses = addresses;
  }

  /** Attaches to deployed contracts, checking that code exists at each address. */
  static async attach(chain: ChainClient, addresses: ContractAddresses): Promise<VerityContracts> {
    await chain.requireCode(addresses.anchor, 'CheckpointAnchor');
    await chain.requireCode(addresses.agreements, 'DataSharingAgreement');
    await chain.requireCode(addresses.goods, 'VirtualGoods');
    if (addresses.editions !== undefined) await chain.requireCode(addresses.editions, 'VirtualEditions');
    return new VerityContracts(chain, addresses);
  }

  // ---- checkpoint anchors ----

  /** Anchors a checkpoint of Verity's log (its origin hashed, its size and root hash). */
  anchorCheckpoint(anchorer: LocalAccount, checkpoint: Checkpoint): Promise<TransactionReceipt> {
    if (checkpoint.rootHash.byteLength !== 32) throw new RangeError('checkpoint root hash must have 32 bytes');
    if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 1)
      throw new RangeError('only a non-empty tree is anchored');
    return this.chain.write(anchorer, {
      address: this.addresses.anchor,
      abi: CheckpointAnchor.abi,
      functionName: 'anchor',
      args: [originHash(checkpoint.origin), BigInt(checkpoint.size), bytesToHex(checkpoint.rootHash)],
    });
  }

  /** The latest anchored checkpoint of a log origin, or undefined when none. */
  async latestAnchor(origin: string): Promise<AnchorRecord | undefined> {
    const o = originHash(origin);
    const [size, rootHash, anchoredAt, blockNumber] = await this.chain.read<readonly [bigint, Hex, bigint, bigint]>({
      address: this.addresses.anchor,
      abi: CheckpointAnchor.abi,
      functionName: 'latest',
      args: [o],
    });
    if (size === 0n) return undefined;
    return { originHash: o, treeSize: Number(size), rootHash, anchoredAt: Number(anchoredAt), blockNumber };
  }

  /**
   * Checks a checkpoint against the chain: an anchor for its origin and size must exist with its
   * root hash. Returns the anchor (its time proves the checkpoint's age).
   */
  verifyAnchored(checkpoint: Checkpoint): Promise<AnchorRecord> {
    return verifyAnchoredAt(this.chain, this.addresses.anchor, checkpoint);
  }

  // ---- data-sharing agreements ----

  /** The EIP-712 typed data both parties sign (`signTypedData` of a wallet or a viem account). */
  agreementTypedData(terms: AgreementTerms) {
    checkTerms(terms);
    return {
      domain: {
        name: 'Verity DataSharingAgreement',
        version: '1',
        chainId: this.chain.chain.id,
        verifyingContract: this.addresses.agreements,
      },
      types: {
        Agreement: [
          { name: 'subject', type: 'address' },
          { name: 'recipient', type: 'address' },
          { name: 'purposes', type: 'bytes32[]' },
          { name: 'categories', type: 'bytes32[]' },
          { name: 'expiry', type: 'uint64' },
          { name: 'conditionsHash', type: 'bytes32' },
          { name: 'salt', type: 'bytes32' },
        ],
      },
      primaryType: 'Agreement',
      message: { ...terms, purposes: [...terms.purposes], categories: [...terms.categories] },
    } as const;
  }

  /** The agreement id (the EIP-712 digest), as the contract computes it. */
  agreementId(terms: AgreementTerms): Promise<Hex> {
    checkTerms(terms);
    return this.chain.read<Hex>({
      address: this.addresses.agreements,
      abi: DataSharingAgreement.abi,
      functionName: 'hashTerms',
      args: [termsArg(terms)],
    });
  }

  /** Records an agreement both parties signed; any account may submit it. Returns its id. */
  async createAgreement(
    submitter: LocalAccount,
    terms: AgreementTerms,
    subjectSignature: Hex,
    recipientSignature: Hex,
  ): Promise<{ id: Hex; receipt: TransactionReceipt }> {
    const id = await this.agreementId(terms);
    const receipt = await this.chain.write(submitter, {
      address: this.addresses.agreements,
      abi: DataSharingAgreement.abi,
      functionName: 'create',
      args: [termsArg(terms), subjectSignature, recipientSignature],
    });
    return { id, receipt };
  }

  /** Revokes an agreement (its subject or its recipient signs the transaction). */
  revokeAgreement(party: LocalAccount, id: Hex): Promise<TransactionReceipt> {
    return this.chain.write(party, {
      address: this.addresses.agreements,
      abi: DataSharingAgreement.abi,
      functionName: 'revoke',
      args: [hex32(id, 'agreement id')],
    });
  }

  /** An agreement's state, or undefined when the chain holds no such agreement. */
  async agreement(id: Hex): Promise<AgreementState | undefined> {
    hex32(id, 'agreement id');
    const [a, active] = await Promise.all([
      this.chain.read<{ subject: Hex; expiry: bigint; recipient: Hex; revokedAt: bigint; conditionsHash: Hex }>({
        address: this.addresses.agreements,
        abi: DataSharingAgreement.abi,
        functionName: 'agreement',
        args: [id],
      }),
      this.chain.read<boolean>({
        address: this.addresses.agreements,
        abi: DataSharingAgreement.abi,
        functionName: 'isActive',
        args: [id],
      }),
    ]);
    if (/^0x0+$/.test(a.subject)) return undefined;
    return { id, ...a, active };
  }

  /** Whether an active agreement covers this purpose and data category (the check before a data read). */
  permits(id: Hex, purpose: Hex, category: Hex): Promise<boolean> {
    return this.chain.read<boolean>({
      address: this.addresses.agreements,
      abi: DataSharingAgreement.abi,
      functionName: 'permits',
      args: [hex32(id, 'agreement id'), hex32(purpose, 'purpose'), hex32(category, 'category')],
    });
  }

  // ---- virtual goods ----

  /** Defines a licence (once; its terms never change). */
  defineLicence(licensor: LocalAccount, licenceId: bigint, terms: LicenceTerms): Promise<TransactionReceipt> {
    if (terms.uri.length > MAX_LICENCE_URI)
      throw new RangeError(`a licence uri has at most ${MAX_LICENCE_URI} characters`);
    return this.chain.write(licensor, {
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'defineLicence',
      args: [licenceId, terms.commercialUse, terms.modification, terms.resale, terms.uri],
    });
  }

  /** Registers an account as commercial (it receives only goods licensed for commercial use), or not. */
  setCommercial(licensor: LocalAccount, account: Hex, commercial: boolean): Promise<TransactionReceipt> {
    return this.chain.write(licensor, {
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'setCommercial',
      args: [account, commercial],
    });
  }

  /** Mints a good to `to`, by `creator` (its royalty receiver at `royaltyBps`), under a licence. Returns the token id. */
  async mint(
    minter: LocalAccount,
    to: Hex,
    creator: Hex,
    licenceId: bigint,
    royaltyBps: number,
    provenance?: string,
  ): Promise<{ tokenId: bigint; receipt: TransactionReceipt }> {
    if (!Number.isInteger(royaltyBps) || royaltyBps < 0 || royaltyBps > 10_000)
      throw new RangeError('royaltyBps must be an integer from 0 to 10000');
    const args = [to, creator, licenceId, BigInt(royaltyBps)] as const;
    const receipt = await this.chain.write(minter, {
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      // With a provenance manifest's digest (D300): the token refers to it (`provenanceOf`).
      ...(provenance === undefined
        ? { functionName: 'mint', args }
        : { functionName: 'mintWithProvenance', args: [...args, provenanceBytes32(provenance)] }),
    });
    // GoodMinted(uint256 indexed tokenId, ...): the token id is the first indexed topic.
    const minted = receipt.logs.find(
      (l) => l.address.toLowerCase() === this.addresses.goods.toLowerCase() && l.topics[0] === GOOD_MINTED,
    );
    if (!minted?.topics[1]) throw new ChainError('VERITY_E_CHAIN_REVERTED', 'the mint emitted no GoodMinted event');
    return { tokenId: BigInt(minted.topics[1]), receipt };
  }

  /** Transfers a good (the owner or an approved account signs). */
  transfer(sender: LocalAccount, from: Hex, to: Hex, tokenId: bigint): Promise<TransactionReceipt> {
    return this.chain.write(sender, this.transferCall(from, to, tokenId));
  }

  /** The call `transfer` sends (to estimate its gas, D298). */
  transferCall(from: Hex, to: Hex, tokenId: bigint): ContractCall {
    return {
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'transferFrom',
      args: [from, to, tokenId],
    };
  }

  /** Rents a good to `user` until `expires` (seconds since the epoch), ERC-4907. */
  rent(owner: LocalAccount, tokenId: bigint, user: Hex, expires: bigint): Promise<TransactionReceipt> {
    return this.chain.write(owner, {
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'setUser',
      args: [tokenId, user, expires],
    });
  }

  ownerOf(tokenId: bigint): Promise<Hex> {
    return this.chain.read<Hex>({
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'ownerOf',
      args: [tokenId],
    });
  }

  /** The current renter, or the zero address. */
  userOf(tokenId: bigint): Promise<Hex> {
    return this.chain.read<Hex>({
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'userOf',
      args: [tokenId],
    });
  }

  /** A good's licence and creator. */
  async licenceOf(tokenId: bigint): Promise<{ licenceId: bigint; terms: LicenceTerms; creator: Hex }> {
    const [licenceId, l, creator] = await this.chain.read<
      readonly [bigint, { commercialUse: boolean; modification: boolean; resale: boolean; uri: string }, Hex]
    >({
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'licenceOf',
      args: [tokenId],
    });
    return {
      licenceId,
      terms: { commercialUse: l.commercialUse, modification: l.modification, resale: l.resale, uri: l.uri },
      creator,
    };
  }

  /** ERC-2981 royalty information for a sale price. */
  async royaltyInfo(tokenId: bigint, salePrice: bigint): Promise<{ receiver: Hex; amount: bigint }> {
    const [receiver, amount] = await this.chain.read<readonly [Hex, bigint]>({
      address: this.addresses.goods,
      abi: VirtualGoods.abi,
      functionName: 'royaltyInfo',
      args: [tokenId, salePrice],
    });
    return { receiver, amount };
  }
}

const GOOD_MINTED = keccak256(toBytes('GoodMinted(uint256,address,uint96,uint96)'));

function checkTerms(t: AgreementTerms): void {
  for (const [what, list] of [
    ['purposes', t.purposes],
    ['categories', t.categories],
  ] as const) {
    if (!Array.isArray(list) || list.length < 1 || list.length > 16)
      throw new RangeError(`an agreement has 1 to 16 ${what}`);
    for (const x of list) hex32(x, what);
  }
  hex32(t.conditionsHash, 'conditionsHash');
  hex32(t.salt, 'salt');
  if (typeof t.expiry !== 'bigint' || t.expiry <= 0n || t.expiry >= 2n ** 64n)
    throw new RangeError('expiry must be a positive 64-bit number of seconds');
}

function termsArg(t: AgreementTerms) {
  return {
    subject: t.subject,
    recipient: t.recipient,
    purposes: [...t.purposes],
    categories: [...t.categories],
    expiry: t.expiry,
    conditionsHash: t.conditionsHash,
    salt: t.salt,
  };
}
