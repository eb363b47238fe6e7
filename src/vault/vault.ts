import { systemClock } from '../clock/index.ts';
import type { JsonValue } from '../encoding/index.ts';
import type { KekInfo, KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { RecordStateProof } from '../smt/index.ts';
import type { LifecycleState, Store } from '../store/index.ts';
import { type Access, DEFAULT_VAULT_LIMITS, type VaultContext, type VaultOptions } from './context.ts';
import { Erasure } from './erasure.ts';
import { Keyring, SUBJECT_INDEX_KEY } from './keyring.ts';
import { Lifecycle } from './lifecycle.ts';
import type { RecordMeta } from './model.ts';
import { type ListDecision, type ReadResult, type RecordFacts, RecordReader } from './read.ts';
import { SchemaRegistry, validateAgainst } from './schemas.ts';
import { type GuardianshipEvidence, SubjectFacts } from './subjects.ts';
import { type PutInput, type PutResult, RecordWriter } from './write.ts';

/**
 * Sealed records (FGMV-46 6.2, 7.1.1, 7.1.2, 7.1.5): typed JSON validated against a schema per
 * type, sealed with AES-256-GCM under the subject's data key with the record's identity bound as
 * additional data, versioned, and written together with an audit entry in one durable transaction.
 * Every read is itself audited and returns an inclusion proof that Verity checked before answering.
 *
 * The vault is the one public face over parts of one job each, built on the same injected store,
 * key store, log and clock: schemas (`schemas.ts`), subject keys and KEK rotation (`keyring.ts`),
 * the write path (`write.ts`), the read path and proofs (`read.ts`), lifecycle and retention
 * (`lifecycle.ts`), erasure and shredding (`erasure.ts`), and guardianship (`subjects.ts`).
 *
 * @example
 * ```ts
 * const vault = await Vault.open(store, keys, log);
 * const access = { actor: 'service:world-1', purpose: 'service-provision' };
 * const { id } = await vault.put({ ...access, subject: 'player-1', type: 'avatar.profile', data: { level: 7 } });
 * const { data, proof } = await vault.get(id, access);
 * ```
 */
export class Vault {
  readonly #schemas: SchemaRegistry;
  readonly #keyring: Keyring;
  readonly #writer: RecordWriter;
  readonly #reader: RecordReader;
  readonly #erasure: Erasure;
  readonly #lifecycle: Lifecycle;
  readonly #subjects: SubjectFacts;
  readonly #keys: KeyStore;
  readonly #store: Store;

  constructor(store: Store, keys: KeyStore, log: TransparencyLog, options: VaultOptions = {}) {
    const ctx: VaultContext = {
      store,
      keys,
      log,
      clock: options.clock ?? systemClock,
      limits: { ...DEFAULT_VAULT_LIMITS, ...options.limits },
      guard: options.guard,
    };
    this.#schemas = new SchemaRegistry(ctx, options.unknownTypes ?? 'reject');
    this.#keyring = new Keyring(ctx);
    this.#writer = new RecordWriter(ctx, this.#keyring, this.#schemas);
    this.#reader = new RecordReader(ctx, this.#keyring);
    this.#erasure = new Erasure(ctx, this.#keyring);
    this.#lifecycle = new Lifecycle(ctx, this.#keyring, this.#erasure);
    this.#subjects = new SubjectFacts(ctx, this.#keyring);
    this.#keys = keys;
    this.#store = store;
  }

  /** Prepares the keys the vault needs. */
  static async open(store: Store, keys: KeyStore, log: TransparencyLog, options: VaultOptions = {}): Promise<Vault> {
    await keys.ensureMacKey(SUBJECT_INDEX_KEY);
    return new Vault(store, keys, log, options);
  }

  /** The storage reference of a subject id: a keyed pseudonym (HMAC-SHA-256), never the id itself. */
  subjectRef(subject: string): Promise<string> {
    return this.#keyring.subjectRef(subject);
  }

  /**
   * The audit-trail pseudonym of the subject with storage reference `subjectRef` (what its log
   * entries carry in `subject`), or undefined when the subject has no data key: nothing was ever
   * stored for it, or it was shredded, and then its entries can no longer be linked to it.
   */
  async auditPseudonym(subjectRef: string): Promise<string | undefined> {
    return (await this.#keyring.stored(subjectRef))?.pseudonym;
  }

  /**
   * The key state a subject's records are sealed under, as evidence for a trust report: the
   * version of the key-encryption key that wraps the subject's data key and that KEK's state, or
   * undefined when the subject has no data key (none yet, or shredded). Reads no record.
   */
  async keyEvidence(subjectRef: string): Promise<{ kekVersion: number; kekState: KekInfo['state'] } | undefined> {
    // The row, checked against the state map by the store's reader like every row it returns.
    const k = await this.#store.reader.getSubjectKey(subjectRef);
    if (k === undefined) return undefined;
    const kek = (await this.#keys.listKeks()).find((x) => x.version === k.kekVersion);
    return { kekVersion: k.kekVersion, kekState: kek?.state ?? 'destroyed' };
  }

  /** The key-encryption keys and their states (versions, no key material). */
  keks(): Promise<readonly KekInfo[]> {
    return this.#keys.listKeks();
  }

  /** Registers (or replaces) the JSON Schema of a record type; audited. */
  registerSchema(
    type: string,
    schema: JsonValue,
    access: Access,
  ): Promise<{ type: string; schema: string; logIndex: number }> {
    return this.#schemas.register(type, schema, access);
  }

  /**
   * Writes a record (a new one, or a new version when `id` is given). Resolves once the sealed
   * record and its audit entry are durable.
   */
  put(input: PutInput): Promise<PutResult> {
    return this.#writer.put(input);
  }

  /**
   * Reads one version (default: the latest). The read is audited before the data is returned, and
   * the returned proof shows that the version's write entry is in the signed log; Verity verifies
   * that proof itself first, so a tampered store is reported instead of served.
   */
  get(id: string, access: Access & { version?: number; facts?: RecordFacts }): Promise<ReadResult> {
    return this.#reader.get(id, access);
  }

  /**
   * What an authorization decision needs to know about a record, read without decrypting and
   * without an audit entry (the decision itself is audited by the caller). Undefined when absent.
   * With `version`, that version: versions may differ in classification, so a read of an older
   * version is decided on that version's metadata, and then reads that very version.
   */
  /**
   * Checks `data` against the schema of `type` as a write would (VERITY_E_RECORD_SCHEMA), writing
   * nothing: for a caller that writes several records and must refuse before the first (D415).
   */
  async checkData(type: string, data: JsonValue): Promise<void> {
    validateAgainst((await this.#schemas.validator(type)).validate, data, type);
  }

  describe(id: string, version?: number): Promise<RecordFacts | undefined> {
    return this.#reader.describe(id, version);
  }

  /** Metadata of every version of a record, oldest first (audited). */
  history(id: string, access: Access): Promise<RecordMeta[]> {
    return this.#reader.history(id, access);
  }

  /**
   * Metadata of the latest version of each record of a subject (audited). With `decide`, only the
   * records the caller may read; every decision comes before the audit entry, which counts only
   * what is returned (see `ListDecision`).
   */
  listBySubject(
    subject: string,
    access: Access & { limit?: number; after?: string; decide?: ListDecision },
  ): Promise<RecordMeta[]> {
    return this.#reader.listBySubject(subject, access);
  }

  /** Moves the latest version of a record to another lifecycle state (audited). */
  transition(
    id: string,
    to: LifecycleState,
    access: Access,
  ): Promise<{ id: string; version: number; from: LifecycleState; to: LifecycleState; logIndex: number }> {
    return this.#lifecycle.transition(id, to, access);
  }

  /** Erases every version of a record: the sealed payloads are deleted, the erasure audited. */
  erase(
    id: string,
    access: Access & { reason?: 'request' | 'retention' },
  ): Promise<{ id: string; versions: number; logIndex: number }> {
    return this.#erasure.erase(id, access);
  }

  /**
   * The proof, under the latest signed checkpoint, of what the state map holds for a record now: its
   * current row (an erased one is its tombstone), or its absence.
   */
  stateOf(id: string): Promise<RecordStateProof> {
    return this.#reader.stateOf(id);
  }

  /** The log pseudonym of a subject (by reference), or undefined when it has no key (none yet, or shredded). */
  pseudonymOf(subjectRef: string): Promise<string | undefined> {
    return this.auditPseudonym(subjectRef);
  }

  /** `shredSubject` for a subject known by its reference only (a player session names no subject id). */
  shredSubjectRef(
    subjectRef: string,
    access: Access & { rotate?: boolean },
  ): Promise<{ versions: number; logIndex: number; destroyedKeks: number[] }> {
    return this.#erasure.shredRef(subjectRef, access);
  }

  /** Erases records whose retention deadline has passed (audited one by one). */
  sweepExpired(access: Access, limit = 1000): Promise<number> {
    return this.#lifecycle.sweepExpired(access, limit);
  }

  /**
   * Crypto-shreds a subject: deletes its data key and sealed payloads, audited under the subject's
   * pseudonym; unless `rotate` is false, then rotates the KEK and destroys every retired one so
   * that backups cannot unwrap the shredded key either.
   */
  shredSubject(
    subject: string,
    access: Access & { rotate?: boolean },
  ): Promise<{ versions: number; logIndex: number; destroyedKeks: number[] }> {
    return this.#erasure.shredSubject(subject, access);
  }

  /**
   * Records whether a subject is a minor and who their guardians are (other subjects), the facts
   * the access policies read about a record's owner, citing the evidence for them (audited with the
   * evidence's kind and a salted commitment, the salt answered). Callers authorize it first (`setGuardianship` in the policies).
   */
  setGuardianship(
    subject: string,
    facts: { readonly minor: boolean; readonly guardians: readonly string[] },
    evidence: GuardianshipEvidence,
    access: Access,
  ): Promise<{ logIndex: number; evidenceSalt: string }> {
    return this.#subjects.setGuardianship(subject, facts, evidence, access);
  }

  /** What is recorded about a subject (by reference) for authorization: minority and guardians. */
  subjectFacts(subjectRef: string): Promise<{ minor: boolean; guardians: readonly string[] }> {
    return this.#subjects.subjectFacts(subjectRef);
  }

  /**
   * Rotates the key-encryption key online: every subject data key is re-wrapped under the new one
   * in batches while reads and writes go on; with `destroyRetired`, retired KEKs that no longer
   * wrap anything are destroyed.
   */
  rotateKeys(
    access: Access & { destroyRetired?: boolean; batchSize?: number },
  ): Promise<{ kekVersion: number; rewrapped: number; destroyed: number[] }> {
    return this.#keyring.rotateKeys(access);
  }

  /** Moves every subject data key to another key store (see Keyring.migrateKeys). */
  migrateKeys(
    target: KeyStore,
    access: Access & { batchSize?: number },
  ): Promise<{ kekVersion: number; rewrapped: number }> {
    return this.#keyring.migrateKeys(target, access);
  }
}
