// The state map over stored nodes: proofs and batched updates, with a cache of verified nodes.
import { bytesEqual, toHex } from '../encoding/index.ts';
import { StoreError } from '../errors/index.ts';
import { EMPTY_STATE_ROOT, keyNibble, STATE_HASH_SIZE } from './hash.ts';
import { MAX_NODE_DEPTH, StateNode, statePosition } from './node.ts';
import type { StateProof, StateTerminal } from './proof.ts';

/** Where the nodes live (a store's `state_nodes` table). Rows are untrusted until hashed. */
export interface StateNodeSource {
  /** The stored nodes at `positions`, in order; undefined where there is none. */
  getStateNodes(positions: readonly Uint8Array[]): Promise<readonly (Uint8Array | undefined)[]>;
}

/** A node to store (insert or replace) at a position. */
export interface StateNodeWrite {
  readonly pos: Uint8Array;
  readonly node: Uint8Array;
}

/** One key's new value. Keys are never removed: a deleted row's key gets a tombstone value. */
export interface StateChange {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A computed update: the new root and the nodes to store with it. */
export interface StateUpdate {
  readonly root: Uint8Array;
  readonly writes: readonly StateNodeWrite[];
  /** Puts the new nodes in the cache; call once they are committed. */
  commit(): void;
}

/** How many levels a proof's cache miss reads in one query. */
const READ_AHEAD = 8;

/**
 * A cache key from the first 48 bits of a node hash, as a number (no string to build and hash for
 * each lookup): a hit is compared in full, and two hashes sharing a key only cost a miss.
 */
function hashId(h: Uint8Array): number {
  return (
    (((h[0] as number) << 16) | ((h[1] as number) << 8) | (h[2] as number)) * 0x1000000 +
    (((h[3] as number) << 16) | ((h[4] as number) << 8) | (h[5] as number))
  );
}

function tampered(pos: Uint8Array, what: string): StoreError {
  const depth = pos[0] as number;
  return new StoreError(
    'VERITY_E_STATE_TAMPERED',
    `state-map node at depth ${depth} (${toHex(pos)}) ${what}; the store was changed outside Verity: run \`verity log verify --data\` and restore from a backup`,
    { details: { table: 'state_nodes', position: toHex(pos) } },
  );
}

interface Item {
  readonly depth: number;
  readonly pos: Uint8Array;
  readonly node: StateNode;
  readonly changes: StateChange[];
  readonly parent: Item | undefined;
  readonly slot: number;
}

/**
 * The map's nodes as seen through a bounded cache. Cached nodes are keyed by their hash, so a cached
 * node is right wherever a verified parent names that hash, whatever other writers did since; a
 * node read from the store is used only once its hash matches the one its parent (or the trusted
 * root) names.
 */
export class StateTree {
  readonly #cache = new Map<number, StateNode>();
  readonly #max: number;

  constructor(options: { cacheSize?: number } = {}) {
    // Measured: a cached node holds about 2.6 KB of heap, so 50,000 nodes is about 130 MB; 200,000
    // (520 MB) made sealed writes at 32,000 keys only 5% faster.
    this.#max = options.cacheSize ?? 50_000;
  }

  #cached(hash: Uint8Array): StateNode | undefined {
    const n = this.#cache.get(hashId(hash));
    return n !== undefined && n.hashEquals(hash) ? n : undefined;
  }

  #remember(node: StateNode): void {
    if (this.#max === 0) return;
    this.#cache.set(hashId(node.hash), node);
    // Bounded: past the limit the older half goes (Map iterates in insertion order), which costs
    // O(1) a node on average; the nodes near the root are re-inserted by every update anyway.
    if (this.#cache.size > this.#max) {
      let drop = this.#cache.size - (this.#max >> 1);
      for (const k of this.#cache.keys()) {
        if (drop-- <= 0) break;
        this.#cache.delete(k);
      }
    }
  }

