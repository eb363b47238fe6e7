// Erasure and crypto-shredding: a record's sealed payloads deleted, or a subject's data key
// destroyed (and with it every version of every record of the subject, backups included).
import { KeyError } from '../errors/index.ts';
import {
  type Access,
  auditEntry,
  checkId,
  checkPurpose,
  recordNotFound,
  subjectOf,
  type VaultContext,
} from './context.ts';
import type { Keyring } from './keyring.ts';

/** Erases records and shreds subjects. */
export class Erasure {
  readonly #ctx: VaultContext;
  readonly #keyring: Keyring;

  constructor(ctx: VaultContext, keyring: Keyring) {
    this.#ctx = ctx;
    this.#keyring = keyring;
  }

  /** Erases every version of a record: the sealed payloads are deleted, the erasure audited. */
  async erase(
    id: string,
    access: Access & { reason?: 'request' | 'retention' },
  ): Promise<{ id: string; versions: number; logIndex: number }> {
    checkId(id);
    checkPurpose(access.purpose);
    const row = await this.#ctx.store.reader.getRecord(id);
    if (row === undefined) throw recordNotFound(id);
    const k = await this.#keyring.stored(row.subjectRef);
    const { result } = await this.#ctx.log.submit(async (tx, batch) => {
      const versions = await tx.eraseRecord(id);
      const logIndex = batch.add(
        auditEntry(this.#ctx.clock, access, 'record.erase', `record:${id}`, {
          ...subjectOf(k),
          details: { versions, reason: access.reason ?? 'request' },
        }),
      );
      return { id, versions, logIndex };
    });
    return result;
  }

  /**
   * Crypto-shreds a subject: deletes its data key (every version of every record of the subject
   * becomes unreadable forever) and its sealed payloads, audited under the subject's pseudonym,
   * which nobody can link to the subject afterwards. Unless `rotate` is false, the KEK is then
   * rotated and every retired KEK destroyed, so copies of the database made before (backups)
   * cannot unwrap the shredded key either.
   */
  async shredSubject(
    subject: string,
    access: Access & { rotate?: boolean },
  ): Promise<{ versions: number; logIndex: number; destroyedKeks: number[] }> {
    return this.shredRef(await this.#keyring.subjectRef(subject), access);
  }

  /** `shredSubject` by subject reference. */
  async shredRef(
    ref: string,
    access: Access & { rotate?: boolean },
  ): Promise<{ versions: number; logIndex: number; destroyedKeks: number[] }> {
    checkPurpose(access.purpose);
    const k = await this.#keyring.stored(ref);
    if (k === undefined)
      throw new KeyError(
        'VERITY_E_KEY_NOT_FOUND',
        'this subject has no data key: nothing is stored for it, or it was shredded already',
      );
    const { result } = await this.#ctx.log.submit(async (tx, batch) => {
      const existed = await tx.deleteSubjectKey(ref);
      if (!existed) throw new KeyError('VERITY_E_KEY_NOT_FOUND', 'the subject was shredded already');
      // Tell every process that cached subject keys must be checked against the store again.
      await tx.setMeta('subjects.epoch', String(Number((await tx.getMeta('subjects.epoch')) ?? '0') + 1));
      const versions = await tx.eraseSubjectRecords(ref);
      await tx.deleteSubjectFacts(ref);
      const logIndex = batch.add(
        auditEntry(this.#ctx.clock, access, 'subject.shred', 'subject:key', {
          subject: k.pseudonym,
          details: { versions },
        }),
      );
      return { versions, logIndex };
    });
    this.#keyring.forget(k);
    const destroyedKeks =
      access.rotate === false ? [] : (await this.#keyring.rotateKeys({ ...access, destroyRetired: true })).destroyed;
    return { ...result, destroyedKeks };
  }
}
