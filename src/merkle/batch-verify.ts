// Many inclusion proofs against one tree (an access report's thousands of lines under one
// checkpoint): each interior node on a proven path is hashed once for all lines, not once per line.
// Hand-written because no library offers RFC 9162 proofs with this sharing (RFC 9162 has no
// multi-proof); its result is exactly `verifyInclusion`'s for every line (see `verify`).

import { bytesEqual } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { HASH_SIZE, hashChildren, MAX_PROOF_HASHES } from './tree.ts';

/** One step of a proven path: the running hash before it, and the proof element it consumed. */
interface Step<T> {
  readonly r: Uint8Array;
  readonly p: T;
}

/** Most steps kept by default (a 50,000-line report keeps about 100,000). */
const MAX_MEMO = 1 << 21;

const invalid = (reason: string) => new LogError('VERITY_E_LOG_PROOF_INVALID', `proof invalid: ${reason}`);

/**
 * Verifies RFC 9162 inclusion proofs (2.1.3.2) of many leaves in the one tree of `size` leaves with
 * root `root`, remembering every step of each path that reached the root. A later proof whose
 * running hash meets a remembered step with the same value, and whose remaining elements are the
 * same (the same bytes, or the same encoded text) as the remembered path's, would repeat that path's
 * computation exactly and reach the root: it is accepted without rehashing it. Any difference
 * falls back to the full computation, so every answer is the one `verifyInclusion` gives. Only
 * paths that reached the root are remembered.
 *
 * `T` is how proof elements arrive (bytes, or encoded text decoded by `decode` only when hashed).
 */
export class InclusionBatchVerifier<T> {
  readonly #size: number;
  readonly #root: Uint8Array;
  readonly #decode: (p: T, i: number) => Uint8Array;
  /** Steps of proven paths by their RFC 9162 state (`sn`, `fn`): one node of the tree each. */
  readonly #memo = new Map<string, Step<T>>();
  /** Interior hashes computed (for measurement). */
  hashed = 0;
  readonly #maxSteps: number;

  /**
   * `maxSteps` bounds the steps remembered (about 200 bytes each); once it is reached, paths are
   * still verified, and still meet those remembered, but are not remembered themselves.
   */
  constructor(size: number, root: Uint8Array, decode: (p: T, i: number) => Uint8Array, maxSteps = MAX_MEMO) {
    if (!Number.isSafeInteger(size) || size < 0) throw invalid('size is not a non-negative integer');
    if (!(root instanceof Uint8Array) || root.byteLength !== HASH_SIZE) throw invalid('a hash is not 32 bytes');
    this.#size = size;
    this.#root = root;
    this.#decode = decode;
    this.#maxSteps = maxSteps;
  }

  /** Throws VERITY_E_LOG_PROOF_INVALID unless `proof` shows `leafHash` at `index` in the tree. */
  verify(leafHash: Uint8Array, index: number, proof: readonly T[]): void {
    if (!(leafHash instanceof Uint8Array) || leafHash.byteLength !== HASH_SIZE) throw invalid('a hash is not 32 bytes');
    if (!Array.isArray(proof)) throw invalid('the proof is not a list of hashes');
    if (proof.length > MAX_PROOF_HASHES) throw invalid(`wrong proof length (${proof.length} hashes)`);
    if (!Number.isSafeInteger(index) || index < 0) throw invalid('index or size is not a non-negative integer');
    if (index >= this.#size) throw invalid('index out of range');
    if (this.#met(leafHash, index, proof)) return;
    this.#full(leafHash, index, proof);
  }

  /** The fast path: true when the proof meets a remembered path and agrees with it to the root. */
  #met(leafHash: Uint8Array, index: number, proof: readonly T[]): boolean {
    let fn = index;
    let sn = this.#size - 1;
    let r = leafHash;
    const walked: [string, Step<T>][] = [];
    for (let k = 0; k < proof.length; k++) {
      if (sn === 0) return false;
      const key = `${sn}:${fn}`;
      const m = this.#memo.get(key);
      const p = proof[k] as T;
      if (m !== undefined && bytesEqual(m.r, r)) {
        // The rest must be the remembered path's, element for element (no hashing needed).
        for (let j = k; j < proof.length; j++) {
          if (sn === 0) return false;
          const mj = this.#memo.get(`${sn}:${fn}`);
          if (mj === undefined || !same(mj.p, proof[j] as T)) return false;
          [fn, sn] = advance(fn, sn);
        }
        if (sn !== 0) return false;
        this.#remember(walked);
        return true;
      }
      let b: Uint8Array;
      try {
        b = this.#decode(p, k);
      } catch {
        return false;
      }
      if (b.byteLength !== HASH_SIZE) return false;
      walked.push([key, { r, p }]);
      r = isOdd(fn) || fn === sn ? hashChildren(b, r) : hashChildren(r, b);
      this.hashed++;
      [fn, sn] = advance(fn, sn);
    }
    if (sn !== 0 || !bytesEqual(r, this.#root)) return false;
    this.#remember(walked);
    return true;
  }

  /** The plain RFC 9162 computation, for its exact error. */
  #full(leafHash: Uint8Array, index: number, proof: readonly T[]): void {
    const bytes = proof.map((p, i) => this.#decode(p, i));
    for (const b of bytes) if (b.byteLength !== HASH_SIZE) throw invalid('a hash is not 32 bytes');
    let fn = index;
    let sn = this.#size - 1;
    let r = leafHash;
    for (const b of bytes) {
      if (sn === 0) throw invalid('wrong proof length');
      r = isOdd(fn) || fn === sn ? hashChildren(b, r) : hashChildren(r, b);
      this.hashed++;
      [fn, sn] = advance(fn, sn);
    }
    if (sn !== 0) throw invalid('wrong proof length');
    if (!bytesEqual(r, this.#root)) throw invalid('root mismatch');
  }

  #remember(walked: readonly [string, Step<T>][]): void {
    for (const [key, step] of walked) if (this.#memo.size < this.#maxSteps) this.#memo.set(key, step);
  }
}

/** Equal elements: the same text (a different spelling of the same bytes falls back), or equal bytes. */
function same<T>(a: T, b: T): boolean {
  return a === b || (a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b));
}

function isOdd(x: number): boolean {
  return x % 2 === 1;
}

/** The RFC 9162 2.1.3.2 state after one step (`fn`, `sn` shifted; past a right edge, further). */
function advance(fn: number, sn: number): [number, number] {
  if (!isOdd(fn) && fn === sn)
    while (!isOdd(fn) && fn !== 0) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
  return [Math.floor(fn / 2), Math.floor(sn / 2)];
}
