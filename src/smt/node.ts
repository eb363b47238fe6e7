// The stored unit of the state map: a node of 16 slots covering four levels of the binary tree
// (Jellyfish-style), so a path through a million keys is about five rows, not twenty.
import { StoreError } from '../errors/index.ts';
import { keyBit, keyNibble, LEAF_TAG, NODE_TAG, STATE_HASH_SIZE, taggedInto } from './hash.ts';
import type { StateTerminal } from './proof.ts';

/** What a slot holds: a leaf (key, value), or a deeper node by its hash. */
export type StateChild =
  | { readonly kind: 'leaf'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly kind: 'node'; readonly hash: Uint8Array };

/** Nibbles in a key: the deepest node level. */
export const MAX_NODE_DEPTH = 64;

/**
 * The position of the node at nibble depth `depth` on `key`'s path: the depth byte and the key's
 * first `depth` nibbles (a trailing odd nibble in the high half of the last byte, the low half zero).
 */
export function statePosition(key: Uint8Array, depth: number): Uint8Array {
  const n = (depth + 1) >> 1;
  const pos = new Uint8Array(1 + n);
  pos[0] = depth;
  pos.set(key.subarray(0, n), 1);
  if (depth & 1) pos[n] = (pos[n] as number) & 0xf0;
  return pos;
}

/** A position as a compact string key for maps. */
export function positionId(pos: Uint8Array): string {
  return String.fromCharCode(...pos);
}

function corruptNode(what: string): StoreError {
  return new StoreError(
    'VERITY_E_STATE_TAMPERED',
    `a stored state-map node is malformed: ${what}; run \`verity log verify\``,
  );
}

// A node's state in one run of bytes (no allocation to hash): the 16 slots (a
// leaf's key and value, or a deeper node's hash, 64 bytes each), the hash of each heap entry, and
// per slot and heap entry the kind, the count of filled slots below and whether that is one leaf.
const SLOTS = 0;
const HEAP = 16 * 64;
const KIND = HEAP + 32 * STATE_HASH_SIZE;
const COUNT = KIND + 16;
const LEAF = COUNT + 32;
const SIZE = LEAF + 32;
const EMPTY = 0;
const LEAF_SLOT = 1;
const NODE_SLOT = 2;

// Nodes live side by side in shared slabs, each at an offset: a buffer (or even a view) of its own
// per node, one per copy on write, made allocation and the garbage collector's tracking of them a
// large share of the update. A slab lives while any node in it does; the nodes of one update are
// made, cached and dropped together, and the cache is bounded.
const SLAB_NODES = 32;
let slab = new Uint8Array(0);
let slabAt = 0;

/** Takes room for one node in the current slab (then at `slab`, offset `slabAt - SIZE`). */
function place(): void {
  if (slabAt + SIZE > slab.byteLength) {
    slab = new Uint8Array(SIZE * SLAB_NODES);
    slabAt = 0;
  }
  slabAt += SIZE;
}

/**
 * One node. Slot s sits at heap index 16 + s; heap index i < 16 is the binary subtree over the slots
 * below it, so the four binary levels are kept hashed and a proof or an update touches only the
 * entries on its path.
 */
export class StateNode {
  /** The slab this node's state is in, at offset #o (SIZE bytes). */
  readonly #b: Uint8Array;
  readonly #o: number;
  #dirty = 0;
  /** The root hash, once settled (a copy, handed out to callers). */
  #root: Uint8Array | undefined;

  private constructor() {
    place();
    this.#b = slab;
    this.#o = slabAt - SIZE;
  }

  /** A node with no slots filled (all zero: empty slots, empty-subtree hashes, counts 0). */
  static empty(): StateNode {
    return new StateNode();
  }

