// Lifting a restriction (GDPR Art. 18(3)) and withdrawing an objection (Art. 21): the subject's
// `rights.limits` object changed, a `rights.lift` notice object the subject can read, the requests
// it ends marked, the processors' notifications and a `rights.lift` audit entry, in one transaction.
import { createHash } from 'node:crypto';
import { parseJson, randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError, quote, RightsError } from '../errors/index.ts';
import { LIMITS_KIND, limitsOf, type ProcessingLimits, readLimits, writeLimits } from './limits.ts';
import { iso, REQUEST_KIND, type RightsRequest, requestOf } from './model.ts';
import type { Processors } from './processors.ts';
import { type RightsContext, rightsEntry } from './requests.ts';

export const LIFT_KIND = 'rights.lift';
/** Most records one lift names. */
export const MAX_LIFT_RECORDS = 1000;
/** Most lifts `liftsOf` returns. */
const MAX_LIFTS = 1000;
const RECORD_RE = /^rec_[A-Za-z0-9_-]{22}$/;
const PURPOSE_RE = /^[a-z][a-z0-9._:-]{0,63}$/;

/** What a lift is asked with. */
export interface LiftInput {
  /** The subject, by reference. */
  readonly subjectRef: string;
  /** Records whose restriction ends. */
  readonly records?: readonly string[];
  /** Purposes whose objection is withdrawn. */
  readonly purposes?: readonly string[];
  /** Why (1 to 500 characters, one line): kept in the state; the log keeps a salted commitment and its length. */
  readonly reason: string;
  /** `subject`: the subject themself (their session); `controller`: a principal granted `rights.manage`. */
  readonly by: 'subject' | 'controller';
  /**
   * When the controller informed the subject that the restriction would be lifted (ISO 8601, not
   * after now): Art. 18(3) asks it before a controller lifts a restriction, so it is required then.
   */
  readonly informedAt?: string;
}

/** A lift, as kept (a `rights.lift` object owned by the subject) and as answered. */
export interface Lift {
  /** `lf_` and 128 random bits. */
  readonly id: string;
  readonly subjectRef: string;
  readonly at: string;
  readonly actor: string;
  readonly by: 'subject' | 'controller';
  readonly records: readonly string[];
  readonly purposes: readonly string[];
  readonly reason: string;
  /** Salt of the commitment logged for the reason (`reasonCommitment`). */
  readonly reasonSalt: string;
  /** `sha256:` + base64url of SHA-256(salt || UTF-8 reason): what the log holds of the reason. */
  readonly reasonCommitment: string;
  readonly informedAt?: string;
  /** The restriction and objection requests this lift ends (each names it in its `lifts`). */
  readonly ends: readonly string[];
  readonly logIndex: number;
}

/** What a lift answers. */
export interface LiftResult {
  readonly lift: Lift;
  /** The limits now in force. */
  readonly limits: { readonly restricted: number; readonly objections: readonly string[] };
  /** The processors notified (notification ids). */
  readonly notifications?: readonly string[];
}

/**
 * The commitment the log keeps of a free-text reason: salted, because a short reason hashed bare
 * could be found again by trying the likely ones.
 */
export function reasonCommitment(salt: Uint8Array, reason: string): string {
  return `sha256:${toBase64Url(createHash('sha256').update(salt).update(utf8(reason)).digest())}`;
}

