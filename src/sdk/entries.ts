// Verifying log entries that an answer carries with their proofs (the operators' history of
// retention runs and key rotations): the checkpoint's signature (and witnesses' cosignatures) once,
// then each entry's inclusion proof against it, each result kept on its own. Pure: no network, the
// trust material passed in explicitly.

import { type AuditEntry, decodeAuditEntry } from '../audit/index.ts';
import { fromBase64 } from '../encoding/index.ts';
import { InputError, LogError, VerityError } from '../errors/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import {
  type Checkpoint,
  parseCosignerKey,
  parseVerifierKey,
  type VerifiedCosignature,
  verifyCheckpoint,
  verifyCosignedCheckpoint,
} from '../note/index.ts';
import type { VerifyAccessReportOptions } from './reports.ts';

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
  const origin = o.origin ?? verifier.name;
  let checkpoint: Checkpoint;
  let cosignatures: VerifiedCosignature[] | undefined;
  if (o.witnesses !== undefined) {
    const r = verifyCosignedCheckpoint(note, {
      log: verifier,
      cosigners: o.witnesses.keys.map(parseCosignerKey),
      quorum: o.witnesses.quorum,
      origin,
    });
    checkpoint = r.checkpoint;
    cosignatures = r.cosignatures;
  } else {
    checkpoint = verifyCheckpoint(note, verifier, origin).checkpoint;
  }
  let failed = 0;
  const results = entries.map((raw: unknown, n): InspectedEntry => {
    const index = isObject(raw) && Number.isSafeInteger(raw['index']) ? (raw['index'] as number) : -1;
    try {
      // Attacker-controlled: shapes and sizes checked before anything is decoded or hashed.
      if (!isObject(raw) || index < 0) throw malformed(`entry ${n} has no index`);
      const proof = raw['proof'];
      if (typeof raw['entry'] !== 'string') throw malformed(`entry ${index} has no bytes`);
      if (!Array.isArray(proof) || proof.length > MAX_PROOF)
        throw malformed(`entry ${index}: the proof is not a list of at most ${MAX_PROOF} hashes`);
      const bytes = fromBase64(raw['entry'], 'entry');
      const path = proof.map((h, i) => {
        if (typeof h !== 'string') throw malformed(`entry ${index}: proof[${i}] is not base64`);
        const b = fromBase64(h, `proof[${i}]`);
        if (b.byteLength !== 32) throw malformed(`entry ${index}: proof[${i}] is not a 32-byte hash`);
        return b;
      });
      if (index >= checkpoint.size)
        throw new LogError('VERITY_E_LOG_PROOF_INVALID', `entry ${index} is beyond the checkpoint's tree`);
      verifyInclusion(hashLeaf(bytes), index, checkpoint.size, path, checkpoint.rootHash);
      let entry: AuditEntry;
      try {
        entry = decodeAuditEntry(bytes);
      } catch {
        throw new LogError('VERITY_E_LOG_PROOF_INVALID', `the proven entry ${index} is not an audit entry`);
      }
      return { ok: true, index, entry };
    } catch (e) {
      failed++;
      const error =
        e instanceof VerityError ? e : new LogError('VERITY_E_LOG_PROOF_INVALID', `entry ${index} does not verify`);
      return { ok: false, index, error };
    }
  });
  return { checkpoint, results, failed, ...(cosignatures === undefined ? {} : { cosignatures }) };
}