  /** Decodes a stored node (its bytes come from the database: checked, then verified by hash). */
  static decode(bytes: Uint8Array): StateNode {
    if (bytes.byteLength < 2) throw corruptNode('it is truncated');
    const map = ((bytes[0] as number) << 8) | (bytes[1] as number);
    const node = new StateNode();
    const b = node.#b;
    const o = node.#o;
    let at = 2;
    for (let s = 0; s < 16; s++) {
      if ((map & (0x8000 >> s)) === 0) continue;
      const tag = bytes[at];
      if (tag === 1 && at + 65 <= bytes.byteLength) {
        b.set(bytes.subarray(at + 1, at + 65), o + SLOTS + 64 * s);
        b[o + KIND + s] = LEAF_SLOT;
        at += 65;
      } else if (tag === 2 && at + 33 <= bytes.byteLength) {
        b.set(bytes.subarray(at + 1, at + 33), o + SLOTS + 64 * s);
        b[o + KIND + s] = NODE_SLOT;
        at += 33;
      } else throw corruptNode(`slot ${s} is malformed`);
    }
    if (at !== bytes.byteLength) throw corruptNode('it has trailing bytes');
    node.#dirty = 0xffff;
    node.#settle();
    return node;
  }

  /** The stored form: u16 slot bitmap, then per filled slot 0x01 key value, or 0x02 hash. */
  encode(): Uint8Array {
    const out = new Uint8Array(this.encodedLength());
    this.encodeInto(out, 0);
    return out;
  }

  /** Bytes of the stored form. */
  encodedLength(): number {
    const b = this.#b;
    const o = this.#o;
    let len = 2;
    for (let s = 0; s < 16; s++) {
      const k = b[o + KIND + s];
      if (k !== EMPTY) len += k === LEAF_SLOT ? 65 : 33;
    }
    return len;
  }

  /** Writes the stored form into `out` at `at` (room for encodedLength() bytes); returns where it ends. */
  encodeInto(out: Uint8Array, start: number): number {
    const b = this.#b;
    const o = this.#o;
    let map = 0;
    let at = start + 2;
    for (let s = 0; s < 16; s++) {
      const k = b[o + KIND + s] as number;
      if (k === EMPTY) continue;
      map |= 0x8000 >> s;
      const n = k === LEAF_SLOT ? 64 : 32;
      out[at] = k;
      const from = o + SLOTS + 64 * s;
      for (let j = 0; j < n; j++) out[at + 1 + j] = b[from + j] as number;
      at += 1 + n;
    }
    out[start] = map >> 8;
    out[start + 1] = map & 0xff;
    return at;
  }

  /** A copy to change (nodes in caches are shared and never changed in place). */
  clone(): StateNode {
    this.#settle();
    const c = new StateNode();
    c.#b.set(this.#b.subarray(this.#o, this.#o + SIZE), c.#o);
    c.#root = this.#root;
    return c;
  }

