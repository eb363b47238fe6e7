// Lifecycle and retention: a record moved between lifecycle states, and records past their
// retention deadline erased.
import { InputError, quote, VaultError } from '../errors/index.ts';
import type { LifecycleState } from '../store/index.ts';
import {
  type Access,
  auditEntry,
  checkId,
  checkPurpose,
  recordNotFound,
  subjectOf,
  type VaultContext,
} from './context.ts';
import type { Erasure } from './erasure.ts';
import type { Keyring } from './keyring.ts';
import { TRANSITIONS } from './model.ts';

/** Moves records through their lifecycle and enforces retention deadlines. */
export class Lifecycle {
  readonly #ctx: VaultContext;
  readonly #keyring: Keyring;
  readonly #erasure: Erasure;

  constructor(ctx: VaultContext, keyring: Keyring, erasure: Erasure) {
    this.#ctx = ctx;
    this.#keyring = keyring;
    this.#erasure = erasure;
  }

  /** Moves the latest version of a record to another lifecycle state (audited). */
  async transition(
    id: string,
    to: LifecycleState,
    access: Access,
  ): Promise<{ id: string; version: number; from: LifecycleState; to: LifecycleState; logIndex: number }> {
    checkId(id);
    checkPurpose(access.purpose);
    if (!Object.hasOwn(TRANSITIONS, to) || to === 'erased') {
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `state ${quote(to)} is not a lifecycle state you can move to: give one of ${Object.keys(TRANSITIONS)
          .filter((s) => s !== 'erased')
          .join(', ')} (erase has its own command)`,
      );
    }
    const current = await this.#ctx.store.reader.getRecord(id);
    if (current === undefined) throw recordNotFound(id);
    const k = await this.#keyring.stored(current.subjectRef);
    const { result } = await this.#ctx.log.submit(async (tx, batch) => {
      const row = await tx.getRecord(id);
      if (row === undefined) throw recordNotFound(id);
      if (!TRANSITIONS[row.state].includes(to)) {
        throw new VaultError(
          'VERITY_E_RECORD_STATE',
          `record ${quote(id)} is ${row.state} and cannot move to ${to}; allowed: ${TRANSITIONS[row.state].join(', ') || 'none'}`,
        );
      }
      await tx.setRecordState(id, row.version, to);
      const logIndex = batch.add(
        auditEntry(this.#ctx.clock, access, 'record.transition', `record:${id}@${row.version}`, {
          ...subjectOf(k),
          details: { from: row.state, to },
        }),
      );
      return { id, version: row.version, from: row.state, to, logIndex };
    });
    return result;
  }

  /** Erases records whose retention deadline has passed (audited one by one). */
  async sweepExpired(access: Access, limit = 1000): Promise<number> {
    const rows = await this.#ctx.store.reader.listExpiredRecords(this.#ctx.clock.now(), limit);
    for (const r of rows) await this.#erasure.erase(r.id, { ...access, reason: 'retention' });
    return rows.length;
  }
}
