import { contentCommitment, decodeAuditEntry } from '../audit/index.ts';
import { bytesEqual, canonicalJsonBytes, fromBase64, fromBase64Url, type JsonValue } from '../encoding/index.ts';
import { LogError, VerityError } from '../errors/index.ts';
import { parseProofCase } from '../log/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import type { Checkpoint } from '../note/index.ts';
import { stateRootFromExtensions, verifyRecordState } from '../smt/index.ts';
import { advance, type LogTrust, witnessedInclusion } from './checkpoints.ts';

/** A record as read and verified by the client. */
export interface VerifiedRecord {
  readonly data: unknown;
  readonly meta: {
    readonly id: string;
    readonly version: number;
    readonly contentHash: string;
    readonly logIndex: number;
    readonly [k: string]: unknown;
  };
  /** The checkpoint the record's write was proven against (now the client's trusted one, or older). */
  readonly checkpoint: Checkpoint;
  /** What the state map of that checkpoint holds for it: the record's current version, or the superseded version asked for. */
  readonly state: 'current' | 'version';
}

/** A record read as the server answers it, before any check. */
export interface RecordAnswer {
  data: unknown;
  meta: VerifiedRecord['meta'];
  proof: { checkpoint?: unknown; entry?: unknown; contentSalt?: unknown } & Record<string, unknown>;
}

/**
 * Verifies a record read: the proof's checkpoint is signed and consistent with what the client
 * trusted before; the write entry hashes to the proven leaf, names this record version and the
 * content commitment in the metadata; the data with the returned salt recomputes that commitment;
 * and the state map of a signed checkpoint holds this version (the current one unless `version`).
 */
export async function verifyRecordAnswer(
  t: LogTrust,
  id: string,
  version: number | undefined,
  r: RecordAnswer,
): Promise<VerifiedRecord> {
  const tampered = (why: string) => new LogError('VERITY_E_LOG_TAMPERED', `record ${id}: ${why}`);
  if (
    typeof r.proof?.checkpoint !== 'string' ||
    typeof r.proof.entry !== 'string' ||
    typeof r.proof.contentSalt !== 'string'
  )
    throw tampered('the answer carries no checkpoint, entry or content salt');
  const c = parseProofCase(r.proof);
  if (c.type !== 'inclusion') throw tampered('the proof is not an inclusion proof');
  const entry = fromBase64(r.proof.entry, 'entry');
  const leaf = hashLeaf(entry);
  if (!bytesEqual(leaf, c.leafHash)) throw tampered('the entry does not hash to the proven leaf');
  let cp: Checkpoint;
  if (t.witnesses === undefined) {
    // A proof may come from a node a little behind another: older is fine if it is a prefix.
    cp = await advance(t, r.proof.checkpoint, true);
    if (cp.size !== c.treeSize || !bytesEqual(cp.rootHash, c.rootHash))
      throw tampered('the proof is not for the signed checkpoint');
    verifyInclusion(leaf, c.leafIndex, c.treeSize, c.proof, cp.rootHash);
  } else {
    // Only a checkpoint the witnesses cosigned is trusted: the write is proven in one.
    cp = await witnessedInclusion(t, t.witnesses, leaf, c.leafIndex);
  }
  const e = decodeAuditEntry(entry);
  if (
    c.leafIndex !== r.meta.logIndex ||
    e.resource !== `record:${r.meta.id}@${r.meta.version}` ||
    e.contentHash !== r.meta.contentHash ||
    r.meta.id !== id
  ) {
    throw tampered('the proven entry names another record or content');
  }
  // The data itself: it must be what the logged write committed to.
  let dataBytes: Uint8Array;
  try {
    dataBytes = canonicalJsonBytes(r.data as JsonValue);
  } catch {
    throw tampered('the data is not JSON the write could have committed to');
  }
  if (contentCommitment(fromBase64Url(r.proof.contentSalt, 'content salt'), dataBytes) !== e.contentHash)
    throw tampered('the data is not the content its logged write committed to');
  // And that this is the record's current version (or the version asked for) in the state map
  // the same checkpoint commits to: a stale or rolled-back row is refused.
  // The state proof comes with its own checkpoint (the server's latest when it answered; with
  // witnesses the read's proof may use an older, cosigned one): signed and consistent too.
  const sp = r.proof['state'] as { checkpoint?: unknown } | undefined;
  if (typeof sp?.checkpoint !== 'string') throw tampered('the answer carries no state proof');
  const scp =
    sp.checkpoint === r.proof.checkpoint && t.witnesses === undefined ? cp : await advance(t, sp.checkpoint, true);
  const stateRoot = stateRootFromExtensions(scp.extensions);
  if (stateRoot === undefined) throw tampered('the checkpoint commits to no state map');
  const st = verifyRecordState(r.proof['state'], stateRoot, id, version);
  if (st.kind === 'absent' || st.kind === 'erased')
    throw tampered(`the state map shows the record ${st.kind === 'absent' ? 'absent' : 'erased'}`);
  if (version === undefined && st.kind !== 'current') throw tampered('the version read is not the current one');
  let stored: { contentHash?: unknown };
  try {
    stored = JSON.parse(st.fields.meta) as { contentHash?: unknown };
  } catch {
    throw tampered('the state map holds metadata that is not JSON');
  }
  if (
    st.fields.version !== r.meta.version ||
    st.fields.logIndex !== r.meta.logIndex ||
    st.fields.type !== r.meta.type ||
    stored.contentHash !== r.meta.contentHash
  )
    throw tampered('the metadata is not what the state map holds');
  return { data: r.data, meta: r.meta, checkpoint: cp, state: st.kind };
}

