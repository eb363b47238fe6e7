import { InputError, isVerityError, LogError, WitnessError } from '../errors/index.ts';
import { checkCheckpointAdvance, parseProofCase } from '../log/index.ts';
import { verifyInclusion } from '../merkle/index.ts';
import {
  type Checkpoint,
  type NoteVerifier,
  parseCosignerKey,
  verifyCheckpoint,
  verifyCosignedCheckpoint,
} from '../note/index.ts';

/** Where a client keeps the last checkpoint it trusted (memory by default; persist it to survive restarts). */
export interface CheckpointStore {
  load(): string | undefined | Promise<string | undefined>;
  save(note: string): void | Promise<void>;
}

/** The subset of the Web Storage API a checkpoint store needs (`localStorage` in browsers). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * Keeps the trusted checkpoint in Web Storage (e.g. `localStorage`), so a page that reloads still
 * refuses a log that was rolled back or forked since its last visit.
 */
export function webStorageCheckpoints(storage: KeyValueStorage, key = 'verity.checkpoint'): CheckpointStore {
  return {
    load: () => storage.getItem(key) ?? undefined,
    save: (note: string) => storage.setItem(key, note),
  };
}

/** A checkpoint store in memory (the default). */
export function memoryCheckpoints(): CheckpointStore {
  let kept: string | undefined;
  return {
    load: () => kept,
    save: (note: string) => {
      kept = note;
    },
  };
}

/** The witness keys a client relies on, parsed. */
export interface Witnesses {
  readonly keys: NoteVerifier[];
  readonly quorum: number;
  readonly waitMs: number;
}

/** Parses the witness options of a client: keys, a quorum between 1 and their number, the wait. */
export function parseWitnesses(w: {
  readonly keys: readonly string[];
  readonly quorum: number;
  readonly waitMs?: number;
}): Witnesses {
  const keys = w.keys.map(parseCosignerKey);
  if (!Number.isSafeInteger(w.quorum) || w.quorum < 1 || w.quorum > keys.length)
    throw new InputError('VERITY_E_INPUT_INVALID', `the witness quorum must be between 1 and the ${keys.length} keys`);
  return { keys, quorum: w.quorum, waitMs: w.waitMs ?? 5000 };
}

/**
 * What a client trusts of a log: its key and origin, the checkpoint kept in the store, the
 * witnesses it relies on, and how it fetches the log's public (unauthenticated) paths.
 */
export interface LogTrust {
  readonly verifier: NoteVerifier;
  readonly origin: string;
  readonly store: CheckpointStore;
  readonly witnesses: Witnesses | undefined;
  /** Checkpoints whose signature this client verified, by their exact text (a signature check each costs ~0.1 ms). */
  readonly verified: Map<string, Checkpoint>;
  /** A GET of a public path of the server. */
  readonly get: (path: string) => Promise<Response>;
}

/** A GET of a public path, its JSON answer. */
export async function getJson(t: LogTrust, path: string): Promise<unknown> {
  return (await t.get(path)).json();
}

/** Verifies a signed checkpoint with the client's key, once per distinct text. */
export function verifyNote(t: LogTrust, note: string): Checkpoint {
  const hit = t.verified.get(note);
  if (hit !== undefined) return hit;
  const cp = verifyCheckpoint(note, t.verifier, t.origin).checkpoint;
  if (t.verified.size >= 32) t.verified.clear();
  t.verified.set(note, cp);
  return cp;
}

/**
 * Checks `note` against the trusted checkpoint: signed by the key, and proven consistent with it
 * (the proof is fetched from the server). A newer one becomes the trusted one; an older one is
 * refused as a rollback unless `allowOlder`, and even then must be a prefix of the trusted tree.
 */
