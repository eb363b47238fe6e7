import { bytesEqual } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { sha256 } from '../platform/index.ts';

/** SHA-256 output size. */
export const HASH_SIZE = 32;

/** RFC 9162 2.1.1: the hash of an empty tree is the hash of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** Most hashes a proof may carry: a tree of 2^64 leaves needs at most 2*64. */
export const MAX_PROOF_HASHES = 128;

// One input buffer for the hashes of interior nodes, and one for leaves up to 4 KiB: sha256() is
// synchronous and keeps nothing of its input, and a fresh array per hash (two a log entry) was a
// share of the group commit's garbage (D345).
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = 1;
const leafInput = new Uint8Array(4096);

/** RFC 9162 2.1.1: leaf hash = SHA-256(0x00 || data). */
export function hashLeaf(data: Uint8Array): Uint8Array {
  if (data.byteLength >= leafInput.byteLength) {
    const buf = new Uint8Array(data.byteLength + 1);
    buf.set(data, 1);
    return sha256(buf);
  }
  leafInput.set(data, 1);
  return sha256(leafInput.subarray(0, data.byteLength + 1));
}

/** RFC 9162 2.1.1: interior node hash = SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

/** A perfect subtree: the leaves [index * 2^height, (index + 1) * 2^height). */
export interface NodeId {
  readonly height: number;
  readonly index: number;
}

// Sizes go up to 2^53: JavaScript's bit operators are 32-bit, so these use arithmetic.
function isOdd(x: number): boolean {
  return x % 2 === 1;
}
function half(x: number): number {
  return Math.floor(x / 2);
}

/** The largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * @internal The error of an index, size or tile coordinate outside the tree. These may come from a
 * request (a log server's query parameters): a coded error the interface can answer with, never a
 * bare RangeError.
 */
export function outOfRange(message: string): LogError {
  return new LogError('VERITY_E_LOG_RANGE', message);
}

function checkSize(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw outOfRange(`${name} must be a non-negative safe integer`);
}

function checkIndex(index: number, size: number): void {
  checkSize('index', index);
  checkSize('size', size);
  if (index >= size)
    throw outOfRange(`leaf index ${index} is outside the tree of size ${size}; ask for an index below the size`);
}

function checkSizes(size1: number, size2: number): void {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size1 > size2)
    throw outOfRange(`tree size ${size1} is larger than tree size ${size2}; give the smaller size first`);
}

/**
 * The perfect subtrees that make up the range [start, end), where `start` is a multiple of a
 * power of two at least as large as the range (true of every range RFC 9162 proofs use).
 * Folded right to left with hashChildren they give MTH(D[start:end]).
 */
function rangeNodes(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let offset = start;
  let rest = end - start;
  while (rest > 0) {
    let w = 1;
    while (w * 2 <= rest) w *= 2;
    let h = 0;
    for (let x = w; x > 1; x /= 2) h++;
    out.push({ height: h, index: offset / w });
    offset += w;
    rest -= w;
  }
  return out;
}

/**
 * The height of the perfect subtree [start, end) is (a power-of-two width starting at a multiple of
 * it), or -1 when the range is not one perfect subtree.
 */
export function perfectHeight(start: number, end: number): number {
  const w = end - start;
  // log2 rounds (2^50 + 1 would give 50): the power is checked back exactly.
  const h = Math.log2(w);
  return Number.isInteger(h) && 2 ** h === w && start % w === 0 ? h : -1;
}

/**
 * The one perfect subtree [start, end) is, or undefined when it is not one: a proof's every range
 * but those on the right edge. Spares those ranges rangeNodes' array (proofs are a hot path).
 */
function perfectNode(start: number, end: number): NodeId | undefined {
  const h = perfectHeight(start, end);
  return h < 0 ? undefined : { height: h, index: start / 2 ** h };
}

function rangeHash(
  start: number,
  end: number,
  getNode: (id: NodeId) => Uint8Array,
  memo?: Map<string, Uint8Array>,
): Uint8Array {
  const one = perfectNode(start, end);
  if (one !== undefined) return getNode(one);
  const nodes = rangeNodes(start, end);
  if (nodes.length === 1) return getNode(nodes[0] as NodeId);
  const key = `${start}-${end}`;
  const cached = memo?.get(key);
  if (cached !== undefined) return cached;
  let r = getNode(nodes[nodes.length - 1] as NodeId);
  for (let i = nodes.length - 2; i >= 0; i--) r = hashChildren(getNode(nodes[i] as NodeId), r);
  memo?.set(key, r);
  return r;
}