  /** What slot `slot` holds (copies: the node's buffer is never handed out). */
  child(slot: number): StateChild | undefined {
    const k = this.#b[this.#o + KIND + slot];
    const at = this.#o + SLOTS + 64 * slot;
    if (k === LEAF_SLOT)
      return { kind: 'leaf', key: this.#b.slice(at, at + 32), value: this.#b.slice(at + 32, at + 64) };
    if (k === NODE_SLOT) return { kind: 'node', hash: this.#b.slice(at, at + 32) };
    return undefined;
  }

  /** 0 when the slot is empty, 1 when it holds a leaf, 2 when a deeper node. */
  slotKind(slot: number): number {
    return this.#b[this.#o + KIND + slot] as number;
  }

  /** Whether the slot holds a leaf with this key. */
  holdsKey(slot: number, key: Uint8Array): boolean {
    const b = this.#b;
    if (b[this.#o + KIND + slot] !== LEAF_SLOT) return false;
    const at = this.#o + SLOTS + 64 * slot;
    for (let j = 0; j < 32; j++) if (b[at + j] !== key[j]) return false;
    return true;
  }

  set(slot: number, child: StateChild): void {
    if (child.kind === 'leaf') this.setLeaf(slot, child.key, child.value);
    else this.setNode(slot, child.hash);
  }

  setLeaf(slot: number, key: Uint8Array, value: Uint8Array): void {
    if (key.byteLength !== STATE_HASH_SIZE || value.byteLength !== STATE_HASH_SIZE)
      throw new RangeError('a state key and value have 32 bytes');
    const at = this.#o + SLOTS + 64 * slot;
    this.#b.set(key, at);
    this.#b.set(value, at + 32);
    this.#b[this.#o + KIND + slot] = LEAF_SLOT;
    this.#changed(slot);
  }

  setNode(slot: number, hash: Uint8Array): void {
    if (hash.byteLength !== STATE_HASH_SIZE) throw corruptNode('a node hash does not have 32 bytes');
    const at = this.#o + SLOTS + 64 * slot;
    this.#b.set(hash, at);
    this.#b.fill(0, at + 32, at + 64);
    this.#b[this.#o + KIND + slot] = NODE_SLOT;
    this.#changed(slot);
  }

  #changed(slot: number): void {
    this.#dirty |= 1 << slot;
    this.#root = undefined;
  }

  /** Whether this node's hash is `h`. */
  hashEquals(h: Uint8Array): boolean {
    this.#settle();
    const b = this.#b;
    const at = this.#o + HEAP + 32;
    for (let j = 0; j < 32; j++) if (b[at + j] !== h[j]) return false;
    return true;
  }

  /** The hash of the binary subtree this node roots. */
  get hash(): Uint8Array {
    this.#settle();
    const at = this.#o + HEAP + 32;
    this.#root ??= this.#b.slice(at, at + 32);
    return this.#root;
  }

  #settle(): void {
    if (this.#dirty === 0) return;
    let marks = 0;
    for (let s = 0; s < 16; s++) if (this.#dirty & (1 << s)) for (let i = 16 + s; i >= 1; i >>= 1) marks |= 1 << i;
    for (let i = 31; i >= 1; i--) if (marks & (1 << i)) this.#compute(i);
    this.#dirty = 0;
  }

  #compute(i: number): void {
    const b = this.#b;
    const o = this.#o;
    const at = o + HEAP + 32 * i;
    if (i >= 16) {
      const s = i - 16;
      const k = b[o + KIND + s];
      const from = o + SLOTS + 64 * s;
      if (k === LEAF_SLOT) taggedInto(LEAF_TAG, b, from, b, at);
      else if (k === NODE_SLOT) b.copyWithin(at, from, from + 32);
      else b.fill(0, at, at + 32);
      b[o + COUNT + i] = k === EMPTY ? 0 : 1;
      b[o + LEAF + i] = k === LEAF_SLOT ? 1 : 0;
      return;
    }
    const l = 2 * i;
    const r = l + 1;
    const ll = b[o + LEAF + l] as number;
    const n = (b[o + COUNT + l] as number) + (b[o + COUNT + r] as number);
    b[o + COUNT + i] = n;
    if (n === 0) {
      b.fill(0, at, at + 32);
      b[o + LEAF + i] = 0;
    } else if (n === 1 && (ll || b[o + LEAF + r])) {
      // A subtree holding one leaf is that leaf (compact sparse Merkle tree).
      const from = o + HEAP + 32 * (ll ? l : r);
      b.copyWithin(at, from, from + 32);
      b[o + LEAF + i] = 1;
    } else {
      // The children's hashes sit side by side (heap entries 2i and 2i + 1).
      taggedInto(NODE_TAG, b, o + HEAP + 32 * l, b, at);
      b[o + LEAF + i] = 0;
    }
  }

  /**
   * Walks `key`'s path through this node (at nibble depth `depth`), pushing the siblings it passes
   * (when asked for): returns where the path ends, or the slot of the deeper node it continues in.
   */
  walk(key: Uint8Array, depth: number, siblings: Uint8Array[] | undefined): StateTerminal | number {
    this.#settle();
    const b = this.#b;
    const o = this.#o;
    let i = 1;
    for (let j = 0; j < 4; j++) {
      if (b[o + COUNT + i] === 0) return { kind: 'empty' };
      if (b[o + LEAF + i]) return this.#onlyLeaf(i);
      const bit = keyBit(key, 4 * depth + j);
      if (siblings !== undefined) {
        const sib = o + HEAP + 32 * (2 * i + 1 - bit);
        siblings.push(b.slice(sib, sib + 32));
      }
      i = 2 * i + bit;
    }
    const c = this.child(i - 16);
    if (c === undefined) return { kind: 'empty' };
    if (c.kind === 'leaf') return c;
    return keyNibble(key, depth);
  }

  #onlyLeaf(i: number): StateTerminal {
    const b = this.#b;
    const o = this.#o;
    let k = i;
    while (k < 16) k = b[o + COUNT + 2 * k] ? 2 * k : 2 * k + 1;
    return this.child(k - 16) as StateTerminal;
  }
}
