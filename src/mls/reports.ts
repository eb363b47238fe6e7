// Abuse reports of end-to-end encrypted messages (franking.ts) and their moderation queue. A report
// is verified before anything is kept: the revealed plaintext and franking key must recompute the
// commitment the service stamped, for this sender, room, reporter, sequence number and time. The
// queue keeps the plaintext only PII-redacted (src/pii), for moderators; the log names the report
// and what was done with it, never its text or the players:
//   kind `mls.report`  id REPORTID  owner STATUS (`open`, `closed`)  the report and its actions
import { createHash, timingSafeEqual } from 'node:crypto';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { fromBase64Url, parseJson, toBase64Url } from '../encoding/index.ts';
import { InputError, MlsError, quote } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { redact, scan } from '../pii/index.ts';
import { newObject, nextObject, type ObjectRow, type Store } from '../store/index.ts';
import { commitment, FRANKING_BYTES, FRANKING_KEY, stampInput } from './franking.ts';

export const REPORT_KIND = 'mls.report';
/** Why a message is reported. */
export const REPORT_REASONS = ['harassment', 'hate', 'threat', 'spam', 'sexual', 'self-harm', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
/** What a moderator does with a report (each is logged; all but `note` close it). */
export const MODERATION_ACTIONS = ['dismiss', 'warn', 'mute', 'suspend', 'escalate'] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];
/** Most bytes of a reported plaintext. */
export const MAX_REPORT_BYTES = 64 * 1024;
const PURPOSE = 'communication';
const ACTOR = 'service:mls';
const IDENTITY_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
const STAMP_RE = /^[A-Za-z0-9_-]{43}$/;

/** What a recipient sends to report a message: what the service delivered and what they decrypted. */
export interface ReportInput {
  readonly groupId: Uint8Array;
  /** The message's sequence number in the room, its time and sender, as delivered. */
  readonly seq: number;
  readonly at: number;
  readonly sender: string;
  /** The stamp delivered with the message (base64url). */
  readonly stamp: string;
  /** The plaintext and the franking key, as decrypted from the message. */
  readonly body: Uint8Array;
  readonly frankingKey: Uint8Array;
  readonly reason: ReportReason;
}

/** A report as moderators see it: the text PII-redacted. */
export interface ModerationReport {
  readonly id: string;
  readonly status: 'open' | 'closed';
  readonly reason: ReportReason;
  /** The room (base64url group id), the message's sequence number, time and sender. */
  readonly groupId: string;
  readonly seq: number;
  readonly at: number;
  readonly sender: string;
  readonly reporter: string;
  /** The reported text, each piece of personal data replaced by its type (`[EMAIL]`). */
  readonly text: string;
  /** How many pieces of personal data were redacted, by type. */
  readonly redacted: Readonly<Record<string, number>>;
  /** The sender's commitment (base64url): proof the text is what was sent. */
  readonly commitment: string;
  readonly reportedAt: number;
  readonly actions: readonly { readonly action: ModerationAction; readonly by: string; readonly at: number }[];
}

function forged(why: string): MlsError {
  return new MlsError(
    'VERITY_E_MLS_REPORT_FORGED',
    `the report does not verify: ${why}; report the message exactly as it was delivered and decrypted`,
  );
}

function parse(row: ObjectRow): ModerationReport {
  return parseJson(row.body, { maxBytes: 512 * 1024, maxDepth: 5 }, row.kind) as unknown as ModerationReport;
}

/** Verified abuse reports and the moderation queue (FGMV-46 7.2.1, issue point 5). */
export class MlsReports {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #keys: KeyStore;
  readonly #clock: Clock;
  #macReady: Promise<void> | undefined;

  constructor(o: { store: Store; log: TransparencyLog; keys: KeyStore; clock?: Clock }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#keys = o.keys;
    this.#clock = o.clock ?? systemClock;
  }