/** RFC 9162 2.1.3.1 PATH(m, D[lo:hi]) as the list of ranges whose hashes form the proof. */
function inclusionRanges(m: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = 0;
  let hi = size;
  // Walk from the root down, then reverse: the proof lists siblings leaf first.
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < lo + k) {
      out.push([lo + k, hi]);
      hi = lo + k;
    } else {
      out.push([lo, lo + k]);
      lo = lo + k;
    }
  }
  return out.reverse();
}

/** RFC 9162 2.1.4.1 SUBPROOF(m, D[lo:hi], b) as ranges. */
function consistencyRanges(m: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = 0;
  let hi = size;
  let b = true;
  let mm = m;
  for (;;) {
    const n = hi - lo;
    if (mm === n) {
      if (!b) out.push([lo, hi]);
      break;
    }
    const k = splitPoint(n);
    if (mm <= k) {
      out.push([lo + k, hi]);
      hi = lo + k;
    } else {
      out.push([lo, lo + k]);
      lo = lo + k;
      mm -= k;
      b = false;
    }
  }
  return out.reverse();
}

function nodesOf(ranges: [number, number][]): NodeId[] {
  const out: NodeId[] = [];
  for (const [a, b] of ranges) {
    const one = perfectNode(a, b);
    if (one !== undefined) out.push(one);
    else for (const n of rangeNodes(a, b)) out.push(n);
  }
  return out;
}

/** The perfect nodes `inclusionProof(index, size, ...)` will ask for. O(log n). */
export function inclusionProofNodes(index: number, size: number): NodeId[] {
  checkIndex(index, size);
  return nodesOf(inclusionRanges(index, size));
}

/** An inclusion proof worked out but not yet hashed: the ranges of the proof and the nodes they need. */
export interface InclusionPlan {
  readonly index: number;
  readonly size: number;
  readonly ranges: readonly (readonly [number, number])[];
  /** The perfect nodes to load, in the order `inclusionProofFromPlan` asks for them. */
  readonly nodes: NodeId[];
}

/** Plans the inclusion proof of leaf `index` in the tree of `size` leaves (no hashing). */
export function planInclusionProof(index: number, size: number): InclusionPlan {
  checkIndex(index, size);
  const ranges = inclusionRanges(index, size);
  return { index, size, ranges, nodes: nodesOf(ranges) };
}

/** Hashes a planned inclusion proof (see `inclusionProof`). */
export function inclusionProofFromPlan(
  plan: InclusionPlan,
  getNode: (id: NodeId) => Uint8Array,
  memo?: Map<string, Uint8Array>,
): Uint8Array[] {
  return plan.ranges.map(([a, b]) => rangeHash(a, b, getNode, memo));
}

/**
 * RFC 9162 2.1.3.1: the inclusion proof of leaf `index` in the tree of `size` leaves. `memo`, if
 * given, caches the hashes of right-edge subtrees; it must belong to this `size` and tree only.
 */
export function inclusionProof(
  index: number,
  size: number,
  getNode: (id: NodeId) => Uint8Array,
  memo?: Map<string, Uint8Array>,
): Uint8Array[] {
  checkIndex(index, size);
  return inclusionRanges(index, size).map(([a, b]) => rangeHash(a, b, getNode, memo));
}

/** The perfect nodes `consistencyProof(size1, size2, ...)` will ask for. O(log n). */
export function consistencyProofNodes(size1: number, size2: number): NodeId[] {
  checkSizes(size1, size2);
  if (size1 === 0 || size1 === size2) return [];
  return nodesOf(consistencyRanges(size1, size2));
}

/**
 * RFC 9162 2.1.4.1: the consistency proof between the trees of `size1` and `size2` leaves.
 * Empty when size1 is 0 (every tree extends the empty one) or equals size2.
 */
export function consistencyProof(size1: number, size2: number, getNode: (id: NodeId) => Uint8Array): Uint8Array[] {
  checkSizes(size1, size2);
  if (size1 === 0 || size1 === size2) return [];
  return consistencyRanges(size1, size2).map(([a, b]) => rangeHash(a, b, getNode));
}

function invalid(reason: string): LogError {
  return new LogError('VERITY_E_LOG_PROOF_INVALID', `proof invalid: ${reason}`);
}

