import { type Clock, systemClock } from '../clock/index.ts';
import { bytesEqual, concatBytes } from '../encoding/index.ts';
import { ConfigError, LogError, quote, StoreError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import {
  EMPTY_ROOT,
  frontierAppend,
  frontierRoot,
  HASH_SIZE,
  hashLeaf,
  InclusionBatchVerifier,
  TILE_HEIGHT,
  TILE_WIDTH,
} from '../merkle/index.ts';
import {
  type Checkpoint,
  formatCheckpoint,
  formatVerifierKey,
  type NoteSigner,
  type NoteVerifier,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifyCheckpoint,
} from '../note/index.ts';
import { formatStateExtension, stateRootFromExtensions } from '../smt/index.ts';
import type { LogHead, Store, StoredTile, StoreWriter } from '../store/index.ts';
import {
  type ConsistencyProofCase,
  type EdgeState,
  type InclusionProofCase,
  LogBatch,
  type LogOperation,
  type LogOptions,
  type Pending,
  splitFrontier,
} from './batch.ts';
import { type InclusionWithHashes, ProofReader } from './proofs.ts';
import { encodeStateEntries } from './state-entry.ts';
import { TileCache } from './tile-cache.ts';
import { checkStoredHead } from './verify.ts';

const ORIGIN_RE = /^[\x21-\x7e]{1,256}$/;

/** Most checkpoints the log remembers as authentic (one per group commit; reads prove at recent ones). */
const AUTHENTIC_MAX = 64;
const HEAD_REUSE_MS = 50;

/**
 * An append-only RFC 9162 Merkle tree over a Store, signed with C2SP checkpoints and laid out as
 * C2SP tlog-tiles. Writers go through group commit: operations submitted in the same tick share one
 * durable transaction, and each is acknowledged only once that transaction has committed.
 *
 * @example
 * const log = await TransparencyLog.open(store, keys, { origin: 'verity.example/log', signingKey: 'log' });
 * const { head } = await log.submit((tx, batch) => batch.add(entry));
 * const proof = await log.inclusionProof(index);
 */
export class TransparencyLog {
  readonly #store: Store;
  readonly #signer: NoteSigner | undefined;
  readonly #verifier: NoteVerifier;
  readonly #origin: string;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  readonly #cache: TileCache;
  readonly #proofs: ProofReader;
  #queue: Pending[] = [];
  #flushing = false;
  #closed = false;
  #edge: EdgeState | undefined;
  #idle: Promise<void> = Promise.resolve();
  /** The newest head this process saw, and when: proofs may use it for a short while. */
  #recentHead: { head: LogHead; at: number } | undefined;
  #idleResolve: (() => void) | undefined;
  readonly #headListeners = new Set<(head: LogHead) => void>();

  private constructor(store: Store, signer: NoteSigner | undefined, verifier: NoteVerifier, options: LogOptions) {
    this.#store = store;
    this.#signer = signer;
    this.#origin = options.origin;
    this.#verifier = verifier;
    this.#clock = options.clock ?? systemClock;
    this.#maxBatch = options.maxBatch ?? 2048;
    this.#cache = new TileCache(options.tileCacheSize ?? 8192);
    this.#proofs = new ProofReader(store, this.#cache, { head: () => this.head(), proofHead: () => this.#proofHead() });
  }

  /** Opens the log, creating its signing key and an empty signed tree on first use. */
  static async open(store: Store, keys: KeyStore, options: LogOptions): Promise<TransparencyLog> {
    if (!ORIGIN_RE.test(options.origin)) {
      throw new ConfigError(
        'VERITY_E_CONFIG_INVALID',
        `log origin ${quote(options.origin)} must be 1 to 256 printable ASCII characters; fix \`origin\` in the configuration`,
      );
    }
    const publicKey = await keys.ensureSigningKey(options.signingKey);
    const signer: NoteSigner = {
      name: options.origin,
      publicKey,
      sign: (message) => keys.sign(options.signingKey, message),
    };
    const verifier = parseVerifierKey(formatVerifierKey(signer.name, publicKey));
    const log = new TransparencyLog(store, signer, verifier, options);
    anchorStore(store, verifier, options.origin);
    if ((await store.reader.getLogHead()) === undefined) {
      await store.write(async (tx) => {
        if ((await tx.getLogHead()) !== undefined) return;
        const state = await tx.commitState(undefined);
        await tx.putLogHead({
          size: 0,
          rootHash: EMPTY_ROOT,
          frontier: new Uint8Array(0),
          checkpoint: await log.#sign(0, EMPTY_ROOT, state.root),
          updatedAt: log.#clock.now(),
        });
      });
    }
    return log;
  }

  /**
   * Opens the log for reading only (proofs, tiles, checkpoints): needs no key store, only the
   * log's public verifier key. Appending through it fails with VERITY_E_CLOSED.
   */
  static openReadOnly(
    store: Store,
    options: Omit<LogOptions, 'signingKey'> & { verifierKey: string },
  ): TransparencyLog {
    const verifier = parseVerifierKey(options.verifierKey);
    const log = new TransparencyLog(store, undefined, verifier, { ...options, signingKey: '' });
    anchorStore(store, verifier, options.origin);
    log.#closed = true;
    return log;
  }

  /** The checkpoint origin line. */
  get origin(): string {
    return this.#origin;
  }

  /** The verifier key in C2SP signed-note format (`name+hash+base64key`). */
  get verifierKey(): string {
    return formatVerifierKey(this.#verifier.name, this.#verifier.publicKey);
  }

  /** A note verifier for this log's key. */
  get verifier(): NoteVerifier {
    return this.#verifier;
  }

  async #sign(size: number, rootHash: Uint8Array, stateRoot: Uint8Array): Promise<string> {
    if (this.#signer === undefined) throw new LogError('VERITY_E_CLOSED', 'this log was opened read-only');
    const extensions = [formatStateExtension(stateRoot)];
    const body = formatCheckpoint({ origin: this.#origin, size, rootHash, extensions });
    const note = await signNote(body, [this.#signer]);
    this.#authenticCheckpoint(note, parseCheckpoint(body));
    return note;
  }

  /**
   * Checkpoints known to carry this log's signature, by their exact text: signed here, or verified
   * with the log's key once (D280). A verification's outcome depends only on the text and the key,
   * so the same text need not be verified again; bounded, emptied when full.
   */
  readonly #authentic = new Map<string, Checkpoint>();

  #authenticCheckpoint(note: string, c: Checkpoint): void {
    if (this.#authentic.size >= AUTHENTIC_MAX) this.#authentic.clear();
    this.#authentic.set(note, c);
  }

  /**
   * The checkpoint a signed note carries, once its signature verifies with this log's key and its
   * origin is this log's; throws as `verifyCheckpoint` does otherwise.
   */
  verifiedCheckpoint(note: string): Checkpoint {
    const known = this.#authentic.get(note);
    if (known !== undefined) return known;
    const c = verifyCheckpoint(note, this.#verifier, this.#origin).checkpoint;
    this.#authenticCheckpoint(note, c);
    return c;
  }

  /**
   * Runs `op` inside the next group-commit transaction. The promise resolves with the op's result
   * and the log head once the transaction is durable; it rejects if the op throws (other ops of
   * the same batch are retried on their own so one bad op cannot fail its neighbours).
   */
  submit<R>(op: LogOperation<R>): Promise<{ result: R; head: LogHead }> {
    if (this.#closed)
      return Promise.reject(
        new LogError('VERITY_E_CLOSED', 'the log is closed or read-only; open it with its key store to write'),
      );
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as Pending['resolve'], reject });
      if (!this.#flushing) {
        this.#flushing = true;
        this.#idle = new Promise((r) => {
          this.#idleResolve = r;
        });
        setImmediate(() => void this.#flush());
      }
    });
  }

  /** Appends raw entries in one durable transaction; returns the first index and the new head. */
  async append(entries: readonly Uint8Array[]): Promise<{ start: number; head: LogHead }> {
    const { result, head } = await this.submit((_tx, batch) => {
      let first = -1;
      for (const e of entries) {
        const i = batch.add(e);
        if (first < 0) first = i;
      }
      return first;
    });
    return { start: result, head };
  }

  async #flush(): Promise<void> {
    try {
      let first = true;
      while (this.#queue.length > 0) {
        // Between batches, one turn of the event loop: requests whose bytes arrived while the last
        // batch committed (SQLite commits on the event loop) reach the queue and share the next
        // commit, instead of following it one small batch at a time (D97).
        if (!first && this.#queue.length < this.#maxBatch) await new Promise<void>((r) => setImmediate(r));
        first = false;
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#run(batch);
        } catch (e) {
          if (batch.length === 1) {
            batch[0]?.reject(e);
            continue;
          }
          // One op failed the shared transaction: run each alone so only the culprit fails.
          for (const p of batch) {
            try {
              await this.#run([p]);
            } catch (e2) {
              p.reject(e2);
            }
          }
        }
      }
    } finally {
      this.#flushing = false;
      this.#idleResolve?.();
    }
  }

  async #run(pending: readonly Pending[]): Promise<void> {
    const results: unknown[] = [];
    const committed = await this.#store.write(
      async (tx) => {
        results.length = 0;
        const head = await tx.getLogHead();
        if (head === undefined)
          throw new StoreError('VERITY_E_STORE_CORRUPT', 'the log head is missing; run `verity init`');
        this.#checkHead(head);
        const batch = new LogBatch(head.size);
        for (const p of pending) results.push(await p.op(tx, batch));
        return this.#commitBatch(tx, head, batch);
      },
      // Deferred: a failed statement rejects this write() as a whole, and #flush() then reruns each
      // op alone, so the culprit still gets its own error.
      { deferred: true },
    );
    this.#onCommitted(committed);
    pending.forEach((p, i) => {
      p.resolve({ result: results[i], head: committed.head });
    });
  }

  async #commitBatch(
    tx: StoreWriter,
    head: LogHead,
    batch: LogBatch,
  ): Promise<{ before: LogHead; head: LogHead; tiles: StoredTile[] }> {
    const state = await tx.commitState(head);
    for (const e of encodeStateEntries(state)) batch.add(e);
    const entries = batch.entries;
    if (entries.length === 0) return { before: head, head, tiles: [] };
    const leafHashes = entries.map(hashLeaf);
    const r = frontierAppend(splitFrontier(head.frontier), head.size, leafHashes);
    // Group the newly completed nodes at tile-bottom heights by tile (C2SP tlog-tiles: a tile at
    // level L holds the nodes at height 8L).
    const updates = new Map<string, { level: number; index: number; start: number; hashes: Uint8Array[] }>();
    for (const c of r.completed) {
      if (c.height % TILE_HEIGHT !== 0) continue;
      const level = c.height / TILE_HEIGHT;
      const index = Math.floor(c.index / TILE_WIDTH);
      const key = `${level}/${index}`;
      let u = updates.get(key);
      if (u === undefined) {
        u = { level, index, start: c.index % TILE_WIDTH, hashes: [] };
        updates.set(key, u);
      }
      u.hashes.push(c.hash);
    }
    const tiles: StoredTile[] = [];
    for (const u of updates.values()) {
      const prefix = u.start === 0 ? new Uint8Array(0) : await this.#edgePrefix(tx, head, u.level, u.index, u.start);
      tiles.push({
        level: u.level,
        index: u.index,
        width: u.start + u.hashes.length,
        hashes: concatBytes(prefix, ...u.hashes),
      });
    }
    await tx.insertLogEntries(head.size, entries);
    await tx.putTiles(tiles);
    const rootHash = frontierRoot(r.frontier);
    const next: LogHead = {
      size: r.size,
      rootHash,
      frontier: concatBytes(...r.frontier),
      checkpoint: await this.#sign(r.size, rootHash, state.root),
      updatedAt: this.#clock.now(),
    };
    await tx.putLogHead(next);
    return { before: head, head: next, tiles };
  }

  /**
   * A writer checks the head before it appends: its checkpoint verifies with the log's key and
   * names exactly the head's size and root, and its right edge leads to that root. Else one more
   * append would sign a tampered head and bury the evidence. A head this process committed itself
   * (the edge cache) is known good.
   */
  #checkHead(head: LogHead): void {
    const edge = this.#edge;
    const own =
      edge !== undefined &&
      edge.size === head.size &&
      bytesEqual(edge.rootHash, head.rootHash) &&
      edge.checkpoint === head.checkpoint;
    checkStoredHead(head, this.#verifier, this.#origin, 'run `verity log verify` before writing again', !own);
  }

  /** The first `width` hashes of the right-edge tile (level, index) as of `head`. */
  async #edgePrefix(tx: StoreWriter, head: LogHead, level: number, index: number, width: number): Promise<Uint8Array> {
    const edge = this.#edge;
    // INVARIANT: the edge cache is only trusted for the exact head (size and root) it was committed
    // at; a head produced by another process, or a rolled-back batch, never matches it.
    if (edge !== undefined && edge.size === head.size && bytesEqual(edge.rootHash, head.rootHash)) {
      const t = edge.tiles.get(level);
      if (t !== undefined && t.index === index && t.width === width) return t.hashes;
    }
    const t = await tx.getTile(level, index);
    if (t === undefined || t.width !== width || t.hashes.byteLength !== width * HASH_SIZE) {
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        `stored tile ${level}/${index} has width ${t?.width ?? 'none'} but the log head implies ${width}; run \`verity log verify\``,
      );
    }
    return t.hashes;
  }

  #onCommitted(c: { before: LogHead; head: LogHead; tiles: StoredTile[] }): void {
    const prev = this.#edge;
    const tiles =
      prev !== undefined && prev.size === c.before.size && bytesEqual(prev.rootHash, c.before.rootHash)
        ? new Map(prev.tiles)
        : new Map<number, StoredTile>();
    for (const t of c.tiles) {
      const old = tiles.get(t.level);
      if (old === undefined || t.index >= old.index) tiles.set(t.level, t);
    }
    this.#edge = { size: c.head.size, rootHash: c.head.rootHash, checkpoint: c.head.checkpoint, tiles };
    this.#noteHead(c.head);
    // Listeners run on the write path: a failing one is ignored, the commit stands.
    for (const l of c.head === c.before ? [] : this.#headListeners) {
      try {
        l(c.head);
      } catch {}
    }
  }

  /** Calls `listener` with each head this process commits, right after commit; returns its removal. */
  onHead(listener: (head: LogHead) => void): () => void {
    this.#headListeners.add(listener);
    return () => void this.#headListeners.delete(listener);
  }

  #noteHead(head: LogHead): void {
    if (this.#recentHead === undefined || head.size >= this.#recentHead.head.size)
      this.#recentHead = { head, at: performance.now() };
  }

  /**
   * A head at most HEAD_REUSE_MS old, for proofs: any committed head gives valid proofs, and
   * re-reading the head for every proof doubled their cost. Callers that need the newest head
   * (checkpoints) read it from the store.
   */
  #proofHead(): LogHead | Promise<LogHead> {
    const r = this.#recentHead;
    if (r !== undefined && performance.now() - r.at < HEAD_REUSE_MS) return r.head;
    return this.head();
  }

  /** The committed head. */
  async head(): Promise<LogHead> {
    const h = await this.#store.reader.getLogHead();
    if (h === undefined) throw new StoreError('VERITY_E_STORE_CORRUPT', 'the log head is missing; run `verity init`');
    this.#noteHead(h);
    return h;
  }

  /** The latest signed checkpoint note. */
  async checkpoint(): Promise<string> {
    return (await this.head()).checkpoint;
  }

  /** Entries [start, end). */
  async entries(start: number, end: number): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new LogError('VERITY_E_LOG_RANGE', `entries [${start}, ${end}) are not a range of the log`);
    }
    // Any head this process saw committed bounds the range as well as the newest (the log only
    // grows): entries it covers are read without reading the head first (D281). The store
    // refuses a range it does not hold whole.
    const recent = this.#recentHead?.head;
    if (recent !== undefined && end <= recent.size) return this.#store.reader.getLogEntries(start, end);
    const head = await this.head();
    if (end > head.size)
      throw new LogError('VERITY_E_LOG_RANGE', `entries [${start}, ${end}) are outside the log of size ${head.size}`);
    return this.#store.reader.getLogEntries(start, end);
  }

  /**
   * Entries [start, end), each proven against the latest signed checkpoint before it is handed out:
   * its leaf hash, and its inclusion proof from the stored tiles, to the root the checkpoint signs
   * (its signature checked). An entry or a tile changed in the store is refused
   * (VERITY_E_LOG_TAMPERED) rather than used. For readers that decide on what entries say (an
   * incident's affected subjects, `verity log entries`): `entries` reads the rows as stored (D415).
   */
  async provenEntries(start: number, end: number): Promise<Uint8Array[]> {
    const note = await this.checkpoint();
    const cp = this.verifiedCheckpoint(note);
    if (end > cp.size)
      throw new LogError('VERITY_E_LOG_RANGE', `entries [${start}, ${end}) are outside the log of size ${cp.size}`);
    const entries = await this.entries(start, end);
    const paths = new InclusionBatchVerifier<Uint8Array>(cp.size, cp.rootHash, (h) => h, 1 << 16);
    for (let i = 0; i < entries.length; i++) {
      const index = start + i;
      const tampered = (why: string) =>
        new LogError('VERITY_E_LOG_TAMPERED', `log entry ${index} ${why}; run \`verity log verify\``);
      const { hashes } = await this.#proofs.inclusionProofWithHashes(index, cp.size);
      if (!bytesEqual(hashLeaf(entries[i] as Uint8Array), hashes.leaf))
        throw tampered('does not hash to the stored leaf');
      try {
        paths.verify(hashes.leaf, index, hashes.path);
      } catch {
        throw tampered('is not in the tree the signed checkpoint commits to');
      }
    }
    return entries;
  }

  /** RFC 9162 root hash of the first `size` entries. */
  rootAt(size: number): Promise<Uint8Array> {
    return this.#proofs.rootAt(size);
  }

  /** RFC 9162 inclusion proof of entry `index` in the tree of `size` (default: the head). */
  inclusionProof(index: number, size?: number): Promise<InclusionProofCase & { checkpoint?: string }> {
    return this.#proofs.inclusionProof(index, size);
  }

  /** `inclusionProof` with its hashes as bytes, for a caller that verifies the proof before serving it. */
  inclusionProofWithHashes(index: number, size?: number): Promise<InclusionWithHashes> {
    return this.#proofs.inclusionProofWithHashes(index, size);
  }

  /**
   * RFC 9162 inclusion proofs of several entries in the one tree of `size` (default: the head),
   * reading the head and the root once for all of them (access reports prove thousands of lines).
   */
  inclusionProofs(indices: readonly number[], size?: number): Promise<InclusionProofCase[]> {
    return this.#proofs.inclusionProofs(indices, size);
  }

  /** RFC 9162 consistency proof between the trees of `size1` and `size2` (default: the head). */
  consistencyProof(size1: number, size2?: number): Promise<ConsistencyProofCase> {
    return this.#proofs.consistencyProof(size1, size2);
  }

  /**
   * Serves a C2SP tlog-tiles path (`tile/L/N[.p/W]` or `tile/entries/N[.p/W]`) of the committed
   * tree. Full tiles are immutable; a partial tile is served only while the tree's edge covers it.
   */
  readTile(path: string): Promise<Uint8Array> {
    return this.#proofs.readTile(path);
  }

  /** Resolves once every operation submitted so far has been committed or rejected. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#idle;
  }

  /** Refuses new operations and waits for the pending ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    this.#cache.clear();
  }
}

/** Makes the store read checkpoints with the log's key: rows are checked against signed state roots. */
function anchorStore(store: Store, verifier: NoteVerifier, origin: string): void {
  store.anchor((note) => stateRootFromExtensions(verifyCheckpoint(note, verifier, origin).checkpoint.extensions));
}
