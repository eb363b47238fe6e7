// Anchoring on a schedule (D253): every interval, the log's latest signed checkpoint is anchored
// unless the chain already holds an anchor of it or the log grew since by nothing but the anchoring
// itself (its `chain.anchor` entry, and the indexer's entries that follow it). Errors are kept and
// reported, and the next interval tries again; the loop never throws.
import type { LocalAccount } from 'viem';
import { decodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { isVerityError } from '../errors/index.ts';
import { decodeStateEntry, type TransparencyLog } from '../log/index.ts';
import { type AnchoredCheckpoint, anchorLatestCheckpoint } from './anchor.ts';
import type { VerityContracts } from './contracts.ts';

/** Entries that grow the log because of anchoring and indexing themselves: never a reason to anchor again. */
const BOOKKEEPING = new Set(['chain.anchor', 'chain.index', 'chain.rewind']);
/** Entries read to tell bookkeeping from growth; past this many the log has grown, read or not. */
const MAX_LOOKBACK = 256;
/** The shortest interval (ms). */
export const MIN_ANCHOR_INTERVAL_MS = 1000;

export interface AnchorScheduleOptions {
  /** Who the `chain.anchor` entries name. Default `service:chain-anchor`. */
  readonly actor?: string;
  readonly clock?: Clock;
  /** Told of every failed tick (the schedule keeps going). */
  readonly onError?: (e: unknown) => void;
  /** Told of every anchor made. */
  readonly onAnchor?: (a: AnchoredCheckpoint) => void;
}

/** What one tick did. */
export type AnchorTick =
  | { readonly anchored: AnchoredCheckpoint }
  | { readonly skipped: 'empty' | 'anchored' | 'no-growth'; readonly treeSize: number };

/**
 * Anchors the log's latest checkpoint every `intervalMs` (see the file comment).
 *
 * @example
 * const s = new AnchorSchedule(contracts, anchorer, log, { onError: (e) => console.error(e) });
 * s.start(10 * 60_000); ... await s.stop();
 */
export class AnchorSchedule {
  readonly #contracts: VerityContracts;
  readonly #anchorer: LocalAccount;
  readonly #log: TransparencyLog;
  readonly #options: AnchorScheduleOptions;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  /** The last failure (cleared by a successful tick). */
  lastError: unknown;
  /** The last anchor this schedule made. */
  lastAnchor: AnchoredCheckpoint | undefined;

  constructor(
    contracts: VerityContracts,
    anchorer: LocalAccount,
    log: TransparencyLog,
    options: AnchorScheduleOptions = {},
  ) {
    this.#contracts = contracts;
    this.#anchorer = anchorer;
    this.#log = log;
    this.#options = options;
  }

  /** One tick: anchors the latest checkpoint, or says why not. Throws what anchoring throws. */
  async tick(): Promise<AnchorTick> {
    const head = await this.#log.head();
    if (head.size === 0) return { skipped: 'empty', treeSize: 0 };
    // The chain is asked, not a memory of this process: an anchor made on demand (or by another
    // server on this log) counts too.
    const latest = await this.#contracts.latestAnchor(this.#log.origin);
    if (latest !== undefined) {
      if (latest.treeSize >= head.size) return { skipped: 'anchored', treeSize: latest.treeSize };
      if (await this.#onlyBookkeeping(latest.treeSize, head.size)) return { skipped: 'no-growth', treeSize: head.size };
    }
    try {
      const a = await anchorLatestCheckpoint(
        this.#contracts,
        this.#anchorer,
        this.#log,
        { actor: this.#options.actor ?? 'service:chain-anchor' },
        this.#options.clock === undefined ? {} : { clock: this.#options.clock },
      );
      this.lastAnchor = a;
      this.#options.onAnchor?.(a);
      return { anchored: a };
    } catch (e) {
      // Another anchor of this size or a later one won the race: nothing is missing.
      if (isVerityError(e) && e.code === 'VERITY_E_CHAIN_ANCHOR_STALE')
        return { skipped: 'anchored', treeSize: head.size };
      throw e;
    }
  }

  /**
   * Whether every entry from `from` to `to` is anchoring or indexing bookkeeping. A state entry
   * (a transaction's changes to the state map) goes with its transaction's audit entry, which decides.
   */
  async #onlyBookkeeping(from: number, to: number): Promise<boolean> {
    if (to - from > MAX_LOOKBACK) return false;
    for (const bytes of await this.#log.entries(from, to)) {
      try {
        if (decodeStateEntry(bytes) !== undefined) continue;
        if (!BOOKKEEPING.has(decodeAuditEntry(bytes).action)) return false;
      } catch {
        return false; // not an audit entry: growth
      }
    }
    return true;
  }

  /** Ticks every `intervalMs` (the first one at once) until `stop()`; a failure is kept, reported and retried. */
  start(intervalMs: number): void {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < MIN_ANCHOR_INTERVAL_MS)
      throw new RangeError(`the anchoring interval must be at least ${MIN_ANCHOR_INTERVAL_MS} ms`);
    if (this.#loop !== undefined) return;
    this.#stopped = false;
    const run = async (): Promise<void> => {
      try {
        await this.tick();
        this.lastError = undefined;
      } catch (e) {
        this.lastError = e;
        try {
          this.#options.onError?.(e);
        } catch {
          // A reporter that throws must not stop the schedule.
        }
      }
      if (!this.#stopped) this.#timer = setTimeout(() => (this.#loop = run()), intervalMs);
    };
    this.#loop = run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#loop;
    this.#loop = undefined;
  }
}
