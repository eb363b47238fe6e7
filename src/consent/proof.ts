// A player's consents with their evidence, and its check by clients: the current state of each
// consent by a state proof (key `object.consent` + id) under the state root of a signed
// checkpoint, and every change by the inclusion proof of its log entry in the same checkpoint's
// tree, the entry's content hash recomputed from the change and its salt. Client side only: no
// store, no ajv (the SDK imports it).
import { decodeAuditEntry } from '../audit/index.ts';
import { bytesEqual, fromBase64, fromBase64Url } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import type { InclusionProofCase } from '../log/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import { type Checkpoint, type NoteVerifier, verifyCheckpoint } from '../note/index.ts';
import {
  stateDigest,
  stateKey,
  stateProofFromBase64,
  stateRootFromExtensions,
  verifyStateProof,
} from '../smt/index.ts';
import {
  CONSENT_KIND,
  type ConsentHistoryItem,
  type ConsentRecord,
  changeCommitment,
  checkHistoryItem,
  checkRecord,
  consentObjectId,
} from './records.ts';

/** A state object as the map commits to it (its body as stored, byte for byte). */
export interface ProvenObject {
  readonly id: string;
  readonly owner: string;
  readonly body: string;
  readonly version: number;
  readonly updatedAt: number;
  /** Base64 of the compact state proof of `object.KIND` + id. */
  readonly proof: string;
}

/** One change with its log entry and the entry's inclusion proof. */
export interface ProvenChange {
  readonly item: ConsentHistoryItem;
  /** Standard base64 of the log entry at `item.logIndex`. */
  readonly entry: string;
  readonly inclusion: InclusionProofCase;
}

/** What `GET /v1/consent` answers: everything proven against one signed checkpoint. */
export interface ConsentProofs {
  readonly checkpoint: string;
  readonly subjectRef: string;
  readonly policyVersion: string;
  readonly consents: readonly ProvenObject[];
  readonly history: readonly ProvenChange[];
}

/** A consent whose state and whole history were checked. */
export interface VerifiedConsent {
  readonly record: ConsentRecord;
  readonly history: readonly ConsentHistoryItem[];
}

function tampered(why: string): LogError {
  return new LogError('VERITY_E_STATE_PROOF_INVALID', `consent proof invalid: ${why}`);
}

/** The state digest of an object row (src/store's `objectFact`). */
export function objectStateValue(kind: string, o: Omit<ProvenObject, 'proof'>): Uint8Array {
  return stateDigest('object', [kind, o.id, o.owner, o.body, o.version, o.updatedAt]);
}

const MAX_ITEMS = 10_000;

/**
 * Checks a consent answer for `subjectRef` against the log's key: the checkpoint's signature, the
 * state proof of every consent's current state, and for each consent its complete history
 * (changes 1..n, each included in the checkpoint's tree, each entry committing to its change),
 * whose last change is the current state. Throws VERITY_E_STATE_PROOF_INVALID (or a note error)
 * at the first fault.
 */
export function verifyConsentProofs(
  answer: ConsentProofs,
  subjectRef: string,
  verifier: NoteVerifier,
  origin?: string,
): { checkpoint: Checkpoint; consents: VerifiedConsent[] } {
  if (typeof answer !== 'object' || answer === null || typeof answer.checkpoint !== 'string')
    throw tampered('the answer carries no checkpoint');
  return verifyConsentAnswer(answer, subjectRef, verifyCheckpoint(answer.checkpoint, verifier, origin).checkpoint);
}

/**
 * `verifyConsentProofs` against `cp`, the answer's checkpoint already checked by the caller (its
 * signature, and its consistency with what the caller trusts).
 */
export function verifyConsentAnswer(
  answer: ConsentProofs,
  subjectRef: string,
  cp: Checkpoint,
): { checkpoint: Checkpoint; consents: VerifiedConsent[] } {
  if (answer.subjectRef !== subjectRef) throw tampered('the answer is about another player');
  if (!Array.isArray(answer.consents) || !Array.isArray(answer.history)) throw tampered('the answer is malformed');
  if (answer.consents.length > MAX_ITEMS || answer.history.length > MAX_ITEMS) throw tampered('the answer is too long');
  const root = stateRootFromExtensions(cp.extensions);
  if (root === undefined) throw tampered('the checkpoint commits to no state map');
  const byConsent = new Map<string, ConsentHistoryItem[]>();
  for (const h of answer.history) {
    const item = checkHistoryItem(h?.item);
    if (item.change.subjectRef !== subjectRef) throw tampered('a change is about another player');
    const inc = h.inclusion;
    if (inc?.leafIndex !== item.logIndex || inc.treeSize !== cp.size)
      throw tampered('an inclusion proof is for another entry or tree');
    const entry = fromBase64(h.entry, 'log entry');
    const leaf = hashLeaf(entry);
    if (!bytesEqual(leaf, fromBase64(inc.leafHash, 'leaf hash'))) throw tampered('an entry does not hash to its leaf');
    try {
      verifyInclusion(
        leaf,
        inc.leafIndex,
        inc.treeSize,
        inc.proof.map((p: string) => fromBase64(p, 'proof hash')),
        cp.rootHash,
      );
    } catch (cause) {
      throw new LogError('VERITY_E_STATE_PROOF_INVALID', 'consent proof invalid: a change is not in the signed tree', {
        cause,
      });
    }
    const e = decodeAuditEntry(entry);
    if (
      e.action !== 'consent.record' ||
      e.resource !== `consent:${item.change.consentId}` ||
      e.contentHash !== changeCommitment(item.change, fromBase64Url(item.salt))
    )
      throw tampered('a log entry does not commit to its change');
    const list = byConsent.get(item.change.consentId) ?? [];
    list.push(item);
    byConsent.set(item.change.consentId, list);
  }
  const consents: VerifiedConsent[] = [];
  for (const o of answer.consents) {
    const record = checkRecord(JSON.parse(o.body));
    const id = consentObjectId(subjectRef, record.purpose, record.category);
    if (o.id !== id || o.owner !== subjectRef || record.subjectRef !== subjectRef)
      throw tampered('a consent is not the one its id names');
    const value = verifyStateProof(root, stateKey(`object.${CONSENT_KIND}`, id), stateProofFromBase64(o.proof));
    if (value === undefined || !bytesEqual(value, objectStateValue(CONSENT_KIND, o)))
      throw tampered(`the state map does not hold consent ${record.consentId} as sent`);
    const history = (byConsent.get(record.consentId) ?? []).sort((a, b) => a.logIndex - b.logIndex);
    if (history.length !== record.changes || history.some((h, i) => i > 0 && h.logIndex === history[i - 1]?.logIndex))
      throw tampered(`consent ${record.consentId} comes without its whole history`);
    const last = history[history.length - 1];
    if (last === undefined || last.logIndex !== record.logIndex || last.change.status !== record.status)
      throw tampered(`the last change of consent ${record.consentId} is not its current state`);
    consents.push({ record, history });
  }
  return { checkpoint: cp, consents };
}
