// Processors (GDPR Art. 19, 28): the services that hold copies of players' data for the platform.
// Each is registered with a webhook URL; when a request rectifies, erases or restricts data, every
// live processor gets a notification signed as Standard Webhooks describe, delivered with retries,
// and acknowledges it by a request signed with the same secret. Registrations, notifications and
// acknowledgements are objects of the authenticated state, each change logged.
import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { parseJson, randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError, quote, RightsError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import { newObject, type ObjectRow, type Store, type StoreWriter } from '../store/index.ts';
import { signWebhook, verifyWebhook, webhookSecret } from './webhooks.ts';

export const PROCESSOR_KIND = 'rights.processor';
export const NOTIFICATION_KIND = 'rights.notification';
/** The KeyStore MAC key processor secrets are derived from (they are never stored). */
export const WEBHOOK_KEY = 'rights-webhooks';
/** Delivery attempts before a notification is given up as failed (and logged so). */
export const MAX_ATTEMPTS = 8;
/** The first retry waits this long; each next one twice as long. */
export const FIRST_RETRY_MS = 60_000;
const MAX_PROCESSORS = 1000;
const MAX_SCAN = 100_000;
const PURPOSE = 'data-subject-rights';
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const PROCESSOR_ID_RE = /^prc_[A-Za-z0-9_-]{16}$/;
const MESSAGE_ID_RE = /^msg_[A-Za-z0-9_-]{22}$/;

/** A registered processor (its secret is derived on demand, never stored). */
export interface Processor {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  /** Random input of the secret's derivation: a new one is a new secret. */
  readonly nonce: string;
  readonly createdAt: string;
  readonly removedAt?: string;
  readonly logIndex: number;
}

export type NotificationStatus = 'pending' | 'delivered' | 'acknowledged' | 'failed';

/** One notification of one processor about one request. */
export interface Notification {
  /** The `webhook-id`: the same across retries. */
  readonly id: string;
  readonly processor: string;
  readonly request: string;
  readonly event: string;
  /** The exact JSON body sent. */
  readonly body: string;
  readonly status: NotificationStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  /** HTTP status of the last attempt (0: no answer). */
  readonly lastStatus?: number;
  readonly deliveredAt?: string;
  readonly acknowledgedAt?: string;
  /** The `webhook-id` of the acknowledgement (a replay of it is refused). */
  readonly ackId?: string;
  /** Log indices: delivery (or failure), acknowledgement. */
  readonly logIndices: readonly number[];
}

/** Checks a webhook URL: https, or http to a loopback host (development, tests). */
export function checkWebhookUrl(url: unknown): string {
  let u: URL | undefined;
  try {
    u = typeof url === 'string' && url.length <= 2048 ? new URL(url) : undefined;
  } catch {
    u = undefined;
  }
  const loopback = u !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u === undefined || !(u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) || u.username !== '')
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `webhook URL ${quote(url)} must be https:// (http:// only to a loopback host), without credentials`,
    );
  return u.href;
}

function json<T>(row: ObjectRow, what: string): T {
  return parseJson(row.body, { maxBytes: 1024 * 1024, maxDepth: 8 }, what) as unknown as T;
}

function notFound(id: string): RightsError {
  return new RightsError(
    'VERITY_E_RIGHTS_PROCESSOR_NOT_FOUND',
    `there is no live processor ${quote(id)}; \`GET /v1/rights/processors\` lists them`,
  );
}

/** The processor registry and its notifications. */
export class Processors {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #keys: KeyStore;
  readonly #clock: Clock;

  constructor(o: { store: Store; log: TransparencyLog; keys: KeyStore; clock: Clock }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#keys = o.keys;
    this.#clock = o.clock;
  }