  #verified(bytes: Uint8Array | undefined, pos: Uint8Array, expected: Uint8Array): StateNode {
    if (bytes === undefined) throw tampered(pos, 'is missing');
    const node = StateNode.decode(bytes);
    if (!node.hashEquals(expected)) throw tampered(pos, 'does not match the hash its parent commits to');
    this.#remember(node);
    return node;
  }

  /** The root node under a trusted root hash. */
  async #root(source: StateNodeSource, root: Uint8Array): Promise<StateNode> {
    if (root.byteLength !== STATE_HASH_SIZE) throw new RangeError('a state root has 32 bytes');
    if (bytesEqual(root, EMPTY_STATE_ROOT)) return StateNode.empty();
    const hit = this.#cached(root);
    if (hit !== undefined) return hit;
    const pos = statePosition(root, 0);
    const [bytes] = await source.getStateNodes([pos]);
    return this.#verified(bytes, pos, root);
  }

  /** `key`'s value under `root` (undefined when absent) and the proof of it. */
  async prove(
    source: StateNodeSource,
    root: Uint8Array,
    key: Uint8Array,
  ): Promise<{ value: Uint8Array | undefined; proof: StateProof }> {
    const siblings: Uint8Array[] = [];
    const terminal = await this.#path(source, root, key, siblings);
    const value = terminal.kind === 'leaf' && bytesEqual(terminal.key, key) ? terminal.value : undefined;
    return { value, proof: { siblings, terminal } };
  }

  /** `key`'s value under `root` (undefined when absent), without a proof: a check of a row read. */
  async get(source: StateNodeSource, root: Uint8Array, key: Uint8Array): Promise<Uint8Array | undefined> {
    const terminal = await this.#path(source, root, key, undefined);
    return terminal.kind === 'leaf' && bytesEqual(terminal.key, key) ? terminal.value : undefined;
  }

  /** Walks `key`'s path from a trusted root to where it ends, through verified nodes only. */
  async #path(
    source: StateNodeSource,
    root: Uint8Array,
    key: Uint8Array,
    siblings: Uint8Array[] | undefined,
  ): Promise<StateTerminal> {
    if (key.byteLength !== STATE_HASH_SIZE) throw new RangeError('a state key has 32 bytes');
    let node = await this.#root(source, root);
    let ahead = new Map<number, Uint8Array | undefined>();
    for (let depth = 0; ; depth++) {
      const r = node.walk(key, depth, siblings);
      if (typeof r !== 'number') return r;
      const child = node.child(r);
      if (child?.kind !== 'node' || depth + 1 >= MAX_NODE_DEPTH) throw new Error('unreachable: walk ended in a slot');
      const hit = this.#cached(child.hash);
      if (hit !== undefined) {
        node = hit;
        continue;
      }
      if (!ahead.has(depth + 1)) {
        // A miss: read this level and the next few on the key's path in one query.
        const levels: number[] = [];
        for (let d = depth + 1; d <= Math.min(depth + READ_AHEAD, MAX_NODE_DEPTH - 1); d++) levels.push(d);
        const rows = await source.getStateNodes(levels.map((d) => statePosition(key, d)));
        ahead = new Map(levels.map((d, i) => [d, rows[i]]));
      }
      node = this.#verified(ahead.get(depth + 1), statePosition(key, depth + 1), child.hash);
    }
  }

  /**
   * Applies `changes` (distinct keys) to the map under `root`: loads the nodes on their paths level by
   * level (one query a level), and returns the new root and every node to store.
   */
  async update(source: StateNodeSource, root: Uint8Array, changes: readonly StateChange[]): Promise<StateUpdate> {
    if (changes.length === 0) return { root, writes: [], commit: () => {} };
    const top: Item = {
      depth: 0,
      pos: statePosition(EMPTY_STATE_ROOT, 0),
      node: (await this.#root(source, root)).clone(),
      changes: [...changes],
      parent: undefined,
      slot: 0,
    };
    const items: Item[] = [top];
    let level: Item[] = [top];
    while (level.length > 0) {
      const next: Item[] = [];
      const loads: { item: Omit<Item, 'node'>; hash: Uint8Array; hit: StateNode | undefined }[] = [];
      for (const it of level) {
        const groups: (StateChange[] | undefined)[] = new Array(16);
        for (const c of it.changes) {
          const s = keyNibble(c.key, it.depth);
          const g = groups[s];
          if (g === undefined) groups[s] = [c];
          else g.push(c);
        }
        for (let slot = 0; slot < 16; slot++) {
          const g = groups[slot];
          if (g === undefined) continue;
          const first = g[0] as StateChange;
          const kind = it.node.slotKind(slot);
          if (g.length === 1 && (kind === 0 || it.node.holdsKey(slot, first.key))) {
            it.node.setLeaf(slot, first.key, first.value);
            continue;
          }
          const base = { depth: it.depth + 1, pos: statePosition(first.key, it.depth + 1), parent: it, slot };
          if (kind === 2) {
            const hash = (it.node.child(slot) as { hash: Uint8Array }).hash;
            loads.push({ item: { ...base, changes: g }, hash, hit: this.#cached(hash) });
          } else {
            if (it.depth + 1 >= MAX_NODE_DEPTH) throw new RangeError('two state keys are equal');
            // The slot's leaf (if any, and not overwritten) moves down with the new keys.
            const child = kind === 1 ? it.node.child(slot) : undefined;
            const moved =
              child?.kind === 'leaf' && !g.some((c) => bytesEqual(c.key, child.key))
                ? [{ key: child.key, value: child.value }]
                : [];
            next.push({ ...base, node: StateNode.empty(), changes: [...moved, ...g] });
          }
        }
      }
      if (loads.length > 0) {
        const missing = loads.filter((l) => l.hit === undefined);
        const rows = missing.length === 0 ? [] : await source.getStateNodes(missing.map((l) => l.item.pos));
        const fetched = new Map(missing.map((l, i) => [l, rows[i]]));
        for (const l of loads) {
          const node = l.hit ?? this.#verified(fetched.get(l), l.item.pos, l.hash);
          next.push({ ...l.item, node: node.clone() });
        }
      }
      // One by one: a spread passes each item as an argument, and a level of a large first commit
      // (every row of a store upgraded to the map) holds more than a call can take.
      for (const it of next) items.push(it);
      level = next;
    }
    // Deepest first: each node's hash is known before its parent's slot is set.
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i] as Item;
      it.parent?.node.setNode(it.slot, it.node.hash);
    }
    // The stored forms side by side in one buffer (one allocation, not one per node).
    let total = 0;
    for (const it of items) total += it.node.encodedLength();
    const buf = new Uint8Array(total);
    const writes: StateNodeWrite[] = [];
    let at = 0;
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i] as Item;
      const end = it.node.encodeInto(buf, at);
      writes.push({ pos: it.pos, node: buf.subarray(at, end) });
      at = end;
    }
    const nodes = items.map((it) => it.node);
    return {
      root: top.node.hash,
      writes,
      commit: () => {
        for (const n of nodes) this.#remember(n);
      },
    };
  }
}