export async function advance(t: LogTrust, note: string, allowOlder: boolean): Promise<Checkpoint> {
  const next = verifyNote(t, note);
  const trustedNote = await t.store.load();
  if (trustedNote === undefined) {
    await t.store.save(note);
    return next;
  }
  // The very checkpoint this client trusts: nothing to prove.
  if (trustedNote === note) return next;
  const trusted = verifyNote(t, trustedNote);
  if (next.size < trusted.size && !allowOlder) {
    throw new LogError(
      'VERITY_E_LOG_ROLLBACK',
      `the log's latest checkpoint (size ${next.size}) is older than one this client trusted (size ${trusted.size}): it was rolled back`,
    );
  }
  const [older, newer, olderNote, newerNote] =
    next.size < trusted.size ? [next, trusted, note, trustedNote] : [trusted, next, trustedNote, note];
  let proof: Uint8Array[] = [];
  if (newer.size > older.size && older.size > 0) {
    const c = parseProofCase(await getJson(t, `/v1/log/proofs/consistency?from=${older.size}&to=${newer.size}`));
    if (c.type !== 'consistency' || c.size1 !== older.size || c.size2 !== newer.size) {
      throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for other tree sizes');
    }
    proof = c.proof;
  }
  // A newer checkpoint must extend the trusted one; an older one (a lagging node) must be a
  // prefix of it. Either way a fork or a rewrite is refused; the trusted checkpoint only grows.
  checkCheckpointAdvance(olderNote, newerNote, proof, t.verifier, t.origin);
  if (next.size > trusted.size) await t.store.save(note);
  return next;
}

/**
 * Fetches, verifies and (when newer) trusts the latest checkpoint; with witnesses, the newest
 * one they cosigned (refused without the quorum: VERITY_E_WITNESS_QUORUM).
 */
export async function latest(t: LogTrust): Promise<Checkpoint> {
  if (t.witnesses !== undefined) return advance(t, await cosigned(t, t.witnesses), false);
  return advance(t, await (await t.get('/v1/log/checkpoint')).text(), false);
}

/** The server's newest cosigned checkpoint, checked for the witness quorum. */
async function cosigned(t: LogTrust, w: Witnesses): Promise<string> {
  const note = await (await t.get('/checkpoint')).text();
  verifyCosignedCheckpoint(note, { log: t.verifier, cosigners: w.keys, quorum: w.quorum, origin: t.origin });
  return note;
}

/** Fetches the inclusion proof of entry `index` in the tree of `cp` and checks `leaf` against it. */
export async function proveIncluded(t: LogTrust, leaf: Uint8Array, index: number, cp: Checkpoint): Promise<void> {
  const c = parseProofCase(await getJson(t, `/v1/log/proofs/inclusion?index=${index}&size=${cp.size}`));
  if (c.type !== 'inclusion' || c.treeSize !== cp.size || c.leafIndex !== index)
    throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for another entry or tree');
  verifyInclusion(leaf, index, cp.size, c.proof, cp.rootHash);
}

/**
 * The newest cosigned checkpoint once it covers entry `index` (waiting up to the witnesses'
 * `waitMs`), with the leaf proven included in it; it becomes the trusted checkpoint.
 */
export async function witnessedInclusion(
  t: LogTrust,
  w: Witnesses,
  leaf: Uint8Array,
  index: number,
): Promise<Checkpoint> {
  const deadline = Date.now() + w.waitMs;
  for (;;) {
    let note: string | undefined;
    try {
      note = await cosigned(t, w);
    } catch (e) {
      if (!isVerityError(e, 'VERITY_E_WITNESS_QUORUM') || Date.now() >= deadline) throw e;
    }
    const cp = note === undefined ? undefined : verifyCheckpoint(note, t.verifier, t.origin).checkpoint;
    if (note !== undefined && cp !== undefined && cp.size > index) {
      await proveIncluded(t, leaf, index, cp);
      return advance(t, note, true);
    }
    if (Date.now() >= deadline)
      throw new WitnessError(
        'VERITY_E_WITNESS_QUORUM',
        `entry ${index} is not yet in a checkpoint cosigned by ${w.quorum} witness(es) (the newest has size ${cp?.size ?? 0}); try again later`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
