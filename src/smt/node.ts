// The stored unit of the state map: a node of 16 slots covering four levels of the binary tree
// (Jellyfish-style), so a path through a million keys is about five rows, not twenty.
import { StoreError } from '../errors/index.ts';
import { EMPTY_STATE_ROOT, keyBit, keyNibble, STATE_HASH_SIZE, stateLeafHash, stateNodeHash } from './hash.ts';
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

/**
 * One node. Slot s sits at heap index 16 + s; heap index i < 16 is the binary subtree over the slots
 * below it, so the four binary levels are kept hashed and a proof or an update touches only the
 * entries on its path.
 */
export class StateNode {
  readonly #children: (StateChild | undefined)[];
  /** Hash of each heap entry (index 1..31). */
  readonly #hash: Uint8Array[] = new Array(32);
  /** Non-empty slots below each heap entry. */
  readonly #count = new Uint8Array(32);
  /** Whether the entry's subtree is one leaf (then its hash is that leaf's). */
  readonly #leaf = new Uint8Array(32);
  #dirty = 0;

  private constructor(children: (StateChild | undefined)[], from?: StateNode) {
    this.#children = children;
    if (from === undefined) for (let i = 31; i >= 1; i--) this.#compute(i);
    else {
      from.#settle();
      for (let i = 1; i < 32; i++) this.#hash[i] = from.#hash[i] as Uint8Array;
      this.#count.set(from.#count);
      this.#leaf.set(from.#leaf);
    }
  }

  /** A node with no slots filled. */
  static empty(): StateNode {
    return new StateNode(new Array(16).fill(undefined), EMPTY_NODE);
  }

  /** Decodes a stored node (its bytes come from the database: checked, then verified by hash). */
  static decode(bytes: Uint8Array): StateNode {
    if (bytes.byteLength < 2) throw corruptNode('it is truncated');
    const map = ((bytes[0] as number) << 8) | (bytes[1] as number);
    const children: (StateChild | undefined)[] = new Array(16).fill(undefined);
    let at = 2;
    for (let s = 0; s < 16; s++) {
      if ((map & (0x8000 >> s)) === 0) continue;
      const tag = bytes[at];
      if (tag === 1 && at + 65 <= bytes.byteLength) {
        children[s] = { kind: 'leaf', key: bytes.slice(at + 1, at + 33), value: bytes.slice(at + 33, at + 65) };
        at += 65;
      } else if (tag === 2 && at + 33 <= bytes.byteLength) {
        children[s] = { kind: 'node', hash: bytes.slice(at + 1, at + 33) };
        at += 33;
      } else throw corruptNode(`slot ${s} is malformed`);
    }
    if (at !== bytes.byteLength) throw corruptNode('it has trailing bytes');
    return new StateNode(children);
  }

  /** The stored form: u16 slot bitmap, then per filled slot 0x01 key value, or 0x02 hash. */
  encode(): Uint8Array {
    let map = 0;
    let len = 2;
    for (let s = 0; s < 16; s++) {
      const c = this.#children[s];
      if (c === undefined) continue;
      map |= 0x8000 >> s;
      len += c.kind === 'leaf' ? 65 : 33;
    }
    const out = new Uint8Array(len);
    out[0] = map >> 8;
    out[1] = map & 0xff;
    let at = 2;
    for (const c of this.#children) {
      if (c === undefined) continue;
      if (c.kind === 'leaf') {
        out[at] = 1;
        out.set(c.key, at + 1);
        out.set(c.value, at + 33);
        at += 65;
      } else {
        out[at] = 2;
        out.set(c.hash, at + 1);
        at += 33;
      }
    }
    return out;
  }

  /** A copy to change (nodes in caches are shared and never changed in place). */
  clone(): StateNode {
    return new StateNode([...this.#children], this);
  }

  child(slot: number): StateChild | undefined {
    return this.#children[slot];
  }

  set(slot: number, child: StateChild): void {
    this.#children[slot] = child;
    this.#dirty |= 1 << slot;
  }

  /** The hash of the binary subtree this node roots. */
  get hash(): Uint8Array {
    this.#settle();
    return this.#hash[1] as Uint8Array;
  }

  #settle(): void {
    if (this.#dirty === 0) return;
    let marks = 0;
    for (let s = 0; s < 16; s++) if (this.#dirty & (1 << s)) for (let i = 16 + s; i >= 1; i >>= 1) marks |= 1 << i;
    for (let i = 31; i >= 1; i--) if (marks & (1 << i)) this.#compute(i);
    this.#dirty = 0;
  }

  #compute(i: number): void {
    if (i >= 16) {
      const c = this.#children[i - 16];
      if (c === undefined) {
        this.#hash[i] = EMPTY_STATE_ROOT;
        this.#count[i] = 0;
        this.#leaf[i] = 0;
      } else if (c.kind === 'leaf') {
        this.#hash[i] = stateLeafHash(c.key, c.value);
        this.#count[i] = 1;
        this.#leaf[i] = 1;
      } else {
        if (c.hash.byteLength !== STATE_HASH_SIZE) throw corruptNode('a node hash does not have 32 bytes');
        this.#hash[i] = c.hash;
        this.#count[i] = 1;
        this.#leaf[i] = 0;
      }
      return;
    }
    const l = 2 * i;
    const r = l + 1;
    const n = (this.#count[l] as number) + (this.#count[r] as number);
    this.#count[i] = n;
    if (n === 0) {
      this.#hash[i] = EMPTY_STATE_ROOT;
      this.#leaf[i] = 0;
    } else if (n === 1 && (this.#leaf[l] || this.#leaf[r])) {
      // A subtree holding one leaf is that leaf (compact sparse Merkle tree).
      this.#hash[i] = (this.#leaf[l] ? this.#hash[l] : this.#hash[r]) as Uint8Array;
      this.#leaf[i] = 1;
    } else {
      this.#hash[i] = stateNodeHash(this.#hash[l] as Uint8Array, this.#hash[r] as Uint8Array);
      this.#leaf[i] = 0;
    }
  }

  /**
   * Walks `key`'s path through this node (at nibble depth `depth`), pushing the siblings it passes:
   * returns where the path ends, or the slot of the deeper node it continues in.
   */
  walk(key: Uint8Array, depth: number, siblings: Uint8Array[]): StateTerminal | number {
    this.#settle();
    let i = 1;
    for (let j = 0; j < 4; j++) {
      if (this.#count[i] === 0) return { kind: 'empty' };
      if (this.#leaf[i]) return this.#onlyLeaf(i);
      const bit = keyBit(key, 4 * depth + j);
      siblings.push(this.#hash[2 * i + 1 - bit] as Uint8Array);
      i = 2 * i + bit;
    }
    const c = this.#children[i - 16];
    if (c === undefined) return { kind: 'empty' };
    if (c.kind === 'leaf') return c;
    return keyNibble(key, depth);
  }

  #onlyLeaf(i: number): StateTerminal {
    let k = i;
    while (k < 16) k = this.#count[2 * k] ? 2 * k : 2 * k + 1;
    return this.#children[k - 16] as StateTerminal;
  }
}

const EMPTY_NODE: StateNode = StateNode.decode(new Uint8Array(2));
