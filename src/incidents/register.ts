// The incident register (FGMV-46 7.4.2; GDPR Art. 33 and 34): each personal data breach as an
// authenticated state document, the subjects it affected found through the log, the 72-hour clock
// from awareness, and the notifications sent with their evidence. Every change is one log
// transaction: the new document and its audit entry together.

import { encodeSuccessEntry, isPurpose } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { IncidentError, InputError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { SubjectIndex } from '../reports/index.ts';
import { nextObject, type ObjectRow, type Store } from '../store/index.ts';
import { type AffectedQuery, type AffectedSubjects, findAffected } from './affected.ts';

/** GDPR Art. 33(1): notify the supervisory authority within 72 hours of becoming aware. */
export const NOTIFY_WITHIN_MS = 72 * 3_600_000;
const KIND = 'incident';
const ID_RE = /^inc_[A-Za-z0-9_-]{22}$/;
const HASH_RE = /^sha256:[A-Za-z0-9_-]{43}$/;
const CATEGORY_RE = /^[A-Za-z][A-Za-z0-9._:-]{0,63}$/;
const MAX_TEXT = 2000;
const MAX_LIST = 32;

export type IncidentStatus = 'open' | 'notified' | 'closed';

/** A notification sent about an incident, and its evidence. */
export interface Notification {
  /** `authority`: the supervisory authority (Art. 33); `subjects`: the data subjects (Art. 34). */
  readonly to: 'authority' | 'subjects';
  /** Milliseconds since the epoch it was sent. */
  readonly at: number;
  /** Where the evidence is: a case number, a URL, a message id (never personal data). */
  readonly reference: string;
  /** `sha256:` + base64url of the evidence document (the sent notice, the receipt), when given. */
  readonly evidenceHash: string | null;
  /** Subjects notified (for `subjects`). */
  readonly subjects: number | null;
  /** Sent after the 72-hour deadline (authority). */
  readonly late: boolean;
  /** Sent within the deadline by its `at`, but recorded here after it (the time is the caller's word). */
  readonly recordedAfterDeadline?: boolean;
  /** Log index of its audit entry. */
  readonly logIndex: number;
}

/** An incident as the register keeps it. */
export interface Incident {
  readonly id: string;
  readonly status: IncidentStatus;
  /** Milliseconds since the epoch: when it was detected, and when the controller became aware. */
  readonly detectedAt: number;
  readonly awareAt: number;
  /** awareAt + 72 h. */
  readonly deadline: number;
  /** What happened, in words (never personal data: it stays in the state, not the log). */
  readonly description: string;
  /** Data categories concerned (e.g. W3C DPV personal data categories). */
  readonly categories: readonly string[];
  /** The subjects found through the log, when a search was made. */
  readonly affected: AffectedSubjects | null;
  readonly notifications: readonly Notification[];
  /** Why the authority was not notified (Art. 33(1): unlikely to result in a risk), when so. */
  readonly notRequired: string | null;
  /** Reasons for a late notification (Art. 33(1)). */
  readonly delayReason: string | null;
  readonly resolution: string | null;
  /** Log index of each change's audit entry, oldest first. */
  readonly logIndices: readonly number[];
  readonly updatedAt: number;
}

/** An incident and where its clock stands. */
export interface IncidentView extends Incident {
  /** Milliseconds left before the deadline (negative: past it). */
  readonly remainingMs: number;
  /** Past the deadline with the authority neither notified nor found not to need it. */
  readonly overdue: boolean;
}

/** Who changes the register and why. */
export interface IncidentAccess {
  readonly actor: string;
  /** Default `breach-notification`. */
  readonly purpose?: string;
  readonly policy?: string;
}

function text(v: unknown, what: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} must be 1 to ${max} characters of text`);
  return v;
}

/** A time in milliseconds since the epoch (a search window's bound). */
function epochMs(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} must be a time in milliseconds since the epoch`);
  return v;
}

/** The earliest time the register takes (2000-01-01), and how far ahead of its clock (5 minutes). */
const EARLIEST = Date.UTC(2000, 0, 1);
const SKEW_MS = 5 * 60_000;

/**
 * A time the caller states (D436): in milliseconds since the epoch, from 2000 on, and not in the
 * future of the register's clock (an incident dated ahead would never be overdue).
 */
function time(v: unknown, what: string, now: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < EARLIEST)
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `${what} must be a time in milliseconds since the epoch, from 2000 on`,
    );
  if (v > now + SKEW_MS)
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} is in the future: give the time it happened`);
  return v;
}

function names(v: unknown, what: string, re: RegExp): string[] {
  if (!Array.isArray(v) || v.length > MAX_LIST || !v.every((x) => typeof x === 'string' && re.test(x)))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} must be a list of at most ${MAX_LIST} names`);
  return [...new Set(v as string[])].sort();
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `incident id ${quote(id)} must look like inc_ and 22 characters`);
  return id;
}

