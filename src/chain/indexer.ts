// Verity's view of the chain (FGMV-46 7.2.2, 7.2.4; D210-D213): the contracts' events followed
// into the authenticated state, so that access decisions and API reads use rows the signed log's
// state map commits to, never an unproven answer of a node.
//
// Objects (kind, id), every id starting with the chain id:
//   chain.cursor     CHAIN                        the last applied block (number and hash), contracts
//   chain.undo       CHAIN/FROM(12 digits)        per applied range: the cursor and the rows before it
//   chain.agreement  CHAIN/AGREEMENTID            a data-sharing agreement: parties, items, expiry, revocation
//   chain.pair       CHAIN/SUBJECT/RECIPIENT      the agreements between two parties (for a decision's point read)
//   chain.good       CHAIN/TOKENID                a virtual good: owner, creator, licence, royalty, renter
//   chain.licence    CHAIN/LICENCEID              a licence's terms
//   chain.anchor     CHAIN/ORIGINHASH/TREESIZE    an anchored checkpoint
//   chain.commercial CHAIN/CONTRACT/ACCOUNT       a licensor's registration of a commercial account (D299)
//   chain.edition*   (see editions-index.ts)      ERC-1155 items, holdings, their licences and rentals
// The kinds and bodies are in indexed.ts; goods-index.ts and editions-index.ts apply the events.
// Each applied block range is one log transaction: the rows, the undo record, the cursor and an
// audit entry naming only the chain, the block numbers, the last block's hash and a count (no
// address: accounts are pseudonymous personal data, D211).
import type { Abi, Hex, Log } from 'viem';
import { encodeSuccessEntry, isPurpose } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { ChainError, InputError, isVerityError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store, StoreReader } from '../store/index.ts';
import { CheckpointAnchor, DataSharingAgreement, VirtualEditions, VirtualGoods } from './artifacts.ts';
import { toChainError } from './client.ts';
import type { VerityContracts } from './contracts.ts';
import { applyEditionEvent } from './editions-index.ts';
import { applyContractEvent } from './goods-index.ts';
import { applyUndo, Changes, keepUndo, parse, type UndoRecord } from './index-changes.ts';
import { type ChainCursor, CURSOR_KIND, chainObjectId, UNDO_KIND } from './indexed.ts';
import { decodeEventLog } from './viem.ts';

export interface IndexerOptions {
  /** Blocks a block must be under the chain's head before it is applied (0: at once). Default 2. */
  readonly confirmations?: number;
  /** The first block to read (the contracts' deployment block). Default 0. */
  readonly fromBlock?: number;
  /** Most blocks one log transaction applies. Default 1000. */
  readonly maxRange?: number;
  /**
   * Most contract events one range applies (default 500, so its undo record stays far below the
   * 1 MiB of an object): a range with more is halved, down to one block.
   */
  readonly maxRangeEvents?: number;
  /** How many blocks back a reorganization can be rewound (undo records kept). Default 256. */
  readonly reorgWindow?: number;
  /**
   * A last range without any event of the contracts is committed only once the cursor is older
   * than this (ms; default 60 000; 0: always), so a chain of frequent empty blocks does not add a
   * log entry every pass. Until then the next pass reads from the older cursor again.
   */
  readonly idleCommitMs?: number;
  /** Who the audit entries name. Default `service:chain-indexer`. */
  readonly actor?: string;
  /** The purpose the audit entries name. Default `chain-index`. */
  readonly purpose?: string;
  /** Retries of an unavailable node in `syncWithRetry` (default 5), the first pause and the cap (ms). */
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
}

/** What one `sync` did. */
export interface SyncResult {
  /** Blocks applied (in `ranges` log transactions). */
  readonly applied: number;
  readonly ranges: number;
  /** Blocks rewound after a reorganization (0: none seen). */
  readonly rewound: number;
  /** The cursor after it. */
  readonly blockNumber: number;
  readonly blockHash: Hex | null;
}

