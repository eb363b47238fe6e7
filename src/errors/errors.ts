import type { ErrorCode } from '../codes/index.ts';

const MAX_QUOTE = 64;

/**
 * Quotes attacker- or user-supplied text for an error message: backticks, one line, truncated.
 * Never pass secrets, keys or whole tokens here.
 */
export function quote(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  s = s.replace(/[\u0000-\u001f\u007f`]/g, '?');
  if (s.length > MAX_QUOTE) s = `${s.slice(0, MAX_QUOTE)}…`;
  return `\`${s}\``;
}

/**
 * The base class of every error Verity throws on purpose. `code` is stable; `message` is one
 * lowercase line that says what went wrong and, where possible, what to do next.
 */
export class VerityError extends Error {
  readonly code: ErrorCode;
  /** Optional machine-readable details (never secrets). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }

  /** A JSON body for interfaces: `{ error: { code, message, details? } }`. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: { ...this.details } }),
      },
    };
  }
}

/** Bad input at a boundary: wrong shape, too large, malformed. */
export class InputError extends VerityError {}
/** Configuration, data directory or environment problems. */
export class ConfigError extends VerityError {}
/** Key store, key lifecycle and envelope failures. */
export class KeyError extends VerityError {}
/** Storage backend failures and detected corruption. */
export class StoreError extends VerityError {}
/** Transparency log: proofs, notes, checkpoints, tampering, rollback. */
export class LogError extends VerityError {}
/** Sealed records: not found, erased, schema, lifecycle. */
export class VaultError extends VerityError {}
/** Privacy policy documents, purposes and categories, and consent. */
export class PrivacyError extends VerityError {}
/** Data-subject rights: requests, their deadlines, restriction and objection, bundles, processors. */
export class RightsError extends VerityError {}
/** Retention rules and runs. */
export class RetentionError extends VerityError {}
/** Witnesses and cosignatures: refused checkpoints, unreachable witnesses, a missing quorum. */
export class WitnessError extends VerityError {}
/** Remote attestation: evidence that is malformed, stale, unknown or signed by the wrong key. */
export class AttestationError extends VerityError {}

/** Access reports and privacy labels: malformed or unverifiable reports, an incomplete index. */
export class ReportError extends VerityError {}
/** The incident register: unknown incidents, changes its status does not allow, scans too large. */
export class IncidentError extends VerityError {}
/** Community governance: proposals, votes, tallies and their enactment. */
export class GovernanceError extends VerityError {}

/** True when `e` is a VerityError, optionally with the given code. */
export function isVerityError(e: unknown, code?: ErrorCode): e is VerityError {
  return e instanceof VerityError && (code === undefined || e.code === code);
}
/** Decentralized identifiers: malformed DIDs, unsupported methods, failed resolution. */
export class DidError extends VerityError {}
/** Verifiable credentials: invalid SD-JWTs and key binding, refused issuers, revoked credentials. */
export class CredentialError extends VerityError {}
/** Updates and patches: TUF repositories, refused or unreachable updates, their content, advisories. */
export class UpdateError extends VerityError {}
/** End-to-end encrypted rooms (MLS): refused KeyPackages and credentials, stale epochs, non-members. */
export class MlsError extends VerityError {}
/** Smart contracts on an EVM chain: an unreachable node, refused or reverted transactions, anchors that do not match. */
export class ChainError extends VerityError {}
/** Provenance of creations: manifests that do not verify, content that does not match, forged creators. */
export class ProvenanceError extends VerityError {}