/** Checks a query for affected subjects (times, at most 32 names per filter). */
function checkQuery(q: AffectedQuery): AffectedQuery {
  const from = epochMs(q.from, '`from`');
  const to = epochMs(q.to, '`to`');
  if (to < from) throw new InputError('VERITY_E_INPUT_INVALID', '`to` must not be before `from`');
  const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
  return {
    from,
    to,
    ...(q.recordTypes === undefined ? {} : { recordTypes: names(q.recordTypes, 'record types', NAME) }),
    ...(q.actors === undefined ? {} : { actors: names(q.actors, 'actors', NAME) }),
    ...(q.actions === undefined ? {} : { actions: names(q.actions, 'actions', NAME) }),
  };
}

/** The incident register (see the file comment). */
export class IncidentRegister {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #index: SubjectIndex;
  readonly #clock: Clock;

  constructor(store: Store, log: TransparencyLog, index: SubjectIndex, options: { clock?: Clock } = {}) {
    this.#store = store;
    this.#log = log;
    this.#index = index;
    this.#clock = options.clock ?? systemClock;
  }

  /** Where an incident's clock stands at `now`. */
  view(i: Incident, now = this.#clock.now()): IncidentView {
    const authorityDone = i.notRequired !== null || i.notifications.some((n) => n.to === 'authority');
    return { ...i, remainingMs: i.deadline - now, overdue: !authorityDone && now > i.deadline };
  }

