// Data-subject rights (FGMV-46 7.4.1): requests tracked with their legal deadlines, and each
// right carried out through the vault, its evidence (log indices) kept on the request.
import type { Clock } from '../clock/index.ts';
import { type JsonValue, parseJson } from '../encoding/index.ts';
import { InputError, isVerityError, quote, RightsError, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { RecordStateProof } from '../smt/index.ts';
import type { Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';
import {
  BUNDLE_FORMAT,
  type BundlePayload,
  type ExportedRecord,
  exportKeyJwk,
  signBundle,
  verifyBundle,
} from './bundle.ts';
import { defaultRegimePolicy, type RegimePolicy } from './deadlines.ts';
import { type Lift, type LiftInput, type LiftResult, liftLimits, liftsOf } from './lift.ts';
import {
  MAX_RESTRICTED,
  OBJECTION_EXEMPT,
  type ProcessingLimits,
  RESTRICTION_EXEMPT,
  readLimits,
  writeLimits,
} from './limits.ts';
import { checkRequestId, type RightsRequest } from './model.ts';
import { Processors } from './processors.ts';
import { type FileInput, RequestBook, RIGHTS_PURPOSE, type RightsContext, rightsEntry } from './requests.ts';

/** Where the detailed report of who accessed a subject's data comes from (the access report). */
export interface AccessReportLink {
  reportFor(subjectRef: string): Promise<{ readonly title: string; readonly href?: string } | undefined>;
}

export interface RightsOptions {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly keys: KeyStore;
  readonly vault: Vault;
  readonly clock: Clock;
  readonly regimes?: RegimePolicy;
  readonly accessReports?: AccessReportLink;
}

/** What carrying a request out takes, by type. */
export interface ExecuteInput {
  /** rectification: the corrected data of each record (1 to 100). */
  readonly corrections?: readonly { readonly id: string; readonly data: JsonValue }[];
  /** erasure: `shred` (default) destroys the subject's key after erasing each record; `records` erases the records only. */
  readonly mode?: 'shred' | 'records';
  /** objection: the purposes objected to (default: the request's scope). */
  readonly purposes?: readonly string[];
  /**
   * restriction: the records restricted; erasure: the records erased, and no key shredded (default:
   * the request's scope, else all the subject's).
   */
  readonly records?: readonly string[];
}

/** Who carries a request out, and so which of the subject's records it may reveal or change. */
export interface ExecuteCaller {
  /** How the caller appears in the audit trail. */
  readonly actor: string;
  /**
   * The record types the caller reaches: a player's session reaches its opener's (never Verity's own
   * records). An access or portability export gives only records of these types, and a rectification
   * changes only them. Absent: every type (a token granted `rights.manage`). Erasure, restriction and
   * objection reveal nothing and cover every record of the subject, unless `vouched`.
   */
  readonly recordTypes?: readonly string[];
  /**
   * A session a service opened for the player (it vouched; the player proved nothing to Verity):
   * erasure and restriction reach only `recordTypes`, no shred of the player's key (every service's
   * records), and no objection (it stops every service's processing for a purpose), D417. The
   * player signed in themselves (passkey, OpenID Connect), or a token granted `rights.manage`,
   * carries those out.
   */
  readonly vouched?: boolean;
}

/** What a vouched session is told it cannot do, and who can. */
const SIGN_IN_YOURSELF =
  "the player signs in themselves (passkey or their platform's OpenID Connect sign-in), or a token granted `rights.manage` carries it out";

/**
 * Verity's own records (vault tokens, differential-privacy datasets, anonymized releases): only their
 * own capability writes them, so no rectification changes them, and a session's export leaves them out.
 */
function verityOwn(type: string): boolean {
  return type.startsWith('verity.');
}

function reachable(reach: ReadonlySet<string>, type: string): boolean {
  return reach.has(type) && !verityOwn(type);
}

/** What carrying a request out gives back. */
export interface ExecuteResult {
  readonly request: RightsRequest;
  /** access: the machine-readable export and a readable summary. */
  readonly export?: {
    readonly format: 'verity-access-export/1';
    readonly subject: string;
    readonly generatedAt: string;
    readonly records: readonly ExportedRecord[];
  };
  readonly summary?: string;
  readonly accessLog?: { readonly title: string; readonly href?: string };
  /** portability: the signed bundle (compact JWS). */
  readonly bundle?: string;
  /** rectification: the new versions. */
  readonly rectified?: readonly { readonly id: string; readonly version: number; readonly logIndex: number }[];
  /** erasure: each record's tombstone, proven under the latest checkpoint's state root. */
  readonly tombstones?: readonly { readonly id: string; readonly state: RecordStateProof }[];
  /** restriction and objection: the limits now in force. */
  readonly limits?: { readonly restricted: number; readonly objections: readonly string[] };
  /** The processors notified (notification ids). */
  readonly notifications?: readonly string[];
}

/** Most records one request reaches. */
const MAX_RECORDS = MAX_RESTRICTED;
/** Most log indices kept as evidence on a request. */
const MAX_EVIDENCE = 1000;

/** Data-subject requests and their execution. */
export class Rights {
  readonly #ctx: RightsContext;
  readonly #keys: KeyStore;
  readonly #reports: AccessReportLink | undefined;
  readonly requests: RequestBook;
  readonly processors: Processors;

  constructor(o: RightsOptions) {
    this.#ctx = {
      store: o.store,
      log: o.log,
      vault: o.vault,
      clock: o.clock,
      regimes: o.regimes ?? defaultRegimePolicy(),
    };
    this.#keys = o.keys;
    this.#reports = o.accessReports;
    this.requests = new RequestBook(this.#ctx);
    this.processors = new Processors({ store: o.store, log: o.log, keys: o.keys, clock: o.clock });
  }

  /** The public key portability bundles are signed with (JWK). */
  exportKey(): Promise<{ kty: 'OKP'; crv: 'Ed25519'; x: string }> {
    return exportKeyJwk(this.#keys);
  }

  /** Files a request (see `RequestBook.file`). */
  file(input: FileInput): Promise<RightsRequest> {
    return this.requests.file(input);
  }

  /**
   * The ids of the subject's records that are not erased (latest versions), at most `MAX_RECORDS`;
   * with `reach`, only those of its record types, none of Verity's own.
   */
  async #recordIds(subjectRef: string, reach?: ReadonlySet<string>): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    while (ids.length < MAX_RECORDS) {
      const rows = await this.#ctx.store.reader.listRecordsBySubject(subjectRef, {
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      for (const r of rows)
        if (r.state !== 'erased' && ids.length < MAX_RECORDS && (reach === undefined || reachable(reach, r.type)))
          ids.push(r.id);
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]?.id;
    }
    return ids;
  }

  /** Every readable record of the subject the caller reaches, decrypted, with its proofs (each read audited). */
  async #export(
    subjectRef: string,
    actor: string,
    reach: ReadonlySet<string> | undefined,
  ): Promise<{ records: ExportedRecord[]; reads: number[] }> {
    const records: ExportedRecord[] = [];
    const reads: number[] = [];
    for (const id of await this.#recordIds(subjectRef, reach)) {
      try {
        const r = await this.#ctx.vault.get(id, { actor, purpose: RIGHTS_PURPOSE });
        records.push({ id, type: r.meta.type, data: r.data, meta: r.meta, proof: r.proof });
        reads.push(r.readLogIndex);
      } catch (e) {
        // Erased or shredded since it was listed: nothing to give.
        if (isVerityError(e, 'VERITY_E_RECORD_ERASED') || isVerityError(e, 'VERITY_E_SUBJECT_SHREDDED')) continue;
        throw e;
      }
    }
    return { records, reads };
  }

  /** A readable account of what is held about the subject. */
  async #summary(subjectRef: string, records: readonly ExportedRecord[], link: { href?: string } | undefined) {
    const count = (f: (r: ExportedRecord) => string) => {
      const m = new Map<string, number>();
      for (const r of records) m.set(f(r), (m.get(f(r)) ?? 0) + 1);
      return [...m].map(([k, n]) => `${k} (${n})`).join(', ') || 'none';
    };
    const limits = await readLimits(this.#ctx.store, subjectRef);
    const processors = (await this.processors.list()).map((p) => p.name);
    const retained = records.filter((r) => r.meta.retainUntil !== null).length;
    return [
      `Data held about you on ${new Date(this.#ctx.clock.now()).toISOString()}: ${records.length} record(s).`,
      `Kinds of record: ${count((r) => r.type)}.`,
      `Categories: ${count((r) => r.meta.classification.category)}.`,
      `Purposes they were collected for: ${count((r) => r.meta.purpose)}.`,
      `Written by: ${count((r) => r.meta.provenance.creator)}.`,
      `Records with a retention deadline: ${retained}; the others are kept under the retention rules of their category.`,
      `Restricted records: ${limits.restricted.length}; purposes you objected to: ${limits.objections.join(', ') || 'none'}.`,
      `Processors that receive your requests: ${processors.join(', ') || 'none'}.`,
      `Every record comes with the proof that its write is in Verity's signed log; every read of your data is logged${link?.href === undefined ? '' : ` (access report: ${link.href})`}.`,
    ].join('\n');
  }

  /**
   * What a session a service opened (`caller.vouched`) may not carry out, refused before the
   * request moves (D417):
   * an objection (it stops every service's processing for a purpose), a shred (every service's
   * records depend on the player's key), a restriction of records of types its opener does not own.
   */
  async refuseOutOfReach(id: string, input: ExecuteInput, caller: ExecuteCaller): Promise<void> {
    if (caller.vouched !== true) return;
    const r = await this.requests.get(id);
    const reach = new Set(caller.recordTypes ?? []);
    if (r.type === 'objection')
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `an objection stops every service's processing for a purpose, which a session a service opened does not decide: ${SIGN_IN_YOURSELF}`,
      );
    if (r.type === 'erasure' && input.mode === 'shred')
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `a session a service opened erases the records of that service's types (\`mode\`: \`records\`), not the player's key, which every service's records depend on: ${SIGN_IN_YOURSELF}`,
      );
    const asked = input.records ?? r.scope?.records;
    if ((r.type === 'restriction' || r.type === 'erasure') && asked !== undefined)
      for (const rid of asked) {
        const facts = await this.#ctx.vault.describe(rid);
        if (facts !== undefined && facts.subjectRef === r.subjectRef && !reachable(reach, facts.type))
          throw new VerityError(
            'VERITY_E_ACCESS_DENIED',
            `a session a service opened ${r.type === 'erasure' ? 'erases' : 'restricts'} records of that service's types only: ${SIGN_IN_YOURSELF}`,
          );
      }
  }

  /**
   * Refuses, before the request moves (D430), what no execution of it could carry out: an erasure
   * naming records and asked to shred too, and an erasure or a restriction naming a record that is
   * not the subject's. (Refused after the request was marked in progress, it was left there with
   * nothing done.)
   */
  async #refuseMalformed(id: string, input: ExecuteInput): Promise<void> {
    const r = await this.requests.get(id);
    if (r.type !== 'erasure' && r.type !== 'restriction') return;
    const asked = input.records ?? r.scope?.records;
    if (asked === undefined) return;
    if (r.type === 'erasure' && input.mode === 'shred')
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        "this erasure names records (`records`, or the request's `scope.records`), which a shred would not spare: leave out `mode` to erase only them, or file a request without a scope to erase everything and shred the key",
      );
    for (const rid of asked) {
      const facts = await this.#ctx.vault.describe(rid);
      if (facts === undefined || facts.subjectRef !== r.subjectRef)
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `${r.type === 'erasure' ? 'an erasure' : 'a restriction'} names only records of the subject: ${quote(rid)} is not one (nothing was done; the request is still ${r.status})`,
        );
    }
  }

  /**
   * Carries a request out and completes it: marks it in progress (logged), acts through the vault
   * (each action audited by the vault), then completes it with the evidence (log indices) in one
   * transaction with the processors' notifications it owes. A request left in progress by a failure
   * can be carried out again.
   */
  async execute(id: string, input: ExecuteInput, caller: ExecuteCaller): Promise<ExecuteResult> {
    checkRequestId(id);
    const actor = caller.actor;
    const reach = caller.recordTypes === undefined ? undefined : new Set(caller.recordTypes);
    const book = this.requests;
    if (caller.vouched === true) await this.refuseOutOfReach(id, input, caller);
    await this.#refuseMalformed(id, input);
    const started = await book.update(
      id,
      ['received', 'in-progress'],
      'rights.progress',
      actor,
      (r) => ({ ...r, status: 'in-progress' }),
      (r) => ({ type: r.type }),
    );
    const ref = started.subjectRef;
    const vault = this.#ctx.vault;
    const evidence: number[] = [];
    const out: {
      -readonly [K in keyof ExecuteResult]?: ExecuteResult[K];
    } = {};
    let notify: { event: string; data: Record<string, unknown> } | undefined;
    let limitsChange: { records?: string[]; purposes?: string[] } | undefined;
    const details: Record<string, string | number | boolean> = { type: started.type };
    switch (started.type) {
      case 'access': {
        const { records, reads } = await this.#export(ref, actor, reach);
        evidence.push(...reads);
        const link = await this.#reports?.reportFor(ref);
        out.export = {
          format: 'verity-access-export/1',
          subject: ref,
          generatedAt: new Date(this.#ctx.clock.now()).toISOString(),
          records,
        };
        out.summary = await this.#summary(ref, records, link);
        if (link !== undefined) out.accessLog = link;
        details['records'] = records.length;
        break;
      }
      case 'portability': {
        const { records, reads } = await this.#export(ref, actor, reach);
        evidence.push(...reads);
        const schemas: Record<string, JsonValue> = {};
        for (const t of new Set(records.map((r) => r.type))) {
          const s = await this.#ctx.store.reader.getSchema(t);
          if (s !== undefined) schemas[t] = parseJson(s.schema, { maxBytes: 256 * 1024, maxDepth: 64 }, 'schema');
        }
        const payload: BundlePayload = {
          format: BUNDLE_FORMAT,
          issuer: this.#ctx.log.origin,
          logKey: this.#ctx.log.verifierKey,
          issuedAt: new Date(this.#ctx.clock.now()).toISOString(),
          request: id,
          records,
          schemas,
        };
        out.bundle = await signBundle(this.#keys, payload);
        details['records'] = records.length;
        break;
      }
      case 'rectification': {
        const fixes = input.corrections ?? [];
        if (fixes.length === 0 || fixes.length > 100)
          throw new InputError('VERITY_E_INPUT_INVALID', 'a rectification gives 1 to 100 `corrections`: {id, data}');
        const done: { id: string; version: number; logIndex: number }[] = [];
        // Every correction is checked before any is written: a refused one must not leave those
        // before it applied (D415).
        for (const f of fixes) {
          const facts = await vault.describe(f.id);
          if (facts === undefined || facts.subjectRef !== ref)
            throw new InputError('VERITY_E_INPUT_INVALID', `record ${quote(f.id)} is not one of the subject's records`);
          if (verityOwn(facts.type))
            throw new InputError(
              'VERITY_E_INPUT_INVALID',
              `record ${quote(f.id)} is Verity's own (${quote(facts.type)}): only its own capability changes it, not a rectification`,
            );
          if (reach !== undefined && !reachable(reach, facts.type))
            throw new VerityError(
              'VERITY_E_ACCESS_DENIED',
              `record ${quote(f.id)} has type ${quote(facts.type)}, which this session does not reach: ask the service that owns that type, or an operator with \`rights.manage\``,
            );
        }
        if (new Set(fixes.map((f) => f.id)).size !== fixes.length)
          throw new InputError('VERITY_E_INPUT_INVALID', 'a rectification names each record once');
        // What the writes would refuse, checked before the first: the new data against the type's
        // schema, and the subject's restriction and objections against each record's purpose.
        const limits = await readLimits(this.#ctx.store, ref);
        const current = [];
        for (const f of fixes) {
          // The sealed payload holds the subject's id, which a new version must name.
          const cur = await vault.get(f.id, { actor, purpose: RIGHTS_PURPOSE });
          await vault.checkData(cur.meta.type, f.data);
          if (limits.restricted.includes(f.id) && !RESTRICTION_EXEMPT.includes(cur.meta.purpose))
            throw new RightsError(
              'VERITY_E_RIGHTS_RESTRICTED',
              `record ${quote(f.id)} is restricted: lift the restriction before rectifying it (no correction was written)`,
            );
          if (limits.objections.includes(cur.meta.purpose))
            throw new RightsError(
              'VERITY_E_RIGHTS_OBJECTED',
              `the subject objected to purpose ${quote(cur.meta.purpose)}, which record ${quote(f.id)} is kept for (no correction was written)`,
            );
          current.push(cur);
        }
        for (const [i, f] of fixes.entries()) {
          const cur = current[i] as (typeof current)[number];
          const w = await vault.put({
            actor,
            purpose: cur.meta.purpose,
            subject: cur.meta.subject as string,
            type: cur.meta.type,
            id: f.id,
            data: f.data,
            classification: cur.meta.classification,
            source: 'data-subject-rectification',
            ...(cur.meta.retainUntil === null ? {} : { retainUntil: cur.meta.retainUntil }),
          });
          done.push({ id: f.id, version: w.version, logIndex: w.logIndex });
          evidence.push(w.logIndex);
        }
        out.rectified = done;
        notify = { event: 'rights.rectification', data: { subject: ref, records: done.map((d) => d.id) } };
        details['records'] = done.length;
        break;
      }
      case 'erasure': {
        // A vouched session erases its opener's record types, never the player's key (D417). An
        // erasure of some records (`records`, else the request's `scope.records`) erases those and
        // shreds nothing: the key decrypts the rest (D424).
        const asked = input.records ?? started.scope?.records;
        const mode = asked !== undefined ? 'records' : (input.mode ?? (caller.vouched === true ? 'records' : 'shred'));
        const live = await this.#recordIds(ref, caller.vouched === true ? reach : undefined);
        let ids = live;
        if (asked !== undefined) {
          // Each named record is the subject's (`#refuseMalformed`); one erased already (a retry) is skipped.
          const named = new Set(asked);
          ids = live.filter((rid) => named.has(rid));
        }
        for (const rid of ids)
          evidence.push((await vault.erase(rid, { actor, purpose: RIGHTS_PURPOSE, reason: 'request' })).logIndex);
        details['mode'] = mode;
        if (mode === 'shred' && (await vault.pseudonymOf(ref)) !== undefined)
          evidence.push((await vault.shredSubjectRef(ref, { actor, purpose: RIGHTS_PURPOSE })).logIndex);
        const tombstones: { id: string; state: RecordStateProof }[] = [];
        for (const rid of ids.slice(0, 1000)) tombstones.push({ id: rid, state: await vault.stateOf(rid) });
        out.tombstones = tombstones;
        notify = { event: 'rights.erasure', data: { subject: ref, records: ids.slice(0, 1000) } };
        details['records'] = ids.length;
        break;
      }
      case 'restriction': {
        const asked = input.records ?? started.scope?.records;
        const all = await this.#recordIds(ref);
        const records = asked === undefined ? all : asked.filter((r) => all.includes(r));
        if (asked !== undefined && records.length !== asked.length)
          throw new InputError('VERITY_E_INPUT_INVALID', 'a restriction names only records of the subject');
        if (caller.vouched === true && asked === undefined) {
          // Restricted records are held from every service: a vouched session restricts its opener's.
          const own = new Set(await this.#recordIds(ref, reach));
          records.splice(0, records.length, ...records.filter((r) => own.has(r)));
        }
        limitsChange = { records };
        notify = { event: 'rights.restriction', data: { subject: ref, records: records.slice(0, 1000) } };
        details['records'] = records.length;
        break;
      }
      case 'objection': {
        const purposes = [...new Set(input.purposes ?? started.scope?.purposes ?? [])];
        if (purposes.length === 0 || purposes.length > 16)
          throw new InputError('VERITY_E_INPUT_INVALID', 'an objection names 1 to 16 `purposes`');
        for (const p of purposes)
          if (typeof p !== 'string' || !/^[a-z][a-z0-9._:-]{0,63}$/.test(p) || OBJECTION_EXEMPT.includes(p))
            throw new InputError(
              'VERITY_E_INPUT_INVALID',
              `purpose ${quote(p)} cannot be objected to here (${OBJECTION_EXEMPT.join(', ')} go on regardless)`,
            );
        limitsChange = { purposes };
        details['purposes'] = purposes.join(',').slice(0, 128);
        break;
      }
    }
    const now = this.#ctx.clock.now();
    const pseudonym = await vault.pseudonymOf(ref);
    let notifications: string[] = [];
    const request = await book.update(
      id,
      ['in-progress'],
      'rights.complete',
      actor,
      (r, logIndex) => ({
        ...r,
        status: 'completed',
        completedAt: new Date(now).toISOString(),
        evidence: [...r.evidence, ...evidence.slice(0, MAX_EVIDENCE), logIndex],
      }),
      () => details,
      async (tx, batch, r) => {
        if (limitsChange !== undefined) {
          const l = await writeLimits(tx, ref, now, (cur) => ({
            restricted: [...new Set([...cur.restricted, ...(limitsChange?.records ?? [])])],
            objections: [...new Set([...cur.objections, ...(limitsChange?.purposes ?? [])])],
            requests: [...cur.requests, r.id].slice(-100),
          }));
          out.limits = { restricted: l.restricted.length, objections: l.objections };
          rightsEntry(this.#ctx, batch, 'rights.limit', `rights:${r.id}`, actor, pseudonym, {
            restricted: l.restricted.length,
            objections: l.objections.length,
          });
        }
        if (notify !== undefined) notifications = await this.processors.enqueue(tx, r.id, notify.event, notify.data);
      },
    );
    return { ...out, request, ...(notifications.length > 0 ? { notifications } : {}) };
  }

  /**
   * Lifts a restriction (GDPR Art. 18(3)) and/or withdraws an objection (Art. 21) of one subject,
   * for a reason: the limits, a `rights.lift` notice object the subject can read, the requests it
   * ends (their `lifts`), one notification per processor (`rights.lift`) and a `rights.lift` audit
   * entry (the subject by pseudonym, the reason as a salted commitment and its length) in one
   * transaction. Who may ask is the caller's to check (the subject, or `rights.manage`).
   */
  lift(input: LiftInput, actor: string): Promise<LiftResult> {
    return liftLimits(this.#ctx, this.processors, input, actor);
  }

  /** The limits in force for a subject, and the lifts that ended earlier ones. */
  async limitsOf(subjectRef: string): Promise<ProcessingLimits & { readonly lifts: readonly Lift[] }> {
    const l = await readLimits(this.#ctx.store, subjectRef);
    return { ...l, lifts: await liftsOf(this.#ctx, subjectRef) };
  }

  /**
   * Imports a portability bundle from another Verity for a subject of this one: verified first with
   * the exporter's key and every record's proofs (nothing is written from a bundle that fails), then
   * each record written as a new record captured from the exporter, with its provenance signature
   * when it had one. Logged as one `rights.import` entry beside each record's own.
   */
  async importBundle(
    jws: string,
    o: {
      exporterKey: { kty: 'OKP'; crv: 'Ed25519'; x: string };
      subject: string;
      purpose: string;
      actor: string;
    },
  ): Promise<{ imported: { from: string; id: string; logIndex: number }[]; logIndex: number; issuer: string }> {
    const b = await verifyBundle(jws, o.exporterKey);
    const vault = this.#ctx.vault;
    const imported: { from: string; id: string; logIndex: number }[] = [];
    for (const r of b.records) {
      const sig = r.meta.provenance.signature;
      const w = await vault.put({
        actor: o.actor,
        purpose: o.purpose,
        subject: o.subject,
        type: r.type,
        data: r.data,
        origin: 'captured',
        classification: r.meta.classification,
        source: 'portability-import',
        ...(sig === undefined ? {} : { signature: sig }),
      });
      imported.push({ from: r.id, id: w.id, logIndex: w.logIndex });
    }
    const ref = await vault.subjectRef(o.subject);
    const pseudonym = await vault.pseudonymOf(ref);
    const { result } = await this.#ctx.log.submit((_tx, batch) =>
      rightsEntry(this.#ctx, batch, 'rights.import', 'rights:import', o.actor, pseudonym, {
        records: imported.length,
        issuer: b.issuer.slice(0, 128),
        request: String(b.request).slice(0, 64),
      }),
    );
    return { imported, logIndex: result, issuer: b.issuer };
  }
}
