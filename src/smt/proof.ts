// Proofs of the state map: that a key holds a value, or that it holds none, under a root.
import { bytesEqual, fromBase64, toBase64 } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { EMPTY_STATE_ROOT, keyBit, STATE_HASH_SIZE, stateLeafHash, stateNodeHash } from './hash.ts';

/** Where a key's path in the map ends: an empty subtree, or the one leaf of its subtree. */
export type StateTerminal =
  | { readonly kind: 'empty' }
  | { readonly kind: 'leaf'; readonly key: Uint8Array; readonly value: Uint8Array };

/**
 * A path from a key's terminal up to the root: `siblings[d]` is the hash of the subtree beside the
 * path at depth d + 1 (the one whose prefix is the key's first d bits and then the other bit).
 */
export interface StateProof {
  readonly siblings: readonly Uint8Array[];
  readonly terminal: StateTerminal;
}

/** The most siblings a proof may hold: one per key bit. */
const MAX_DEPTH = 256;

function invalid(what: string): LogError {
  return new LogError('VERITY_E_STATE_PROOF_INVALID', `state proof invalid: ${what}`);
}

/** The root that `proof` leads to for `key` (attacker-controlled proof: every size is checked). */
export function stateProofRoot(key: Uint8Array, proof: StateProof): Uint8Array {
  if (key.byteLength !== STATE_HASH_SIZE) throw invalid('the key does not have 32 bytes');
  const depth = proof.siblings.length;
  if (depth > MAX_DEPTH) throw invalid(`it has ${depth} siblings; at most ${MAX_DEPTH}`);
  const t = proof.terminal;
  let h: Uint8Array;
  if (t.kind === 'empty') h = EMPTY_STATE_ROOT;
  else {
    if (t.key.byteLength !== STATE_HASH_SIZE || t.value.byteLength !== STATE_HASH_SIZE)
      throw invalid('the terminal leaf does not have a 32-byte key and value');
    // A leaf sits at the top of the subtree it is alone in: it shares the path's prefix.
    for (let i = 0; i < depth; i++)
      if (keyBit(t.key, i) !== keyBit(key, i)) throw invalid('the terminal leaf is not on the key’s path');
    h = stateLeafHash(t.key, t.value);
  }
  for (let d = depth - 1; d >= 0; d--) {
    const s = proof.siblings[d] as Uint8Array;
    if (s.byteLength !== STATE_HASH_SIZE) throw invalid('a sibling does not have 32 bytes');
    h = keyBit(key, d) === 0 ? stateNodeHash(h, s) : stateNodeHash(s, h);
  }
  return h;
}

/**
 * Checks `proof` for `key` against a trusted `root`: returns the key's value, or undefined when the
 * proof shows the key is absent. Throws VERITY_E_STATE_PROOF_INVALID when it leads elsewhere.
 */
export function verifyStateProof(root: Uint8Array, key: Uint8Array, proof: StateProof): Uint8Array | undefined {
  if (!bytesEqual(stateProofRoot(key, proof), root)) throw invalid('it does not lead to the trusted root');
  const t = proof.terminal;
  return t.kind === 'leaf' && bytesEqual(t.key, key) ? t.value : undefined;
}

/**
 * The compact encoding: u16 depth, a bitmap of the siblings that are not the empty hash (bit d of
 * the bitmap = sibling d, most significant first), those siblings, then the terminal (0x00 empty;
 * 0x01, key, value). About 32 bytes per level of the tree: ~750 bytes at a million keys.
 */
export function encodeStateProof(proof: StateProof): Uint8Array {
  const depth = proof.siblings.length;
  const mapLen = (depth + 7) >> 3;
  const full = proof.siblings.filter((s) => !bytesEqual(s, EMPTY_STATE_ROOT));
  const t = proof.terminal;
  const out = new Uint8Array(2 + mapLen + full.length * 32 + (t.kind === 'leaf' ? 65 : 1));
  out[0] = depth >> 8;
  out[1] = depth & 0xff;
  let at = 2 + mapLen;
  proof.siblings.forEach((s, d) => {
    if (bytesEqual(s, EMPTY_STATE_ROOT)) return;
    out[2 + (d >> 3)] = (out[2 + (d >> 3)] as number) | (0x80 >> (d & 7));
    out.set(s, at);
    at += 32;
  });
  if (t.kind === 'leaf') {
    out[at] = 1;
    out.set(t.key, at + 1);
    out.set(t.value, at + 33);
  }
  return out;
}

/** Decodes a compact proof (attacker-controlled: lengths, bitmap and tag are all checked). */
export function decodeStateProof(bytes: Uint8Array): StateProof {
  if (bytes.byteLength < 3) throw invalid('it is truncated');
  const depth = ((bytes[0] as number) << 8) | (bytes[1] as number);
  if (depth > MAX_DEPTH) throw invalid(`its depth ${depth} exceeds ${MAX_DEPTH}`);
  const mapLen = (depth + 7) >> 3;
  if (bytes.byteLength < 2 + mapLen + 1) throw invalid('it is truncated');
  const siblings: Uint8Array[] = [];
  let at = 2 + mapLen;
  for (let d = 0; d < depth; d++) {
    if (((bytes[2 + (d >> 3)] as number) & (0x80 >> (d & 7))) === 0) siblings.push(EMPTY_STATE_ROOT);
    else {
      if (at + 32 > bytes.byteLength) throw invalid('it is truncated');
      siblings.push(bytes.slice(at, at + 32));
      at += 32;
    }
  }
  // Bits past `depth` in the bitmap's last byte must be zero: one proof, one encoding.
  if (depth & 7 && ((bytes[2 + mapLen - 1] as number) & (0xff >> (depth & 7))) !== 0)
    throw invalid('its bitmap has bits past its depth');
  const tag = bytes[at];
  if (tag === 0 && at + 1 === bytes.byteLength) return { siblings, terminal: { kind: 'empty' } };
  if (tag === 1 && at + 65 === bytes.byteLength)
    return {
      siblings,
      terminal: { kind: 'leaf', key: bytes.slice(at + 1, at + 33), value: bytes.slice(at + 33, at + 65) },
    };
  throw invalid('its terminal is malformed or followed by extra bytes');
}

/** The proof as standard base64 of its compact encoding. */
export function stateProofToBase64(proof: StateProof): string {
  return toBase64(encodeStateProof(proof));
}

/** Parses base64 of the compact encoding (attacker-controlled). */
export function stateProofFromBase64(text: string): StateProof {
  if (typeof text !== 'string' || text.length > 16_384) throw invalid('it is not base64 of at most 12 KB');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text, 'state proof');
  } catch {
    throw invalid('it is not standard base64');
  }
  return decodeStateProof(bytes);
}
