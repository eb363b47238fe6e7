import { parseJson, utf8 } from '../encoding/index.ts';
import { InputError, quote } from '../errors/index.ts';

/** What was done. Codes never change meaning once shipped. */
export const AUDIT_ACTIONS = [
  'log.init',
  'boot.measure',
  'record.create',
  'record.read',
  'record.update',
  'record.transition',
  'record.erase',
  'record.history',
  'subject.list',
  'subject.shred',
  'subject.guardianship',
  'key.create',
  'key.rotate',
  'key.rewrap',
  'key.migrate',
  'key.destroy',
  'schema.register',
  'policy.decision',
  'token.create',
  'token.revoke',
  'session.open',
  'session.revoke',
  'deid.pseudonymize',
  'deid.tokenize',
  'deid.fpe.encrypt',
  'deid.fpe.decrypt',
  'deid.pii',
  'deid.anonymize',
  'deid.domain',
  'dp.dataset',
  'dp.query',
  'passkey.register',
  'passkey.revoke',
  'passkey.stepup',
  'passkey.recovery',
  'passkey.counter',
  'passkey.failure',
  'oidc.issuer.add',
  'oidc.issuer.update',
  'oidc.issuer.remove',
  'oidc.jwks.fetch',
  'oidc.nonce',
  'oidc.signin',
  'did.create',
  'did.rotate',
  'credential.issue',
  'credential.revoke',
  'credential.suspend',
  'credential.reinstate',
  'issuer.trust',
  'issuer.distrust',
  'privacy.policy',
  'policy.install',
  'config.pin',
  'privacy.region',
  'consent.record',
  'report.access',
  'incident.open',
  'incident.assess',
  'incident.notify',
  'incident.close',
  'rights.request',
  'rights.extend',
  'rights.progress',
  'rights.complete',
  'rights.refuse',
  'rights.limit',
  'rights.lift',
  'rights.enforce',
  'rights.export',
  'rights.import',
  'processor.register',
  'processor.remove',
  'processor.notify',
  'processor.ack',
  'retention.run',
  'governance.feedback',
  'governance.propose',
  'governance.vote',
  'governance.tally',
  'governance.cancel',
  'governance.enact',
  'compliance.assess',
  'update.apply',
  'update.rollback',
  'mls.keypackage.publish',
  'mls.keys.register',
  'mls.keypackage.claim',
  'mls.room.create',
  'mls.commit',
  'mls.message',
  'mls.ack',
  'mls.proposal',
  'mls.report',
  'mls.moderate',
  'chain.index',
  'chain.rewind',
  'chain.anchor',
  'chain.bind',
  'chain.unbind',
  'chain.agreement',
  'chain.revoke',
  'chain.transfer',
  'chain.rent',
  'chain.mint',
  'chain.license',
  'wallet.create',
  'wallet.sign',
  'wallet.fund',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'denied' | 'error';

/**
 * One audit trail entry (FGMV-46 7.1.5). It never holds plaintext personal data: `subject` is a
 * keyed pseudonym derived from the subject's data key, so shredding that key unlinks the entry,
 * and `contentHash` is a salted commitment that only a reader of the sealed payload can check.
 */
export interface AuditEvent {
  /** The principal that acted, e.g. `operator:cli` or `service:world-1`. */
  readonly actor: string;
  readonly action: AuditAction;
  /** What was acted on, e.g. `record:rec_...@3`, `kek:2`, `schema:avatar.profile`. */
  readonly resource: string;
  /** The declared purpose of processing (purpose limitation). */
  readonly purpose: string;
  readonly outcome: AuditOutcome;
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** Keyed pseudonym of the data subject, when there is one. */
  readonly subject?: string;
  /** `sha256:` + base64url of a salted commitment to the content, when there is content. */
  readonly contentHash?: string;
  /** Small non-personal details (counts, versions, states). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /**
   * `sha256:` hash of the policy set whose decision allowed this operation, when an authorization
   * decision allowed it: the entry then records that decision as well as the operation.
   */
  readonly policy?: string;
}

/** A decoded entry with its format version. */
export interface AuditEntry extends AuditEvent {
  readonly v: 1;
}

const ACTOR_RE = /^[A-Za-z0-9][A-Za-z0-9._:@/_-]{0,127}$/;
const RESOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9._:@/=+-]{0,255}$/;
/** What a purpose looks like: a short machine token such as `service-provision`. */
export const PURPOSE_RE = /^[a-z][a-z0-9._:-]{0,63}$/;
const PSEUDONYM_RE = /^sp_[A-Za-z0-9_-]{22}$/;
const HASH_RE = /^sha256:[A-Za-z0-9_-]{43}$/;
const DETAIL_KEY_RE = /^[a-zA-Z][a-zA-Z0-9_]{0,31}$/;
const MAX_DETAILS = 16;