  /**
   * Verifies a report of `reporter` and queues it for moderation. Throws
   * VERITY_E_MLS_REPORT_FORGED when the plaintext and franking key do not open the commitment the
   * service stamped for this sender, room, sequence number, time and reporter (an altered
   * plaintext, another sender's message, another room, a message not delivered to the reporter).
   * The same message reported twice by one reporter is one report (its id is returned again).
   */
  async report(reporter: string, r: ReportInput): Promise<{ id: string; redacted: number }> {
    for (const [name, v] of [
      ['reporter', reporter],
      ['sender', r.sender],
    ] as const)
      if (typeof v !== 'string' || !IDENTITY_RE.test(v))
        throw new InputError('VERITY_E_INPUT_INVALID', `the ${name} ${quote(v)} is not a member identity`);
    if (!(r.groupId instanceof Uint8Array) || r.groupId.byteLength === 0 || r.groupId.byteLength > 64)
      throw new InputError('VERITY_E_INPUT_INVALID', 'a group id is 1 to 64 bytes');
    if (!Number.isSafeInteger(r.seq) || r.seq < 1 || !Number.isSafeInteger(r.at) || r.at < 0)
      throw new InputError('VERITY_E_INPUT_INVALID', 'the sequence number and time are those delivered');
    if (!(r.body instanceof Uint8Array) || r.body.byteLength > MAX_REPORT_BYTES)
      throw new InputError('VERITY_E_INPUT_INVALID', `a reported message is at most ${MAX_REPORT_BYTES} bytes`);
    if (!(r.frankingKey instanceof Uint8Array) || r.frankingKey.byteLength !== FRANKING_BYTES)
      throw forged(`the franking key is not ${FRANKING_BYTES} bytes`);
    if (typeof r.stamp !== 'string' || !STAMP_RE.test(r.stamp)) throw forged('the stamp is not one of this service');
    if (!(REPORT_REASONS as readonly string[]).includes(r.reason))
      throw new InputError('VERITY_E_INPUT_INVALID', `the reason is one of ${REPORT_REASONS.join(', ')}`);
    const groupId = toBase64Url(r.groupId);
    const c = toBase64Url(commitment(r.frankingKey, r.body));
    // Once per instance: concurrent first reports would each create the key otherwise.
    this.#macReady ??= this.#keys.ensureMacKey(FRANKING_KEY).catch((e: unknown) => {
      this.#macReady = undefined;
      throw e;
    });
    await this.#macReady;
    const want = await this.#keys.mac(
      FRANKING_KEY,
      stampInput({ commitment: c, sender: r.sender, groupId, recipient: reporter, seq: r.seq, at: r.at }),
    );
    // One check covers every way a report can be forged: the stamp binds the commitment (so the
    // plaintext and key), the sender, the room, the reporter, the sequence number and the time.
    if (!timingSafeEqual(Buffer.from(want), Buffer.from(fromBase64Url(r.stamp))))
      throw forged('the plaintext, sender, room or message is not the one the service stamped for you');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(r.body);
    } catch {
      text = `[${r.body.byteLength} bytes that are not text]`;
    }
    const findings = scan(text);
    const redacted: Record<string, number> = {};
    for (const f of findings) redacted[f.type] = (redacted[f.type] ?? 0) + 1;
    const id = `rep_${createHash('sha256').update(`${groupId}\n${r.seq}\n${reporter}`).digest('base64url').slice(0, 22)}`;
    const now = this.#clock.now();
    const doc: ModerationReport = {
      id,
      status: 'open',
      reason: r.reason,
      groupId,
      seq: r.seq,
      at: r.at,
      sender: r.sender,
      reporter,
      text: redact(text, findings).text,
      redacted,
      commitment: c,
      reportedAt: now,
      actions: [],
    };
    await this.#log.submit(async (tx, batch) => {
      if ((await tx.getObject(REPORT_KIND, id)) !== undefined) return undefined;
      await tx.putObject(newObject({ kind: REPORT_KIND, id, owner: 'open', doc, updatedAt: now }));
      return batch.add(
        encodeAuditEntry({
          actor: ACTOR,
          action: 'mls.report',
          resource: `mls.report:${id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: now,
          details: { reason: r.reason, redacted: findings.length },
        }),
      );
    });
    return { id, redacted: findings.length };
  }

  /** The moderation queue: reports by status (default `open`), by id, a page at a time. */
  async list(o: { status?: 'open' | 'closed'; limit?: number; after?: string } = {}): Promise<ModerationReport[]> {
    const limit = o.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new InputError('VERITY_E_INPUT_INVALID', 'list 1 to 500 reports at a time');
    const rows = await this.#store.reader.listObjects(REPORT_KIND, o.status ?? 'open', {
      limit,
      ...(o.after === undefined ? {} : { after: o.after }),
    });
    return rows.map(parse);
  }

  /** One report (VERITY_E_MLS_REPORT_NOT_FOUND when there is none). */
  async get(id: string): Promise<ModerationReport> {
    const row = await this.#store.reader.getObject(REPORT_KIND, id);
    if (row === undefined) throw notFound();
    return parse(row);
  }

  /**
   * A moderator's action on report `id`, by `moderator` (the token's actor): recorded in the
   * report, which it closes, and logged (the action, never the text).
   */
  async act(moderator: string, id: string, action: ModerationAction): Promise<ModerationReport> {
    if (!(MODERATION_ACTIONS as readonly string[]).includes(action))
      throw new InputError('VERITY_E_INPUT_INVALID', `the action is one of ${MODERATION_ACTIONS.join(', ')}`);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(REPORT_KIND, id);
      if (row === undefined) throw notFound();
      const r = parse(row);
      const next: ModerationReport = {
        ...r,
        status: 'closed',
        actions: [...r.actions, { action, by: moderator, at: now }],
      };
      await tx.putObject(nextObject(row, { kind: REPORT_KIND, id, owner: 'closed', doc: next, updatedAt: now }));
      batch.add(
        encodeAuditEntry({
          actor: moderator,
          action: 'mls.moderate',
          resource: `mls.report:${id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: now,
          details: { action },
        }),
      );
      return next;
    });
    return result;
  }
}

function notFound(): MlsError {
  return new MlsError('VERITY_E_MLS_REPORT_NOT_FOUND', 'no report has this id; list the moderation queue');
}
