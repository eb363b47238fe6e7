import { HASH_SIZE, hashChildren, TILE_HEIGHT, type TileCoords } from '../merkle/index.ts';
import type { StoredTile } from '../store/index.ts';

/**
 * A tile expanded into all of its internal levels: `levels[k]` holds the hashes of the complete
 * nodes k levels above the tile's bottom row. Expanding costs at most 255 hashes once; after that
 * any node inside the tile is a lookup, which is what keeps proof generation fast.
 */
export interface ExpandedTile {
  readonly level: number;
  readonly index: number;
  readonly width: number;
  readonly levels: readonly Uint8Array[];
}

/**
 * Expands a stored tile's bottom row into every internal level. When `prior` is an expansion of a
 * narrower version of the same tile (the tree's right edge, which grows with every append), its
 * rows are reused and only the new nodes are hashed.
 */
export function expandTile(tile: StoredTile, prior?: ExpandedTile): ExpandedTile {
  const reuse =
    prior !== undefined && prior.level === tile.level && prior.index === tile.index && prior.width <= tile.width;
  const levels: Uint8Array[] = [tile.hashes];
  let below = tile.hashes;
  let n = tile.width;
  for (let k = 1; k < TILE_HEIGHT; k++) {
    n >>>= 1;
    const row = new Uint8Array(n * HASH_SIZE);
    let from = 0;
    if (reuse) {
      const old = prior.levels[k] as Uint8Array;
      row.set(old.subarray(0, Math.min(old.byteLength, row.byteLength)));
      from = Math.min(old.byteLength, row.byteLength) / HASH_SIZE;
    }
    for (let i = from; i < n; i++) {
      const l = below.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE);
      const r = below.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE);
      row.set(hashChildren(l, r), i * HASH_SIZE);
    }
    levels.push(row);
    below = row;
  }
  return { level: tile.level, index: tile.index, width: tile.width, levels };
}

/** Reads the hash of the node at `coords` out of its expanded tile, or undefined if not inside. */
export function nodeFromTile(tile: ExpandedTile, c: TileCoords): Uint8Array | undefined {
  if (c.level !== tile.level || c.index !== tile.index || c.first + c.count > tile.width) return undefined;
  const row = tile.levels[c.height];
  if (row === undefined) return undefined;
  const pos = c.first / c.count;
  return row.subarray(pos * HASH_SIZE, (pos + 1) * HASH_SIZE);
}

/**
 * A bounded cache of expanded tiles, least recently used out first. Full tiles are immutable, so
 * caching them is always safe; a partial tile is replaced as soon as a wider version is loaded.
 * Lookups sit on the proof hot path: they are one numeric Map lookup (a Map per level) and a
 * counter bump, and eviction drops the least recently used quarter in one pass.
 */
export class TileCache {
  readonly #max: number;
  readonly #levels: Map<number, { tile: ExpandedTile; used: number }>[] = [];
  #size = 0;
  #tick = 0;

  constructor(maxTiles: number) {
    this.#max = Math.max(1, maxTiles);
  }

  get(level: number, index: number, minWidth: number): ExpandedTile | undefined {
    const e = this.#levels[level]?.get(index);
    if (e === undefined || e.tile.width < minWidth) return undefined;
    e.used = ++this.#tick;
    return e.tile;
  }

  /** Any cached version of the tile, however narrow (for incremental expansion). */
  peek(level: number, index: number): ExpandedTile | undefined {
    return this.#levels[level]?.get(index)?.tile;
  }

  put(tile: ExpandedTile): void {
    let m = this.#levels[tile.level];
    if (m === undefined) {
      m = new Map();
      this.#levels[tile.level] = m;
    }
    const old = m.get(tile.index);
    if (old !== undefined && old.tile.width > tile.width) return;
    if (old === undefined) this.#size++;
    m.set(tile.index, { tile, used: ++this.#tick });
    if (this.#size > this.#max) this.#evict();
  }

  #evict(): void {
    const all: { level: number; index: number; used: number }[] = [];
    this.#levels.forEach((m, level) => {
      for (const [index, e] of m) all.push({ level, index, used: e.used });
    });
    all.sort((a, b) => a.used - b.used);
    const drop = Math.max(1, Math.floor(all.length / 4));
    for (let i = 0; i < drop; i++) {
      const x = all[i] as { level: number; index: number };
      this.#levels[x.level]?.delete(x.index);
      this.#size--;
    }
  }

  clear(): void {
    this.#levels.length = 0;
    this.#size = 0;
  }
}