  #entry(
    batch: LogBatch,
    action: 'processor.register' | 'processor.remove' | 'processor.notify' | 'processor.ack',
    resource: string,
    actor: string,
    details: Record<string, string | number | boolean>,
    outcome: 'success' | 'error' = 'success',
  ): number {
    return batch.add(
      encodeAuditEntry({ actor, action, resource, purpose: PURPOSE, outcome, time: this.#clock.now(), details }),
    );
  }

  /** The processor's `whsec_` secret: HMAC of its id and nonce under a KeyStore key. */
  async secretOf(p: Processor): Promise<string> {
    await this.#keys.ensureMacKey(WEBHOOK_KEY);
    return webhookSecret(await this.#keys.mac(WEBHOOK_KEY, utf8(`verity/processor-secret/v1\n${p.id}\n${p.nonce}`)));
  }

  /** Registers a processor; the secret is returned once (it can be derived again, never read back). */
  async register(
    input: { name: string; url: string },
    actor: string,
  ): Promise<{ processor: Processor; secret: string }> {
    if (typeof input.name !== 'string' || !NAME_RE.test(input.name))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `processor name ${quote(input.name)} must be 1 to 64 of a-z 0-9 . _ -`,
      );
    const url = checkWebhookUrl(input.url);
    if ((await this.list()).length >= MAX_PROCESSORS)
      throw new InputError('VERITY_E_INPUT_INVALID', `at most ${MAX_PROCESSORS} processors`);
    const id = `prc_${toBase64Url(randomBytesSecure(12))}`;
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const logIndex = this.#entry(batch, 'processor.register', `processor:${id}`, actor, { name: input.name });
      const p: Processor = {
        id,
        name: input.name,
        url,
        nonce: toBase64Url(randomBytesSecure(16)),
        createdAt: new Date(now).toISOString(),
        logIndex,
      };
      await tx.putObject({ kind: PROCESSOR_KIND, id, owner: '', body: JSON.stringify(p), version: 1, updatedAt: now });
      return p;
    });
    return { processor: result, secret: await this.secretOf(result) };
  }

  /** A live processor; VERITY_E_RIGHTS_PROCESSOR_NOT_FOUND for an unknown or removed one. */
  async get(id: string): Promise<Processor> {
    if (typeof id !== 'string' || !PROCESSOR_ID_RE.test(id)) throw notFound(String(id).slice(0, 40));
    const row = await this.#store.reader.getObject(PROCESSOR_KIND, id);
    const p = row === undefined ? undefined : json<Processor>(row, 'processor');
    if (p === undefined || p.removedAt !== undefined) throw notFound(id);
    return p;
  }

  /** Live processors. */
  async list(): Promise<Processor[]> {
    const rows = await this.#store.reader.listObjects(PROCESSOR_KIND, '', { limit: MAX_PROCESSORS });
    return rows.map((r) => json<Processor>(r, 'processor')).filter((p) => p.removedAt === undefined);
  }

  /** Removes a processor: it gets no more notifications. */
  async remove(id: string, actor: string): Promise<void> {
    await this.get(id);
    const now = this.#clock.now();
    await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(PROCESSOR_KIND, id);
      if (row === undefined) throw notFound(id);
      const p = json<Processor>(row, 'processor');
      this.#entry(batch, 'processor.remove', `processor:${id}`, actor, { name: p.name });
      await tx.putObject({
        ...row,
        body: JSON.stringify({ ...p, removedAt: new Date(now).toISOString() }),
        version: row.version + 1,
        updatedAt: now,
      });
    });
  }

  /**
   * Inside a request's completing transaction: one pending notification per live processor, so
   * the completion and the duty to tell processors are committed together. Returns their ids.
   */
  async enqueue(tx: StoreWriter, request: string, event: string, data: Record<string, unknown>): Promise<string[]> {
    const rows = await tx.listObjects(PROCESSOR_KIND, '', { limit: MAX_PROCESSORS });
    const now = this.#clock.now();
    const ids: string[] = [];
    for (const r of rows) {
      const p = json<Processor>(r, 'processor');
      if (p.removedAt !== undefined) continue;
      const id = `msg_${toBase64Url(randomBytesSecure(16))}`;
      const body = JSON.stringify({ type: event, timestamp: new Date(now).toISOString(), data: { request, ...data } });
      const n: Notification = {
        id,
        processor: p.id,
        request,
        event,
        body,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        logIndices: [],
      };
      await tx.putObject(newObject({ kind: NOTIFICATION_KIND, id, owner: request, doc: n, updatedAt: now }));
      ids.push(id);
    }
    return ids;
  }

  /** One notification, or undefined. */
  async notificationsOfId(id: string): Promise<Notification | undefined> {
    const row = await this.#store.reader.getObject(NOTIFICATION_KIND, id);
    return row === undefined ? undefined : json<Notification>(row, 'notification');
  }

  /** The notifications about one request. */
  async notificationsOf(request: string): Promise<Notification[]> {
    const rows = await this.#store.reader.listObjects(NOTIFICATION_KIND, request, { limit: MAX_PROCESSORS });
    return rows.map((r) => json<Notification>(r, 'notification'));
  }

  async #save(id: string, change: (n: Notification, batch: LogBatch) => Notification): Promise<Notification> {
    const { result } = await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(NOTIFICATION_KIND, id);
      if (row === undefined)
        throw new RightsError('VERITY_E_RIGHTS_PROCESSOR_NOT_FOUND', `there is no notification ${quote(id)}`);
      const next = change(json<Notification>(row, 'notification'), batch);
      await tx.putObject({
        ...row,
        body: JSON.stringify(next),
        version: row.version + 1,
        updatedAt: this.#clock.now(),
      });
      return next;
    });
    return result;
  }

  /**
   * Delivers the notifications that are due: a POST of the body with the Standard Webhooks headers
   * (a fresh timestamp and signature per attempt, the same id); a 2xx answer marks it delivered
   * (logged), anything else is retried after 1, 2, 4, ... minutes, and after `MAX_ATTEMPTS` the
   * notification is marked failed (logged). Redirects are not followed. Returns what changed.
   */
  async deliver(
    fetchFn: typeof fetch = (i, o) => fetch(i, o),
    limit = 100,
  ): Promise<{ delivered: number; retrying: number; failed: number }> {
    const now = this.#clock.now();
    const due: Notification[] = [];
    let after: string | undefined;
    for (let scanned = 0; scanned < MAX_SCAN && due.length < limit; ) {
      const rows = await this.#store.reader.listObjects(NOTIFICATION_KIND, undefined, {
        limit: 500,
        ...(after === undefined ? {} : { after }),
      });
      for (const r of rows) {
        const n = json<Notification>(r, 'notification');
        if (n.status === 'pending' && n.nextAttemptAt <= now && due.length < limit) due.push(n);
      }
      scanned += rows.length;
      if (rows.length < 500) break;
      after = rows[rows.length - 1]?.id;
    }
    const out = { delivered: 0, retrying: 0, failed: 0 };
    for (const n of due) {
      let status = 0;
      let p: Processor | undefined;
      try {
        p = await this.get(n.processor);
      } catch {
        p = undefined;
      }
      if (p !== undefined) {
        const headers = signWebhook(await this.secretOf(p), n.id, this.#clock.now(), n.body);
        try {
          const res = await fetchFn(p.url, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: n.body,
            redirect: 'manual',
            signal: AbortSignal.timeout(10_000),
          });
          status = res.status;
          await res.body?.cancel();
        } catch {
          status = 0;
        }
      }
      const ok = status >= 200 && status < 300;
      const attempts = n.attempts + 1;
      const failed = !ok && (attempts >= MAX_ATTEMPTS || p === undefined);
      await this.#save(n.id, (cur, batch) => {
        if (cur.status !== 'pending') return cur;
        const logged =
          ok || failed
            ? [
                ...cur.logIndices,
                this.#entry(
                  batch,
                  'processor.notify',
                  `processor:${cur.processor}`,
                  'system:rights',
                  { request: cur.request, notification: cur.id, status, attempts },
                  ok ? 'success' : 'error',
                ),
              ]
            : cur.logIndices;
        return {
          ...cur,
          attempts,
          lastStatus: status,
          status: ok ? 'delivered' : failed ? 'failed' : 'pending',
          nextAttemptAt: now + FIRST_RETRY_MS * 2 ** (attempts - 1),
          ...(ok ? { deliveredAt: new Date(this.#clock.now()).toISOString() } : {}),
          logIndices: logged,
        };
      });
      if (ok) out.delivered++;
      else if (failed) out.failed++;
      else out.retrying++;
    }
    return out;
  }

  /**
   * A processor's acknowledgement (attacker-controlled headers and body): signed with the
   * processor's own secret (Standard Webhooks), naming a notification sent to it. Recorded once;
   * an acknowledgement of an acknowledged notification (a retry, a replay) changes nothing.
   */
  async acknowledge(
    processorId: string,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    rawBody: string,
  ): Promise<Notification> {
    const p = await this.get(processorId);
    const ackId = verifyWebhook(await this.secretOf(p), headers, rawBody, this.#clock.now());
    const body = parseJson(rawBody, { maxBytes: 4096, maxDepth: 2 }, 'acknowledgement') as { notification?: unknown };
    const id = body?.notification;
    if (typeof id !== 'string' || !MESSAGE_ID_RE.test(id))
      throw new InputError('VERITY_E_INPUT_INVALID', 'an acknowledgement is {"notification": "msg_..."}');
    const known = (await this.notificationsOfId(id)) ?? undefined;
    if (known === undefined || known.processor !== p.id)
      throw new RightsError(
        'VERITY_E_RIGHTS_PROCESSOR_NOT_FOUND',
        `notification ${quote(id)} was not sent to this processor`,
      );
    // Idempotent: an acknowledgement again (a retry, a replay) changes nothing.
    if (known.status === 'acknowledged') return known;
    return this.#save(id, (n, batch) => {
      const logIndex = this.#entry(batch, 'processor.ack', `processor:${p.id}`, `processor:${p.name}`, {
        request: n.request,
        notification: n.id,
      });
      return {
        ...n,
        status: 'acknowledged',
        acknowledgedAt: new Date(this.#clock.now()).toISOString(),
        ackId,
        logIndices: [...n.logIndices, logIndex],
      };
    });
  }
}
