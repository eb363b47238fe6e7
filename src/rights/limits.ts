// Limits a subject set on processing: restriction (GDPR Art. 18) of their records, objection
// (Art. 21) to purposes. Kept per subject in a `rights.limits` object of the authenticated state,
// and enforced by the vault on every read and write of the subject's records, whoever asks.
import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { parseJson } from '../encoding/index.ts';
import { RightsError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { nextObject, type Store, type StoreWriter } from '../store/index.ts';
import type { ProcessingGuard, ProcessingUse } from '../vault/index.ts';

export const LIMITS_KIND = 'rights.limits';

/** Purposes a restricted record may still be processed for (besides storage, which is no read). */
export const RESTRICTION_EXEMPT: readonly string[] = ['legal-claims', 'data-subject-rights'];
/**
 * Purposes no objection stops: the subject's own requests, legal claims, legal obligations and
 * retention (which erases or anonymizes).
 */
export const OBJECTION_EXEMPT: readonly string[] = [
  'legal-claims',
  'data-subject-rights',
  'legal-obligation',
  'retention',
];
/** Most records one subject's restriction lists. */
export const MAX_RESTRICTED = 10_000;
const MAX_OBJECTIONS = 64;

/** A subject's limits. */
export interface ProcessingLimits {
  /** Records restricted (ids); new records are not. */
  readonly restricted: readonly string[];
  /** Purposes objected to: no read or write of the subject's records for them. */
  readonly objections: readonly string[];
  /** The requests that set them. */
  readonly requests: readonly string[];
}

const NONE: ProcessingLimits = Object.freeze({ restricted: [], objections: [], requests: [] });

/** A stored `rights.limits` body, read back. */
export function limitsOf(body: string): ProcessingLimits {
  const v = parseJson(body, { maxBytes: 1024 * 1024, maxDepth: 4 }, 'processing limits') as Partial<ProcessingLimits>;
  return {
    restricted: Array.isArray(v.restricted) ? v.restricted : [],
    objections: Array.isArray(v.objections) ? v.objections : [],
    requests: Array.isArray(v.requests) ? v.requests : [],
  };
}

/** The limits of a subject (none when nothing was set). */
export async function readLimits(store: Store, subjectRef: string): Promise<ProcessingLimits> {
  const row = await store.reader.getObject(LIMITS_KIND, subjectRef);
  return row === undefined ? NONE : limitsOf(row.body);
}

/** Changes a subject's limits inside a write transaction. */
export async function writeLimits(
  tx: StoreWriter,
  subjectRef: string,
  now: number,
  change: (l: ProcessingLimits) => ProcessingLimits,
): Promise<ProcessingLimits> {
  const row = await tx.getObject(LIMITS_KIND, subjectRef);
  const next = change(row === undefined ? NONE : limitsOf(row.body));
  if (next.restricted.length > MAX_RESTRICTED || next.objections.length > MAX_OBJECTIONS)
    throw new RangeError('too many restricted records or objections for one subject');
  await tx.putObject(
    nextObject(row, { kind: LIMITS_KIND, id: subjectRef, owner: subjectRef, doc: next, updatedAt: now }),
  );
  return next;
}

/** Which limit, if any, refuses `use`. */
export function limitOn(l: ProcessingLimits, use: Pick<ProcessingUse, 'recordId' | 'purpose'>) {
  if (use.recordId !== undefined && l.restricted.includes(use.recordId) && !RESTRICTION_EXEMPT.includes(use.purpose))
    return 'restriction' as const;
  if (l.objections.includes(use.purpose)) return 'objection' as const;
  return undefined;
}

/**
 * The vault's guard: reads the subject's limits (state-checked, every time: a restriction takes
 * effect at once on every node) and refuses a use they forbid, logging the refusal.
 */
export function limitsGuard(store: Store, log: TransparencyLog, clock: Clock): ProcessingGuard {
  return {
    async check(use) {
      const row = await store.reader.getObject(LIMITS_KIND, use.subjectRef);
      if (row === undefined) return;
      const limit = limitOn(limitsOf(row.body), use);
      if (limit === undefined) return;
      await log.submit((_tx, batch) =>
        batch.add(
          encodeAuditEntry({
            actor: use.actor,
            action: 'rights.enforce',
            resource: use.recordId === undefined ? 'record:new' : `record:${use.recordId}`,
            purpose: use.purpose,
            outcome: 'denied',
            time: clock.now(),
            ...(use.pseudonym === undefined ? {} : { subject: use.pseudonym }),
            details: { op: use.op, limit },
          }),
        ),
      );
      throw limit === 'restriction'
        ? new RightsError(
            'VERITY_E_RIGHTS_RESTRICTED',
            `the subject restricted the processing of this record; only ${RESTRICTION_EXEMPT.join(' or ')} may use it until the restriction is lifted`,
          )
        : new RightsError(
            'VERITY_E_RIGHTS_OBJECTED',
            `the subject objected to processing for purpose \`${use.purpose}\`; it is refused for their records`,
          );
    },
  };
}