// Every argument below may come from an attacker: sizes, lengths and hash widths are checked before use.
function checkHashes(proof: readonly Uint8Array[], ...hashes: Uint8Array[]): void {
  if (!Array.isArray(proof)) throw invalid('the proof is not a list of hashes');
  if (proof.length > MAX_PROOF_HASHES) throw invalid(`wrong proof length (${proof.length} hashes)`);
  for (const h of [...proof, ...hashes]) {
    if (!(h instanceof Uint8Array) || h.byteLength !== HASH_SIZE) throw invalid('a hash is not 32 bytes');
  }
}

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to. */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkHashes(proof, leafHash);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || size < 0)
    throw invalid('index or size is not a non-negative integer');
  if (index >= size) throw invalid('index out of range');
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw invalid('wrong proof length');
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw invalid('wrong proof length');
  return r;
}

/** RFC 9162 2.1.3.2: throws VERITY_E_LOG_PROOF_INVALID unless the proof shows the leaf in the tree. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHashes([], root);
  const r = rootFromInclusionProof(leafHash, index, size, proof);
  if (!bytesEqual(r, root)) throw invalid('root mismatch');
}

/**
 * RFC 9162 2.1.4.2: throws VERITY_E_LOG_PROOF_INVALID unless the tree of `size1` leaves with root
 * `root1` is a prefix of the tree of `size2` leaves with root `root2`.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkHashes(proof, root1, root2);
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < 0)
    throw invalid('sizes are not non-negative integers');
  if (size1 > size2) throw invalid('size1 is larger than size2');
  if (size1 === size2) {
    if (proof.length !== 0) throw invalid('wrong proof length');
    if (!bytesEqual(root1, root2)) throw invalid('root mismatch');
    return;
  }
  if (size1 === 0) {
    // Every tree extends the empty tree; its root is fixed.
    if (proof.length !== 0) throw invalid('wrong proof length');
    if (!bytesEqual(root1, EMPTY_ROOT)) throw invalid('root mismatch');
    return;
  }
  if (proof.length === 0) throw invalid('wrong proof length');
  const path = [...proof];
  // Step 1: if size1 is an exact power of 2, the old root is the first node of the path.
  let p2 = 1;
  while (p2 < size1) p2 *= 2;
  if (p2 === size1) path.unshift(root1);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) throw invalid('wrong proof length');
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw invalid('wrong proof length');
  if (!bytesEqual(fr, root1)) throw invalid('old root mismatch');
  if (!bytesEqual(sr, root2)) throw invalid('new root mismatch');
}

/** RFC 9162 2.1.1 MTH over leaf hashes (reference implementation, O(n)). */
export function rootFromLeaves(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  let level = [...leafHashes];
  // Pairwise reduction keeps an odd last node for the next level, which is MTH's split at the
  // largest power of two.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(hashChildren(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
  }
  return level[0] as Uint8Array;
}

/** A perfect node completed by an append. */
export interface CompletedNode {
  readonly height: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/**
 * Appends leaves to a compact range (the roots of the perfect subtrees of the binary
 * decomposition of `size`, largest first). Returns the new range and every perfect node that
 * became complete, leaves included, in order of completion. Amortized two hashes per leaf.
 */
export function frontierAppend(
  frontier: readonly Uint8Array[],
  size: number,
  leafHashes: readonly Uint8Array[],
): { frontier: Uint8Array[]; size: number; completed: CompletedNode[] } {
  checkSize('size', size);
  let bits = 0;
  for (let s = size; s > 0; s = half(s)) if (isOdd(s)) bits++;
  if (bits !== frontier.length) throw new RangeError('frontier length does not match the tree size');
  const f = [...frontier];
  const completed: CompletedNode[] = [];
  let n = size;
  for (const leaf of leafHashes) {
    let h = leaf;
    let height = 0;
    let index = n;
    completed.push({ height, index, hash: h });
    let s = n;
    while (isOdd(s)) {
      const left = f.pop() as Uint8Array;
      h = hashChildren(left, h);
      height++;
      index = half(index);
      completed.push({ height, index, hash: h });
      s = half(s);
    }
    f.push(h);
    n++;
  }
  return { frontier: f, size: n, completed };
}

/** The root of the tree whose compact range is `frontier`. */
export function frontierRoot(frontier: readonly Uint8Array[]): Uint8Array {
  if (frontier.length === 0) return EMPTY_ROOT;
  let r = frontier[frontier.length - 1] as Uint8Array;
  for (let i = frontier.length - 2; i >= 0; i--) r = hashChildren(frontier[i] as Uint8Array, r);
  return r;
}
