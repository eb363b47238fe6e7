// Which chain addresses a player controls (D230): an address is bound to a player's subject
// reference only on evidence that the player controls it, an EIP-4361 (Sign-In with Ethereum)
// message signed by the address over a nonce Verity issued to that player's session: an account's
// ECDSA signature, or (D295) a contract wallet's ERC-1271 answer for the message's EIP-191 hash,
// asked of the chain when the bindings are given a `contractWallets` check. Bindings are
// state objects bound to the signed log's state map, read (and so checked) at every use:
//   chain.siwe-nonce  SHA256(NONCE)   an issued, unused nonce: whose session asked, the domain, expiry
//   chain.binding     SUBJECTREF      the player's addresses (at most 8), how and when each was bound
//   chain.address     ADDRESS         the subject reference an address is bound to (one player each)
// Both are owned by the subject reference, and a shred of the subject deletes them (D296).
// The log names neither the player nor the address (D211): a `chain.bind` entry carries a random
// binding id, the method and the chain id.
import { createHash } from 'node:crypto';
import type { Hex } from 'viem';
import { encodeSuccessEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { ChainError, InputError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { newObject, nextObject, type ObjectRow, type Store, type StoreReader } from '../store/index.ts';
import type { ChainProofs } from './proof.ts';
import { proveChainRows } from './state.ts';
import { hashMessage, parseSiweMessage, validateSiweMessage, verifyMessage } from './viem.ts';

export const SIWE_NONCE_KIND = 'chain.siwe-nonce';
export const BINDING_KIND = 'chain.binding';
export const ADDRESS_KIND = 'chain.address';

/** Most addresses one player binds. */
export const MAX_BOUND_ADDRESSES = 8;
/** How long a sign-in nonce may be used (ms), and how old a signed message's `issuedAt` may be. */
const NONCE_TTL_MS = 5 * 60 * 1000;
/** Expired nonces deleted at each issue, oldest first. */
const SWEEP = 32;
const MAX_MESSAGE = 4096;
const SUBJECT_REF_RE = /^[A-Za-z0-9_-]{43}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const SIGNATURE_RE = /^0x[0-9a-fA-F]{130}$/;
/** A contract wallet's signature: any bytes (a multisig's are several signatures), at most 2 KB. */
const CONTRACT_SIGNATURE_RE = /^0x(?:[0-9a-fA-F]{2}){1,2048}$/;
// EIP-4361: the nonce is at least 8 alphanumeric characters. Here: the expiry in 13 decimal digits
// (ids of unexpired nonces sort after expired ones) and 128 random bits in hex.
const NONCE_RE = /^[0-9]{13}[0-9a-f]{32}$/;

/** One address bound to a player. */
export interface BoundAddress {
  readonly address: Hex;
  /**
   * `siwe`: the address signed an EIP-4361 message over a nonce Verity issued to the player;
   * `siwe-erc1271`: the address is a contract wallet that accepted that message's signature
   * (ERC-1271 `isValidSignature` over its EIP-191 hash).
   */
  readonly method: 'siwe' | 'siwe-erc1271';
  /** The chain id the signed message named. */
  readonly chainId: number;
  readonly bindingId: string;
  /** Milliseconds since the epoch. */
  readonly boundAt: number;
}

/** The evidence that a player controls an address: an EIP-4361 message and the address's signature. */
export interface SiweEvidence {
  readonly kind: 'siwe';
  readonly message: string;
  /**
   * The signature in hex: an account's 65-byte ECDSA signature of the EIP-191 personal message, or
   * what a contract wallet's `isValidSignature` takes (at most 2,048 bytes).
   */
  readonly signature: string;
}

/**
 * Asks the chain whether a contract wallet accepts `signature` for `hash` (ERC-1271). True only for
 * the magic value; false for an address without code, a revert or any other answer.
 */
export type ContractSignatureCheck = (address: Hex, hash: Hex, signature: Hex) => Promise<boolean>;

function invalid(why: string, reason: string): InputError {
  return new InputError(
    'VERITY_E_CHAIN_BINDING_INVALID',
    `the address was not bound: ${why}; ask for a new nonce, sign a new message and try again`,
    { details: { reason } },
  );
}

function nonceId(nonce: string): string {
  return createHash('sha256').update(nonce).digest('hex');
}

function subjectRefOf(v: unknown): string {
  if (typeof v !== 'string' || !SUBJECT_REF_RE.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', 'a subject reference is 43 base64url characters');
  return v;
}

function addressOf(v: unknown): Hex {
  if (typeof v !== 'string' || !ADDRESS_RE.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `address ${quote(v)} must be a 20-byte 0x address`);
  return v.toLowerCase() as Hex;
}

function docOf<T>(r: ObjectRow | undefined, what: string): T | undefined {
  return r === undefined ? undefined : (parseJson(r.body, { maxBytes: 64 * 1024, maxDepth: 4 }, what) as T);
}

/**
 * The binding of players to chain addresses (see the file comment). `domain` is what a signed
 * message's `domain` must be unless the nonce was issued for another (the web origin's host the
 * player's wallet showed); `chainId` the chain the message must name.
 */
export class AddressBindings {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #contractWallets: ContractSignatureCheck | undefined;
  readonly chainId: number;

  /** `contractWallets`: how contract wallets' signatures are checked; without it only accounts bind. */
  constructor(
    store: Store,
    log: TransparencyLog,
    chainId: number,
    options: { clock?: Clock; contractWallets?: ContractSignatureCheck } = {},
  ) {
    if (!Number.isSafeInteger(chainId) || chainId < 1) throw new RangeError('chainId must be a positive integer');
    this.#store = store;
    this.#log = log;
    this.chainId = chainId;
    this.#clock = options.clock ?? systemClock;
    this.#contractWallets = options.contractWallets;
  }

  /**
   * Issues a single-use nonce for the player `subjectRef` to sign in an EIP-4361 message for
   * `domain` (the host, and port when not the default, the player's wallet shows). Audited without
   * the nonce or the player.
   */
  async issueNonce(
    subjectRef: string,
    domain: string,
    actor: string,
  ): Promise<{ nonce: string; domain: string; chainId: number; expiresAt: number }> {
    subjectRefOf(subjectRef);
    if (typeof domain !== 'string' || !/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(domain))
      throw new InputError('VERITY_E_INPUT_INVALID', `domain ${quote(domain)} must be a host name, with a port or not`);
    const now = this.#clock.now();
    const expiresAt = now + NONCE_TTL_MS;
    const nonce = `${String(expiresAt).padStart(13, '0')}${Buffer.from(randomBytesSecure(16)).toString('hex')}`;
    await this.#log.submit(async (tx, batch) => {
      // Expired nonces go first (their ids are hashes, so the expiry is read from the body).
      let swept = 0;
      for (const old of await tx.listObjects(SIWE_NONCE_KIND, undefined, { limit: SWEEP })) {
        const d = docOf<{ expiresAt: number }>(old, 'nonce');
        if (d !== undefined && d.expiresAt <= now) {
          await tx.deleteObject(SIWE_NONCE_KIND, old.id);
          swept++;
        }
      }
      await tx.putObject(
        newObject({
          kind: SIWE_NONCE_KIND,
          id: nonceId(nonce),
          doc: { subjectRef, domain, expiresAt },
          updatedAt: now,
        }),
      );
      return batch.add(
        encodeSuccessEntry(
          { actor, purpose: 'authentication' },
          {
            action: 'chain.bind',
            resource: `chain:${this.chainId}`,
            time: now,
            details: { step: 'nonce', swept },
          },
        ),
      );
    });
    return { nonce, domain, chainId: this.chainId, expiresAt };
  }

  /**
   * Binds `address` to the player `subjectRef` on `evidence`: an EIP-4361 message for this chain,
   * naming this address, over a nonce issued to this player (unused, unexpired; consumed here), for
   * the domain the nonce was issued for, within its validity times, signed by the address. An
   * address is bound to one player only (VERITY_E_CHAIN_CONFLICT when another holds it). Platform-
   * custodial wallets call this too, with a message their key signed. Logged as `chain.bind` by
   * `actor`, naming neither the player nor the address.
   */
  async bindAddress(
    subjectRef: string,
    address: string,
    evidence: SiweEvidence,
    actor: string,
  ): Promise<BoundAddress & { logIndex: number }> {
    subjectRefOf(subjectRef);
    const addr = addressOf(address);
    if (evidence?.kind !== 'siwe') throw invalid('the evidence is not an EIP-4361 message', 'kind');
    if (typeof evidence.message !== 'string' || evidence.message.length > MAX_MESSAGE)
      throw invalid(`the message must be text of at most ${MAX_MESSAGE} characters`, 'message');
    if (typeof evidence.signature !== 'string' || !CONTRACT_SIGNATURE_RE.test(evidence.signature))
      throw invalid('the signature must be hex bytes (65 for an account, at most 2,048)', 'signature');
    const m = parseSiweMessage(evidence.message);
    if (m.nonce === undefined || !NONCE_RE.test(m.nonce))
      throw invalid('the message carries no nonce Verity issued', 'nonce');
    if (m.chainId !== this.chainId) throw invalid(`the message must name chain ${this.chainId}`, 'chain');
    if (m.address === undefined || m.address.toLowerCase() !== addr)
      throw invalid('the message names another address', 'address');
    const now = this.#clock.now();
    const issuedAt = m.issuedAt?.getTime();
    if (issuedAt === undefined || issuedAt > now + 60_000 || issuedAt < now - NONCE_TTL_MS)
      throw invalid('the message must carry an issuedAt within the last five minutes', 'issued-at');
    const nid = nonceId(m.nonce);
    const pending = docOf<{ subjectRef: string; domain: string; expiresAt: number }>(
      await this.#store.reader.getObject(SIWE_NONCE_KIND, nid),
      'nonce',
    );
    if (pending === undefined) throw invalid('the nonce is unknown or was used already', 'nonce-unknown');
    if (pending.expiresAt <= now) throw invalid('the nonce has expired', 'nonce-expired');
    if (pending.subjectRef !== subjectRef) throw invalid('the nonce was issued to another player', 'nonce-player');
    if (m.domain !== pending.domain) throw invalid(`the message must be for domain ${quote(pending.domain)}`, 'domain');
    // EIP-4361 validation: domain, address, nonce and the message's own validity times.
    if (
      !validateSiweMessage({
        message: m,
        domain: pending.domain,
        address: addr,
        nonce: m.nonce,
        time: new Date(now),
      })
    )
      throw invalid('the message is not valid now (its expirationTime or notBefore)', 'message');
    const method = await this.#signedBy(addr, evidence.message, evidence.signature as Hex);
    const bindingId = `bnd_${toBase64Url(randomBytesSecure(12))}`;
    const bound: BoundAddress = { address: addr, method, chainId: this.chainId, bindingId, boundAt: now };
    const { result } = await this.#log.submit(async (tx, batch) => {
      // The nonce is consumed in the transaction that binds: a replayed message is refused on every node.
      if (!(await tx.deleteObject(SIWE_NONCE_KIND, nid))) throw invalid('the nonce was used already', 'nonce-unknown');
      const holder = docOf<{ subjectRef: string }>(await tx.getObject(ADDRESS_KIND, addr), 'address');
      if (holder !== undefined && holder.subjectRef !== subjectRef)
        throw new ChainError(
          'VERITY_E_CHAIN_CONFLICT',
          'this address is bound to another player; it must be unbound there first',
        );
      const prev = await tx.getObject(BINDING_KIND, subjectRef);
      const list = (docOf<{ addresses: BoundAddress[] }>(prev, 'binding')?.addresses ?? []).filter(
        (b) => b.address !== addr,
      );
      if (list.length >= MAX_BOUND_ADDRESSES)
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `a player binds at most ${MAX_BOUND_ADDRESSES} addresses; unbind one first`,
        );
      await tx.putObject(
        nextObject(prev, {
          kind: BINDING_KIND,
          id: subjectRef,
          owner: subjectRef,
          doc: { addresses: [...list, bound] },
          updatedAt: now,
        }),
      );
      if (holder === undefined)
        await tx.putObject(
          newObject({
            kind: ADDRESS_KIND,
            id: addr,
            owner: subjectRef,
            doc: { subjectRef, boundAt: now },
            updatedAt: now,
          }),
        );
      return batch.add(
        encodeSuccessEntry(
          { actor, purpose: 'authentication' },
          {
            action: 'chain.bind',
            resource: `binding:${bindingId}`,
            time: now,
            details: { method, chainId: this.chainId },
          },
        ),
      );
    });
    return { ...bound, logIndex: result };
  }

  /**
   * How the address signed the message: an account's ECDSA signature of the EIP-191 message
   * (checked offline by viem), else, when contract wallets are checked, the wallet's ERC-1271
   * answer for the message's EIP-191 hash at the chain's latest block.
   */
  async #signedBy(address: Hex, message: string, signature: Hex): Promise<BoundAddress['method']> {
    if (SIGNATURE_RE.test(signature) && (await verifyMessage({ address, message, signature }).catch(() => false)))
      return 'siwe';
    if (this.#contractWallets !== undefined && (await this.#contractWallets(address, hashMessage(message), signature)))
      return 'siwe-erc1271';
    throw invalid(
      this.#contractWallets === undefined
        ? 'the signature is not by the address over this message (contract wallets are not accepted here)'
        : 'the signature is not by the address over this message, and no contract wallet there accepts it',
      'signature',
    );
  }

  /** Unbinds one of the player's addresses (logged as `chain.unbind`); false when it was not bound to them. */
  async unbindAddress(subjectRef: string, address: string, actor: string): Promise<boolean> {
    subjectRefOf(subjectRef);
    const addr = addressOf(address);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const prev = await tx.getObject(BINDING_KIND, subjectRef);
      const list = docOf<{ addresses: BoundAddress[] }>(prev, 'binding')?.addresses ?? [];
      const gone = list.find((b) => b.address === addr);
      if (gone === undefined) return false;
      const rest = list.filter((b) => b.address !== addr);
      if (rest.length === 0) await tx.deleteObject(BINDING_KIND, subjectRef);
      else
        await tx.putObject(
          nextObject(prev, {
            kind: BINDING_KIND,
            id: subjectRef,
            owner: subjectRef,
            doc: { addresses: rest },
            updatedAt: now,
          }),
        );
      await tx.deleteObject(ADDRESS_KIND, addr);
      batch.add(
        encodeSuccessEntry(
          { actor, purpose: 'authentication' },
          { action: 'chain.unbind', resource: `binding:${gone.bindingId}`, time: now },
        ),
      );
      return true;
    });
    return result;
  }

  /** The addresses bound to a player (read through the verified reader: a changed row is refused). */
  async addressesOf(subjectRef: string, reader: StoreReader = this.#store.reader): Promise<BoundAddress[]> {
    subjectRefOf(subjectRef);
    const doc = docOf<{ addresses: BoundAddress[] }>(await reader.getObject(BINDING_KIND, subjectRef), 'binding');
    // Only this chain's bindings count for its agreements.
    return (doc?.addresses ?? []).filter((b) => b.chainId === this.chainId);
  }

  /** The player's addresses with the state proof of their binding row (absent: the proof of absence). */
  async proven(subjectRef: string): Promise<{ addresses: BoundAddress[]; evidence: ChainProofs }> {
    const addresses = await this.addressesOf(subjectRef);
    return {
      addresses,
      evidence: await proveChainRows(this.#store, this.#log, [{ kind: BINDING_KIND, id: subjectRef }]),
    };
  }
}
