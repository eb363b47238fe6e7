import { bytesEqual, concatBytes, fromBase64, toBase64 } from '../encoding/index.ts';
import { isVerityError, LogError, quote, StoreError } from '../errors/index.ts';
import {
  frontierAppend,
  frontierRoot,
  HASH_SIZE,
  hashLeaf,
  TILE_HEIGHT,
  TILE_WIDTH,
  verifyConsistency,
  verifyInclusion,
} from '../merkle/index.ts';
import { type Checkpoint, type NoteVerifier, verifyCheckpoint } from '../note/index.ts';
import { EMPTY_STATE_ROOT, StateNode, stateRootFromExtensions } from '../smt/index.ts';
import type { LogHead, Store } from '../store/index.ts';
import { decomposition, splitFrontier } from './batch.ts';
import type { TransparencyLog } from './log.ts';
import { decodeStateEntry } from './state-entry.ts';
import { StateReplay } from './state-verify.ts';

/** Proof lists longer than this are refused before any hashing (a 2^64 tree needs 128). */
const MAX_PROOF_HASHES = 128;

/** The outcome of checking one proof case. */
export type CaseResult = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/** Thrown by `parseProofCase` for input that is not a proof case at all. */
export class MalformedCaseError extends LogError {}

function field(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

function size(obj: Record<string, unknown>, name: string): number {
  const v = field(obj, name);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new MalformedCaseError(
      'VERITY_E_INPUT_MALFORMED',
      `field \`${name}\` must be a non-negative integer, not ${quote(v)}`,
    );
  }
  return v;
}

function hash(obj: Record<string, unknown>, name: string): Uint8Array {
  const v = field(obj, name);
  if (typeof v !== 'string')
    throw new MalformedCaseError('VERITY_E_INPUT_MALFORMED', `field \`${name}\` must be a base64 string`);
  const b = fromBase64(v, `field \`${name}\``);
  if (b.byteLength !== HASH_SIZE) {
    throw new MalformedCaseError(
      'VERITY_E_INPUT_MALFORMED',
      `field \`${name}\` must decode to ${HASH_SIZE} bytes, not ${b.byteLength}`,
    );
  }
  return b;
}

function proofList(obj: Record<string, unknown>): Uint8Array[] {
  const v = field(obj, 'proof');
  if (!Array.isArray(v))
    throw new MalformedCaseError('VERITY_E_INPUT_MALFORMED', 'field `proof` must be an array of base64 strings');
  if (v.length > MAX_PROOF_HASHES) {
    throw new MalformedCaseError(
      'VERITY_E_INPUT_MALFORMED',
      `field \`proof\` has ${v.length} hashes; at most ${MAX_PROOF_HASHES}`,
    );
  }
  return v.map((p, i) => {
    if (typeof p !== 'string')
      throw new MalformedCaseError('VERITY_E_INPUT_MALFORMED', `proof[${i}] must be a base64 string`);
    const b = fromBase64(p, `proof[${i}]`);
    if (b.byteLength !== HASH_SIZE) {
      throw new MalformedCaseError(
        'VERITY_E_INPUT_MALFORMED',
        `proof[${i}] must decode to ${HASH_SIZE} bytes, not ${b.byteLength}`,
      );
    }
    return b;
  });
}

/** A proof case with its fields decoded. */
export type ParsedCase =
  | {
      type: 'inclusion';
      treeSize: number;
      leafIndex: number;
      leafHash: Uint8Array;
      rootHash: Uint8Array;
      proof: Uint8Array[];
    }
  | { type: 'consistency'; size1: number; size2: number; root1: Uint8Array; root2: Uint8Array; proof: Uint8Array[] };

/**
 * Parses one proof case (attacker-controlled JSON value). Extra fields are ignored. Throws
 * MalformedCaseError (code VERITY_E_INPUT_MALFORMED) when it is not a case at all.
 */
