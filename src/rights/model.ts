// What a data-subject request is, as kept in the authenticated state (`rights.request` objects),
// and the checks of what callers send about one.
import { createHash } from 'node:crypto';
import { canonicalJsonBytes, parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { InputError, quote, RightsError } from '../errors/index.ts';
import type { ObjectRow } from '../store/index.ts';

/** The rights a subject can exercise (GDPR Arts. 15-18, 20, 21; their CCPA and LGPD counterparts). */
export const RIGHT_TYPES = ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection'] as const;
export type RightType = (typeof RIGHT_TYPES)[number];

/** received -> in-progress -> completed | refused (received -> refused too). */
export type RequestStatus = 'received' | 'in-progress' | 'completed' | 'refused';

/** Why a deadline was extended or a request refused: a kind, and a note kept in the state only. */
export const REASON_KINDS = [
  'complexity',
  'number-of-requests',
  'identity-not-verified',
  'manifestly-unfounded',
  'excessive',
  'legal-exemption',
  'other',
] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

/** How the requester was authenticated. */
export interface IdentityCheck {
  /** `session`: the player's own session; `operator`: an operator or service verified and recorded it. */
  readonly method: 'session' | 'operator';
  /** Who checked (the session's actor, or the operator's). */
  readonly checkedBy: string;
  /** What the operator's verification rested on (operator method only). */
  readonly evidenceKind?: string;
  /** SHA-256 of the evidence reference (the reference itself is never kept). */
  readonly evidenceHash?: string;
  readonly at: string;
}

export interface Extension {
  readonly at: string;
  readonly until: string;
  readonly reason: ReasonKind;
  /** The note given with the reason (kept in the state; the log keeps its hash). */
  readonly note?: string;
  readonly logIndex: number;
}

/** A data-subject request, as stored and as answered. */
export interface RightsRequest {
  readonly id: string;
  readonly type: RightType;
  /** The subject, by reference (a keyed pseudonym; never the subject's id). */
  readonly subjectRef: string;
  /** The regime the deadline comes from, e.g. `gdpr`. */
  readonly regime: string;
  readonly regimeName: string;
  /** The provision the time limit comes from. */
  readonly deadlineBasis: string;
  /** ISO 8601 (UTC) time of receipt. */
  readonly receivedAt: string;
  /** ISO 8601 (UTC) legal deadline, extensions included. */
  readonly deadline: string;
  /** The deadline before any extension. */
  readonly initialDeadline: string;
  readonly extensions: readonly Extension[];
  readonly identity: IdentityCheck;
  readonly status: RequestStatus;
  /** Why it was refused. */
  readonly refusal?: { readonly reason: ReasonKind; readonly note?: string };
  readonly completedAt?: string;
  /** Log indices of the entries that carried the request out (completion evidence). */
  readonly evidence: readonly number[];
  /** Type-specific scope: the purposes objected to, the records restricted. */
  readonly scope?: { readonly purposes?: readonly string[]; readonly records?: readonly string[] };
  /** Who filed it. */
  readonly filedBy: string;
  /**
   * The service whose session filed it, for a session a service opened: such a session sees and
   * carries out only the requests sessions of its opener filed (D426).
   */
  readonly vouchedBy?: string;
  /** Log index of the entry that recorded its receipt. */
  readonly logIndex: number;
  /** restriction and objection: the lifts (`lf_...`, `rights.lift` objects) that ended what it set. */
  readonly lifts?: readonly string[];
}

export const REQUEST_KIND = 'rights.request';
const REQUEST_ID_RE = /^rr_[A-Za-z0-9_-]{22}$/;

/** A new request id: `rr_` and 128 random bits. */
export function newRequestId(): string {
  return `rr_${toBase64Url(randomBytesSecure(16))}`;
}

/** Checks a request id (attacker-controlled). */
export function checkRequestId(id: unknown): string {
  if (typeof id !== 'string' || !REQUEST_ID_RE.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `${quote(id)} is not a rights request id (rr_ and 22 base64url)`);
  return id;
}

/** Checks a right type. */
export function checkRightType(t: unknown): RightType {
  if (!(RIGHT_TYPES as readonly unknown[]).includes(t))
    throw new InputError('VERITY_E_INPUT_INVALID', `request type ${quote(t)} must be one of ${RIGHT_TYPES.join(', ')}`);
  return t as RightType;
}

/** Checks a reason kind and its optional note (1 to 500 characters, one line). */
export function checkReason(kind: unknown, note: unknown): { reason: ReasonKind; note?: string } {
  if (!(REASON_KINDS as readonly unknown[]).includes(kind))
    throw new InputError('VERITY_E_INPUT_INVALID', `reason ${quote(kind)} must be one of ${REASON_KINDS.join(', ')}`);
  if (note === undefined) return { reason: kind as ReasonKind };
  if (typeof note !== 'string' || note.length === 0 || note.length > 500 || /[\u0000-\u001f\u007f]/.test(note))
    throw new InputError('VERITY_E_INPUT_INVALID', 'a reason note is 1 to 500 characters on one line');
  return { reason: kind as ReasonKind, note };
}

/** `sha256:` + base64url of a canonical JSON value: what the log keeps of free text. */
export function textHash(value: unknown): string {
  return `sha256:${toBase64Url(
    createHash('sha256')
      .update(canonicalJsonBytes(value as never))
      .digest(),
  )}`;
}

/** A stored request (the object's body), read back. */
export function requestOf(row: ObjectRow): RightsRequest {
  return parseJson(row.body, { maxBytes: 1024 * 1024, maxDepth: 8 }, 'rights request') as unknown as RightsRequest;
}

export function requestNotFound(id: string): RightsError {
  return new RightsError(
    'VERITY_E_RIGHTS_REQUEST_NOT_FOUND',
    `there is no rights request ${quote(id)}; \`verity rights list\` shows them`,
  );
}

/** ISO 8601 text of a time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