function checkList(v: unknown, max: number, re: RegExp, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > max)
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} is a list of at most ${max}`);
  for (const x of v)
    if (typeof x !== 'string' || !re.test(x))
      throw new InputError('VERITY_E_INPUT_INVALID', `${quote(x)} is not a valid ${what.replace(/s$/, '')}`);
  return [...new Set(v as string[])];
}

/** Checks a lift's input (attacker-controlled); answers the records, purposes and informedAt. */
function checkLift(input: LiftInput, now: number) {
  const records = checkList(input.records, MAX_LIFT_RECORDS, RECORD_RE, 'records');
  const purposes = checkList(input.purposes, 16, PURPOSE_RE, 'purposes');
  if (records.length === 0 && purposes.length === 0)
    throw new InputError('VERITY_E_INPUT_INVALID', 'a lift names `records` restricted or `purposes` objected to');
  const r = input.reason;
  if (typeof r !== 'string' || r.length === 0 || r.length > 500 || /[\u0000-\u001f\u007f]/.test(r))
    throw new InputError('VERITY_E_INPUT_INVALID', 'a lift gives a `reason` of 1 to 500 characters on one line');
  if (input.by !== 'subject' && input.by !== 'controller')
    throw new InputError('VERITY_E_INPUT_INVALID', 'a lift is asked by the subject or the controller');
  let informedAt: string | undefined;
  if (input.informedAt !== undefined) {
    const t = typeof input.informedAt === 'string' ? Date.parse(input.informedAt) : Number.NaN;
    if (!Number.isFinite(t) || t > now)
      throw new InputError('VERITY_E_INPUT_INVALID', '`informedAt` is an ISO 8601 time not after now');
    informedAt = iso(t);
  }
  if (input.by === 'controller' && records.length > 0 && informedAt === undefined)
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      'GDPR Art. 18(3): inform the subject before lifting their restriction, and give `informedAt` (when they were told; `--informed-at TIME` on the command line)',
    );
  return { records, purposes, reason: r, informedAt };
}

function notInForce(l: ProcessingLimits, records: string[], purposes: string[]): RightsError | undefined {
  const r = records.find((id) => !l.restricted.includes(id));
  const p = purposes.find((x) => !l.objections.includes(x));
  if (r === undefined && p === undefined) return undefined;
  const what = r !== undefined ? `record ${quote(r)} is not restricted` : `purpose ${quote(p)} is not objected to`;
  return new RightsError(
    'VERITY_E_RIGHTS_NOT_IN_FORCE',
    `${what}; in force: ${l.restricted.length} restricted record(s), objections to ${l.objections.join(', ') || 'no purpose'} (GET /v1/rights/limits shows them)`,
  );
}

/**
 * Lifts limits of one subject. Checked against the limits read inside the transaction, so a lift
 * of something not (or no longer) in force is refused with VERITY_E_RIGHTS_NOT_IN_FORCE.
 */
export async function liftLimits(
  ctx: RightsContext,
  processors: Processors,
  input: LiftInput,
  actor: string,
): Promise<LiftResult> {
  const now = ctx.clock.now();
  const { records, purposes, reason, informedAt } = checkLift(input, now);
  const ref = input.subjectRef;
  // Refused before anything is written, with what is in force; checked again inside the transaction.
  const err = notInForce(await readLimits(ctx.store, ref), records, purposes);
  if (err !== undefined) throw err;
  const pseudonym = await ctx.vault.pseudonymOf(ref);
  const id = `lf_${toBase64Url(randomBytesSecure(16))}`;
  const salt = randomBytesSecure(16);
  const commitment = reasonCommitment(salt, reason);
  const { result } = await ctx.log.submit(async (tx, batch) => {
    const row = await tx.getObject(LIMITS_KIND, ref);
    const types = new Map<string, RightsRequest>();
    for (const rid of row === undefined ? [] : limitsOf(row.body).requests) {
      const r = await tx.getObject(REQUEST_KIND, rid);
      if (r !== undefined) types.set(rid, requestOf(r));
    }
    const ends = [...types.values()]
      .filter(
        (r) => (r.type === 'restriction' && records.length > 0) || (r.type === 'objection' && purposes.length > 0),
      )
      .map((r) => r.id);
    const l = await writeLimits(tx, ref, now, (cur) => {
      const e = notInForce(cur, records, purposes);
      if (e !== undefined) throw e;
      const restricted = cur.restricted.filter((x) => !records.includes(x));
      const objections = cur.objections.filter((x) => !purposes.includes(x));
      // A request stays listed while something of its kind is still in force.
      const keep = (rid: string) => {
        const t = types.get(rid)?.type;
        return !((t === 'restriction' && restricted.length === 0) || (t === 'objection' && objections.length === 0));
      };
      return { restricted, objections, requests: cur.requests.filter(keep) };
    });
    const logIndex = rightsEntry(ctx, batch, 'rights.lift', `rights:${id}`, actor, pseudonym, {
      by: input.by,
      records: records.length,
      purposes: purposes.join(',').slice(0, 128),
      reason: commitment,
      reasonLength: reason.length,
      ends: ends.length,
      ...(informedAt === undefined ? {} : { informedAt }),
    });
    const lift: Lift = {
      id,
      subjectRef: ref,
      at: iso(now),
      actor,
      by: input.by,
      records,
      purposes,
      reason,
      reasonSalt: toBase64Url(salt),
      reasonCommitment: commitment,
      ...(informedAt === undefined ? {} : { informedAt }),
      ends,
      logIndex,
    };
    await tx.putObject({ kind: LIFT_KIND, id, owner: ref, body: JSON.stringify(lift), version: 1, updatedAt: now });
    // The requests it ends name it, so the subject's own request list shows what ended them.
    for (const rid of ends) {
      const r = await tx.getObject(REQUEST_KIND, rid);
      if (r === undefined) continue;
      const req = requestOf(r);
      await tx.putObject({
        ...r,
        body: JSON.stringify({ ...req, lifts: [...(req.lifts ?? []), id].slice(-100) }),
        version: r.version + 1,
        updatedAt: now,
      });
    }
    const notifications = await processors.enqueue(tx, id, 'rights.lift', {
      subject: ref,
      records,
      purposes,
      ends,
    });
    return {
      lift,
      limits: { restricted: l.restricted.length, objections: l.objections },
      ...(notifications.length > 0 ? { notifications } : {}),
    };
  });
  return result;
}

/** The lifts of a subject, oldest first (at most 1000). */
export async function liftsOf(ctx: RightsContext, subjectRef: string): Promise<Lift[]> {
  const rows = await ctx.store.reader.listObjects(LIFT_KIND, subjectRef, { limit: MAX_LIFTS });
  return rows
    .map((r) => parseJson(r.body, { maxBytes: 1024 * 1024, maxDepth: 4 }, 'lift') as unknown as Lift)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.logIndex - b.logIndex));
}
