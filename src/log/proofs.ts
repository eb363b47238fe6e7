import { bytesEqual, toBase64 } from '../encoding/index.ts';
import { LogError, quote } from '../errors/index.ts';
import {
  consistencyProof,
  consistencyProofNodes,
  EMPTY_ROOT,
  encodeEntryBundle,
  HASH_SIZE,
  hashChildren,
  inclusionProofFromPlan,
  type NodeId,
  parseTilePath,
  perfectHeight,
  planInclusionProof,
  TILE_WIDTH,
  tileCoordsForNode,
} from '../merkle/index.ts';
import type { LogHead, Store } from '../store/index.ts';
import { type ConsistencyProofCase, decomposition, type InclusionProofCase } from './batch.ts';
import { type ExpandedTile, expandTile, nodeFromTile, type TileCache } from './tile-cache.ts';

/** The hashes of an inclusion proof as bytes: the leaf's, the path's (in the proof's order) and the root's. */
export interface InclusionHashes {
  readonly leaf: Uint8Array;
  readonly path: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/** An inclusion proof and its hashes as bytes. */
export interface InclusionWithHashes {
  readonly proof: InclusionProofCase & { checkpoint?: string };
  readonly hashes: InclusionHashes;
}

/** Perfect nodes from this height up have their base64 text kept (see `#proofText`). */
const PROOF_TEXT_MIN_HEIGHT = 8;
const PROOF_TEXT_MAX = 1 << 17;

/**
 * The read side of the transparency log: root hashes, RFC 9162 inclusion and consistency proofs
 * and C2SP tiles of the committed tree, from stored tiles through the log's tile cache.
 */
export class ProofReader {
  readonly #store: Store;
  readonly #cache: TileCache;
  /** The committed head (`head`), or one a few milliseconds old that proofs may use (`proofHead`). */
  readonly #heads: { head(): Promise<LogHead>; proofHead(): LogHead | Promise<LogHead> };
  /** Hashes of right-edge (non-perfect) subtrees of the tree of `#edgeHashesSize` leaves. */
  #edgeHashes = new Map<string, Uint8Array>();
  #edgeHashesSize = -1;
  /**
   * Base64 text of perfect subtree hashes at least PROOF_TEXT_MIN_HEIGHT high, keyed by height and
   * index. A perfect subtree of an append-only tree never changes, so an entry never goes stale;
   * proofs at random leaves share these upper nodes, and encoding 32 bytes was about a fifth of a
   * proof's cost. At most size / 256 entries exist; the map is emptied if it ever holds more than
   * PROOF_TEXT_MAX.
   */
  #proofText = new Map<number, { readonly hash: Uint8Array; readonly text: string }>();
  /** The base64 of the root of the tree of `#rootTextSize` leaves. */
  #rootText = '';
  #rootTextOfHash: Uint8Array = new Uint8Array(0);

  constructor(
    store: Store,
    cache: TileCache,
    heads: { head(): Promise<LogHead>; proofHead(): LogHead | Promise<LogHead> },
  ) {
    this.#store = store;
    this.#cache = cache;
    this.#heads = heads;
  }

  /**
   * Loads of a tile under way, by level and index. Every read appends its audit entry, so the
   * tree's right edge widens at each group commit, and the hundreds of proofs in flight then all
   * found their edge tiles too narrow at once: each read and expanded the same two tiles again
   * (two loads and up to 255 hashes a proof). Proofs that need a tile being loaded wait for that
   * load instead, and load again only if what it brought is still too narrow for them.
   */
  readonly #loading = new Map<number, Promise<ExpandedTile>>();

  async #tile(level: number, index: number, width: number): Promise<ExpandedTile> {
    const cached = this.#cache.get(level, index, width);
    if (cached !== undefined) return cached;
    // INVARIANT: index * 64 + level is exact and collision-free (levels stay below 64, indices below 2^46).
    const key = index * 64 + level;
    const pending = this.#loading.get(key);
    if (pending !== undefined) {
      // A load that began before this proof's head was committed may bring a narrower tile.
      const t = await pending.catch(() => undefined);
      if (t !== undefined && t.width >= width) return t;
      return this.#tile(level, index, width);
    }
    const load = this.#load(level, index, width);
    this.#loading.set(key, load);
    try {
      return await load;
    } finally {
      if (this.#loading.get(key) === load) this.#loading.delete(key);
    }
  }

  async #load(level: number, index: number, width: number): Promise<ExpandedTile> {
    const t = await this.#store.reader.getTile(level, index);
    if (t === undefined || t.width < width || t.hashes.byteLength !== t.width * HASH_SIZE) {
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        `stored tile ${level}/${index} is missing or too narrow (need width ${width}); run \`verity log verify\``,
      );
    }
    // INVARIANT: a stored tile only ever grows by appending, so a narrower cached expansion of it
    // is a prefix of the wider one (verifyLogStorage checks stored tiles against the entries).
    const e = expandTile(t, this.#cache.peek(level, index));
    this.#cache.put(e);
    return e;
  }

