// Reads of Verity's index of the chain (D213, D214): agreements, goods, licences and anchors from
// the authenticated state, each row checked against the state map at use (a changed or deleted row
// is VERITY_E_STATE_TAMPERED), and answered with the state proof of every row it read under a
// signed checkpoint, so a caller can check the answer without trusting the server.
import type { Hex } from 'viem';
import { type Clock, systemClock } from '../clock/index.ts';
import { bytesEqual } from '../encoding/index.ts';
import { ChainError, InputError, LogError, quote, StoreError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import { stateKey, stateProofToBase64, stateRootFromExtensions } from '../smt/index.ts';
import { type ObjectRow, proveState, type Store } from '../store/index.ts';
import { itemId } from './contracts.ts';
import { type EditionRead, readEdition, readEditionRental } from './editions-state.ts';
import {
  AGREEMENT_KIND,
  ANCHOR_KIND,
  type ChainCursor,
  COMMERCIAL_KIND,
  CURSOR_KIND,
  chainObjectId,
  GOOD_KIND,
  type IndexedAgreement,
  type IndexedAnchor,
  type IndexedCommercial,
  type IndexedGood,
  type IndexedLicence,
  LICENCE_KIND,
  MAX_PAIR_AGREEMENTS,
  PAIR_KIND,
} from './indexed.ts';
import { type ChainProofs, chainRowValue, MAX_PROVEN_ROWS, type ProvenChainRow } from './proof.ts';

/** The answer of an agreement check. */
export interface AgreementDecision {
  readonly allowed: boolean;
  /** Why: `permitted`, or why not. */
  readonly reason: 'permitted' | 'no-agreement' | 'revoked' | 'expired' | 'not-covered';
  /** The agreement that permits it (when allowed). */
  readonly agreementId: Hex | null;
  /** The transaction that set the deciding agreement's state (when one was found). */
  readonly tx: Hex | null;
  /** The rows the decision read, proven (when asked for). */
  readonly evidence?: ChainProofs;
}

/** How far each answer is from a permit: the best over a pair's agreements is the decision's reason. */
export const REASON_RANK = { 'no-agreement': 0, revoked: 1, expired: 2, 'not-covered': 3, permitted: 4 } as const;

/** What one indexed agreement says of a purpose and a category (identifiers) at `now` (seconds). */
export function agreementReason(
  a: IndexedAgreement,
  now: bigint,
  purpose: Hex,
  category: Hex,
): Exclude<AgreementDecision['reason'], 'no-agreement'> {
  if (a.revoked) return 'revoked';
  if (BigInt(a.expiry) <= now) return 'expired';
  return a.purposes.includes(purpose) && a.categories.includes(category) ? 'permitted' : 'not-covered';
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HEX32_RE = /^0x[0-9a-fA-F]{64}$/;

function address(v: unknown, what: string): Hex {
  if (typeof v !== 'string' || !ADDRESS_RE.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(v)} must be a 20-byte 0x address`);
  return v.toLowerCase() as Hex;
}

/** A purpose or category: 32 bytes of hex as on chain, or a name (its keccak-256, as `itemId`). */
export function itemOf(v: unknown, what: string): Hex {
  if (typeof v === 'string' && HEX32_RE.test(v)) return v.toLowerCase() as Hex;
  if (typeof v !== 'string' || v.length === 0 || v.length > 128 || /[\u0000-\u001f\u007f]/.test(v))
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `${what} ${quote(v)} must be a name of 1 to 128 characters or 32 bytes of hex`,
    );
  return itemId(v);
}

function hex32(v: unknown, what: string): Hex {
  if (typeof v !== 'string' || !HEX32_RE.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(v)} must be 32 bytes of hex`);
  return v.toLowerCase() as Hex;
}

function notIndexed(what: string): ChainError {
  return new ChainError(
    'VERITY_E_CHAIN_NOT_INDEXED',
    `${what} is not in Verity's index of the chain (not confirmed yet, or never on chain)`,
  );
}

/**
 * The state rows `keys` name, proven against the log's latest checkpoint. Rows and proofs are
 * read between two looks at the log head; when a write came between, it starts again.
 */
export async function proveChainRows(
  store: Store,
  log: TransparencyLog,
  keys: readonly { kind: string; id: string }[],
): Promise<ChainProofs> {
  if (keys.length > MAX_PROVEN_ROWS) throw new RangeError(`at most ${MAX_PROVEN_ROWS} rows are proven at once`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await log.head();
    const root = stateRootFromExtensions(
      verifyCheckpoint(head.checkpoint, log.verifier, log.origin).checkpoint.extensions,
    );
    if (root === undefined)
      throw new LogError('VERITY_E_STATE_TAMPERED', 'the latest checkpoint commits to no state map');
    const rows: ProvenChainRow[] = [];
    let moved = false;
    for (const { kind, id } of keys) {
      // The read is checked against the map (a changed or deleted row throws VERITY_E_STATE_TAMPERED).
      const r: ObjectRow | undefined = await store.reader.getObject(kind, id);
      const p = await proveState(store, root, stateKey(`object.${kind}`, id));
      const row = r === undefined ? null : { owner: r.owner, body: r.body, version: r.version, updatedAt: r.updatedAt };
      const same =
        row === null
          ? p.value === undefined
          : p.value !== undefined && bytesEqual(p.value, chainRowValue(kind, id, row));
      if (!same) {
        moved = true;
        break;
      }
      rows.push({ kind, id, row, proof: stateProofToBase64(p.proof) });
    }
    if (moved || (await log.head()).size !== head.size) continue;
    return { checkpoint: head.checkpoint, rows };
  }
  throw new StoreError('VERITY_E_STORE_UNAVAILABLE', 'the log kept changing while chain state was proven; retry');
}

/** What a read answers: the indexed state, where it came from, and its proof. */
export interface ProvenRead<T> {
  readonly value: T;
  /** The transaction that last set it. */
  readonly tx: Hex;
  readonly block: number;
  readonly evidence: ChainProofs;
}

/** Reads of Verity's index of one chain (see the file comment). */
export class ChainState {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly chainId: number;

  constructor(store: Store, log: TransparencyLog, chainId: number, options: { clock?: Clock } = {}) {
    if (!Number.isSafeInteger(chainId) || chainId < 1) throw new RangeError('chainId must be a positive integer');
    this.#store = store;
    this.#log = log;
    this.chainId = chainId;
    this.#clock = options.clock ?? systemClock;
  }

  async #doc<T>(kind: string, id: string): Promise<T | undefined> {
    const r = await this.#store.reader.getObject(kind, id);
    return r === undefined ? undefined : (JSON.parse(r.body) as T);
  }

  /** The indexer's cursor with its proof (how far Verity's view of the chain goes). */
  async status(): Promise<{ cursor: ChainCursor | null; evidence: ChainProofs }> {
    const id = String(this.chainId);
    const cursor = (await this.#doc<ChainCursor>(CURSOR_KIND, id)) ?? null;
    return { cursor, evidence: await proveChainRows(this.#store, this.#log, [{ kind: CURSOR_KIND, id }]) };
  }

  /** An indexed agreement with its proof; VERITY_E_CHAIN_NOT_INDEXED when there is none. */
  async agreement(agreementId: string): Promise<ProvenRead<IndexedAgreement>> {
    const id = chainObjectId(this.chainId, hex32(agreementId, 'agreement id'));
    return this.#read<IndexedAgreement>(AGREEMENT_KIND, id, `agreement ${agreementId}`);
  }

  /** An indexed good (owner, renter, creator, royalty) and its licence, with their proofs. */
  async good(tokenId: string): Promise<ProvenRead<IndexedGood> & { licence: IndexedLicence | null }> {
    if (typeof tokenId !== 'string' || !/^[0-9]{1,78}$/.test(tokenId))
      throw new InputError('VERITY_E_INPUT_INVALID', `token id ${quote(tokenId)} must be a decimal number`);
    const id = chainObjectId(this.chainId, BigInt(tokenId));
    const good = await this.#doc<IndexedGood>(GOOD_KIND, id);
    if (good === undefined) throw notIndexed(`good ${tokenId}`);
    const keys = [{ kind: GOOD_KIND, id }];
    let licence: IndexedLicence | null = null;
    if (good.licenceId !== null) {
      const lid = chainObjectId(this.chainId, good.licenceId);
      licence = (await this.#doc<IndexedLicence>(LICENCE_KIND, lid)) ?? null;
      keys.push({ kind: LICENCE_KIND, id: lid });
    }
    const evidence = await proveChainRows(this.#store, this.#log, keys);
    return { value: good, tx: good.tx, block: good.block, licence, evidence };
  }

  /**
   * Whether the licensor of `contract` (the goods or the editions) registered `account` as
   * commercial (D299), with the state proof of the registration row, or of its absence (never
   * registered: not commercial).
   */
  async commercial(
    contract: string,
    account: string,
  ): Promise<{ value: IndexedCommercial | null; evidence: ChainProofs }> {
    for (const [v, what] of [
      [contract, 'contract'],
      [account, 'account'],
    ] as const)
      if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
        throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(v)} must be a 20-byte 0x address`);
    const id = chainObjectId(this.chainId, contract, account);
    const value = (await this.#doc<IndexedCommercial>(COMMERCIAL_KIND, id)) ?? null;
    return { value, evidence: await proveChainRows(this.#store, this.#log, [{ kind: COMMERCIAL_KIND, id }]) };
  }

  /** An indexed anchor of a log (its origin hash) at a tree size, with its proof. */
  async anchor(originHash: string, treeSize: number): Promise<ProvenRead<IndexedAnchor>> {
    if (!Number.isSafeInteger(treeSize) || treeSize < 1)
      throw new InputError('VERITY_E_INPUT_INVALID', 'tree size must be a positive integer');
    const id = chainObjectId(this.chainId, hex32(originHash, 'origin hash'), treeSize);
    return this.#read<IndexedAnchor>(ANCHOR_KIND, id, `anchor of tree size ${treeSize}`);
  }

  /** An indexed ERC-1155 item, its licence and, with `holder`, the units it holds, with their proofs (D251). */
  edition(tokenId: string, holder?: string): Promise<EditionRead> {
    return readEdition(this.#store, (k) => proveChainRows(this.#store, this.#log, k), this.chainId, tokenId, holder);
  }

  /** An indexed ERC-5006 rental of an item, with its proof (D251). */
  editionRental(recordId: string): ReturnType<typeof readEditionRental> {
    return readEditionRental(this.#store, (k) => proveChainRows(this.#store, this.#log, k), this.chainId, recordId);
  }

  async #read<T extends { tx: Hex; block: number }>(kind: string, id: string, what: string): Promise<ProvenRead<T>> {
    const value = await this.#doc<T>(kind, id);
    if (value === undefined) throw notIndexed(what);
    const evidence = await proveChainRows(this.#store, this.#log, [{ kind, id }]);
    return { value, tx: value.tx, block: value.block, evidence };
  }

  /**
   * The indexed agreements between `subject` and `recipient` (the newest 64), each read through the
   * verified reader: what a decision that needs more than one check reads once.
   */
  async agreementsBetween(subject: string, recipient: string): Promise<IndexedAgreement[]> {
    const s = address(subject, 'subject');
    const r = address(recipient, 'recipient');
    const pair = await this.#doc<{ agreements: Hex[] }>(PAIR_KIND, chainObjectId(this.chainId, s, r));
    const out: IndexedAgreement[] = [];
    for (const aid of (pair?.agreements ?? []).slice(-MAX_PAIR_AGREEMENTS)) {
      const a = await this.#doc<IndexedAgreement>(AGREEMENT_KIND, chainObjectId(this.chainId, aid));
      if (a !== undefined && a.subject === s && a.recipient === r) out.push(a);
    }
    return out;
  }

  /** Seconds since the epoch by this state's clock (what expiry is compared with). */
  nowSeconds(): bigint {
    return BigInt(Math.floor(this.#clock.now() / 1000));
  }

  /**
   * Whether an indexed agreement between `subject` (a player or a platform) and `recipient` covers
   * `purpose` and `category` now: not revoked, not expired (by this clock), the purpose and the
   * category among its items. Read from the authenticated state: a revocation on chain blocks the
   * next check once indexed, and a changed or deleted row is refused (VERITY_E_STATE_TAMPERED).
   * With `prove`, the answer carries the state proofs of every row it read.
   */
  async agreementPermits(
    q: { recipient: string; subject: string; purpose: string; category: string },
    options: { prove?: boolean } = {},
  ): Promise<AgreementDecision> {
    const recipient = address(q.recipient, 'recipient');
    const subject = address(q.subject, 'subject');
    const purpose = itemOf(q.purpose, 'purpose');
    const category = itemOf(q.category, 'category');
    const pairId = chainObjectId(this.chainId, subject, recipient);
    const keys = [{ kind: PAIR_KIND, id: pairId }];
    const pair = await this.#doc<{ agreements: Hex[] }>(PAIR_KIND, pairId);
    const now = BigInt(Math.floor(this.#clock.now() / 1000));
    let decision: Omit<AgreementDecision, 'evidence'> = {
      allowed: false,
      reason: 'no-agreement',
      agreementId: null,
      tx: null,
    };
    for (const aid of (pair?.agreements ?? []).slice(-MAX_PAIR_AGREEMENTS)) {
      const id = chainObjectId(this.chainId, aid);
      keys.push({ kind: AGREEMENT_KIND, id });
      const a = await this.#doc<IndexedAgreement>(AGREEMENT_KIND, id);
      // INVARIANT: the pair index and the agreement agree on the parties; anything else is not ours.
      if (a === undefined || a.subject !== subject || a.recipient !== recipient) continue;
      const reason = agreementReason(a, now, purpose, category);
      if (REASON_RANK[reason] > REASON_RANK[decision.reason])
        decision = { allowed: reason === 'permitted', reason, agreementId: a.id, tx: a.tx };
      if (decision.allowed && options.prove !== true) break;
    }
    if (options.prove !== true) return decision;
    return { ...decision, evidence: await proveChainRows(this.#store, this.#log, keys) };
  }
}
