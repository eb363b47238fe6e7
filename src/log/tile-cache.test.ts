import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashLeaf, rootFromLeaves, subtreeRoot } from '../merkle/index.ts';
import { type ExpandedTile, expandTile, TileCache } from './tile-cache.ts';

function tile(index: number, width: number): ExpandedTile {
  return { level: 0, index, width, levels: [] };
}

describe('tile cache', () => {
  it('keeps recently used tiles and stays bounded', () => {
    const c = new TileCache(8);
    for (let i = 0; i < 8; i++) c.put(tile(i, 256));
    assert.ok(c.get(0, 0, 256));
    for (let i = 8; i < 20; i++) {
      c.put(tile(i, 256));
      c.get(0, 0, 256);
    }
    assert.ok(c.get(0, 0, 256), 'a recently used tile was evicted');
    let kept = 0;
    for (let i = 0; i < 20; i++) if (c.peek(0, i) !== undefined) kept++;
    assert.ok(kept <= 8);
  });

  it('never replaces a wider tile by a narrower one and refuses too narrow hits', () => {
    const c = new TileCache(4);
    c.put(tile(1, 10));
    c.put(tile(1, 5));
    assert.equal(c.peek(0, 1)?.width, 10);
    assert.equal(c.get(0, 1, 11), undefined);
  });

  it('expands incrementally to the same nodes as from scratch', () => {
    const leaves = Array.from({ length: 200 }, (_, i) => hashLeaf(new Uint8Array([i])));
    const row = (w: number) => {
      const b = new Uint8Array(w * 32);
      leaves.slice(0, w).forEach((l, i) => {
        b.set(l, i * 32);
      });
      return b;
    };
    const narrow = expandTile({ level: 0, index: 0, width: 37, hashes: row(37) });
    const wide = expandTile({ level: 0, index: 0, width: 200, hashes: row(200) }, narrow);
    const fresh = expandTile({ level: 0, index: 0, width: 200, hashes: row(200) });
    assert.deepEqual(wide.levels, fresh.levels);
    assert.deepEqual(wide.levels[7]?.subarray(0, 32), rootFromLeaves(leaves.slice(0, 128)));
    assert.deepEqual(subtreeRoot(row(200), 64, 64), rootFromLeaves(leaves.slice(64, 128)));
  });
});
