// What every part of the vault shares: the injected outside world, the limits, who acts and why,
// the checks of ids and purposes at the boundary, and the one way an audit entry is built.
import { type AuditAction, type AuditEvent, encodeSuccessEntry, PURPOSE_RE } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { InputError, quote, VaultError } from '../errors/index.ts';
import { checkIdentifier } from '../identifiers/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';

/** Limits on what a record may hold. */
export interface VaultLimits {
  /** Canonical JSON size of a record's data. */
  readonly maxDataBytes: number;
  readonly maxDepth: number;
  readonly maxLineage: number;
}

export const DEFAULT_VAULT_LIMITS: VaultLimits = Object.freeze({
  maxDataBytes: 256 * 1024,
  maxDepth: 32,
  maxLineage: 64,
});

/**
 * What a read or write of a subject's record is checked against besides the access policies: limits
 * the subject set on processing (restriction, objection; see `src/rights`). Throws to refuse.
 */
export interface ProcessingGuard {
  check(use: ProcessingUse): Promise<void>;
}

/** One use of a subject's data, as a `ProcessingGuard` sees it. */
export interface ProcessingUse {
  readonly op: 'read' | 'write';
  readonly subjectRef: string;
  /** The subject's pseudonym in the log, when the subject has a key. */
  readonly pseudonym: string | undefined;
  /** The record; undefined for a new one. */
  readonly recordId: string | undefined;
  readonly type: string;
  readonly actor: string;
  readonly purpose: string;
}

export interface VaultOptions {
  readonly clock?: Clock;
  /** Checked before every record read and write (see `ProcessingGuard`). */
  readonly guard?: ProcessingGuard;
  /** What to do with a record type that has no registered schema. Default `reject`. */
  readonly unknownTypes?: 'generic' | 'reject';
  readonly limits?: Partial<VaultLimits>;
}

/** Who acts and why: every vault operation states both, and both land in the audit trail. */
export interface Access {
  /** The acting principal, e.g. `operator:cli`. */
  readonly actor: string;
  /** The purpose of processing, e.g. `service-provision`. */
  readonly purpose: string;
  /**
   * Hash of the policy set whose decision allowed this access (from `PolicyEngine.policyHash`):
   * the operation's audit entries then record the decision too.
   */
  readonly policy?: string;
}

/** The outside world every part of the vault is built on (one instance shared by all parts). */
export interface VaultContext {
  readonly store: Store;
  readonly keys: KeyStore;
  readonly log: TransparencyLog;
  readonly clock: Clock;
  readonly limits: VaultLimits;
  readonly guard: ProcessingGuard | undefined;
}

/** The optional fields of an audit entry a vault operation fills in (`time` defaults to now). */
export type AuditExtra = Pick<AuditEvent, 'subject' | 'contentHash' | 'details'> & { readonly time?: number };

/**
 * The audit entry of a successful vault operation: the actor, purpose and authorizing policy come
 * from `access`, the time from the injected clock.
 */
export function auditEntry(
  clock: Clock,
  access: Access,
  action: AuditAction,
  resource: string,
  extra?: AuditExtra,
): Uint8Array {
  return encodeSuccessEntry(access, { action, resource, time: clock.now(), ...extra });
}

/** Appends one audit entry on its own (no other change in the transaction); resolves to its index. */
export async function audit(
  ctx: VaultContext,
  access: Access,
  action: AuditAction,
  resource: string,
  extra?: AuditExtra,
): Promise<number> {
  const { result } = await ctx.log.submit((_tx, batch) =>
    batch.add(auditEntry(ctx.clock, access, action, resource, extra)),
  );
  return result;
}

/** `{ subject }` when the subject's pseudonym is known (its key not shredded), else nothing. */
export function subjectOf(k: { readonly pseudonym: string } | undefined): { subject?: string } {
  return k === undefined ? {} : { subject: k.pseudonym };
}

const ID_RE = /^rec_[A-Za-z0-9_-]{22}$/;

/** Checks a record id (attacker-controlled on every interface). */
export function checkId(id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `record id ${quote(id)} is not a Verity record id (rec_ followed by 22 base64url characters)`,
    );
  }
  return id;
}

/**
 * Checks a subject id: 1 to 256 characters of well-formed Unicode in NFC, without control,
 * zero-width or default-ignorable characters (see `checkIdentifier`), so that two ids that differ
 * never share a subject reference.
 */
export function checkSubject(subject: unknown): string {
  return checkIdentifier(subject, 'subject id');
}

/** Checks a purpose of processing. */
export function checkPurpose(purpose: unknown): string {
  return checkIdentifier(purpose, 'purpose', {
    maxLength: 64,
    pattern: PURPOSE_RE,
    hint: 'a short token of lowercase letters, digits and `._:-` (e.g. `service-provision`)',
  });
}

/** The error of a record id that names nothing. */
export function recordNotFound(id: string, suffix = ''): VaultError {
  return new VaultError('VERITY_E_RECORD_NOT_FOUND', `record ${quote(id)}${suffix} does not exist`);
}
