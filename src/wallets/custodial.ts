import { createHash } from 'node:crypto';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Hex, LocalAccount, TransactionReceipt } from 'viem';
import { encodeAuditEntry } from '../audit/index.ts';
import type { AddressBindings, VerityContracts } from '../chain/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { ERROR_CODES } from '../codes/index.ts';
import { parseJson } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Passkeys } from '../passkeys/index.ts';
import { newObject, nextObject, type Store, type StoreWriter } from '../store/index.ts';
import { evmAccountOf, keyStoreAccount } from './account.ts';
import { type PreparedAction, prepareAction, type WalletAction } from './actions.ts';
import { createSiweMessage } from './viem.ts';

/** Object kind of a player's custodial wallet (id and owner: the player's subject reference). */
export const WALLET_KIND = 'wallet.custodial';
/** How long a step-up for one action can be answered, by default (ms). */
export const STEP_UP_WINDOW_MS = 120_000;

/** A player's custodial wallet as its state object holds it. */
export interface CustodialWallet {
  readonly address: Hex;
  readonly publicKey: Hex;
  /** The KeyStore name of its secp256k1 key. */
  readonly key: string;
  readonly createdAt: number;
  /** Gas the platform paid this wallet on one UTC day (D298): the day, and wei in decimal. */
  readonly gasPaid?: { readonly day: string; readonly wei: string };
}

export interface CustodialWalletsOptions {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly keys: KeyStore;
  readonly passkeys: Passkeys;
  readonly contracts: VerityContracts;
  readonly clock?: Clock;
  /** How long a step-up challenge lasts (ms; default 120 000, at most the passkeys' challenge time). */
  readonly stepUpWindowMs?: number;
  /**
   * Where each new wallet's address is bound to its player (D298), so that agreements it signs
   * count in reads under agreement; `bindDomain` is the EIP-4361 domain of that message.
   */
  readonly bindings?: AddressBindings;
  readonly bindDomain?: string;
  /**
   * Gas for the wallets' own transactions (D298): before a transfer, `funder` (the platform's
   * account) pays the wallet what the transaction's gas lacks, at most `maxWeiPerTopUp` at once
   * and `maxWeiPerDay` per wallet per UTC day. Without it the wallets pay their own gas.
   */
  readonly gas?: { readonly funder: LocalAccount; readonly maxWeiPerTopUp?: bigint; readonly maxWeiPerDay?: bigint };
}

/** Gas paid per wallet by default: 0.01 of the chain's coin at once, 0.05 a day. */
export const DEFAULT_GAS_LIMITS = { maxWeiPerTopUp: 10n ** 16n, maxWeiPerDay: 5n * 10n ** 16n } as const;
const DEFAULT_BIND_DOMAIN = 'wallet.verity.invalid';

/** The outcome of a confirmed action: a mined transfer, or the player's signature of agreement terms. */
export type ActionResult =
  | { readonly kind: 'transfer'; readonly digest: Hex; readonly receipt: TransactionReceipt }
  | { readonly kind: 'agreement'; readonly digest: Hex; readonly signature: Hex };

const PURPOSE = 'wallet';

/**
 * Custodial wallets (FGMV-46 7.2.4; D240-D243): one secp256k1 key per player in the KeyStore (the
 * key file, the HSM, through the key process), its address in a `wallet.custodial` state object.
 * Nothing is signed for a player without a fresh passkey assertion of that player answering a
 * challenge bound to the digest of exactly that action (`stepUp`, then `execute`): single use (the
 * challenge is consumed as authenticated state in the transaction that logs the signature), within
 * a short window, and the account used then signs that one transaction or typed data and nothing
 * else. Every signature and every refusal is logged; entries name the actor and the action's kind,
 * never the player, an address or a transaction (D211).
 */
export class CustodialWallets {
  readonly #o: CustodialWalletsOptions;
  readonly #clock: Clock;
  readonly #window: number;