export function parseProofCase(value: unknown): ParsedCase {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedCaseError('VERITY_E_INPUT_MALFORMED', 'a proof case must be a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const type = field(obj, 'type');
  if (type === 'inclusion') {
    return {
      type,
      treeSize: size(obj, 'treeSize'),
      leafIndex: size(obj, 'leafIndex'),
      leafHash: hash(obj, 'leafHash'),
      rootHash: hash(obj, 'rootHash'),
      proof: proofList(obj),
    };
  }
  if (type === 'consistency') {
    return {
      type,
      size1: size(obj, 'size1'),
      size2: size(obj, 'size2'),
      root1: hash(obj, 'root1'),
      root2: hash(obj, 'root2'),
      proof: proofList(obj),
    };
  }
  throw new MalformedCaseError(
    'VERITY_E_INPUT_MALFORMED',
    `field \`type\` must be "inclusion" or "consistency", not ${quote(type)}`,
  );
}

/** Checks a parsed proof case; never throws for an invalid proof, only reports it. */
export function checkProofCase(c: ParsedCase): CaseResult {
  try {
    if (c.type === 'inclusion') verifyInclusion(c.leafHash, c.leafIndex, c.treeSize, c.proof, c.rootHash);
    else verifyConsistency(c.size1, c.size2, c.proof, c.root1, c.root2);
    return { valid: true };
  } catch (e) {
    if (isVerityError(e)) return { valid: false, reason: e.message };
    throw e;
  }
}

/**
 * Checks that `next` may follow the checkpoint a client trusted before: same origin, not smaller
 * (VERITY_E_LOG_ROLLBACK), and `proof` proves the old tree is a prefix of the new (VERITY_E_LOG_FORK).
 * Both notes must be signed by `verifier`.
 */
export function checkCheckpointAdvance(
  trustedNote: string,
  nextNote: string,
  proof: readonly Uint8Array[],
  verifier: NoteVerifier,
  origin?: string,
): { trusted: Checkpoint; next: Checkpoint } {
  const trusted = verifyCheckpoint(trustedNote, verifier, origin).checkpoint;
  const next = verifyCheckpoint(nextNote, verifier, origin ?? trusted.origin).checkpoint;
  if (next.size < trusted.size) {
    throw new LogError(
      'VERITY_E_LOG_ROLLBACK',
      `the log went back from size ${trusted.size} to ${next.size}; do not trust this log until its operator explains`,
    );
  }
  if (next.size === trusted.size) {
    if (!bytesEqual(next.rootHash, trusted.rootHash)) {
      throw new LogError('VERITY_E_LOG_FORK', `two different roots were signed for size ${next.size}: the log forked`);
    }
    return { trusted, next };
  }
  try {
    verifyConsistency(trusted.size, next.size, proof, trusted.rootHash, next.rootHash);
  } catch (cause) {
    throw new LogError(
      'VERITY_E_LOG_FORK',
      `the checkpoint of size ${next.size} is not consistent with the trusted one of size ${trusted.size}: the log forked or was rewritten`,
      { cause },
    );
  }
  return { trusted, next };
}

/** What a full storage check found. */
export interface StorageReport {
  readonly size: number;
  readonly rootHash: string;
  readonly tilesChecked: number;
  /** The state map rebuilt from the log's state entries (base64), when the log has any. */
  readonly stateRoot?: string;
  /** Rows checked against the rebuilt map. */
  readonly stateRows?: number;
}

/**
 * The stored head's own consistency: its right edge (frontier) has the shape its size implies and
 * leads to its root, and (unless `signed` is false) its checkpoint verifies with the log key and
 * names exactly its size and root. Throws VERITY_E_LOG_TAMPERED, saying what to run (`hint`).
 * Returns the signed checkpoint when it was checked.
 */
export function checkStoredHead(
  head: LogHead,
  verifier: NoteVerifier,
  origin: string,
  hint = 'run `verity log verify`',
  signed = true,
): Checkpoint | undefined {
  const tampered = (what: string, cause?: unknown) =>
    new LogError(
      'VERITY_E_LOG_TAMPERED',
      `the stored log head ${what}; ${hint}`,
      cause === undefined ? undefined : { cause },
    );
  // About 20 hashes: cheap enough for every append, which builds on this edge.
  if (
    decomposition(head.size).length * HASH_SIZE !== head.frontier.byteLength ||
    !bytesEqual(frontierRoot(splitFrontier(head.frontier)), head.rootHash)
  )
    throw tampered('has a right edge that does not lead to its root');
  if (!signed) return undefined;
  let cp: Checkpoint;
  try {
    cp = verifyCheckpoint(head.checkpoint, verifier, origin).checkpoint;
  } catch (cause) {
    throw tampered('has a checkpoint that does not verify with the log key', cause);
  }
  if (cp.size !== head.size || !bytesEqual(cp.rootHash, head.rootHash)) throw tampered('differs from its checkpoint');
  return cp;
}

/** What the start-up check of a log head found. */
export interface HeadReport {
  readonly size: number;
  readonly rootHash: string;
  /** The state map's root the checkpoint commits to (base64), when it commits to one. */
  readonly stateRoot?: string;
}

/**
 * The check a server makes before it serves, in time that does not grow with the log: the stored
 * head's checkpoint verifies with the log key and names the head's size and root; its right edge
 * leads to that root; the newest entry is proven in the tree from the stored tiles (the path along
 * the right edge); the newest state entry records the state root the checkpoint commits to, and
 * the map's root node is stored as that root. Everything older is checked at use (each row against
 * the map, each proof against the root) and in full by `verifyLogStorage` (`verity log verify`).
 * Rollbacks and forks of the whole store are caught by witnesses. Throws VERITY_E_LOG_TAMPERED or
 * VERITY_E_STATE_TAMPERED.
 */
export async function verifyLogHead(log: TransparencyLog, store: Store): Promise<HeadReport> {
  const head = await store.reader.getLogHead();
  if (head === undefined) throw new LogError('VERITY_E_LOG_TAMPERED', 'the log head is missing');
  const cp = checkStoredHead(head, log.verifier, log.origin) as Checkpoint;
  const tampered = (what: string) =>
    new LogError('VERITY_E_LOG_TAMPERED', `the stored log head ${what}; run \`verity log verify\``);
  const stateRoot = stateRootFromExtensions(cp.extensions);
  if (head.size > 0) {
    const last = head.size - 1;
    const [entry] = await store.reader.getLogEntries(last, head.size);
    const p = await log.inclusionProof(last, head.size);
    try {
      verifyInclusion(
        hashLeaf(entry as Uint8Array),
        last,
        head.size,
        p.proof.map((h) => fromBase64(h)),
        head.rootHash,
      );
    } catch (cause) {
      throw new LogError('VERITY_E_LOG_TAMPERED', 'the newest entry is not proven in the stored tree', { cause });
    }
    // The newest state entry, within the last transaction's entries (a transaction ends with them).
    if (stateRoot !== undefined) {
      let found: Uint8Array | undefined;
      for (let i = last; i >= Math.max(0, head.size - 4096) && found === undefined; i -= 64) {
        const from = Math.max(0, i - 63);
        const page = await store.reader.getLogEntries(from, i + 1);
        for (let j = page.length - 1; j >= 0 && found === undefined; j--)
          found = decodeStateEntry(page[j] as Uint8Array)?.root;
      }
      if (found !== undefined && !bytesEqual(found, stateRoot))
        throw tampered('commits to a state root its newest state entry does not record');
    }
  }
  if (stateRoot !== undefined && !bytesEqual(stateRoot, EMPTY_STATE_ROOT)) {
    const [node] = await store.reader.getStateNodes([new Uint8Array(1)]);
    if (node === undefined || !bytesEqual(StateNode.decode(node).hash, stateRoot))
      throw new StoreError(
        'VERITY_E_STATE_TAMPERED',
        "the state map's root node is not the root the checkpoint commits to; run `verity log verify --data`",
        { details: { table: 'state_nodes' } },
      );
  }
  return {
    size: head.size,
    rootHash: toBase64(head.rootHash),
    ...(stateRoot === undefined ? {} : { stateRoot: toBase64(stateRoot) }),
  };
}

/**
 * Recomputes the whole tree from the stored entries and compares every stored tile, the frontier,
 * the root and the signed checkpoint. Throws VERITY_E_LOG_TAMPERED at the first difference. Cost is
 * linear in the log size; memory is one tile per level.
 */
export async function verifyLogStorage(store: Store, verifier: NoteVerifier, origin: string): Promise<StorageReport> {
  const replay = new StateReplay();
  const head = await store.reader.getLogHead();
  if (head === undefined) throw new LogError('VERITY_E_LOG_TAMPERED', 'the log head is missing');
  const cp = checkStoredHead(head, verifier, origin) as Checkpoint;
  // Expected tile contents, rebuilt level by level as nodes complete.
  const pending = new Map<number, { index: number; hashes: Uint8Array[] }>();
  let tilesChecked = 0;
  const checkTile = async (level: number, index: number, hashes: Uint8Array[]): Promise<void> => {
    const t = await store.reader.getTile(level, index);
    const want = hashes.length;
    if (t === undefined || t.width !== want || t.hashes.byteLength !== want * HASH_SIZE) {
      throw new LogError('VERITY_E_LOG_TAMPERED', `tile ${level}/${index} is missing or its width is not ${want}`);
    }
    for (let i = 0; i < want; i++) {
      const stored = t.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
      if (!bytesEqual(stored, hashes[i] as Uint8Array)) {
        throw new LogError('VERITY_E_LOG_TAMPERED', `tile ${level}/${index} differs from the entries at position ${i}`);
      }
    }
    tilesChecked++;
  };
  let frontier: Uint8Array[] = [];
  let n = 0;
  const CHUNK = TILE_WIDTH * 16;
  while (n < head.size) {
    const end = Math.min(head.size, n + CHUNK);
    const entries = await store.reader.getLogEntries(n, end);
    for (let i = 0; i < entries.length; i++) await replay.add(entries[i] as Uint8Array, n + i);
    const r = frontierAppend(frontier, n, entries.map(hashLeaf));
    for (const c of r.completed) {
      if (c.height % TILE_HEIGHT !== 0) continue;
      const level = c.height / TILE_HEIGHT;
      const index = Math.floor(c.index / TILE_WIDTH);
      let p = pending.get(level);
      if (p === undefined || p.index !== index) {
        p = { index, hashes: [] };
        pending.set(level, p);
      }
      p.hashes.push(c.hash);
      if (p.hashes.length === TILE_WIDTH) {
        await checkTile(level, index, p.hashes);
        pending.delete(level);
      }
    }
    frontier = r.frontier;
    n = r.size;
  }
  for (const [level, p] of pending) await checkTile(level, p.index, p.hashes);
  const root = frontierRoot(frontier);
  if (!bytesEqual(root, head.rootHash)) {
    throw new LogError('VERITY_E_LOG_TAMPERED', 'the root recomputed from the entries differs from the stored root');
  }
  const f = concatBytes(...frontier);
  if (!bytesEqual(f, head.frontier)) {
    throw new LogError('VERITY_E_LOG_TAMPERED', 'the stored frontier differs from the one recomputed from the entries');
  }
  // The state map: the one the log's state entries build must be the one the checkpoint commits
  // to, and the store's rows must be what it holds.
  const signedState = stateRootFromExtensions(cp.extensions);
  if (signedState === undefined) {
    if (replay.started)
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        'the signed checkpoint commits to no state map although the log has one',
      );
    return { size: head.size, rootHash: toBase64(root), tilesChecked };
  }
  if (!bytesEqual(signedState, replay.root))
    throw new LogError(
      'VERITY_E_LOG_TAMPERED',
      'the state map rebuilt from the log differs from the one the checkpoint signs',
    );
  const differences = await replay.compare(store);
  if (differences.length > 0) {
    const shown = differences
      .slice(0, 5)
      .map(
        (d) =>
          `${d.table} ${quote(d.row)} ${d.found}${d.lastWritten === undefined ? '' : ` (last written with log entry ${d.lastWritten.index}, ${d.lastWritten.action})`}`,
      )
      .join(', ');
    throw new StoreError(
      'VERITY_E_STATE_TAMPERED',
      `${differences.length}${differences.length >= 1000 ? '+' : ''} stored row(s) differ from the state map the log builds: ${shown}${differences.length > 5 ? ', …' : ''}; restore from a backup`,
      { details: { differences } },
    );
  }
  return {
    size: head.size,
    rootHash: toBase64(root),
    tilesChecked,
    stateRoot: toBase64(replay.root),
    stateRows: replay.values.size,
  };
}