  /**
   * Records a breach. `awareAt` (default now) starts the 72-hour clock; with `affected`, the
   * subjects are found through the log first and kept with the incident.
   */
  async open(
    input: {
      description: string;
      categories: readonly string[];
      detectedAt?: number;
      awareAt?: number;
      affected?: AffectedQuery;
    },
    access: IncidentAccess,
  ): Promise<IncidentView> {
    const now = this.#clock.now();
    const description = text(input.description, 'the description');
    const categories = names(input.categories, 'categories', CATEGORY_RE);
    const detectedAt = input.detectedAt === undefined ? now : time(input.detectedAt, '`detectedAt`', now);
    const awareAt = input.awareAt === undefined ? now : time(input.awareAt, '`awareAt`', now);
    if (awareAt < detectedAt)
      throw new InputError('VERITY_E_INPUT_INVALID', 'one becomes aware of a breach at or after its detection');
    const affected = input.affected === undefined ? null : await this.#find(checkQuery(input.affected));
    const id = `inc_${toBase64Url(randomBytesSecure(16))}`;
    const incident: Omit<Incident, 'logIndices'> = {
      id,
      status: 'open',
      detectedAt,
      awareAt,
      deadline: awareAt + NOTIFY_WITHIN_MS,
      description,
      categories,
      affected,
      notifications: [],
      notRequired: null,
      delayReason: null,
      resolution: null,
      updatedAt: now,
    };
    return this.#write(undefined, incident, access, 'incident.open', {
      categories: categories.length,
      affected: affected?.count ?? 0,
    });
  }

  /** Searches the log again for the subjects affected (a wider window, other filters). */
  async assess(id: string, q: AffectedQuery, access: IncidentAccess): Promise<IncidentView> {
    const query = checkQuery(q);
    const { row, incident } = await this.#load(id);
    this.#notClosed(incident);
    const affected = await this.#find(query);
    return this.#write(row, { ...incident, affected, updatedAt: this.#clock.now() }, access, 'incident.assess', {
      affected: affected.count,
    });
  }

  /**
   * Records a notification sent, with its evidence: its hash goes into the audit entry
   * (`contentHash`), so the log fixes what was sent and when it was recorded.
   */
  async notify(
    id: string,
    n: {
      to: 'authority' | 'subjects';
      at?: number;
      reference: string;
      evidenceHash?: string;
      subjects?: number;
      delayReason?: string;
    },
    access: IncidentAccess,
  ): Promise<IncidentView> {
    if (n.to !== 'authority' && n.to !== 'subjects')
      throw new InputError('VERITY_E_INPUT_INVALID', '`to` must be `authority` or `subjects`');
    const reference = text(n.reference, 'the reference', 512);
    if (n.evidenceHash !== undefined && (typeof n.evidenceHash !== 'string' || !HASH_RE.test(n.evidenceHash)))
      throw new InputError('VERITY_E_INPUT_INVALID', 'the evidence hash must be sha256: and 43 base64url characters');
    if (n.subjects !== undefined && (!Number.isSafeInteger(n.subjects) || n.subjects < 0))
      throw new InputError('VERITY_E_INPUT_INVALID', '`subjects` must be a count');
    const now = this.#clock.now();
    const at = n.at === undefined ? now : time(n.at, '`at`', now);
    const { row, incident } = await this.#load(id);
    this.#notClosed(incident);
    if (at < incident.awareAt)
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        '`at` is before the controller became aware of the breach: a notification comes after awareness',
      );
    const late = n.to === 'authority' && at > incident.deadline;
    // Sent in time, recorded after the deadline: the register says so (D436), since `at` is the
    // caller's word and the recording time is Verity's.
    const recordedAfterDeadline = n.to === 'authority' && !late && now > incident.deadline;
    const delayReason = n.delayReason === undefined ? incident.delayReason : text(n.delayReason, 'the delay reason');
    const notification = (logIndex: number): Notification => ({
      to: n.to,
      at,
      reference,
      evidenceHash: n.evidenceHash ?? null,
      subjects: n.subjects ?? null,
      late,
      ...(recordedAfterDeadline ? { recordedAfterDeadline } : {}),
      logIndex,
    });
    return this.#write(
      row,
      { ...incident, status: 'notified', delayReason, updatedAt: now },
      access,
      'incident.notify',
      { to: n.to, late, ...(recordedAfterDeadline ? { recordedAfterDeadline } : {}) },
      { contentHash: n.evidenceHash, notification },
    );
  }

  /** Closes an incident: with its resolution, and why the authority was not notified if it was not. */
  async close(
    id: string,
    c: { resolution: string; notRequired?: string },
    access: IncidentAccess,
  ): Promise<IncidentView> {
    const resolution = text(c.resolution, 'the resolution');
    const { row, incident } = await this.#load(id);
    this.#notClosed(incident);
    const notRequired = c.notRequired === undefined ? incident.notRequired : text(c.notRequired, 'the reason');
    return this.#write(
      row,
      { ...incident, status: 'closed', resolution, notRequired, updatedAt: this.#clock.now() },
      access,
      'incident.close',
      { notified: incident.notifications.length },
    );
  }

  /** One incident with its clock. */
  async get(id: string): Promise<IncidentView> {
    return this.view((await this.#load(id)).incident);
  }

  /** Incidents by id (`status` to filter, `overdue` for those past the deadline unnotified). */
  async list(
    o: { status?: IncidentStatus; overdue?: boolean; limit?: number; after?: string } = {},
  ): Promise<IncidentView[]> {
    const limit = o.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
      throw new InputError('VERITY_E_INPUT_INVALID', '`limit` must be between 1 and 1000');
    const now = this.#clock.now();
    const out: IncidentView[] = [];
    let after = o.after === undefined ? undefined : checkId(o.after);
    for (;;) {
      const rows = await this.#store.reader.listObjects(KIND, '', { limit: 200, ...(after ? { after } : {}) });
      for (const r of rows) {
        const v = this.view(JSON.parse(r.body) as Incident, now);
        if (o.status !== undefined && v.status !== o.status) continue;
        if (o.overdue === true && !v.overdue) continue;
        out.push(v);
        if (out.length >= limit) return out;
      }
      if (rows.length < 200) return out;
      after = rows[rows.length - 1]?.id;
    }
  }

  async #find(q: AffectedQuery): Promise<AffectedSubjects> {
    // Entries naming only a record are placed by the index's record links: bring it up to date.
    await this.#index.catchUp();
    return findAffected(this.#store.reader, this.#log, this.#index, q);
  }

  async #load(id: string): Promise<{ row: ObjectRow; incident: Incident }> {
    const row = await this.#store.reader.getObject(KIND, checkId(id));
    if (row === undefined) throw new IncidentError('VERITY_E_INCIDENT_NOT_FOUND', `there is no incident ${quote(id)}`);
    return { row, incident: JSON.parse(row.body) as Incident };
  }

  #notClosed(i: Incident): void {
    if (i.status === 'closed')
      throw new IncidentError('VERITY_E_INCIDENT_STATE', `incident ${i.id} is closed; open a new one for a new breach`);
  }

  /** Writes the incident's next version and its audit entry in one log transaction. */
  async #write(
    prev: ObjectRow | undefined,
    next: Omit<Incident, 'logIndices'> & { logIndices?: readonly number[] },
    access: IncidentAccess,
    action: 'incident.open' | 'incident.assess' | 'incident.notify' | 'incident.close',
    details: Record<string, string | number | boolean>,
    extra: { contentHash?: string | undefined; notification?: (logIndex: number) => Notification } = {},
  ): Promise<IncidentView> {
    const purpose = access.purpose ?? 'breach-notification';
    if (!isPurpose(purpose)) throw new InputError('VERITY_E_INPUT_INVALID', `purpose ${quote(purpose)} is not allowed`);
    const { result } = await this.#log.submit(async (tx, batch) => {
      const logIndex = batch.add(
        encodeSuccessEntry(
          { ...access, purpose },
          {
            action,
            resource: `incident:${next.id}`,
            time: this.#clock.now(),
            details,
            ...(extra.contentHash === undefined ? {} : { contentHash: extra.contentHash }),
          },
        ),
      );
      const incident: Incident = {
        ...next,
        notifications: extra.notification ? [...next.notifications, extra.notification(logIndex)] : next.notifications,
        logIndices: [...(next.logIndices ?? []), logIndex],
      };
      // Compare-and-set on the version read: a concurrent change fails this one (VERITY_E_STORE_CONFLICT).
      await tx.putObject(nextObject(prev, { kind: KIND, id: next.id, doc: incident, updatedAt: incident.updatedAt }));
      return incident;
    });
    return this.view(result);
  }
}