  constructor(o: CustodialWalletsOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#window = o.stepUpWindowMs ?? STEP_UP_WINDOW_MS;
    if (!Number.isInteger(this.#window) || this.#window < 10_000 || this.#window > 600_000)
      throw new RangeError('a step-up window lasts 10 s to 10 min');
  }

  /** The chain id the wallets act on. */
  get chainId(): number {
    return this.#o.contracts.chain.chain.id;
  }

  /** The KeyStore name of a player's key: a hash of the subject reference (itself a keyed pseudonym). */
  static keyName(subjectRef: string): string {
    return `wallet-${createHash('sha256').update(`verity/wallet-key/v1\u0000${subjectRef}`).digest('hex').slice(0, 48)}`;
  }

  /** Creates the player's wallet (its key generated in the key store), or returns the one they have. */
  async create(subjectRef: string, actor: string): Promise<CustodialWallet & { created: boolean }> {
    const have = await this.find(subjectRef);
    if (have !== undefined) {
      await this.#bind(subjectRef, have, actor);
      return { ...have, created: false };
    }
    const key = CustodialWallets.keyName(subjectRef);
    const { address, publicKey } = evmAccountOf(await this.#o.keys.ensureEvmKey(key));
    const now = this.#clock.now();
    const doc: CustodialWallet = { address, publicKey, key, createdAt: now };
    const { result } = await this.#o.log.submit(async (tx, batch) => {
      const row = await tx.getObject(WALLET_KIND, subjectRef);
      if (row !== undefined) return { ...walletOf(row.body), created: false };
      await tx.putObject(newObject({ kind: WALLET_KIND, id: subjectRef, owner: subjectRef, doc, updatedAt: now }));
      batch.add(this.#entry(actor, 'wallet.create', 'success', { chain: this.chainId }));
      return { ...doc, created: true };
    });
    await this.#bind(subjectRef, result, actor);
    return result;
  }

  /**
   * Binds the wallet's address to its player, unless it is bound already: an EIP-4361 message over
   * a nonce issued to the player, signed by the wallet's key for this message only (the platform
   * holds the key; the binding proves the address is the player's, not who signed).
   */
  async #bind(subjectRef: string, w: CustodialWallet, actor: string): Promise<void> {
    const b = this.#o.bindings;
    if (b === undefined) return;
    if ((await b.addressesOf(subjectRef)).some((x) => x.address === w.address.toLowerCase())) return;
    const { nonce, domain } = await b.issueNonce(subjectRef, this.#o.bindDomain ?? DEFAULT_BIND_DOMAIN, actor);
    const message = createSiweMessage({
      address: w.address,
      chainId: b.chainId,
      domain,
      nonce,
      uri: `https://${domain}/`,
      version: '1',
      issuedAt: new Date(this.#clock.now()),
      statement: "Verity binds this custodial wallet to its player's account.",
    });
    let used = false;
    const account = keyStoreAccount(this.#o.keys, w.key, w.publicKey, (r) => {
      if (used || r.kind !== 'message')
        throw new VerityError('VERITY_E_WALLET_STEP_UP', 'the wallet signs only its own binding message here');
      used = true;
    });
    await b.bindAddress(
      subjectRef,
      w.address,
      { kind: 'siwe', message, signature: await account.signMessage({ message }) },
      actor,
    );
  }

  /**
   * Pays the wallet the gas its transfer lacks, from the platform's account, within the limits per
   * top-up and per day; the payment is logged (`wallet.fund`, the amount, never an address) and
   * counted in the wallet's state. The most a top-up may pay is counted first, in its own
   * transaction on the wallet's state object, and what it did not pay is given back after: so
   * transfers at once, in this server or another on the same store, share the day's limit instead of
   * each reading what was spent before any of them paid. A top-up that fails after it may have sent
   * keeps its reservation (the limit may be reached early, never passed).
   */
  async #fund(
    subjectRef: string,
    w: CustodialWallet,
    call: ReturnType<VerityContracts['transferCall']>,
    actor: string,
  ): Promise<void> {
    const g = this.#o.gas;
    if (g === undefined) return;
    const now = this.#clock.now();
    const day = new Date(now).toISOString().slice(0, 10);
    const perDay = g.maxWeiPerDay ?? DEFAULT_GAS_LIMITS.maxWeiPerDay;
    const perTopUp = g.maxWeiPerTopUp ?? DEFAULT_GAS_LIMITS.maxWeiPerTopUp;
    const { result: reserved } = await this.#o.log.submit((tx) =>
      this.#countGas(tx, subjectRef, day, now, (spent) => {
        const left = perDay > spent ? perDay - spent : 0n;
        return left < perTopUp ? left : perTopUp;
      }),
    );
    let paid: bigint;
    try {
      paid = await this.#o.contracts.chain.fundFor(g.funder, w.address, call, reserved);
    } catch (e) {
      // Refused before anything was sent (over the limit, or the platform's account cannot pay).
      if (reserved > 0n && isVerityError(e, 'VERITY_E_CHAIN_NO_FUNDS'))
        await this.#o.log.submit((tx) => this.#countGas(tx, subjectRef, day, now, () => -reserved));
      throw e;
    }
    if (paid === 0n && reserved === 0n) return;
    await this.#o.log.submit(async (tx, batch) => {
      if (paid !== reserved) await this.#countGas(tx, subjectRef, day, now, () => paid - reserved);
      if (paid > 0n)
        batch.add(this.#entry(actor, 'wallet.fund', 'success', { chain: this.chainId, wei: String(paid) }));
    });
  }

  /**
   * Adds to what the wallet's gas cost on `day` the amount `delta` gives for the count read in the
   * transaction (negative: gives back; never below zero), and returns that amount. Nothing is
   * written for 0, nor for a reservation given back after the day turned.
   */
  async #countGas(
    tx: StoreWriter,
    subjectRef: string,
    day: string,
    now: number,
    delta: (spent: bigint) => bigint,
  ): Promise<bigint> {
    const row = await tx.getObject(WALLET_KIND, subjectRef);
    if (row === undefined) throw notFound();
    const doc = walletOf(row.body);
    const today = doc.gasPaid?.day === day;
    const before = today ? BigInt(doc.gasPaid?.wei ?? '0') : 0n;
    const wei = delta(before);
    if (wei === 0n || (wei < 0n && !today)) return wei;
    const after = before + wei > 0n ? before + wei : 0n;
    await tx.putObject(
      nextObject(row, {
        kind: WALLET_KIND,
        id: subjectRef,
        owner: subjectRef,
        doc: { ...doc, gasPaid: { day, wei: String(after) } },
        updatedAt: now,
      }),
    );
    return wei;
  }

  /** The player's wallet, if they have one (read as authenticated state, checked at use). */
  async find(subjectRef: string): Promise<CustodialWallet | undefined> {
    const row = await this.#o.store.reader.getObject(WALLET_KIND, subjectRef);
    return row === undefined ? undefined : walletOf(row.body);
  }

  async #wallet(subjectRef: string): Promise<CustodialWallet> {
    const w = await this.find(subjectRef);
    if (w === undefined) throw notFound();
    return w;
  }

  /**
   * The step-up for one action: its digest and typed data (to show the player) and WebAuthn request
   * options whose challenge is bound to the player and that digest, answerable once within the window.
   */
  async stepUp(
    subjectRef: string,
    action: WalletAction,
  ): Promise<{
    digest: Hex;
    prepared: PreparedAction;
    options: PublicKeyCredentialRequestOptionsJSON;
    expiresAt: number;
  }> {
    const w = await this.#wallet(subjectRef);
    const prepared = prepareAction(this.#o.contracts, w.address, action);
    const { options, expiresAt } = await this.#o.passkeys.actionOptions(subjectRef, prepared.digest, this.#window);
    return { digest: prepared.digest, prepared, options, expiresAt };
  }

  /**
   * Signs (and for a transfer sends) the action after the player's step-up: `response` must be a
   * fresh assertion by one of the player's passkeys answering a challenge of `stepUp` for this very
   * action; otherwise VERITY_E_WALLET_STEP_UP (logged), and nothing is signed.
   */
  async execute(
    subjectRef: string,
    action: WalletAction,
    response: AuthenticationResponseJSON,
    actor: string,
  ): Promise<ActionResult> {
    const w = await this.find(subjectRef);
    if (w === undefined) {
      const reason = 'VERITY_E_WALLET_NOT_FOUND';
      await this.#o.log.submit((_tx, batch) =>
        batch.add(
          this.#entry(actor, 'wallet.sign', 'denied', { chain: this.chainId, kind: String(action?.kind), reason }),
        ),
      );
      throw notFound();
    }
    const prepared = prepareAction(this.#o.contracts, w.address, action);
    const details = { chain: this.chainId, kind: prepared.kind };
    let confirmed: Awaited<ReturnType<Passkeys['confirmAction']>>;
    try {
      confirmed = await this.#o.passkeys.confirmAction(subjectRef, prepared.digest, response);
      // The challenge is spent and the signature logged before the key is used.
      await this.#o.log.submit(async (tx, batch) => {
        await confirmed.commit(tx);
        batch.add(this.#entry(actor, 'wallet.sign', 'success', { ...details, hardware: confirmed.hardware }));
      });
    } catch (e) {
      // A refused assertion (any passkey code) is the player not confirming; anything else is an error.
      if (!isVerityError(e) || ERROR_CODES[e.code].area !== 'passkey') throw e;
      const reason = e.code;
      await this.#o.log.submit((_tx, batch) =>
        batch.add(this.#entry(actor, 'wallet.sign', 'denied', { ...details, reason })),
      );
      throw new VerityError(
        'VERITY_E_WALLET_STEP_UP',
        `nothing was signed: the player’s passkey did not confirm this exact action (${e.message})`,
        { cause: e, details: { reason } },
      );
    }
    let used = false;
    const account = keyStoreAccount(this.#o.keys, w.key, w.publicKey, (r) => {
      if (used || !prepared.allows(r))
        throw new VerityError('VERITY_E_WALLET_STEP_UP', 'the wallet signs only the one action its player confirmed');
      used = true;
    });
    try {
      if (action.kind === 'transfer') {
        await this.#fund(subjectRef, w, this.#o.contracts.transferCall(w.address, action.to, action.tokenId), actor);
        const receipt = await this.#o.contracts.transfer(account, w.address, action.to, action.tokenId);
        return { kind: 'transfer', digest: prepared.digest, receipt };
      }
      const signature = await account.signTypedData(prepared.typedData);
      return { kind: 'agreement', digest: prepared.digest, signature };
    } catch (e) {
      await this.#o.log.submit((_tx, batch) =>
        batch.add(
          this.#entry(actor, 'wallet.sign', 'error', {
            ...details,
            reason: isVerityError(e) ? e.code : 'VERITY_E_INTERNAL',
          }),
        ),
      );
      throw e;
    }
  }

  #entry(
    actor: string,
    action: 'wallet.create' | 'wallet.sign' | 'wallet.fund',
    outcome: 'success' | 'denied' | 'error',
    details: Record<string, string | number | boolean>,
  ): Uint8Array {
    return encodeAuditEntry({
      actor,
      action,
      resource: 'wallet:custodial',
      purpose: PURPOSE,
      outcome,
      time: this.#clock.now(),
      details,
    });
  }
}

function notFound(): VerityError {
  return new VerityError('VERITY_E_WALLET_NOT_FOUND', 'this player has no custodial wallet; create it first');
}

function walletOf(body: string): CustodialWallet {
  return parseJson(body, { maxBytes: 4096, maxDepth: 2 }, 'custodial wallet') as unknown as CustodialWallet;
}
