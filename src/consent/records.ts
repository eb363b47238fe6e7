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

// The checks of what is stored or received (attacker-controlled when a client reads it from a
// server), as tables of field checks: compact, because the SDK ships them to browsers.
type Check = (v: unknown) => boolean;
const str =
  (max: number, re?: RegExp): Check =>
  (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= max && (re === undefined || re.test(v));
const nat: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);
const STATE: Record<string, Check> = {
  consentId: str(26, CONSENT_ID_RE),
  subjectRef: str(43, REF_RE),
  purpose: str(64),
  category: orNull(str(64)),
  status: (v) => (CONSENT_STATUSES as readonly unknown[]).includes(v),
  policyVersion: str(64),
  method: str(32, METHOD_RE),
  regime: str(64),
};
const CHANGE: Record<string, Check> = { ...STATE, at: nat };
const RECORD: Record<string, Check> = {
  ...STATE,
  givenAt: orNull(nat),
  withdrawnAt: orNull(nat),
  changes: nat,
  logIndex: nat,
  updatedAt: nat,
};
const ITEM: Record<string, Check> = { change: (v) => typeof v === 'object', salt: str(22), logIndex: nat };

/** A copy of the checked fields of `v`, or VERITY_E_INPUT_INVALID naming the first bad one. */
function checked<T>(v: unknown, spec: Record<string, Check>, what: string): T {
  if (typeof v !== 'object' || v === null) throw bad(`${what} is not an object`);
  const out: Record<string, unknown> = {};
  for (const [k, c] of Object.entries(spec)) {
    const x = (v as Record<string, unknown>)[k];
    if (!c(x)) throw bad(`${what} has a bad ${k} ${quote(x)}`);
    out[k] = x;
  }
  return out as T;
}

function bad(what: string): InputError {
  return new InputError('VERITY_E_INPUT_INVALID', `a stored or received consent ${what}`);
}

/** Checks a change (attacker-controlled when a client reads it from a server). */
export function checkChange(v: unknown): ConsentChange {
  return checked(v, CHANGE, 'change');
}

/** Checks a current-state body. */
export function checkRecord(v: unknown): ConsentRecord {
  return checked(v, RECORD, 'record');
}

/** Checks a history body. */
export function checkHistoryItem(v: unknown): ConsentHistoryItem {
  const item = checked<ConsentHistoryItem>(v, ITEM, 'history item');
  if (fromBase64Url(item.salt).byteLength !== 16) throw bad('salt is not 16 bytes');
  return { ...item, change: checkChange(item.change) };
}
