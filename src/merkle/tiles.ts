import { InputError, quote } from '../errors/index.ts';
import type { NodeId } from './tree.ts';
import { HASH_SIZE, hashChildren, outOfRange } from './tree.ts';

/** C2SP tlog-tiles: a tile spans 8 levels of the tree. */
export const TILE_HEIGHT = 8;
/** C2SP tlog-tiles: a full tile holds 256 hashes (or entries). */
export const TILE_WIDTH = 256;
/** Largest entry an entry bundle can hold (uint16 length prefix). */
export const MAX_BUNDLE_ENTRY = 0xffff;

/** C2SP tlog-tiles index encoding: 3-digit path elements, all but the last prefixed with `x`. */
function encodeIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw outOfRange('a tile index must be a non-negative safe integer');
  const parts: string[] = [];
  let n = index;
  do {
    parts.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return parts.map((p, i) => (i < parts.length - 1 ? `x${p}` : p)).join('/');
}

function suffix(width: number | undefined): string {
  if (width === undefined || width === TILE_WIDTH) return '';
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw outOfRange('a tile width must be 1 to 256');
  return `.p/${width}`;
}

/** Path of a hash tile, e.g. `tile/0/x001/234/067` or `tile/1/000.p/5` (partial, width 5). */
export function tilePath(level: number, index: number, width?: number): string {
  if (!Number.isInteger(level) || level < 0 || level > 63) throw outOfRange('a tile level must be 0 to 63');
  return `tile/${level}/${encodeIndex(index)}${suffix(width)}`;
}

/** Path of an entry bundle, e.g. `tile/entries/000.p/17`. */
export function entryBundlePath(index: number, width?: number): string {
  return `tile/entries/${encodeIndex(index)}${suffix(width)}`;
}

/** A parsed tlog-tiles path. `width` is 256 for a full tile. */
export type TilePath =
  | { kind: 'hash'; level: number; index: number; width: number }
  | { kind: 'entries'; index: number; width: number };

const PATH_RE = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/){0,5}[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Parses a tlog-tiles path strictly (attacker-controlled: a URL path); only the canonical form is accepted. */
export function parseTilePath(path: string): TilePath {
  const bad = () => new InputError('VERITY_E_INPUT_MALFORMED', `${quote(path)} is not a C2SP tlog-tiles path`);
  if (typeof path !== 'string' || path.length > 64) throw bad();
  const m = PATH_RE.exec(path);
  if (m === null) throw bad();
  const index = Number((m[2] as string).replaceAll('x', '').replaceAll('/', ''));
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (!Number.isSafeInteger(index) || (m[3] !== undefined && width >= TILE_WIDTH)) throw bad();
  if (m[1] === 'entries') {
    if (entryBundlePath(index, width) !== path) throw bad();
    return { kind: 'entries', index, width };
  }
  const level = Number(m[1]);
  if (level > 63 || tilePath(level, index, width) !== path) throw bad();
  return { kind: 'hash', level, index, width };
}

/** Where a perfect node lives: in tile (level, index), `height` levels above the bottom row, over positions [first, first + count). */
export interface TileCoords {
  readonly level: number;
  readonly index: number;
  readonly height: number;
  readonly first: number;
  readonly count: number;
}

/** The tile that holds perfect node `id`, and where inside it. */
export function tileCoordsForNode(id: NodeId): TileCoords {
  const level = Math.floor(id.height / TILE_HEIGHT);
  const height = id.height - level * TILE_HEIGHT;
  const count = 2 ** height;
  const firstAbs = id.index * count;
  return { level, index: Math.floor(firstAbs / TILE_WIDTH), height, first: firstAbs % TILE_WIDTH, count };
}

/** The root of the perfect subtree over `count` (a power of two) hashes of a tile row starting at `first`. */
export function subtreeRoot(hashes: Uint8Array, first: number, count: number): Uint8Array {
  if ((first + count) * HASH_SIZE > hashes.byteLength) throw new RangeError('subtree extends past the tile');
  let level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) level.push(hashes.subarray((first + i) * HASH_SIZE, (first + i + 1) * HASH_SIZE));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(hashChildren(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    level = next;
  }
  return level[0] as Uint8Array;
}

/** C2SP tlog-tiles entry bundle: each entry as a big-endian uint16 length, then its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const e of entries) {
    if (e.byteLength > MAX_BUNDLE_ENTRY) throw new RangeError('an entry bundle entry is limited to 65535 bytes');
    n += 2 + e.byteLength;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const e of entries) {
    out[o] = e.byteLength >> 8;
    out[o + 1] = e.byteLength & 0xff;
    out.set(e, o + 2);
    o += 2 + e.byteLength;
  }
  return out;
}