/**
 * An unknown or erased record is a claim the server must prove: its answer carries a state proof
 * under a signed checkpoint (consistent with what this client trusts) that the map holds no such
 * record, or holds it erased. A refusal without one, or with one that shows otherwise, is refused.
 */
export async function provenRefusal(
  t: LogTrust,
  e: unknown,
  id: string,
  version: number | undefined,
): Promise<unknown> {
  if (!(e instanceof VerityError)) return e;
  const want =
    e.code === 'VERITY_E_RECORD_NOT_FOUND' ? 'absent' : e.code === 'VERITY_E_RECORD_ERASED' ? 'erased' : undefined;
  if (want === undefined) return e;
  const p = e.details?.['state'] as { checkpoint?: unknown } | undefined;
  const unproven = (why: string) =>
    new LogError('VERITY_E_STATE_PROOF_INVALID', `the server says record ${id} is ${want} but ${why}`);
  if (typeof p?.checkpoint !== 'string') return unproven('does not prove it');
  const cp = await advance(t, p.checkpoint, true);
  const root = stateRootFromExtensions(cp.extensions);
  if (root === undefined) return unproven('its checkpoint commits to no state map');
  const scope = (p as { scope?: unknown }).scope;
  const found = verifyRecordState(p, root, id, scope === 'version' ? version : undefined);
  // A version above the current one does not exist either.
  const shows =
    found.kind !== 'absent' && found.kind !== 'erased' && version !== undefined && found.fields.version < version
      ? 'absent'
      : found.kind;
  if (shows !== want) return unproven(`its state proof shows it ${found.kind}`);
  return new VerityError(e.code, `${e.message} (proven by the state map at tree size ${cp.size})`, {
    details: { status: e.details?.['status'], proven: found.kind },
  });
}

/**
 * Checks the proof that a record is erased (an erasure request's tombstone): under a signed
 * checkpoint consistent with what the client trusts, the state map holds the record erased.
 */
export async function verifyErasureProof(t: LogTrust, id: string, state: unknown): Promise<{ treeSize: number }> {
  const p = state as { checkpoint?: unknown } | undefined;
  const bad = (why: string) =>
    new LogError('VERITY_E_STATE_PROOF_INVALID', `the erasure of record ${id} is not proven: ${why}`);
  if (typeof p?.checkpoint !== 'string') throw bad('no state proof');
  const cp = await advance(t, p.checkpoint, true);
  const root = stateRootFromExtensions(cp.extensions);
  if (root === undefined) throw bad('its checkpoint commits to no state map');
  const found = verifyRecordState(p, root, id);
  if (found.kind !== 'erased') throw bad(`the state map shows it ${found.kind}`);
  return { treeSize: cp.size };
}
