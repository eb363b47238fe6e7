// Verifying log entries that an answer carries with their proofs (the operators' history of
// retention runs and key rotations): the checkpoint's signature (and witnesses' cosignatures) once,
// then each entry's inclusion proof against it, each result kept on its own. Pure: no network, the
// trust material passed in explicitly.

import { type AuditEntry, decodeAuditEntry } from '../audit/index.ts';
import { fromBase64 } from '../encoding/index.ts';
import { InputError, LogError, VerityError } from '../errors/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import { type Checkpoint, parseVerifierKey, type VerifiedCosignature } from '../note/index.ts';
import { checkNote, type VerifyAccessReportOptions } from './reports.ts';

/** Most entries one answer given to the verifier may carry. */
const MAX_ENTRIES = 1000;
/** RFC 9162 proofs of trees below 2^64 leaves have at most 64 hashes. */
const MAX_PROOF = 64;

/** The outcome of one proven entry. */
export type InspectedEntry =
  | { readonly ok: true; readonly index: number; readonly entry: AuditEntry }
  | { readonly ok: false; readonly index: number; readonly error: VerityError };

/** Proven entries inspected one by one (see `inspectProvenEntries`). */
export interface InspectedEntries {
  readonly checkpoint: Checkpoint;
  /** One result per entry, in the order given. */
  readonly results: readonly InspectedEntry[];
  readonly failed: number;
  /** The witnesses whose cosignatures verified (with `witnesses`). */
  readonly cosignatures?: readonly VerifiedCosignature[];
}

const malformed = (why: string) => new InputError('VERITY_E_INPUT_MALFORMED', `proven entries: ${why}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Verifies `{ checkpoint, entries: [{ index, entry, proof }] }` (entry bytes and proof hashes in
 * standard base64): the checkpoint must be signed by the log key (and, with `witnesses`, cosigned
 * by a quorum of them), else it throws, since entries without a trusted checkpoint prove nothing.
 * Then each entry is checked on its own: its bytes hash to a leaf that its proof includes at its
 * index in the checkpoint's tree (RFC 9162), and they decode as an audit entry. A page marks each
 * entry verified, or names exactly those that failed.
 *
 * @example
 * ```ts
 * const r = inspectProvenEntries(await res.json(), { verifierKey });
 * for (const e of r.results) console.log(e.index, e.ok ? e.entry.action : e.error.message);
 * ```
 */
export function inspectProvenEntries(input: unknown, o: VerifyAccessReportOptions): InspectedEntries {
  const verifier = parseVerifierKey(o.verifierKey);
  if (!isObject(input)) throw malformed('expected { checkpoint, entries }');
  const note = input['checkpoint'];
  const entries = input['entries'];
  if (typeof note !== 'string') throw malformed('no checkpoint');
  if (!Array.isArray(entries) || entries.length > MAX_ENTRIES)
    throw malformed(`\`entries\` is not a list of at most ${MAX_ENTRIES}`);
  const { checkpoint, cosignatures } = checkNote(note, verifier, o);
  let failed = 0;
  const results = entries.map((raw: unknown): InspectedEntry => {
    const r = isObject(raw) ? raw : {};
    const index = Number.isSafeInteger(r['index']) ? (r['index'] as number) : -1;
    try {
      // Attacker-controlled: the shape and the proof's length checked before anything is decoded;
      // verifyInclusion checks the index against the tree and every hash's size (RFC 9162 2.1.3.2).
      const proof = r['proof'];
      if (index < 0 || typeof r['entry'] !== 'string' || !Array.isArray(proof) || proof.length > MAX_PROOF)
        throw malformed(`entry ${index} is not { index, entry, proof }`);
      const bytes = fromBase64(r['entry'], 'entry');
      const path = proof.map((h) => fromBase64(String(h), 'proof'));
      verifyInclusion(hashLeaf(bytes), index, checkpoint.size, path, checkpoint.rootHash);
      return { ok: true, index, entry: decodeAuditEntry(bytes) };
    } catch (e) {
      failed++;
      const error =
        e instanceof VerityError ? e : new LogError('VERITY_E_LOG_PROOF_INVALID', `entry ${index} does not verify`);
      return { ok: false, index, error };
    }
  });
  return { checkpoint, results, failed, ...(cosignatures === undefined ? {} : { cosignatures }) };
}
