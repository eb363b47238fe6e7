// The evidence of Verity's view of the chain as a caller checks it (D214): state rows proven
// against the state map of a signed checkpoint. No store here, so a client (the SDK) can take it.
import { bytesEqual } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { type NoteVerifier, verifyCheckpoint } from '../note/index.ts';
import {
  stateDigest,
  stateKey,
  stateProofFromBase64,
  stateRootFromExtensions,
  verifyStateProof,
} from '../smt/index.ts';

/** Most rows one answer proves. */
export const MAX_PROVEN_ROWS = 128;

/** One row of the state with its proof (absent rows carry the proof of their absence). */
export interface ProvenChainRow {
  readonly kind: string;
  readonly id: string;
  /** null: the state map holds no such row. */
  readonly row: { owner: string; body: string; version: number; updatedAt: number } | null;
  /** Base64 of the compact state proof of `object.KIND` + id. */
  readonly proof: string;
}

/** Rows proven against one signed checkpoint. */
export interface ChainProofs {
  readonly checkpoint: string;
  readonly rows: readonly ProvenChainRow[];
}

/** The state digest of an object row (as src/store commits to it). */
export function chainRowValue(kind: string, id: string, r: NonNullable<ProvenChainRow['row']>): Uint8Array {
  return stateDigest('object', [kind, id, r.owner, r.body, r.version, r.updatedAt]);
}

function wellFormed(r: unknown): r is ProvenChainRow {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  if (typeof x.kind !== 'string' || typeof x.id !== 'string' || typeof x.proof !== 'string') return false;
  if (x.kind.length > 64 || x.id.length > 512 || x.proof.length > 64 * 1024) return false;
  const row = x.row as Record<string, unknown> | null;
  if (row === null) return true;
  return (
    typeof row === 'object' &&
    typeof row.owner === 'string' &&
    typeof row.body === 'string' &&
    Number.isSafeInteger(row.version) &&
    Number.isSafeInteger(row.updatedAt)
  );
}

/**
 * Checks proven rows against the log's key (client side: no store): the checkpoint's signature and
 * each row's state proof (present as sent, or absent). Returns the checked rows by `kind id`.
 */
export function verifyChainProofs(
  answer: ChainProofs,
  verifier: NoteVerifier,
  origin?: string,
): Map<string, ProvenChainRow['row']> {
  const cp = verifyCheckpoint(answer.checkpoint, verifier, origin).checkpoint;
  const root = stateRootFromExtensions(cp.extensions);
  const bad = (why: string) => new LogError('VERITY_E_STATE_PROOF_INVALID', `chain state proof invalid: ${why}`);
  if (root === undefined) throw bad('the checkpoint commits to no state map');
  if (!Array.isArray(answer.rows) || answer.rows.length > MAX_PROVEN_ROWS) throw bad('the answer is malformed');
  const out = new Map<string, ProvenChainRow['row']>();
  for (const r of answer.rows) {
    // INVARIANT: every field is checked for its type before use (the answer is attacker-controlled).
    if (!wellFormed(r)) throw bad('a row is malformed');
    const value = verifyStateProof(root, stateKey(`object.${r.kind}`, r.id), stateProofFromBase64(r.proof));
    if (
      r.row === null
        ? value !== undefined
        : value === undefined || !bytesEqual(value, chainRowValue(r.kind, r.id, r.row))
    )
      throw bad(`the state map does not hold ${r.kind} ${r.id} as sent`);
    out.set(`${r.kind} ${r.id}`, r.row);
  }
  return out;
}