/** Checks a purpose string; purposes are short machine tokens such as `service-provision`. */
export function isPurpose(value: unknown): value is string {
  return typeof value === 'string' && PURPOSE_RE.test(value);
}

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new InputError('VERITY_E_INPUT_INVALID', `audit ${what} ${quote(value)} is not allowed`);
}

/** Validates an event; every field is checked so that nothing free-form reaches the log. */
export function validateAuditEvent(e: AuditEvent): void {
  check(typeof e.actor === 'string' && ACTOR_RE.test(e.actor), 'actor', e.actor);
  check((AUDIT_ACTIONS as readonly string[]).includes(e.action), 'action', e.action);
  check(typeof e.resource === 'string' && RESOURCE_RE.test(e.resource), 'resource', e.resource);
  check(isPurpose(e.purpose), 'purpose', e.purpose);
  check(e.outcome === 'success' || e.outcome === 'denied' || e.outcome === 'error', 'outcome', e.outcome);
  check(Number.isSafeInteger(e.time) && e.time >= 0, 'time', e.time);
  if (e.subject !== undefined)
    check(typeof e.subject === 'string' && PSEUDONYM_RE.test(e.subject), 'subject', e.subject);
  if (e.contentHash !== undefined)
    check(typeof e.contentHash === 'string' && HASH_RE.test(e.contentHash), 'content hash', e.contentHash);
  if (e.policy !== undefined) check(typeof e.policy === 'string' && HASH_RE.test(e.policy), 'policy', e.policy);
  if (e.details !== undefined) {
    const keys = Object.keys(e.details);
    check(keys.length <= MAX_DETAILS, 'details count', keys.length);
    for (const k of keys) {
      const v = e.details[k];
      check(DETAIL_KEY_RE.test(k), 'detail key', k);
      check(
        typeof v === 'boolean' ||
          (typeof v === 'number' && Number.isFinite(v)) ||
          (typeof v === 'string' && v.length <= 128),
        'detail value',
        v,
      );
    }
  }
}

/** Who did an operation and why: the actor, the purpose, and the policy set whose decision allowed it, if one did. */
export interface AuditAccess {
  readonly actor: string;
  readonly purpose: string;
  readonly policy?: string | undefined;
}

/**
 * Encodes the entry of a successful operation done by `access`: its actor and purpose, and its
 * policy when a decision allowed it (an entry without one says no decision was made).
 */
export function encodeSuccessEntry(
  access: AuditAccess,
  e: Omit<AuditEvent, 'actor' | 'purpose' | 'policy' | 'outcome'>,
): Uint8Array {
  return encodeAuditEntry({
    actor: access.actor,
    purpose: access.purpose,
    ...(access.policy === undefined ? {} : { policy: access.policy }),
    outcome: 'success',
    ...e,
  });
}

/**
 * Encodes an event as the log entry bytes: RFC 8785 canonical JSON with `v: 1`.
 *
 * Written out by hand because it runs for every logged action: the keys below are already in
 * RFC 8785 order (UTF-16 code units), and JSON.stringify of a string or a finite number is exactly
 * the RFC 8785 serialization. A property test checks the result against the general canonicalizer.
 */
export function encodeAuditEntry(e: AuditEvent): Uint8Array {
  validateAuditEvent(e);
  const s = JSON.stringify;
  let out = `{"action":${s(e.action)},"actor":${s(e.actor)}`;
  if (e.contentHash !== undefined) out += `,"contentHash":${s(e.contentHash)}`;
  if (e.details !== undefined) {
    const d = e.details;
    out += `,"details":{${Object.keys(d)
      .sort()
      .map((k) => `${s(k)}:${s(d[k])}`)
      .join(',')}}`;
  }
  out += `,"outcome":${s(e.outcome)}`;
  if (e.policy !== undefined) out += `,"policy":${s(e.policy)}`;
  out += `,"purpose":${s(e.purpose)},"resource":${s(e.resource)}`;
  if (e.subject !== undefined) out += `,"subject":${s(e.subject)}`;
  out += `,"time":${s(e.time)},"v":1}`;
  return utf8(out);
}

/** Decodes and validates a log entry written by `encodeAuditEntry` (attacker-controlled bytes). */
export function decodeAuditEntry(bytes: Uint8Array): AuditEntry {
  // The bytes go in as they are: parseJson decodes them once (a string would be re-encoded to be measured).
  const v = parseJson(bytes, { maxBytes: 0xffff, maxDepth: 4 }, 'audit entry');
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v['v'] !== 1) {
    throw new InputError('VERITY_E_INPUT_MALFORMED', 'the log entry is not a version 1 audit entry');
  }
  const e = v as unknown as AuditEntry;
  validateAuditEvent(e);
  return e;
}
