// Subject keys: the storage reference of a subject id, the subject's data key (cached unwrapped,
// checked against the store inside each write transaction) and online KEK rotation, which
// re-wraps those keys. What changes here changes together: the key cache and what invalidates it.
import { createHmac } from 'node:crypto';
import { auditPseudonym, deriveSubkey } from '../audit/index.ts';
import { toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError, KeyError, StoreError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { type LogBatch, noteOpsHistory } from '../log/index.ts';
import type { StoreWriter, SubjectKeyRow } from '../store/index.ts';
import { type Access, auditEntry, checkPurpose, checkSubject, type VaultContext } from './context.ts';

/** Name of the KeyStore MAC key that turns subject ids into storage references. */
export const SUBJECT_INDEX_KEY = 'subject-index';

const SUBJECT_CACHE = 10_000;

/**
 * The state object a shred leaves for the subject reference it ended (D428), under a keyed mark of
 * the reference (`Keyring.shredMark`): the subject's next reference is another, so nothing written
 * for the subject after a shred (its new key row, consent, limits, any object keyed by reference)
 * has a state key in common with what was written before, and the public log's state changes link
 * no generation of a subject to another. Kept forever; it names no one.
 */
export const SHRED_MARK_KIND = 'subject.shred';
/** Most shreds of one subject id that references are derived past. */
const MAX_GENERATIONS = 64;
/**
 * How long a subject id's reference is used from the cache (ms, monotonic). Another process's
 * shred changes the reference: a process that writes sees it at its next write batch (the
 * `subjects.epoch` it reads then), one that does not within this time; a key is never made under
 * an ended reference (`#ensureRow` reads the mark in the transaction).
 */
const REF_TTL_MS = 5000;

/** A subject's unwrapped keys, derived from its data key (which is wiped once derived). */
export interface SubjectKeys {
  readonly ref: string;
  readonly createdAt: number;
  /** The `subjects.epoch` at which this key was last seen stored (see `#ensureRow`). */
  epoch?: number;
  /** Row to insert when the key is new and not yet stored, with its reference's shred mark. */
  readonly pending?: SubjectKeyRow & { readonly mark: string };
  readonly sealKey: Uint8Array;
  readonly pseudonym: string;
}

function subjectKeyContext(subjectRef: string): Uint8Array {
  return utf8(`verity/subject-key/v1\n${subjectRef}`);
}

/** A conflict on the subject's key row: the write is retried with fresh keys. */
function keyConflict(message: string): StoreError {
  return new StoreError('VERITY_E_STORE_CONFLICT', message, { details: { retry: true } });
}

/** Subject references, subject data keys and their key-encryption keys. */
export class Keyring {
  readonly #ctx: VaultContext;
  readonly #refs = new Map<string, { readonly ref: string; readonly at: number }>();
  /** The key shred marks are made under (see `shredMark`). */
  #markKey: Promise<Uint8Array> | undefined;
  /** The `subjects.epoch` last read in a write transaction: a change empties `#refs`. */
  #epochSeen: number | undefined;
  readonly #subjects = new Map<string, SubjectKeys>();
  readonly #batchEpoch = new WeakMap<LogBatch, number>();

  constructor(ctx: VaultContext) {
    this.#ctx = ctx;
  }

  /**
   * The storage reference of a subject id: a keyed pseudonym (HMAC-SHA-256), never the id itself.
   * Each shred ends the reference it was done under (D428): the id's next reference is keyed with
   * the number of shreds before it (`verity/subject-generation/v1`), found by the marks the shreds
   * left, read through the state map (a deleted mark is VERITY_E_STATE_TAMPERED).
   */
  async subjectRef(subject: string): Promise<string> {
    checkSubject(subject);
    const now = performance.now();
    const cached = this.#refs.get(subject);
    if (cached !== undefined && now - cached.at < REF_TTL_MS) return cached.ref;
    const mac = async (text: string) => toBase64Url(await this.#ctx.keys.mac(SUBJECT_INDEX_KEY, utf8(text)));
    // Identifiers hold no line breaks, so no id's reference is another's generation's.
    let ref = await mac(subject);
    for (let g = 1; await this.#ended(ref); g++) {
      if (g > MAX_GENERATIONS)
        throw new KeyError(
          'VERITY_E_KEY_NOT_FOUND',
          `this subject id was erased ${MAX_GENERATIONS} times: use another id for the player`,
        );
      ref = await mac(`verity/subject-generation/v1\n${g}\n${subject}`);
    }
    if (this.#refs.size >= SUBJECT_CACHE) this.#refs.clear();
    this.#refs.set(subject, { ref, at: now });
    return ref;
  }

  /**
   * The keyed mark under which a shred records that it ended `ref`: HMAC-SHA-256 of the reference
   * under a key derived once from `subject-index` (one key store call a process, not one a new
   * subject: with the key process each is a round trip, and a first write paid two more).
   */
  async shredMark(ref: string): Promise<string> {
    this.#markKey ??= this.#ctx.keys.mac(SUBJECT_INDEX_KEY, utf8('verity/subject-shred-key/v1')).catch((e: unknown) => {
      this.#markKey = undefined;
      throw e;
    });
    return toBase64Url(
      createHmac('sha256', await this.#markKey)
        .update(ref)
        .digest(),
    );
  }

  /** Whether a shred ended `ref`. */
  async #ended(ref: string): Promise<boolean> {
    return (await this.#ctx.store.reader.getObject(SHRED_MARK_KIND, await this.shredMark(ref))) !== undefined;
  }

  /** Forgets the ids whose reference is `ref` (after its shred). */
  forgetRef(ref: string): void {
    for (const [id, c] of this.#refs) if (c.ref === ref) this.#refs.delete(id);
  }

  #keysFrom(
    ref: string,
    dataKey: Uint8Array,
    createdAt: number,
    pending?: SubjectKeyRow & { readonly mark: string },
  ): SubjectKeys {
    const k: SubjectKeys = {
      ref,
      createdAt,
      sealKey: deriveSubkey(dataKey, 'verity/record-seal/v1'),
      pseudonym: auditPseudonym(dataKey),
      ...(pending === undefined ? {} : { pending }),
    };
    dataKey.fill(0);
    return k;
  }

  /** The subject's stored keys (from cache or the store), or undefined when it has none (shredded). */
  async stored(ref: string): Promise<SubjectKeys | undefined> {
    const cached = this.#subjects.get(ref);
    if (cached !== undefined && cached.pending === undefined) return cached;
    const row = await this.#ctx.store.reader.getSubjectKey(ref);
    if (row === undefined) return undefined;
    const key = await this.#ctx.keys.unwrapKey(
      { kekVersion: row.kekVersion, bytes: row.wrappedKey },
      subjectKeyContext(row.subjectRef),
    );
    const k = this.#keysFrom(row.subjectRef, key, row.createdAt);
    this.#cache(k);
    return k;
  }

  /** Fresh keys for a subject that has none (stored by `#ensureRow` in the write transaction). */
  async #generate(ref: string): Promise<SubjectKeys> {
    const { key, wrapped } = await this.#ctx.keys.generateDataKey(subjectKeyContext(ref));
    const createdAt = this.#ctx.clock.now();
    return this.#keysFrom(ref, key, createdAt, {
      subjectRef: ref,
      kekVersion: wrapped.kekVersion,
      wrappedKey: wrapped.bytes,
      createdAt,
      mark: await this.shredMark(ref),
    });
  }

  #cache(k: SubjectKeys): void {
    if (this.#subjects.size >= SUBJECT_CACHE) this.#subjects.clear();
    this.#subjects.set(k.ref, k);
  }

  /** Drops a subject's keys from the cache and wipes them (after shredding). */
  forget(k: SubjectKeys): void {
    this.#subjects.delete(k.ref);
    k.sealKey.fill(0);
  }

  /**
   * Runs `op` in a log transaction with the subject's keys, creating them when the subject has
   * none. The key row is checked (or inserted) in the same transaction; when another process
   * changed it meanwhile (shredded, created concurrently, KEK rotated) the write is retried with
   * fresh keys, up to three times.
   */
  async write<R>(
    subjectRef: string,
    access: Access,
    op: (tx: StoreWriter, batch: LogBatch, k: SubjectKeys) => Promise<R>,
    resolve?: () => Promise<string>,
  ): Promise<R> {
    let ref = subjectRef;
    for (let attempt = 0; ; attempt++) {
      const k = (await this.stored(ref)) ?? (await this.#generate(ref));
      try {
        // Steady state (a stored key already checked at this batch's epoch) skips the row check
        // without an extra await: this is the sealed-write hot path.
        const { result } = await this.#ctx.log.submit((tx, batch) =>
          k.pending === undefined && k.epoch !== undefined && this.#batchEpoch.get(batch) === k.epoch
            ? op(tx, batch, k)
            : this.#ensureRow(tx, batch, k, access).then(() => op(tx, batch, k)),
        );
        if (k.pending !== undefined) {
          const { pending: _, ...stored } = k;
          this.#cache(stored);
        }
        return result;
      } catch (e) {
        if (attempt < 3 && isVerityError(e, 'VERITY_E_STORE_CONFLICT') && e.details?.['retry'] === true) continue;
        // A reference another process's shred ended: the id's next one, where the id is known (D428).
        if (
          attempt < 3 &&
          resolve !== undefined &&
          isVerityError(e, 'VERITY_E_STORE_CONFLICT') &&
          e.details?.['ended']
        ) {
          ref = await resolve();
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Inside the write transaction: makes sure the subject's key row is the one `k` came from,
   * inserting it when new. A row changed by another process (shredded, or created concurrently)
   * is a conflict; the caller retries with fresh keys.
   */
  async #ensureRow(tx: StoreWriter, batch: LogBatch, k: SubjectKeys, access: Access): Promise<void> {
    // `subjects.epoch` grows whenever any subject key is deleted (shredding), in every process.
    // A key seen stored at the current epoch is still stored: no row read needed. The epoch is
    // read once per transaction.
    let epoch = this.#batchEpoch.get(batch);
    if (epoch === undefined) {
      epoch = Number((await tx.getMeta('subjects.epoch')) ?? '0');
      this.#batchEpoch.set(batch, epoch);
      // A shred anywhere: the references of shredded ids changed (D428).
      if (this.#epochSeen !== undefined && epoch !== this.#epochSeen) this.#refs.clear();
      this.#epochSeen = epoch;
    }
    if (k.pending === undefined && k.epoch === epoch) return;
    const row = await tx.getSubjectKey(k.ref);
    if (row !== undefined) {
      if (k.pending === undefined && row.createdAt === k.createdAt) {
        k.epoch = epoch;
        return;
      }
      this.#subjects.delete(k.ref);
      throw keyConflict('the subject key changed while writing; retry');
    }
    if (k.pending === undefined) {
      this.#subjects.delete(k.ref);
      throw keyConflict('the subject key was shredded while writing; retry');
    }
    const minKek = Number((await tx.getMeta('kek.min')) ?? '0');
    if (k.pending.kekVersion < minKek) throw keyConflict('the key-encryption key was rotated while writing; retry');
    // No key under a reference a shred ended (D428): a reference cached before another process's
    // shred, or a session's, would link what is written now to what was erased.
    if ((await tx.getObject(SHRED_MARK_KIND, k.pending.mark)) !== undefined) {
      this.forgetRef(k.ref);
      throw new StoreError(
        'VERITY_E_STORE_CONFLICT',
        "the subject was erased (its key shredded) while this request was on its way: send it again (a player's session opened before the erasure ends with it)",
        { details: { ended: true } },
      );
    }
    const { mark: _mark, ...fresh } = k.pending;
    await tx.insertSubjectKey(fresh);
    k.epoch = epoch;
    batch.add(
      auditEntry(this.#ctx.clock, access, 'key.create', `kek:${k.pending.kekVersion}`, { subject: k.pseudonym }),
    );
  }

  /**
   * Rotates the key-encryption key online: a new KEK version becomes current, every subject data
   * key is re-wrapped under it in batches (payloads are not re-encrypted, reads and writes go on),
   * and with `destroyRetired` every retired KEK that no longer wraps anything is destroyed.
   */
  async rotateKeys(
    access: Access & { destroyRetired?: boolean; batchSize?: number },
  ): Promise<{ kekVersion: number; rewrapped: number; destroyed: number[] }> {
    checkPurpose(access.purpose);
    const { store, keys, log, clock } = this.#ctx;
    const batchSize = access.batchSize ?? 500;
    const kekVersion = await keys.rotateKek();
    await log.submit(async (tx, batch) => {
      // From here on no transaction may store a subject key wrapped under an older version.
      await tx.setMeta('kek.min', String(kekVersion));
      const index = batch.add(auditEntry(clock, access, 'key.rotate', `kek:${kekVersion}`));
      // The operators' history of rotations (GET /v1/trust/operations/history) reads this, not the log.
      await noteOpsHistory(tx, 'rotation', index, clock.now());
    });
    const rewrapped = await this.#rewrapBelow(kekVersion, keys, keys, batchSize, access);
    const destroyed: number[] = [];
    if (access.destroyRetired === true) {
      const counts = await store.reader.countSubjectKeysByKek();
      for (const kek of await keys.listKeks()) {
        if (kek.state !== 'retired' || (counts.get(kek.version) ?? 0) > 0) continue;
        await keys.destroyKek(kek.version);
        await log.submit((_tx, batch) => batch.add(auditEntry(clock, access, 'key.destroy', `kek:${kek.version}`)));
        destroyed.push(kek.version);
      }
    }
    return { kekVersion, rewrapped, destroyed };
  }

  /**
   * Moves every subject key to another key store (`verity keys migrate`): each is unwrapped by the
   * current store and wrapped by `target`, in batches, each batch logged. `target`'s current KEK
   * version must be above every version of the current store, so that a row's version says which
   * store wrapped it; `kek.min` then refuses writes under the old store until the data directory
   * names the new one. Run it with the data directory otherwise idle.
   */
  async migrateKeys(
    target: KeyStore,
    access: Access & { batchSize?: number },
  ): Promise<{ kekVersion: number; rewrapped: number }> {
    checkPurpose(access.purpose);
    const { keys, log, clock } = this.#ctx;
    const kekVersion = await target.currentKekVersion();
    const sourceTop = Math.max(0, ...(await keys.listKeks()).map((k) => k.version));
    if (kekVersion <= sourceTop)
      throw new KeyError(
        'VERITY_E_KEY_IN_USE',
        `the new key store's current key-encryption key (${kekVersion}) must be above every version of the current one (${sourceTop})`,
      );
    // Not in the operators' rotation history, which lists `key.rotate` entries only.
    await log.submit(async (tx, batch) => {
      await tx.setMeta('kek.min', String(kekVersion));
      batch.add(
        auditEntry(clock, access, 'key.migrate', `kek:${kekVersion}`, {
          details: { from: keys.kind, to: target.kind },
        }),
      );
    });
    this.#subjects.clear();
    const rewrapped = await this.#rewrapBelow(kekVersion, keys, target, access.batchSize ?? 500, access);
    return { kekVersion, rewrapped };
  }

  /** Re-wraps every subject key below `kekVersion`: unwrapped by `from`, wrapped by `to` (the same store for a rotation). */
  async #rewrapBelow(
    kekVersion: number,
    from: KeyStore,
    to: KeyStore,
    batchSize: number,
    access: Access,
  ): Promise<number> {
    const { store, log, clock } = this.#ctx;
    let rewrapped = 0;
    for (;;) {
      const rows = await store.reader.listSubjectKeysBelow(kekVersion, batchSize);
      if (rows.length === 0) break;
      const updated: SubjectKeyRow[] = [];
      for (const row of rows) {
        const ctx = subjectKeyContext(row.subjectRef);
        const key = await from.unwrapKey({ kekVersion: row.kekVersion, bytes: row.wrappedKey }, ctx);
        const w = await to.wrapKey(key, ctx);
        key.fill(0);
        if (w.kekVersion < kekVersion)
          throw new KeyError('VERITY_E_KEY_IN_USE', 'the key store did not switch to the new key-encryption key');
        updated.push({ ...row, kekVersion: w.kekVersion, wrappedKey: w.bytes });
      }
      const { result } = await log.submit(async (tx, batch) => {
        const live: SubjectKeyRow[] = [];
        for (const u of updated) {
          const cur = await tx.getSubjectKey(u.subjectRef);
          // Skip keys shredded or replaced meanwhile (a replacement is wrapped under the new KEK,
          // since `kek.min` forbids older ones, so the listing above never returns it again).
          if (cur !== undefined && cur.createdAt === u.createdAt && cur.kekVersion < kekVersion) live.push(u);
        }
        await tx.updateSubjectKeys(live);
        batch.add(auditEntry(clock, access, 'key.rewrap', `kek:${kekVersion}`, { details: { count: live.length } }));
        return live.length;
      });
      rewrapped += result;
    }
    return rewrapped;
  }
}
