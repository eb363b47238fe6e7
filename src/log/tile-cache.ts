import { HASH_SIZE, hashChildren, TILE_HEIGHT, TILE_WIDTH, type TileCoords } from '../merkle/index.ts';
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
 * A bounded LRU cache of expanded tiles. Full tiles are immutable, so caching them is always
 * safe; a partial tile is replaced as soon as a wider version is loaded.
 */
export class TileCache {
  readonly #max: number;
  readonly #map = new Map<string, ExpandedTile>();

  constructor(maxTiles: number) {
    this.#max = maxTiles;
  }

  get(level: number, index: number, minWidth: number): ExpandedTile | undefined {
    const key = `${level}/${index}`;
    const t = this.#map.get(key);
    if (t === undefined || t.width < minWidth) return undefined;
    this.#map.delete(key);
    this.#map.set(key, t);
    return t;
  }

  /** Any cached version of the tile, however narrow (for incremental expansion). */
  peek(level: number, index: number): ExpandedTile | undefined {
    return this.#map.get(`${level}/${index}`);
  }

  put(tile: ExpandedTile): void {
    const key = `${tile.level}/${tile.index}`;
    const old = this.#map.get(key);
    if (old !== undefined && old.width > tile.width) return;
    this.#map.delete(key);
    this.#map.set(key, tile);
    while (this.#map.size > this.#max) {
      const first = this.#map.keys().next();
      if (first.done) break;
      this.#map.delete(first.value);
    }
  }

  clear(): void {
    this.#map.clear();
  }
}

export { TILE_WIDTH };
