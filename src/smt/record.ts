// The state proof that comes with a record read (and with a refusal for an erased or unknown
// record), and its check by clients: the SDK and `verity records get --url --key`.
import { bytesEqual, fromBase64 } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { decodeStateProof, verifyStateProof } from './proof.ts';
import { type RecordStateFields, recordStateKey, recordStateValue, recordVersionStateKey } from './values.ts';

/** A record's row as a state proof carries it (the envelope by its SHA-256, base64). */
export type RecordStateJson = Omit<RecordStateFields, 'envelopeHash'> & { readonly envelopeHash: string | null };

/**
 * Proof of what the state map holds for a record under the state root of `checkpoint`: its current
 * version (`scope` current: the key of the record id), or one superseded version (`scope` version).
 * `record` is absent when the map holds nothing for the key (the record does not exist).
 */
export interface RecordStateProof {
  readonly checkpoint: string;
  readonly scope: 'current' | 'version';
  /** Base64 of the compact proof (smt encodeStateProof). */
  readonly proof: string;
  readonly record?: RecordStateJson;
}

/** What a checked record state proof shows. */
export type RecordStateFinding =
  | { readonly kind: 'current' | 'version'; readonly fields: RecordStateFields }
  | { readonly kind: 'erased'; readonly fields: RecordStateFields }
  | { readonly kind: 'absent' };

function invalid(what: string): LogError {
  return new LogError('VERITY_E_STATE_PROOF_INVALID', `state proof invalid: ${what}`);
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isStr = (v: unknown, max = 65_536): v is string => typeof v === 'string' && v.length <= max;

function fields(r: unknown): RecordStateFields {
  if (typeof r !== 'object' || r === null) throw invalid('its record is not an object');
  const o = r as Record<string, unknown>;
  if (
    !isStr(o['id'], 64) ||
    !isInt(o['version']) ||
    !isStr(o['subjectRef'], 128) ||
    !isStr(o['type'], 256) ||
    !isStr(o['state'], 32) ||
    !isStr(o['meta']) ||
    !(o['envelopeHash'] === null || isStr(o['envelopeHash'], 64)) ||
    !isInt(o['createdAt']) ||
    !(o['retainUntil'] === null || isInt(o['retainUntil'])) ||
    !isInt(o['logIndex'])
  )
    throw invalid('its record has missing or mistyped fields');
  const eh = o['envelopeHash'] === null ? null : fromBase64(o['envelopeHash'] as string, 'envelope hash');
  if (eh !== null && eh.byteLength !== 32) throw invalid('its envelope hash does not have 32 bytes');
  return {
    id: o['id'] as string,
    version: o['version'] as number,
    subjectRef: o['subjectRef'] as string,
    type: o['type'] as string,
    state: o['state'] as string,
    meta: o['meta'] as string,
    envelopeHash: eh,
    createdAt: o['createdAt'] as number,
    retainUntil: o['retainUntil'] as number | null,
    logIndex: o['logIndex'] as number,
  };
}

/**
 * Checks a record state proof (attacker-controlled) against the state root of a checkpoint the
 * caller verified: that it is about record `id` (and `version` when one was asked for), leads to
 * the root, and what it shows. Throws VERITY_E_STATE_PROOF_INVALID otherwise.
 */
export function verifyRecordState(p: unknown, root: Uint8Array, id: string, version?: number): RecordStateFinding {
  if (typeof p !== 'object' || p === null) throw invalid('it is missing');
  const o = p as Record<string, unknown>;
  if ((o['scope'] !== 'current' && o['scope'] !== 'version') || !isStr(o['proof'], 16_384))
    throw invalid('its scope or proof is missing');
  const scope = o['scope'];
  let key: Uint8Array;
  if (scope === 'current') key = recordStateKey(id);
  else {
    if (version === undefined) throw invalid('it proves a superseded version, but none was asked for');
    key = recordVersionStateKey(id, version);
  }
  const value = verifyStateProof(root, key, decodeStateProof(fromBase64(o['proof'] as string, 'state proof')));
  if (o['record'] === undefined) {
    if (value !== undefined) throw invalid('it shows a value but carries no record');
    if (scope !== 'current') throw invalid('a superseded version cannot be absent');
    return { kind: 'absent' };
  }
  const f = fields(o['record']);
  if (value === undefined || !bytesEqual(value, recordStateValue(f)))
    throw invalid('its record is not what the map holds');
  if (f.id !== id || (version !== undefined && f.version !== version)) throw invalid('it is about another record');
  if (f.state === 'erased') return { kind: 'erased', fields: f };
  return { kind: scope, fields: f };
}
