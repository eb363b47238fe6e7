// Hashing of Verity's state map: a compact sparse Merkle tree over 256-bit keys (a binary trie in
// which a subtree holding one leaf is that leaf, and an empty subtree is 32 zero bytes), as in
// Diem's Jellyfish Merkle tree and in akd. Hand-written: no maintained JavaScript library provides an
// authenticated map with storage-backed nodes, batched updates and compact proofs.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../encoding/index.ts';
import { sha256 } from '../platform/index.ts';

/** Bytes of a key, a value and a node hash. */
export const STATE_HASH_SIZE = 32;

/** The hash of an empty subtree (and the root of the empty map). */
export const EMPTY_STATE_ROOT: Uint8Array = new Uint8Array(STATE_HASH_SIZE);

// Domain tags apart from RFC 9162's 0x00 (log leaf) and 0x01 (log interior node), so that no
// state-map node can be read as a log node or the other way round.
export const LEAF_TAG = 0x02;
export const NODE_TAG = 0x03;

// One input buffer for every state-map hash: sha256() is synchronous and copies nothing it keeps,
// and a fresh 65-byte array per hash was a measurable share of the map update's garbage.
const input = new Uint8Array(1 + 2 * STATE_HASH_SIZE);

/** SHA-256(tag || a || b) of two 32-byte strings. */
function tagged(tag: number, a: Uint8Array, b: Uint8Array): Uint8Array {
  input[0] = tag;
  input.set(a, 1);
  input.set(b, 1 + STATE_HASH_SIZE);
  return sha256(input);
}

// The map update's hashes (about seven per changed key) reuse one @noble/hashes SHA-256 instance:
// each starts from a copy of a fresh instance's state (`_cloneInto`) and writes its digest into a
// reused buffer, so a hash allocates nothing. Measured on sealed writes with the map (CPU time,
// alternating runs on the shared 2-core machine): 128-150 µs a write against 148-174 µs with
// node:crypto's hash(), whose per-call overhead and fresh result buffer (garbage) dwarf two
// compressions. Every root is checked against node:crypto's hashes by the tests (smt.test.ts).
const fresh = nobleSha256.create();
const reused = nobleSha256.create();
const digest = new Uint8Array(STATE_HASH_SIZE);

/**
 * SHA-256(tag || the 64 bytes of `src` at `from`), written into `dst` at `to`: a leaf (key and
 * value) or an interior node (left and right hash) held side by side in a node's own buffer.
 */
export function taggedInto(tag: number, src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  input[0] = tag;
  for (let k = 0; k < 2 * STATE_HASH_SIZE; k++) input[1 + k] = src[from + k] as number;
  fresh._cloneInto(reused);
  reused.update(input);
  reused.digestInto(digest);
  dst.set(digest, to);
}

/** A leaf: SHA-256(0x02 || key || value). */
export function stateLeafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  return tagged(LEAF_TAG, key, value);
}

/** An interior node: SHA-256(0x03 || left || right). */
export function stateNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return tagged(NODE_TAG, left, right);
}

/**
 * The map key of one piece of state: SHA-256 of `verity/state/v1`, the kind and the id, each ended by
 * a NUL byte (kinds and ids hold no NUL), so keys are uniform and no two (kind, id) pairs share one.
 */
export function stateKey(kind: string, id: string): Uint8Array {
  return sha256(utf8(`verity/state/v1\u0000${kind}\u0000${id}\u0000`));
}

/** Bit `i` (0 = most significant bit of byte 0) of a 256-bit key. */
export function keyBit(key: Uint8Array, i: number): number {
  return ((key[i >> 3] as number) >> (7 - (i & 7))) & 1;
}

/** Nibble `i` (0 = high nibble of byte 0) of a 256-bit key. */
export function keyNibble(key: Uint8Array, i: number): number {
  const b = key[i >> 1] as number;
  return i & 1 ? b & 0x0f : b >> 4;
}