const EVENTS_ABI = [
  ...CheckpointAnchor.abi,
  ...DataSharingAgreement.abi,
  ...VirtualGoods.abi,
  ...VirtualEditions.abi,
].filter((x) => (x as { type: string }).type === 'event') as Abi;
/** Reorganizations seen while reading ranges before a pass gives up (the next pass starts again). */
const MAX_MOVES = 8;

function lower(a: string): Hex {
  return a.toLowerCase() as Hex;
}

function intOption(v: number | undefined, dflt: number, min: number, max: number, what: string): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < min || x > max)
    throw new RangeError(`${what} must be an integer ${min} to ${max}`);
  return x;
}

/**
 * Follows Verity's contracts on one chain into the authenticated state (see the file comment).
 *
 * @example
 * const indexer = new ChainIndexer(store, log, contracts, { confirmations: 2 });
 * await indexer.syncWithRetry(); // or indexer.start(2000) ... await indexer.stop()
 */
export class ChainIndexer {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #contracts: VerityContracts;
  readonly #clock: Clock;
  readonly confirmations: number;
  readonly #fromBlock: number;
  readonly #maxRange: number;
  readonly #window: number;
  readonly #idleCommitMs: number;
  readonly #maxRangeEvents: number;
  readonly #actor: string;
  readonly #purpose: string;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  #running: Promise<SyncResult> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  /** The last error of the follow loop (cleared by a successful pass). */
  lastError: unknown;