  /**
   * Loads what `ids` need and returns a synchronous node getter over them. The proof builders ask
   * for nodes in exactly the order their *Nodes functions list them, so the getter walks the list
   * (checking each id) instead of hashing string keys: proof generation is a hot path.
   */
  async #nodes(ids: readonly NodeId[]): Promise<(id: NodeId) => Uint8Array> {
    const hashes: Uint8Array[] = [];
    let last: ExpandedTile | undefined;
    for (const id of ids) {
      const c = tileCoordsForNode(id);
      let t = last;
      if (t === undefined || t.level !== c.level || t.index !== c.index || t.width < c.first + c.count) {
        // Cached tiles are taken synchronously: an await per tile was a measurable share of a proof.
        t =
          this.#cache.get(c.level, c.index, c.first + c.count) ??
          (await this.#tile(c.level, c.index, c.first + c.count));
        last = t;
      }
      const h = nodeFromTile(t, c);
      if (h === undefined) throw new LogError('VERITY_E_LOG_TAMPERED', `node ${id.height}/${id.index} is not stored`);
      hashes.push(h);
    }
    let k = 0;
    return (id) => {
      const want = ids[k];
      if (want !== undefined && want.height === id.height && want.index === id.index) return hashes[k++] as Uint8Array;
      // Out-of-order request: find it (only the rare memo-hit path skips nodes).
      const at = ids.findIndex((x) => x.height === id.height && x.index === id.index);
      if (at < 0) throw new LogError('VERITY_E_LOG_TAMPERED', `node ${id.height}/${id.index} was not loaded`);
      k = at + 1;
      return hashes[at] as Uint8Array;
    };
  }

