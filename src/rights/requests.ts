// The register of data-subject requests: each a `rights.request` object in the authenticated
// state, every change written with its audit entry in one transaction.
import { type AuditAction, encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { InputError, quote, RightsError } from '../errors/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import { newObject, type Store, type StoreWriter } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';
import { deadlineOf, extendedDeadline, type RegimePolicy, type RegimeRules } from './deadlines.ts';
import {
  checkReason,
  checkRequestId,
  checkRightType,
  type IdentityCheck,
  iso,
  newRequestId,
  REQUEST_KIND,
  type RequestStatus,
  type RightsRequest,
  type RightType,
  requestNotFound,
  requestOf,
  textHash,
} from './model.ts';

/** The purpose every entry about a request is logged under. */
export const RIGHTS_PURPOSE = 'data-subject-rights';
/** Most requests one listing returns. */
const MAX_LIST = 1000;
/** Most requests an overdue scan reads. */
const MAX_SCAN = 100_000;
const EVIDENCE_KINDS = ['account-login', 'document-check', 'knowledge-check', 'in-person', 'authorized-agent'];
const REF_RE = /^[A-Za-z0-9_-]{43}$/;

/** What a request is filed with. */
export interface FileInput {
  readonly type: RightType;
  readonly subjectRef: string;
  /** The regime; by default the policy's regime of the subject. */
  readonly regime?: string;
  /** How the requester was authenticated (the evidence reference is hashed, never kept). */
  readonly identity:
    | { readonly method: 'session' }
    | { readonly method: 'operator'; readonly evidenceKind: string; readonly evidenceRef?: string };
  readonly scope?: RightsRequest['scope'];
  /** Who files it (the session's actor, or the operator's). */
  readonly actor: string;
  /** The service that opened the filing session, when it vouched for the player (D426). */
  readonly vouchedBy?: string;
}

/** What the parts of the rights module share. */
export interface RightsContext {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly vault: Vault;
  readonly clock: Clock;
  readonly regimes: RegimePolicy;
}

/** Appends a rights audit entry to `batch`. */
export function rightsEntry(
  ctx: RightsContext,
  batch: LogBatch,
  action: AuditAction,
  resource: string,
  actor: string,
  pseudonym: string | undefined,
  details: Record<string, string | number | boolean>,
  outcome: 'success' | 'denied' = 'success',
): number {
  return batch.add(
    encodeAuditEntry({
      actor,
      action,
      resource,
      purpose: RIGHTS_PURPOSE,
      outcome,
      time: ctx.clock.now(),
      ...(pseudonym === undefined ? {} : { subject: pseudonym }),
      details,
    }),
  );
}

/** Files, reads, lists, extends and closes data-subject requests. */
export class RequestBook {
  readonly #ctx: RightsContext;

  constructor(ctx: RightsContext) {
    this.#ctx = ctx;
  }

  #rules(regime: string): RegimeRules {
    const r = this.#ctx.regimes.rules(regime);
    if (r === undefined)
      throw new RightsError('VERITY_E_RIGHTS_REGIME_UNKNOWN', `regime ${quote(regime)} is not one Verity knows`);
    return r;
  }

  /** Files a request: its deadline computed from the regime, its receipt logged. */
  async file(input: FileInput): Promise<RightsRequest> {
    const type = checkRightType(input.type);
    if (typeof input.subjectRef !== 'string' || !REF_RE.test(input.subjectRef))
      throw new InputError('VERITY_E_INPUT_INVALID', 'a request names its subject by subject reference');
    const ctx = this.#ctx;
    const regime = input.regime ?? (await ctx.regimes.regimeOf(input.subjectRef));
    const rules = this.#rules(regime);
    const now = ctx.clock.now();
    let identity: IdentityCheck;
    if (input.identity.method === 'session') identity = { method: 'session', checkedBy: input.actor, at: iso(now) };
    else {
      const { evidenceKind, evidenceRef } = input.identity;
      if (!EVIDENCE_KINDS.includes(evidenceKind))
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `identity evidence ${quote(evidenceKind)} must be one of ${EVIDENCE_KINDS.join(', ')}`,
        );
      if (evidenceRef !== undefined && (evidenceRef.length === 0 || evidenceRef.length > 256))
        throw new InputError('VERITY_E_INPUT_INVALID', 'an evidence reference is 1 to 256 characters');
      identity = {
        method: 'operator',
        checkedBy: input.actor,
        evidenceKind,
        ...(evidenceRef === undefined ? {} : { evidenceHash: textHash(evidenceRef) }),
        at: iso(now),
      };
    }
    const deadline = iso(deadlineOf(rules, now));
    const id = newRequestId();
    const pseudonym = await ctx.vault.pseudonymOf(input.subjectRef);
    const { result } = await ctx.log.submit(async (tx, batch) => {
      const logIndex = rightsEntry(ctx, batch, 'rights.request', `rights:${id}`, input.actor, pseudonym, {
        type,
        regime: rules.id,
        deadline,
        identity: identity.method,
      });
      const r: RightsRequest = {
        id,
        type,
        subjectRef: input.subjectRef,
        regime: rules.id,
        regimeName: rules.name,
        deadlineBasis: `${rules.citation}; ${rules.counting}`,
        receivedAt: iso(now),
        deadline,
        initialDeadline: deadline,
        extensions: [],
        identity,
        status: 'received',
        evidence: [],
        ...(input.scope === undefined ? {} : { scope: input.scope }),
        filedBy: input.actor,
        ...(input.vouchedBy === undefined ? {} : { vouchedBy: input.vouchedBy }),
        logIndex,
      };
      await tx.putObject(newObject({ kind: REQUEST_KIND, id, owner: input.subjectRef, doc: r, updatedAt: now }));
      return r;
    });
    return result;
  }

  /** A request; VERITY_E_RIGHTS_REQUEST_NOT_FOUND when there is none. */
  async get(id: string): Promise<RightsRequest> {
    const row = await this.#ctx.store.reader.getObject(REQUEST_KIND, checkRequestId(id));
    if (row === undefined) throw requestNotFound(id);
    return requestOf(row);
  }

  /** Requests (of one subject, when given), by id, at most `limit` after `after`. */
  async list(o: { subjectRef?: string; limit?: number; after?: string } = {}): Promise<RightsRequest[]> {
    const limit = o.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST)
      throw new InputError('VERITY_E_INPUT_INVALID', `limit must be 1 to ${MAX_LIST}`);
    if (o.after !== undefined) checkRequestId(o.after);
    const rows = await this.#ctx.store.reader.listObjects(REQUEST_KIND, o.subjectRef, {
      limit,
      ...(o.after === undefined ? {} : { after: o.after }),
    });
    return rows.map(requestOf);
  }

  /** Open requests (received or in progress) whose deadline is before `now`. */
  async overdue(now = this.#ctx.clock.now()): Promise<RightsRequest[]> {
    const out: RightsRequest[] = [];
    let after: string | undefined;
    for (let scanned = 0; scanned < MAX_SCAN; ) {
      const page = await this.list({ limit: MAX_LIST, ...(after === undefined ? {} : { after }) });
      for (const r of page)
        if ((r.status === 'received' || r.status === 'in-progress') && Date.parse(r.deadline) < now) out.push(r);
      scanned += page.length;
      if (page.length < MAX_LIST) break;
      after = page[page.length - 1]?.id;
    }
    return out;
  }

  /**
   * Changes a request in one transaction with its audit entry: `change` gets the current request
   * (read inside the transaction) and returns the new one, after `write` (other state changes of
   * the same transaction) ran. Refused unless the request's status is one of `from`.
   */
  async update(
    id: string,
    from: readonly RequestStatus[],
    action: AuditAction,
    actor: string,
    change: (r: RightsRequest, logIndex: number) => RightsRequest,
    details: (r: RightsRequest) => Record<string, string | number | boolean>,
    write?: (tx: StoreWriter, batch: LogBatch, r: RightsRequest) => Promise<void>,
  ): Promise<RightsRequest> {
    checkRequestId(id);
    const ctx = this.#ctx;
    const current = await this.get(id);
    const pseudonym = await ctx.vault.pseudonymOf(current.subjectRef);
    const { result } = await ctx.log.submit(async (tx, batch) => {
      const row = await tx.getObject(REQUEST_KIND, id);
      if (row === undefined) throw requestNotFound(id);
      const r = requestOf(row);
      if (!from.includes(r.status))
        throw new RightsError(
          'VERITY_E_RIGHTS_REQUEST_STATE',
          `request ${quote(id)} is ${r.status}; this needs it ${from.join(' or ')}`,
        );
      await write?.(tx, batch, r);
      const logIndex = rightsEntry(ctx, batch, action, `rights:${id}`, actor, pseudonym, details(r));
      const next = change(r, logIndex);
      await tx.putObject({
        kind: REQUEST_KIND,
        id,
        owner: row.owner,
        body: JSON.stringify(next),
        version: row.version + 1,
        updatedAt: ctx.clock.now(),
      });
      return next;
    });
    return result;
  }

  /** Extends the deadline as the regime allows, for a logged reason (its note hashed in the log). */
  async extend(id: string, why: { reason: unknown; note?: unknown }, actor: string): Promise<RightsRequest> {
    const { reason, note } = checkReason(why.reason, why.note);
    const now = this.#ctx.clock.now();
    let until = '';
    return this.update(
      id,
      ['received', 'in-progress'],
      'rights.extend',
      actor,
      (r, logIndex) => ({
        ...r,
        deadline: until,
        extensions: [
          ...r.extensions,
          { at: iso(now), until, reason, ...(note === undefined ? {} : { note }), logIndex },
        ],
      }),
      (r) => {
        const rules = this.#rules(r.regime);
        until = iso(
          extendedDeadline(rules, Date.parse(r.receivedAt), Date.parse(r.deadline), r.extensions.length, now),
        );
        return { until, reason, ...(note === undefined ? {} : { note: textHash(note) }) };
      },
    );
  }

  /** Refuses a request (received or in progress) for a logged reason. */
  async refuse(id: string, why: { reason: unknown; note?: unknown }, actor: string): Promise<RightsRequest> {
    const { reason, note } = checkReason(why.reason, why.note);
    const now = this.#ctx.clock.now();
    return this.update(
      id,
      ['received', 'in-progress'],
      'rights.refuse',
      actor,
      (r, logIndex) => ({
        ...r,
        status: 'refused',
        refusal: { reason, ...(note === undefined ? {} : { note }) },
        completedAt: iso(now),
        evidence: [...r.evidence, logIndex],
      }),
      () => ({ reason, ...(note === undefined ? {} : { note: textHash(note) }) }),
    );
  }
}
