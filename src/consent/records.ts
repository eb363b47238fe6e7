// Consent records after ISO/IEC TS 27560 (consent record information structure): who (a subject
// reference, never the player id), for what (a purpose of the privacy policy, and a data category
// where needed), the state (given, withdrawn, refused) with its times, the policy version shown,
// how it was collected and under which regime. Kept as authenticated state objects:
//   kind `consent`          id SUBJECTREF/PURPOSE[/CATEGORY]   the current state (small: read at decisions)
//   kind `consent.history`  id CONSENTID/NNNNNNNN              one per change, with its log index
// Every change is one log entry whose content hash commits to the change (salted, so the public
// log names neither the player nor the change); its inclusion proof makes the history provable.
// Shared by the server side and by clients (the SDK): no store, no ajv.
import { contentCommitment } from '../audit/index.ts';
import { canonicalJsonBytes, fromBase64Url } from '../encoding/index.ts';
import { InputError, quote } from '../errors/index.ts';

export const CONSENT_KIND = 'consent';
export const HISTORY_KIND = 'consent.history';
export const SUBJECT_KIND = 'privacy.subject';
export const POLICY_KIND = 'privacy.policy';

/** ISO/IEC TS 27560 consent states Verity records. */
export const CONSENT_STATUSES = ['given', 'withdrawn', 'refused'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** How consent was collected: a short token, e.g. `web-form`, `in-world-dialog`, `api`, `gpc-signal`. */
export const METHOD_RE = /^[a-z][a-z0-9-]{0,31}$/;
/** ISO 3166-1 alpha-2, or an ISO 3166-2 subdivision (`US-CA`). */
export const REGION_RE = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const CONSENT_ID_RE = /^cns_[A-Za-z0-9_-]{22}$/;

/** One change of a consent: exactly what its log entry commits to. */
export interface ConsentChange {
  readonly consentId: string;
  readonly subjectRef: string;
  readonly purpose: string;
  readonly category: string | null;
  readonly status: ConsentStatus;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** The privacy policy version the player was shown. */
  readonly policyVersion: string;
  readonly method: string;
  /** The regime that applied to the player when it changed. */
  readonly regime: string;
}

/** The current state of one consent (the `consent` object's body). */
export interface ConsentRecord {
  readonly consentId: string;
  readonly subjectRef: string;
  readonly purpose: string;
  readonly category: string | null;
  readonly status: ConsentStatus;
  /** When it was last given (null: never). */
  readonly givenAt: number | null;
  /** When it was last withdrawn or refused after being given or asked (null: not since given). */
  readonly withdrawnAt: number | null;
  readonly policyVersion: string;
  readonly method: string;
  readonly regime: string;
  /** Changes so far (the history's length). */
  readonly changes: number;
  /** Log index of the latest change. */
  readonly logIndex: number;
  readonly updatedAt: number;
}

/** One change as kept in the history (the `consent.history` object's body). */
export interface ConsentHistoryItem {
  readonly change: ConsentChange;
  /** Base64url of the salt of the change's content commitment. */
  readonly salt: string;
  readonly logIndex: number;
}

/** The object id of a consent: SUBJECTREF/PURPOSE, or SUBJECTREF/PURPOSE/CATEGORY. */
export function consentObjectId(subjectRef: string, purpose: string, category?: string | null): string {
  if (!REF_RE.test(subjectRef)) throw new TypeError('a consent names its player by subject reference');
  return category === undefined || category === null
    ? `${subjectRef}/${purpose}`
    : `${subjectRef}/${purpose}/${category}`;
}

/** The object id of the n-th change (1-based) of a consent: sortable, by consent. */
export function historyObjectId(consentId: string, n: number): string {
  return `${consentId}/${String(n).padStart(8, '0')}`;
}

/** The bytes a change's content commitment covers (RFC 8785). */
export function changeBytes(c: ConsentChange): Uint8Array {
  return canonicalJsonBytes({
    at: c.at,
    category: c.category,
    consentId: c.consentId,
    method: c.method,
    policyVersion: c.policyVersion,
    purpose: c.purpose,
    regime: c.regime,
    status: c.status,
    subjectRef: c.subjectRef,
  });
}

/** The content hash a change's log entry carries. */
export function changeCommitment(c: ConsentChange, salt: Uint8Array): string {
  return contentCommitment(salt, changeBytes(c));
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function bad(what: string): InputError {
  return new InputError('VERITY_E_INPUT_INVALID', `a stored or received consent ${what}`);
}

/** Checks a change (attacker-controlled when a client reads it from a server). */
export function checkChange(v: unknown): ConsentChange {
  if (typeof v !== 'object' || v === null) throw bad('change is not an object');
  const o = v as Record<string, unknown>;
  if (
    !isStr(o['consentId'], 26) ||
    !CONSENT_ID_RE.test(o['consentId']) ||
    !isStr(o['subjectRef'], 43) ||
    !REF_RE.test(o['subjectRef']) ||
    !isStr(o['purpose'], 64) ||
    !(o['category'] === null || isStr(o['category'], 64)) ||
    !(CONSENT_STATUSES as readonly unknown[]).includes(o['status']) ||
    !isInt(o['at']) ||
    !isStr(o['policyVersion'], 64) ||
    !isStr(o['method'], 32) ||
    !METHOD_RE.test(o['method']) ||
    !isStr(o['regime'], 64)
  )
    throw bad('change has missing or mistyped fields');
  return {
    consentId: o['consentId'] as string,
    subjectRef: o['subjectRef'] as string,
    purpose: o['purpose'] as string,
    category: o['category'] as string | null,
    status: o['status'] as ConsentStatus,
    at: o['at'] as number,
    policyVersion: o['policyVersion'] as string,
    method: o['method'] as string,
    regime: o['regime'] as string,
  };
}

/** Checks a current-state body. */
export function checkRecord(v: unknown): ConsentRecord {
  if (typeof v !== 'object' || v === null) throw bad('record is not an object');
  const o = v as Record<string, unknown>;
  const { at: _at, ...rest } = checkChange({ ...o, at: o['updatedAt'] });
  if (
    !(o['givenAt'] === null || isInt(o['givenAt'])) ||
    !(o['withdrawnAt'] === null || isInt(o['withdrawnAt'])) ||
    !isInt(o['changes']) ||
    !isInt(o['logIndex'])
  )
    throw bad('record has missing or mistyped fields');
  return {
    ...rest,
    givenAt: o['givenAt'] as number | null,
    withdrawnAt: o['withdrawnAt'] as number | null,
    changes: o['changes'] as number,
    logIndex: o['logIndex'] as number,
    updatedAt: o['updatedAt'] as number,
  };
}

/** Checks a history body. */
export function checkHistoryItem(v: unknown): ConsentHistoryItem {
  if (typeof v !== 'object' || v === null) throw bad('history item is not an object');
  const o = v as Record<string, unknown>;
  const change = checkChange(o['change']);
  if (!isStr(o['salt'], 64) || !isInt(o['logIndex'])) throw bad('history item has missing or mistyped fields');
  if (fromBase64Url(o['salt'] as string).byteLength !== 16) throw bad(`salt ${quote(o['salt'])} is not 16 bytes`);
  return { change, salt: o['salt'] as string, logIndex: o['logIndex'] as number };
}