  /** Memo of right-edge subtree hashes for proofs in the tree of `size` leaves. */
  #edgeMemo(size: number): Map<string, Uint8Array> {
    if (this.#edgeHashesSize !== size) {
      this.#edgeHashes = new Map();
      this.#edgeHashesSize = size;
    }
    return this.#edgeHashes;
  }

  #checkSize(size: number, head: LogHead, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > head.size) {
      throw new LogError('VERITY_E_LOG_RANGE', `${what} ${quote(size)} is outside the log of size ${head.size}`);
    }
  }

  /** RFC 9162 root hash of the first `size` entries. */
  async rootAt(size: number): Promise<Uint8Array> {
    const head = await this.#heads.head();
    this.#checkSize(size, head, 'tree size');
    if (size === head.size) return head.rootHash;
    if (size === 0) return EMPTY_ROOT;
    const ids = decomposition(size);
    const get = await this.#nodes(ids);
    let root = get(ids[ids.length - 1] as NodeId);
    for (let i = ids.length - 2; i >= 0; i--) root = hashChildren(get(ids[i] as NodeId), root);
    return root;
  }

  /** RFC 9162 inclusion proof of entry `index` in the tree of `size` (default: the head). */
  async inclusionProof(index: number, size?: number): Promise<InclusionProofCase & { checkpoint?: string }> {
    return (await this.#prove(index, size, false)).proof;
  }

  /**
   * `inclusionProof`, with the proof's hashes as bytes beside their text (`leaf`, `path`, `root`):
   * a caller that verifies the proof it is about to serve need not decode the text it was just
   * given (strict base64 decoding was a twentieth of a record read's CPU).
   */
  inclusionProofWithHashes(index: number, size?: number): Promise<InclusionWithHashes> {
    return this.#prove(index, size, true);
  }

  /** `exact`: the text must be that of the bytes returned beside it (see `#nodeText`). */
  async #prove(index: number, size: number | undefined, exact: boolean): Promise<InclusionWithHashes> {
    const head = size === undefined ? await this.#heads.proofHead() : await this.#heads.head();
    const n = size ?? head.size;
    this.#checkSize(n, head, 'tree size');
    const root = n === head.size ? head.rootHash : await this.rootAt(n);
    const rootHash = n === head.size ? this.#rootTextOf(root) : toBase64(root);
    const { proof, leaf, path } = await this.#inclusion(index, n, rootHash, this.#edgeMemo(n), exact);
    return {
      proof: n === head.size ? { ...proof, checkpoint: head.checkpoint } : proof,
      hashes: { leaf, path, root },
    };
  }

  /**
   * RFC 9162 inclusion proofs of several entries in the one tree of `size` (default: the head),
   * reading the head and the root once for all of them (access reports prove thousands of lines).
   */
  async inclusionProofs(indices: readonly number[], size?: number): Promise<InclusionProofCase[]> {
    const head = await this.#heads.head();
    const n = size ?? head.size;
    this.#checkSize(n, head, 'tree size');
    const rootHash = toBase64(n === head.size ? head.rootHash : await this.rootAt(n));
    const memo = this.#edgeMemo(n);
    const out: InclusionProofCase[] = [];
    for (const index of indices) out.push((await this.#inclusion(index, n, rootHash, memo, false)).proof);
    return out;
  }

  /**
   * The inclusion proof of entry `index` in the tree of `n` entries (`n` checked) with root
   * `rootHash`, and its leaf and path as bytes.
   */
  async #inclusion(
    index: number,
    n: number,
    rootHash: string,
    memo: Map<string, Uint8Array>,
    exact: boolean,
  ): Promise<{ proof: InclusionProofCase; leaf: Uint8Array; path: readonly Uint8Array[] }> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
      throw new LogError('VERITY_E_LOG_RANGE', `leaf index ${quote(index)} is outside the tree of size ${n}`);
    }
    const leaf: NodeId = { height: 0, index };
    // The leaf goes last: the getter then serves every node in the order it is asked for.
    const plan = planInclusionProof(index, n);
    const ids = plan.nodes;
    ids.push(leaf);
    const get = await this.#nodes(ids);
    const proof = inclusionProofFromPlan(plan, get, memo);
    const text: string[] = new Array(proof.length);
    for (let i = 0; i < proof.length; i++)
      text[i] = this.#nodeText(plan.ranges[i] as readonly [number, number], proof[i] as Uint8Array, exact);
    const leafHash = get(leaf);
    const c: InclusionProofCase = {
      type: 'inclusion',
      treeSize: n,
      leafIndex: index,
      leafHash: toBase64(leafHash),
      rootHash,
      proof: text,
    };
    return { proof: c, leaf: leafHash, path: proof };
  }

  /**
   * The base64 of a proof element: the hash of the range [a, b), kept when a high perfect node.
   * `exact`: the text must be that of these very bytes (a caller verifies the bytes and serves the
   * text), so a kept text is compared with them first; a proof served unverified (the log's own
   * endpoints, checked by whoever fetches it) takes the kept text as it is.
   */
  #nodeText([a, b]: readonly [number, number], hash: Uint8Array, exact: boolean): string {
    const height = perfectHeight(a, b);
    if (height < PROOF_TEXT_MIN_HEIGHT) return toBase64(hash);
    const w = b - a;
    // INVARIANT: heights stay below 64 and indices below 2^46 (sizes are safe integers), so
    // index * 64 + height is an exact, collision-free key.
    const key = (a / w) * 64 + height;
    const known = this.#proofText.get(key);
    if (known !== undefined && (!exact || sameHash(known.hash, hash))) return known.text;
    if (this.#proofText.size >= PROOF_TEXT_MAX) this.#proofText.clear();
    const text = toBase64(hash);
    this.#proofText.set(key, { hash: hash.slice(), text });
    return text;
  }

  /** The base64 of a root hash, kept for the last root asked (the head's, on the proof path). */
  #rootTextOf(root: Uint8Array): string {
    if (!bytesEqual(this.#rootTextOfHash, root)) {
      this.#rootText = toBase64(root);
      this.#rootTextOfHash = root.slice();
    }
    return this.#rootText;
  }

  /** RFC 9162 consistency proof between the trees of `size1` and `size2` (default: the head). */
  async consistencyProof(size1: number, size2?: number): Promise<ConsistencyProofCase> {
    const head = await this.#heads.head();
    const n = size2 ?? head.size;
    this.#checkSize(n, head, 'tree size');
    if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > n) {
      throw new LogError('VERITY_E_LOG_RANGE', `tree size ${quote(size1)} must be between 0 and ${n}`);
    }
    const get = await this.#nodes(consistencyProofNodes(size1, n));
    const proof = consistencyProof(size1, n, get);
    return {
      type: 'consistency',
      size1,
      size2: n,
      root1: toBase64(await this.rootAt(size1)),
      root2: toBase64(n === head.size ? head.rootHash : await this.rootAt(n)),
      proof: proof.map(toBase64),
    };
  }

  /**
   * Serves a C2SP tlog-tiles path (`tile/L/N[.p/W]` or `tile/entries/N[.p/W]`) of the committed
   * tree. Full tiles are immutable; a partial tile is served only while the tree's edge covers it.
   */
  async readTile(path: string): Promise<Uint8Array> {
    const p = parseTilePath(path);
    const head = await this.#heads.head();
    if (p.kind === 'entries') {
      const start = p.index * TILE_WIDTH;
      if (start + p.width > head.size) {
        throw new LogError('VERITY_E_LOG_RANGE', `entry bundle ${quote(path)} is beyond the tree of size ${head.size}`);
      }
      return encodeEntryBundle(await this.#store.reader.getLogEntries(start, start + p.width));
    }
    const nodesAtLevel = Math.floor(head.size / TILE_WIDTH ** p.level);
    if (p.index * TILE_WIDTH + p.width > nodesAtLevel) {
      throw new LogError('VERITY_E_LOG_RANGE', `tile ${quote(path)} is beyond the tree of size ${head.size}`);
    }
    const t = await this.#tile(p.level, p.index, p.width);
    return t.levels[0]?.slice(0, p.width * HASH_SIZE) ?? new Uint8Array(0);
  }
}

/**
 * Whether two tree hashes are equal. Not in constant time: both are public (nodes of the log
 * anyone may fetch as tiles), and the native constant-time compare cost a tenth of a proof.
 */
function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
