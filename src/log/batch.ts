// The log's unit of work (a batch of entries appended in one group commit), the shapes of its
// proofs, and the small helpers of its tree state. Private to src/log but for what index.ts exports.

import type { Clock } from '../clock/index.ts';
import { InputError, StoreError } from '../errors/index.ts';
import { HASH_SIZE, type NodeId } from '../merkle/index.ts';
import type { LogHead, StoredTile, StoreWriter } from '../store/index.ts';

/** The largest entry the log accepts: C2SP entry bundles prefix each entry with a uint16 length. */
export const MAX_ENTRY_BYTES = 0xffff;

/** Options of a transparency log. */
export interface LogOptions {
  /** The checkpoint origin line, unique per log (C2SP tlog-checkpoint), e.g. `verity.example/abc`. */
  readonly origin: string;
  /** Name of the Ed25519 signing key in the KeyStore. */
  readonly signingKey: string;
  readonly clock?: Clock;
  /** Most operations committed in one transaction (group commit). */
  readonly maxBatch?: number;
  /** Expanded tiles kept in memory for proof generation. */
  readonly tileCacheSize?: number;
}

/** An inclusion proof in the shape `verity log verify-proof` reads. */
export interface InclusionProofCase {
  readonly type: 'inclusion';
  readonly treeSize: number;
  readonly leafIndex: number;
  /** Standard base64 of the 32-byte leaf hash. */
  readonly leafHash: string;
  readonly rootHash: string;
  readonly proof: string[];
}

/** A consistency proof in the shape `verity log verify-proof` reads. */
export interface ConsistencyProofCase {
  readonly type: 'consistency';
  readonly size1: number;
  readonly size2: number;
  readonly root1: string;
  readonly root2: string;
  readonly proof: string[];
}

/**
 * The entries one transaction appends. Indices are assigned as entries are added, so the rows
 * written in the same transaction can name the log entry that records them.
 */
export class LogBatch {
  readonly #start: number;
  readonly #entries: Uint8Array[] = [];

  /** @internal */
  constructor(start: number) {
    this.#start = start;
  }

  /** The index the next added entry gets. */
  get nextIndex(): number {
    return this.#start + this.#entries.length;
  }

  /** Adds an entry; returns its log index. */
  add(entry: Uint8Array): number {
    if (!(entry instanceof Uint8Array)) throw new TypeError('a log entry must be a Uint8Array');
    if (entry.byteLength === 0) throw new InputError('VERITY_E_INPUT_EMPTY', 'a log entry must hold at least one byte');
    if (entry.byteLength > MAX_ENTRY_BYTES) {
      throw new InputError(
        'VERITY_E_INPUT_TOO_LARGE',
        `a log entry must hold at most ${MAX_ENTRY_BYTES} bytes, not ${entry.byteLength}`,
      );
    }
    this.#entries.push(entry);
    return this.#start + this.#entries.length - 1;
  }

  /** @internal */
  get entries(): readonly Uint8Array[] {
    return this.#entries;
  }

  /** @internal */
  get start(): number {
    return this.#start;
  }
}

/** One unit of work committed by the log's group commit, inside a write transaction. */
export type LogOperation<R> = (tx: StoreWriter, batch: LogBatch) => Promise<R> | R;

export interface Pending {
  readonly op: LogOperation<unknown>;
  readonly resolve: (v: { result: unknown; head: LogHead }) => void;
  readonly reject: (e: unknown) => void;
}

export interface EdgeState {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The signed checkpoint committed with it. */
  readonly checkpoint: string;
  /** The right-edge tile of each level, as committed at `size`. */
  readonly tiles: Map<number, StoredTile>;
}

export function splitFrontier(bytes: Uint8Array): Uint8Array[] {
  if (bytes.byteLength % HASH_SIZE !== 0) {
    throw new StoreError('VERITY_E_STORE_CORRUPT', 'the stored log frontier is not a whole number of hashes');
  }
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.byteLength; o += HASH_SIZE) out.push(bytes.subarray(o, o + HASH_SIZE));
  return out;
}

/** The perfect subtrees whose roots, folded right to left, give the root of a tree of `size`. */
export function decomposition(size: number): NodeId[] {
  const out: NodeId[] = [];
  let offset = 0;
  for (let h = 52; h >= 0; h--) {
    const w = 2 ** h;
    if (size - offset >= w) {
      out.push({ height: h, index: offset / w });
      offset += w;
    }
  }
  return out;
}
