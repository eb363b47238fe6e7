import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { InputError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Privacy } from '../privacy/index.ts';
import { newObject, type Store } from '../store/index.ts';
import { type GovernanceDocument, requireRight } from './document.ts';
import { commitment, FEEDBACK_KIND, type Feedback, type GovernanceAccess, PAGE, PURPOSE, text } from './model.ts';

const FEEDBACK_RE = /^fb_[A-Za-z0-9_-]{22}$/;
const TOPIC_RE = /^[a-z][a-z0-9._:-]{0,63}$/;

/** Feedback on the data policies: the text kept in the state, a salted commitment to it in the log. */
export class FeedbackBook {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #privacy: Privacy;
  readonly #clock: Clock;
  readonly #doc: GovernanceDocument;

  constructor(o: { store: Store; log: TransparencyLog; privacy: Privacy; clock: Clock; document: GovernanceDocument }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#privacy = o.privacy;
    this.#clock = o.clock;
    this.#doc = o.document;
  }

  /** Records feedback on the data policies (the text stays in the state; the log holds a salted commitment). */
  async feedback(input: { topic: string; text: string }, access: GovernanceAccess): Promise<Feedback> {
    requireRight(this.#doc, access.role, 'feedback');
    const topic = input.topic;
    if (typeof topic !== 'string' || !(TOPIC_RE.test(topic) || /^proposal:gp_[A-Za-z0-9_-]{22}$/.test(topic)))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'the topic is `general`, a purpose or data category of the privacy policy, or `proposal:ID`',
      );
    const body = text(input.text, 'the feedback', 4000);
    const id = `fb_${toBase64Url(randomBytesSecure(16))}`;
    const salt = randomBytesSecure(16);
    const policyVersion = this.#privacy.policy.version;
    const { result } = await this.#log.submit(async (tx, batch) => {
      const now = this.#clock.now();
      const logIndex = batch.add(
        encodeAuditEntry({
          actor: access.actor,
          action: 'governance.feedback',
          resource: `governance-feedback:${id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: now,
          contentHash: commitment(body, salt),
          details: { role: access.role, topic: topic.slice(0, 128), policyVersion },
        }),
      );
      const f: Feedback = { id, role: access.role, topic, policyVersion, text: body, at: now, logIndex };
      await tx.putObject(
        newObject({ kind: FEEDBACK_KIND, id, doc: { ...f, salt: toBase64Url(salt) }, updatedAt: now }),
      );
      return f;
    });
    return result;
  }

  /** Feedback entries by id (paged by `after`). */
  async feedbackList(o: { limit?: number; after?: string } = {}): Promise<Feedback[]> {
    const limit = o.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE)
      throw new InputError('VERITY_E_INPUT_INVALID', `limit must be 1 to ${PAGE}`);
    if (o.after !== undefined && !FEEDBACK_RE.test(o.after))
      throw new InputError('VERITY_E_INPUT_INVALID', '`after` must be a feedback id (fb_...)');
    const rows = await this.#store.reader.listObjects(FEEDBACK_KIND, '', {
      limit,
      ...(o.after === undefined ? {} : { after: o.after }),
    });
    return rows.map((r) => {
      const { salt: _salt, ...f } = JSON.parse(r.body) as Feedback & { salt: string };
      return f;
    });
  }
}