  constructor(store: Store, log: TransparencyLog, contracts: VerityContracts, options: IndexerOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#contracts = contracts;
    this.#clock = options.clock ?? systemClock;
    this.confirmations = intOption(options.confirmations, 2, 0, 1000, 'confirmations');
    this.#fromBlock = intOption(options.fromBlock, 0, 0, Number.MAX_SAFE_INTEGER, 'fromBlock');
    this.#maxRange = intOption(options.maxRange, 1000, 1, 100_000, 'maxRange');
    this.#window = intOption(options.reorgWindow, 256, 1, 100_000, 'reorgWindow');
    this.#maxRangeEvents = intOption(options.maxRangeEvents, 500, 1, 5000, 'maxRangeEvents');
    this.#idleCommitMs = intOption(options.idleCommitMs, 60_000, 0, 86_400_000, 'idleCommitMs');
    this.#retries = intOption(options.retries, 5, 0, 100, 'retries');
    this.#backoffMs = intOption(options.backoffMs, 200, 1, 600_000, 'backoffMs');
    this.#maxBackoffMs = intOption(options.maxBackoffMs, 30_000, 1, 3_600_000, 'maxBackoffMs');
    this.#actor = options.actor ?? 'service:chain-indexer';
    this.#purpose = options.purpose ?? 'chain-index';
    if (!isPurpose(this.#purpose))
      throw new InputError('VERITY_E_INPUT_INVALID', `purpose ${quote(this.#purpose)} is not allowed`);
  }

  get chainId(): number {
    return this.#contracts.chain.chain.id;
  }

  /** The cursor as the authenticated state holds it (undefined before the first pass). */
  async cursor(reader: StoreReader = this.#store.reader): Promise<ChainCursor | undefined> {
    return parse<ChainCursor>(await reader.getObject(CURSOR_KIND, String(this.chainId)));
  }

  /**
   * One pass: a reorganization under the cursor is rewound to the fork point, then every confirmed
   * block after the cursor is applied, at most `maxRange` blocks per log transaction. Passes do not
   * overlap (a second call waits for the first). A node that does not answer is a
   * VERITY_E_CHAIN_UNAVAILABLE with nothing half-applied: each range commits whole or not at all.
   */
  sync(): Promise<SyncResult> {
    const run = (this.#running ?? Promise.resolve()).catch(() => {}).then(() => this.#sync());
    this.#running = run;
    return run;
  }

  /**
   * `sync`, retried with exponential backoff while the node is unavailable, and at once when another
   * pass (another process on the same store) moved the cursor first; the last error is thrown.
   */
  async syncWithRetry(): Promise<SyncResult> {
    let pause = this.#backoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sync();
      } catch (e) {
        const c = isVerityError(e) ? e.code : undefined;
        const raced = c === 'VERITY_E_CHAIN_CONFLICT' || c === 'VERITY_E_STORE_CONFLICT';
        if (
          (c !== 'VERITY_E_CHAIN_UNAVAILABLE' && !raced) ||
          attempt >= Math.max(this.#retries, raced ? 3 : 0) ||
          this.#stopped
        )
          throw e;
        if (raced) continue;
        await new Promise((r) => setTimeout(r, pause));
        pause = Math.min(pause * 2, this.#maxBackoffMs);
      }
    }
  }

  /** Follows the chain every `intervalMs` until `stop()`; errors are kept in `lastError` and retried. */
  start(intervalMs = 2000): void {
    if (this.#loop !== undefined) return;
    this.#stopped = false;
    const tick = async (): Promise<void> => {
      try {
        await this.syncWithRetry();
        this.lastError = undefined;
      } catch (e) {
        this.lastError = e;
      }
      if (!this.#stopped) this.#timer = setTimeout(() => (this.#loop = tick()), intervalMs);
    };
    this.#loop = tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#loop;
    this.#loop = undefined;
  }

  async #sync(): Promise<SyncResult> {
    const chain = this.#contracts.chain;
    const pub = chain.public;
    let rewound = 0;
    let applied = 0;
    let ranges = 0;
    let cursor = await this.#checkedCursor();
    if (cursor !== undefined && cursor.blockHash !== null) {
      const hash = await this.#hashAt(cursor.blockNumber);
      if (hash !== cursor.blockHash) {
        rewound = await this.#rewind(cursor);
        cursor = await this.cursor();
      }
    }
    let head: number;
    try {
      // Not the client's cached number: a pass right after a block must see it.
      head = Number(await pub.getBlockNumber({ cacheTime: 0 }));
    } catch (e) {
      throw toChainError(e, 'reading the block number');
    }
    const target = head - this.confirmations;
    let at = cursor ?? this.#initialCursor();
    let moved = 0;
    let span = this.#maxRange;
    while (at.blockNumber < target) {
      const from = Math.max(at.blockNumber + 1, this.#fromBlock);
      if (from > target) break;
      const to = Math.min(target, from + span - 1);
      const next = await this.#applyRange(at, from, to, to === target);
      if (next === 'idle') break;
      if (next === 'split') {
        // Too many events for one transaction (and one undo record): half the blocks.
        span = Math.max(1, Math.floor((to - from + 1) / 2));
        continue;
      }
      if (next === undefined) {
        // The chain moved under the range (a reorganization while reading): rewind when something
        // applied may be gone, then read again; a chain that never holds still ends the pass.
        if (++moved > MAX_MOVES)
          throw new ChainError(
            'VERITY_E_CHAIN_CONFLICT',
            'the chain kept reorganizing while it was read; run the pass again',
          );
        if (at.blockHash !== null) rewound += await this.#rewind(at);
        at = (await this.cursor()) ?? this.#initialCursor();
        continue;
      }
      applied += to - from + 1;
      ranges += 1;
      at = next;
    }
    return { applied, ranges, rewound, blockNumber: at.blockNumber, blockHash: at.blockHash };
  }

  #initialCursor(): ChainCursor {
    return {
      chainId: this.chainId,
      contracts: this.#addresses(),
      blockNumber: this.#fromBlock - 1,
      blockHash: null,
      updatedAt: this.#clock.now(),
    };
  }

  #addresses(): ChainCursor['contracts'] {
    const a = this.#contracts.addresses;
    return {
      anchor: lower(a.anchor),
      agreements: lower(a.agreements),
      goods: lower(a.goods),
      ...(a.editions === undefined ? {} : { editions: lower(a.editions) }),
    };
  }

  async #checkedCursor(): Promise<ChainCursor | undefined> {
    const c = await this.cursor();
    if (c === undefined) return undefined;
    const a = this.#addresses();
    if (
      c.contracts.anchor !== a.anchor ||
      c.contracts.agreements !== a.agreements ||
      c.contracts.goods !== a.goods ||
      c.contracts.editions !== a.editions
    )
      throw new ChainError(
        'VERITY_E_CHAIN_NOT_DEPLOYED',
        `the state indexes other contracts on chain ${this.chainId}; configure the addresses it was indexed from`,
      );
    return c;
  }

  /** The hash of block `n` on the chain now (undefined: no such block any more). */
  async #hashAt(n: number): Promise<Hex | undefined> {
    try {
      const b = await this.#contracts.chain.public.getBlock({ blockNumber: BigInt(n) });
      return lower(b.hash);
    } catch (e) {
      const err = toChainError(e, `reading block ${n}`);
      if (err.code === 'VERITY_E_CHAIN_UNAVAILABLE') throw err;
      return undefined;
    }
  }

  /**
   * Reads a range and applies it in one log transaction; undefined when the chain moved meanwhile,
   * `idle` when it is the last range, holds no event and the cursor is recent (`idleCommitMs`),
   * `split` when it holds too many events for one transaction.
   */
  async #applyRange(
    at: ChainCursor,
    from: number,
    to: number,
    last: boolean,
  ): Promise<ChainCursor | undefined | 'idle' | 'split'> {
    const pub = this.#contracts.chain.public;
    let logs: Log[];
    let toHash: Hex | undefined;
    let fromParent: Hex;
    try {
      const first = await pub.getBlock({ blockNumber: BigInt(from) });
      fromParent = lower(first.parentHash);
      toHash = await this.#hashAt(to);
      const a = this.#contracts.addresses;
      logs = (await pub.getLogs({
        address: [a.anchor, a.agreements, a.goods, ...(a.editions === undefined ? [] : [a.editions])],
        fromBlock: BigInt(from),
        toBlock: BigInt(to),
      })) as Log[];
    } catch (e) {
      throw toChainError(e, `reading blocks ${from} to ${to}`);
    }
    // INVARIANT: the range continues the applied chain (its first block's parent is the cursor's
    // block), and its last block is the same after the logs were read as before: a block's hash
    // commits to all its ancestors, so the logs are those of one chain.
    if (at.blockHash !== null && fromParent !== at.blockHash) return undefined;
    if (toHash === undefined || (await this.#hashAt(to)) !== toHash) return undefined;
    if (
      logs.some(
        (l) => l.removed || l.blockNumber === null || Number(l.blockNumber) < from || Number(l.blockNumber) > to,
      )
    )
      return undefined;
    if (logs.length > this.#maxRangeEvents && to > from) return 'split';
    if (
      last &&
      logs.length === 0 &&
      to - from + 1 < this.#maxRange &&
      this.#clock.now() - at.updatedAt < this.#idleCommitMs
    )
      return 'idle';
    logs.sort((x, y) => Number(x.blockNumber) - Number(y.blockNumber) || (x.logIndex ?? 0) - (y.logIndex ?? 0));
    const chainId = this.chainId;
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const stored = parse<ChainCursor>(await tx.getObject(CURSOR_KIND, String(chainId)));
      // Another pass (another process) applied meanwhile: nothing to do here; the caller rereads.
      if (
        (stored?.blockNumber ?? this.#fromBlock - 1) !== at.blockNumber ||
        (stored?.blockHash ?? null) !== at.blockHash
      )
        throw new ChainError(
          'VERITY_E_CHAIN_CONFLICT',
          'another indexer pass applied these blocks; run the pass again',
        );
      const changes = new Changes(tx);
      let events = 0;
      for (const l of logs) if (await this.#apply(changes, l)) events += 1;
      const cursor: ChainCursor = { ...this.#initialCursor(), blockNumber: to, blockHash: toHash, updatedAt: now };
      await changes.set(CURSOR_KIND, String(chainId), cursor);
      const rows = await changes.write(now);
      const prev = { blockNumber: at.blockNumber, blockHash: at.blockHash };
      const undo: UndoRecord = { from, to, toHash, prev, rows: rows.filter((r) => r.kind !== CURSOR_KIND) };
      await keepUndo(tx, chainId, undo, this.#window, now);
      batch.add(
        encodeSuccessEntry(
          { actor: this.#actor, purpose: this.#purpose },
          {
            action: 'chain.index',
            resource: `chain:${chainId}`,
            time: now,
            details: { from, to, events, hash: toHash },
          },
        ),
      );
      return cursor;
    });
    return result;
  }

  /** Applies one event to the rows; false for events Verity does not index. */
  async #apply(c: Changes, l: Log): Promise<boolean> {
    let ev: { eventName: string; args: Record<string, unknown> };
    try {
      ev = decodeEventLog({ abi: EVENTS_ABI, data: l.data, topics: l.topics }) as never;
    } catch {
      return false;
    }
    const chainId = this.chainId;
    const tx = lower(l.transactionHash as Hex);
    const block = Number(l.blockNumber);
    const addr = lower(l.address);
    const a = this.#addresses();
    if (addr === a.editions && ev.eventName !== 'CommercialAccountSet')
      return applyEditionEvent(c, (...parts) => chainObjectId(chainId, ...parts), ev, tx, block);
    return applyContractEvent(c, chainId, a, addr, ev, tx, block);
  }

  /**
   * Rewinds to the fork point: the newest undo records are undone, newest first, until the cursor
   * they restore names a block the chain still holds with that hash. One log transaction. Returns
   * how many blocks were rewound; VERITY_E_CHAIN_REORG_TOO_DEEP when the fork is older than the
   * undo records kept.
   */
  async #rewind(cursor: ChainCursor): Promise<number> {
    const chainId = this.chainId;
    const rows = await this.#store.reader.listObjects(UNDO_KIND, String(chainId), { limit: 100_000 });
    const undos = rows
      .map((r) => ({ id: r.id, u: JSON.parse(r.body) as UndoRecord }))
      .sort((x, y) => y.u.from - x.u.from);
    const take: string[] = [];
    let target: UndoRecord['prev'] | undefined;
    for (const { id, u } of undos) {
      take.push(id);
      if (u.prev.blockHash === null || (await this.#hashAt(u.prev.blockNumber)) === u.prev.blockHash) {
        target = u.prev;
        break;
      }
    }
    if (target === undefined)
      throw new ChainError(
        'VERITY_E_CHAIN_REORG_TOO_DEEP',
        `the chain reorganized below the ${this.#window} blocks Verity can rewind on chain ${chainId}; index it again from its deployment block`,
        { details: { blockNumber: cursor.blockNumber } },
      );
    const goal = target;
    const now = this.#clock.now();
    await this.#log.submit(async (tx, batch) => {
      const stored = parse<ChainCursor>(await tx.getObject(CURSOR_KIND, String(chainId)));
      if (stored?.blockNumber !== cursor.blockNumber || stored.blockHash !== cursor.blockHash)
        throw new ChainError('VERITY_E_CHAIN_CONFLICT', 'another indexer pass moved the cursor; run the pass again');
      for (const id of take) await applyUndo(tx, id, now);
      const prevCursor = await tx.getObject(CURSOR_KIND, String(chainId));
      await tx.putObject({
        kind: CURSOR_KIND,
        id: String(chainId),
        owner: '',
        body: JSON.stringify({ ...cursor, blockNumber: goal.blockNumber, blockHash: goal.blockHash, updatedAt: now }),
        version: (prevCursor?.version ?? 0) + 1,
        updatedAt: now,
      });
      batch.add(
        encodeSuccessEntry(
          { actor: this.#actor, purpose: this.#purpose },
          {
            action: 'chain.rewind',
            resource: `chain:${chainId}`,
            time: now,
            details: { from: cursor.blockNumber, to: goal.blockNumber, ranges: take.length },
          },
        ),
      );
    });
    return cursor.blockNumber - goal.blockNumber;
  }
}
