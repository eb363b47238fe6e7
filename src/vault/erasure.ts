// Erasure and crypto-shredding: a record's sealed payloads deleted, or a subject's data key
// destroyed (and with it every version of every record of the subject, backups included).
import { KeyError } from '../errors/index.ts';
import { nextObject, type StoreWriter } from '../store/index.ts';
import {
  type Access,
  auditEntry,
  checkId,
  checkPurpose,
  recordNotFound,
  subjectOf,
  type VaultContext,
} from './context.ts';
import { type Keyring, SHRED_MARK_KIND } from './keyring.ts';

/**
 * Personal objects of capabilities above the vault that name a subject by its reference and must
 * not outlive its shred (D296): a player's chain address bindings (src/chain/bindings.ts, D230),
 * which link the player to addresses whose activity on a chain is public. Objects of these kinds
 * keyed by the reference or owned by it are deleted in the shred's transaction; so are the
 * `chain.address` rows a binding lists (rows bound before D296 carry no owner). A test in
 * src/chain/bindings.test.ts holds these names to the chain's.
 */
export const SHREDDED_OBJECT_KINDS = ['chain.binding', 'chain.address'] as const;
const MAX_OWNED = 64;

/** The `subjectRef` a JSON object names, if any. */
function namedRef(body: string): unknown {
  try {
    return (JSON.parse(body) as { subjectRef?: unknown }).subjectRef;
  } catch {
    return undefined;
  }
}

/** Deletes the subject's objects of `SHREDDED_OBJECT_KINDS`; how many. */
async function eraseOwnedObjects(tx: StoreWriter, ref: string): Promise<number> {
  let n = 0;
  const binding = await tx.getObject('chain.binding', ref);
  if (binding !== undefined) {
    let listed: unknown;
    try {
      listed = (JSON.parse(binding.body) as { addresses?: unknown }).addresses;
    } catch {
      listed = undefined;
    }
    for (const a of Array.isArray(listed) ? listed.slice(0, MAX_OWNED) : []) {
      const address = (a as { address?: unknown })?.address;
      if (typeof address !== 'string') continue;
      const row = await tx.getObject('chain.address', address);
      // Only the rows that name this subject: an address re-bound elsewhere is left alone.
      if (row === undefined || namedRef(row.body) !== ref) continue;
      if (await tx.deleteObject('chain.address', address)) n++;
    }
  }
  for (const kind of SHREDDED_OBJECT_KINDS) {
    if (await tx.deleteObject(kind, ref)) n++;
    for (let round = 0; round < MAX_OWNED; round++) {
      const rows = await tx.listObjects(kind, ref, { limit: 100 });
      if (rows.length === 0) break;
      for (const r of rows) if (await tx.deleteObject(kind, r.id)) n++;
    }
  }
  return n;
}

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
    // The reference ends with its key: the id's next one is another (D428).
    const mark = await this.#keyring.shredMark(ref);
    const { result } = await this.#ctx.log.submit(async (tx, batch) => {
      const existed = await tx.deleteSubjectKey(ref);
      if (!existed) throw new KeyError('VERITY_E_KEY_NOT_FOUND', 'the subject was shredded already');
      // Tell every process that cached subject keys must be checked against the store again.
      await tx.setMeta('subjects.epoch', String(Number((await tx.getMeta('subjects.epoch')) ?? '0') + 1));
      const versions = await tx.eraseSubjectRecords(ref);
      await tx.deleteSubjectFacts(ref);
      await eraseOwnedObjects(tx, ref);
      const now = this.#ctx.clock.now();
      await tx.putObject(
        nextObject(await tx.getObject(SHRED_MARK_KIND, mark), {
          kind: SHRED_MARK_KIND,
          id: mark,
          doc: { shreddedAt: now },
          updatedAt: now,
        }),
      );
      const logIndex = batch.add(
        auditEntry(this.#ctx.clock, access, 'subject.shred', 'subject:key', {
          subject: k.pseudonym,
          details: { versions },
        }),
      );
      return { versions, logIndex };
    });
    this.#keyring.forget(k);
    this.#keyring.forgetRef(ref);
    const destroyedKeks =
      access.rotate === false ? [] : (await this.#keyring.rotateKeys({ ...access, destroyRetired: true })).destroyed;
    return { ...result, destroyedKeks };
  }
}
