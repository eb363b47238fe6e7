import { createPublicKey, verify as verifySignature } from 'node:crypto';
import {
  type AuditAction,
  auditPseudonym,
  contentCommitment,
  decodeAuditEntry,
  deriveSubkey,
  encodeAuditEntry,
  isPurpose,
} from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import {
  bytesEqual,
  canonicalJson,
  canonicalJsonBytes,
  concatBytes,
  fromBase64,
  fromBase64Url,
  type JsonValue,
  jsonDepthExceeds,
  parseJson,
  randomBytesSecure,
  toBase64,
  toBase64Url,
  utf8,
} from '../encoding/index.ts';
import { bindAad, open as openEnvelope, seal } from '../envelope/index.ts';
import { InputError, isVerityError, KeyError, LogError, quote, StoreError, VaultError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { type InclusionProofCase, type LogBatch, MAX_ENTRY_BYTES, type TransparencyLog } from '../log/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import type { LifecycleState, RecordRow, Store, StoreWriter, SubjectKeyRow } from '../store/index.ts';
import {
  type Classification,
  type Provenance,
  type ProvenanceSignature,
  type RecordMeta,
  type Sensitivity,
  TRANSITIONS,
} from './model.ts';
import {
  checkTypeName,
  GENERIC_SCHEMA,
  GENERIC_SCHEMA_ID,
  SchemaCompiler,
  schemaDigest,
  validateAgainst,
} from './schemas.ts';

/** Most guardians one subject may have (as the store allows). */
const MAX_GUARDIANS = 16;

/** Name of the KeyStore MAC key that turns subject ids into storage references. */
export const SUBJECT_INDEX_KEY = 'subject-index';

/** Limits on what a record may hold. */
export interface VaultLimits {
  /** Canonical JSON size of a record's data. */
  readonly maxDataBytes: number;
  readonly maxDepth: number;
  readonly maxLineage: number;
}

export const DEFAULT_VAULT_LIMITS: VaultLimits = Object.freeze({
  maxDataBytes: 256 * 1024,
  maxDepth: 32,
  maxLineage: 64,
});

export interface VaultOptions {
  readonly clock?: Clock;
  /** What to do with a record type that has no registered schema. Default `reject`. */
  readonly unknownTypes?: 'generic' | 'reject';
  readonly limits?: Partial<VaultLimits>;
}

/** Who acts and why: every vault operation states both, and both land in the audit trail. */
export interface Access {
  /** The acting principal, e.g. `operator:cli`. */
  readonly actor: string;
  /** The purpose of processing, e.g. `service-provision`. */
  readonly purpose: string;
  /**
   * Hash of the policy set whose decision allowed this access (from `PolicyEngine.policyHash`):
   * the operation's audit entries then record the decision too.
   */
  readonly policy?: string;
}

/** The audit fields that name who acted under which authorization. */
function by(access: Access): { actor: string; policy?: string } {
  return access.policy === undefined ? { actor: access.actor } : { actor: access.actor, policy: access.policy };
}

/** Input of `Vault.put`. */
export interface PutInput extends Access {
  readonly subject: string;
  readonly type: string;
  readonly data: JsonValue;
  /** Set to write a new version of an existing record. */
  readonly id?: string;
  readonly origin?: 'created' | 'captured';
  readonly classification?: Partial<Classification>;
  readonly source?: string;
  readonly signature?: ProvenanceSignature;
  readonly lineage?: readonly string[];
  /** Retention deadline: RFC 3339 text or milliseconds since the epoch. */
  readonly retainUntil?: string | number;
}

export interface PutResult {
  readonly id: string;
  readonly version: number;
  readonly logIndex: number;
  readonly contentHash: string;
  readonly createdAt: string;
}

/** A read inclusion proof: a `verify-proof` case plus what a client needs to check it end to end. */
export interface RecordProof extends InclusionProofCase {
  /** The signed checkpoint whose root is `rootHash`. */
  readonly checkpoint: string;
  /** Standard base64 of the log entry at `leafIndex` (its leaf hash is `leafHash`). */
  readonly entry: string;
  /**
   * Base64url of the salt of the entry's content commitment: with the data it recomputes the
   * entry's `contentHash` (see `contentCommitment`), binding the data returned to the logged write.
   */
  readonly contentSalt: string;
}

export interface ReadResult {
  readonly data: JsonValue;
  readonly meta: RecordMeta;
  readonly proof: RecordProof;
  /** The log index of the audit entry that recorded this read. */
  readonly readLogIndex: number;
}

interface SubjectKeys {
  readonly ref: string;
  readonly createdAt: number;
  /** The `subjects.epoch` at which this key was last seen stored (see #ensureSubjectRow). */
  epoch?: number;
  /** Row to insert when the key is new and not yet stored. */
  readonly pending?: SubjectKeyRow;
  readonly sealKey: Uint8Array;
  readonly pseudonym: string;
}

interface NormalizedPut {
  readonly subject: string;
  readonly type: string;
  readonly purpose: string;
  readonly dataBytes: Uint8Array;
  readonly retainUntil: number | null;
  readonly classification: Classification;
  readonly provenance: Provenance;
  readonly lineage: string[];
  readonly origin: 'created' | 'captured';
}

interface StoredMeta {
  readonly origin: 'created' | 'captured';
  readonly classification: Classification;
  readonly provenance: Provenance;
  readonly lineage: readonly string[];
  readonly purpose: string;
  readonly contentHash: string;
  readonly schema: string;
}

const ID_RE = /^rec_[A-Za-z0-9_-]{22}$/;
const SENSITIVITIES: readonly Sensitivity[] = ['public', 'internal', 'confidential', 'restricted'];
const CATEGORY_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
const SOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const SUBJECT_CACHE = 10_000;

// The base64url alphabet in ASCII order, so that ids sort by creation time as text.
const SORTABLE_B64 = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/**
 * A new record id: `rec_`, 8 characters of creation time in milliseconds (48 bits), 14 random
 * characters (84 bits from the CSPRNG). Time-ordered ids make inserts append to the end of the
 * database's indexes instead of splitting pages all over them.
 */
function newRecordId(now: number): string {
  let out = 'rec_';
  let t = Math.max(0, Math.floor(now));
  const time: string[] = [];
  for (let i = 0; i < 8; i++) {
    time.push(SORTABLE_B64[t % 64] as string);
    t = Math.floor(t / 64);
  }
  out += time.reverse().join('');
  const r = randomBytesSecure(14);
  for (const b of r) out += SORTABLE_B64[b & 63];
  return out;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `record id ${quote(id)} is not a Verity record id (rec_ followed by 22 base64url characters)`,
    );
  }
  return id;
}

function checkSubject(subject: unknown): string {
  if (
    typeof subject !== 'string' ||
    subject.length === 0 ||
    subject.length > 256 ||
    /[\u0000-\u001f\u007f]/.test(subject)
  ) {
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      'the subject id must be 1 to 256 characters without control characters',
    );
  }
  return subject;
}

function checkPurpose(purpose: unknown): string {
  if (!isPurpose(purpose)) {
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `purpose ${quote(purpose)} must be a short token of lowercase letters, digits and \`._:-\` (e.g. \`service-provision\`)`,
    );
  }
  return purpose;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function recordAad(id: string, version: number, subjectRef: string, type: string): Uint8Array {
  return bindAad('verity/record/v1', [id, String(version), subjectRef, type]);
}

function subjectKeyContext(subjectRef: string): Uint8Array {
  return utf8(`verity/subject-key/v1\n${subjectRef}`);
}

/** A conflict on the subject's key row: the write is retried with fresh keys. */
function keyConflict(message: string): StoreError {
  return new StoreError('VERITY_E_STORE_CONFLICT', message, { details: { retry: true } });
}

/**
 * Sealed records (FGMV-46 6.2, 7.1.1, 7.1.2, 7.1.5): typed JSON validated against a schema per
 * type, sealed with AES-256-GCM under the subject's data key with the record's identity bound as
 * additional data, versioned, and written together with an audit entry in one durable transaction.
 * Every read is itself audited and returns an inclusion proof that Verity checked before answering.
 */
export class Vault {
  readonly #store: Store;
  readonly #keys: KeyStore;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #unknownTypes: 'generic' | 'reject';
  readonly #limits: VaultLimits;
  readonly #compiler = new SchemaCompiler();
  readonly #validators = new Map<
    string,
    { id: string; validate: ReturnType<SchemaCompiler['compile']>; until: number }
  >();
  readonly #refs = new Map<string, string>();
  readonly #subjects = new Map<string, SubjectKeys>();
  readonly #batchEpoch = new WeakMap<LogBatch, number>();
  #verifiedCheckpoint: { note: string; size: number; rootHash: Uint8Array } | undefined;

  constructor(store: Store, keys: KeyStore, log: TransparencyLog, options: VaultOptions = {}) {
    this.#store = store;
    this.#keys = keys;
    this.#log = log;
    this.#clock = options.clock ?? systemClock;
    this.#unknownTypes = options.unknownTypes ?? 'reject';
    this.#limits = { ...DEFAULT_VAULT_LIMITS, ...options.limits };
  }

  /** Prepares the keys the vault needs. */
  static async open(store: Store, keys: KeyStore, log: TransparencyLog, options: VaultOptions = {}): Promise<Vault> {
    await keys.ensureMacKey(SUBJECT_INDEX_KEY);
    return new Vault(store, keys, log, options);
  }

  // ---- subjects and their keys -------------------------------------------------------------

  /** The storage reference of a subject id: a keyed pseudonym (HMAC-SHA-256), never the id itself. */
  async subjectRef(subject: string): Promise<string> {
    checkSubject(subject);
    const cached = this.#refs.get(subject);
    if (cached !== undefined) return cached;
    const ref = toBase64Url(await this.#keys.mac(SUBJECT_INDEX_KEY, utf8(subject)));
    if (this.#refs.size >= SUBJECT_CACHE) this.#refs.clear();
    this.#refs.set(subject, ref);
    return ref;
  }

  #keysFrom(ref: string, dataKey: Uint8Array, createdAt: number, pending?: SubjectKeyRow): SubjectKeys {
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

  async #unwrapRow(row: SubjectKeyRow): Promise<SubjectKeys> {
    const key = await this.#keys.unwrapKey(
      { kekVersion: row.kekVersion, bytes: row.wrappedKey },
      subjectKeyContext(row.subjectRef),
    );
    return this.#keysFrom(row.subjectRef, key, row.createdAt);
  }

  /** The subject's keys: from cache, from the store, or (when `create`) freshly generated. */
  async #subjectKeys(ref: string, create: boolean): Promise<SubjectKeys | undefined> {
    const cached = this.#subjects.get(ref);
    if (cached !== undefined && cached.pending === undefined) return cached;
    const row = await this.#store.reader.getSubjectKey(ref);
    if (row !== undefined) {
      const k = await this.#unwrapRow(row);
      this.#cacheSubject(k);
      return k;
    }
    if (!create) return undefined;
    const { key, wrapped } = await this.#keys.generateDataKey(subjectKeyContext(ref));
    const createdAt = this.#clock.now();
    return this.#keysFrom(ref, key, createdAt, {
      subjectRef: ref,
      kekVersion: wrapped.kekVersion,
      wrappedKey: wrapped.bytes,
      createdAt,
    });
  }

  #cacheSubject(k: SubjectKeys): void {
    if (this.#subjects.size >= SUBJECT_CACHE) this.#subjects.clear();
    this.#subjects.set(k.ref, k);
  }

  /**
   * Inside the write transaction: makes sure the subject's key row is the one `k` came from,
   * inserting it when new. A row changed by another process (shredded, or created concurrently)
   * is a conflict; the caller retries with fresh keys.
   */
  async #ensureSubjectRow(tx: StoreWriter, batch: LogBatch, k: SubjectKeys, access: Access): Promise<void> {
    // `subjects.epoch` grows whenever any subject key is deleted (shredding), in every process.
    // A key seen stored at the current epoch is still stored: no row read needed. The epoch is
    // read once per transaction.
    let epoch = this.#batchEpoch.get(batch);
    if (epoch === undefined) {
      epoch = Number((await tx.getMeta('subjects.epoch')) ?? '0');
      this.#batchEpoch.set(batch, epoch);
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
    await tx.insertSubjectKey(k.pending);
    k.epoch = epoch;
    batch.add(
      encodeAuditEntry({
        ...by(access),
        action: 'key.create',
        resource: `kek:${k.pending.kekVersion}`,
        purpose: access.purpose,
        outcome: 'success',
        time: this.#clock.now(),
        subject: k.pseudonym,
      }),
    );
  }

  #committed(k: SubjectKeys): void {
    if (k.pending === undefined) return;
    const { pending: _, ...stored } = k;
    this.#cacheSubject(stored);
  }

  // ---- schemas -----------------------------------------------------------------------------

  /** Registers (or replaces) the JSON Schema of a record type; audited. */
  async registerSchema(
    type: string,
    schema: JsonValue,
    access: Access,
  ): Promise<{ type: string; schema: string; logIndex: number }> {
    checkTypeName(type);
    checkPurpose(access.purpose);
    const text = canonicalJson(schema);
    if (utf8(text).byteLength > 256 * 1024)
      throw new InputError('VERITY_E_INPUT_TOO_LARGE', 'a schema may be at most 256 KiB');
    this.#compiler.compile(schema, type);
    const digest = schemaDigest(schema);
    const { result } = await this.#log.submit(async (tx, batch) => {
      await tx.putSchema({ type, schema: text, createdAt: this.#clock.now() });
      return batch.add(
        encodeAuditEntry({
          ...by(access),
          action: 'schema.register',
          resource: `schema:${type}`,
          purpose: access.purpose,
          outcome: 'success',
          time: this.#clock.now(),
          contentHash: digest,
        }),
      );
    });
    this.#validators.delete(type);
    return { type, schema: `${type}@${digest}`, logIndex: result };
  }

  async #validator(type: string): Promise<{ id: string; validate: ReturnType<SchemaCompiler['compile']> }> {
    const now = this.#clock.now();
    const cached = this.#validators.get(type);
    if (cached !== undefined && cached.until > now) return cached;
    const row = await this.#store.reader.getSchema(type);
    let v: { id: string; validate: ReturnType<SchemaCompiler['compile']>; until: number };
    if (row !== undefined) {
      const schema = parseJson(row.schema, { maxBytes: 256 * 1024, maxDepth: 64 }, 'stored schema');
      v = {
        id: `${type}@${schemaDigest(schema)}`,
        validate: this.#compiler.compile(schema, type),
        until: now + 60_000,
      };
    } else if (this.#unknownTypes === 'generic') {
      v = { id: GENERIC_SCHEMA_ID, validate: this.#compiler.compile(GENERIC_SCHEMA, type), until: now + 5_000 };
    } else {
      throw new VaultError(
        'VERITY_E_RECORD_TYPE_UNKNOWN',
        `record type ${quote(type)} has no registered schema; register one with \`verity types add\``,
      );
    }
    this.#validators.set(type, v);
    return v;
  }

  // ---- writes ------------------------------------------------------------------------------

  #normalizePut(input: PutInput): NormalizedPut {
    const subject = checkSubject(input.subject);
    const type = checkTypeName(input.type);
    const purpose = checkPurpose(input.purpose);
    if (typeof input.data !== 'object' || input.data === null || Array.isArray(input.data)) {
      throw new InputError('VERITY_E_INPUT_INVALID', 'record data must be a JSON object');
    }
    let dataText: string;
    try {
      dataText = canonicalJson(input.data);
    } catch (cause) {
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'record data must be plain JSON (no undefined, functions or non-finite numbers)',
        { cause },
      );
    }
    const dataBytes = utf8(dataText);
    if (dataBytes.byteLength > this.#limits.maxDataBytes) {
      throw new InputError(
        'VERITY_E_INPUT_TOO_LARGE',
        `record data is ${dataBytes.byteLength} bytes; the limit is ${this.#limits.maxDataBytes}`,
      );
    }
    // The caller's object could be arbitrarily nested: measure its canonical text.
    if (jsonDepthExceeds(dataText, this.#limits.maxDepth)) {
      throw new InputError(
        'VERITY_E_INPUT_TOO_LARGE',
        `record data is nested deeper than ${this.#limits.maxDepth} levels`,
      );
    }
    let retainUntil: number | null = null;
    if (input.retainUntil !== undefined) {
      retainUntil = typeof input.retainUntil === 'number' ? input.retainUntil : Date.parse(input.retainUntil);
      if (!Number.isSafeInteger(retainUntil) || (retainUntil as number) < 0) {
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `retention deadline ${quote(input.retainUntil)} is not an RFC 3339 time`,
        );
      }
    }
    const category = input.classification?.category ?? 'unclassified';
    const sensitivity = input.classification?.sensitivity ?? 'confidential';
    if (!CATEGORY_RE.test(category))
      throw new InputError('VERITY_E_INPUT_INVALID', `data category ${quote(category)} is not a valid token`);
    if (!SENSITIVITIES.includes(sensitivity)) {
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `sensitivity ${quote(sensitivity)} must be one of ${SENSITIVITIES.join(', ')}`,
      );
    }
    if (input.source !== undefined && !SOURCE_RE.test(input.source)) {
      throw new InputError('VERITY_E_INPUT_INVALID', `source ${quote(input.source)} is not a valid token`);
    }
    const lineage = [...(input.lineage ?? [])];
    if (lineage.length > this.#limits.maxLineage) {
      throw new InputError(
        'VERITY_E_INPUT_TOO_LARGE',
        `lineage names ${lineage.length} records; at most ${this.#limits.maxLineage}`,
      );
    }
    lineage.forEach(checkId);
    const origin = input.origin ?? 'created';
    if (origin !== 'created' && origin !== 'captured') {
      throw new InputError('VERITY_E_INPUT_INVALID', 'origin must be `created` or `captured`');
    }
    if (input.signature !== undefined) this.#checkSignature(type, dataText, input.signature);
    const provenance: Provenance = {
      creator: input.actor,
      ...(input.source === undefined ? {} : { source: input.source }),
      ...(input.signature === undefined
        ? {}
        : { signature: { alg: 'Ed25519', publicKey: input.signature.publicKey, value: input.signature.value } }),
    };
    return {
      subject,
      type,
      purpose,
      dataBytes,
      retainUntil,
      classification: { category, sensitivity },
      provenance,
      lineage,
      origin,
    };
  }

  #checkSignature(type: string, dataText: string, sig: ProvenanceSignature): void {
    const bad = (why: string) => new InputError('VERITY_E_INPUT_INVALID', `the provenance signature ${why}`);
    if (sig.alg !== 'Ed25519') throw bad('must use alg `Ed25519`');
    const pub = fromBase64(sig.publicKey, 'signature public key');
    const value = fromBase64(sig.value, 'signature value');
    if (pub.byteLength !== 32 || value.byteLength !== 64) throw bad('has a key or value of the wrong length');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' });
    const message = utf8(`{"data":${dataText},"type":${JSON.stringify(type)}}`);
    if (!verifySignature(null, message, key, value)) throw bad('does not verify over the record type and data');
  }

  /**
   * Writes a record (a new one, or a new version when `id` is given). Resolves once the sealed
   * record and its audit entry are durable.
   */
  async put(input: PutInput): Promise<PutResult> {
    const n = this.#normalizePut(input);
    const validator = await this.#validator(n.type);
    validateAgainst(validator.validate, input.data, n.type);
    const id = input.id === undefined ? newRecordId(this.#clock.now()) : checkId(input.id);
    const ref = await this.subjectRef(n.subject);
    for (let attempt = 0; ; attempt++) {
      const k = (await this.#subjectKeys(ref, true)) as SubjectKeys;
      try {
        const { result } = await this.#log.submit((tx, batch) =>
          this.#putOp(tx, batch, k, id, input.id !== undefined, n, validator.id, input),
        );
        this.#committed(k);
        return result;
      } catch (e) {
        if (attempt < 3 && isVerityError(e, 'VERITY_E_STORE_CONFLICT') && e.details?.['retry'] === true) continue;
        throw e;
      }
    }
  }

  async #putOp(
    tx: StoreWriter,
    batch: LogBatch,
    k: SubjectKeys,
    id: string,
    isUpdate: boolean,
    n: NormalizedPut,
    schemaId: string,
    access: Access,
  ): Promise<PutResult> {
    await this.#ensureSubjectRow(tx, batch, k, access);
    let version = 1;
    if (isUpdate) {
      const prev = await tx.getRecord(id);
      if (prev === undefined)
        throw new VaultError(
          'VERITY_E_RECORD_NOT_FOUND',
          `record ${quote(id)} does not exist; omit the id to create a record`,
        );
      if (prev.state === 'erased')
        throw new VaultError('VERITY_E_RECORD_ERASED', `record ${quote(id)} was erased and cannot get new versions`);
      if (prev.subjectRef !== k.ref)
        throw new InputError('VERITY_E_INPUT_INVALID', `record ${quote(id)} belongs to another subject`);
      if (prev.type !== n.type)
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `record ${quote(id)} has type ${quote(prev.type)}, not ${quote(n.type)}`,
        );
      version = prev.version + 1;
    }
    const now = this.#clock.now();
    const salt = randomBytesSecure(16);
    const contentHash = contentCommitment(salt, n.dataBytes);
    const plaintext = concatBytes(
      utf8('{"data":'),
      n.dataBytes,
      utf8(`,"salt":${JSON.stringify(toBase64Url(salt))},"subject":${JSON.stringify(n.subject)}}`),
    );
    const envelope = seal(k.sealKey, plaintext, recordAad(id, version, k.ref, n.type));
    const logIndex = batch.add(
      encodeAuditEntry({
        ...by(access),
        action: version === 1 ? 'record.create' : 'record.update',
        resource: `record:${id}@${version}`,
        purpose: n.purpose,
        outcome: 'success',
        time: now,
        subject: k.pseudonym,
        contentHash,
        details: { type: n.type },
      }),
    );
    const meta: StoredMeta = {
      origin: n.origin,
      classification: n.classification,
      provenance: n.provenance,
      lineage: n.lineage,
      purpose: n.purpose,
      contentHash,
      schema: schemaId,
    };
    await tx.insertRecords([
      {
        id,
        version,
        subjectRef: k.ref,
        type: n.type,
        state: 'stored',
        // Metadata is stored, never hashed or signed: plain JSON is enough (and cheaper).
        meta: JSON.stringify(meta),
        envelope,
        createdAt: now,
        retainUntil: n.retainUntil,
        logIndex,
      },
    ]);
    return { id, version, logIndex, contentHash, createdAt: new Date(now).toISOString() };
  }

  // ---- reads -------------------------------------------------------------------------------

  #meta(row: RecordRow, subject?: string): RecordMeta {
    const m = parseJson(row.meta, { maxBytes: 1024 * 1024, maxDepth: 8 }, 'stored metadata') as unknown as StoredMeta;
    return {
      id: row.id,
      version: row.version,
      type: row.type,
      ...(subject === undefined ? {} : { subject }),
      state: row.state,
      origin: m.origin,
      classification: m.classification,
      provenance: m.provenance,
      lineage: m.lineage,
      purpose: m.purpose,
      createdAt: new Date(row.createdAt).toISOString(),
      retainUntil: iso(row.retainUntil),
      contentHash: m.contentHash,
      schema: m.schema,
      logIndex: row.logIndex,
    };
  }

  async #audit(
    action: AuditAction,
    resource: string,
    access: Access,
    extra: { subject?: string; details?: Record<string, string | number | boolean> } = {},
  ): Promise<number> {
    const { result } = await this.#log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          ...by(access),
          action,
          resource,
          purpose: access.purpose,
          outcome: 'success',
          time: this.#clock.now(),
          ...extra,
        }),
      ),
    );
    return result;
  }

  /**
   * Reads one version (default: the latest). The read is audited before the data is returned, and
   * the returned proof shows that the version's write entry is in the signed log; Verity verifies
   * that proof itself first, so a tampered store is reported instead of served.
   */
  async get(id: string, access: Access & { version?: number }): Promise<ReadResult> {
    checkId(id);
    checkPurpose(access.purpose);
    if (access.version !== undefined && (!Number.isSafeInteger(access.version) || access.version < 1)) {
      throw new InputError('VERITY_E_INPUT_INVALID', `version ${quote(access.version)} must be a positive integer`);
    }
    const row = await this.#store.reader.getRecord(id, access.version);
    if (row === undefined)
      throw new VaultError(
        'VERITY_E_RECORD_NOT_FOUND',
        `record ${quote(id)}${access.version === undefined ? '' : ` version ${access.version}`} does not exist`,
      );
    if (row.state === 'erased' || row.envelope === null)
      throw new VaultError('VERITY_E_RECORD_ERASED', `record ${quote(id)} version ${row.version} was erased`);
    const k = await this.#subjectKeys(row.subjectRef, false);
    if (k === undefined)
      throw new VaultError(
        'VERITY_E_SUBJECT_SHREDDED',
        `the keys of the subject of record ${quote(id)} were shredded; the data is gone`,
      );
    const plaintext = this.#open(k, row);
    const payload = parseJson(
      plaintext,
      { maxBytes: plaintext.byteLength, maxDepth: this.#limits.maxDepth + 2 },
      'sealed payload',
    ) as {
      data: JsonValue;
      salt: string;
      subject: string;
    };
    const meta = this.#meta(row, payload.subject);
    const dataBytes = canonicalJsonBytes(payload.data);
    const salt = fromBase64Url(payload.salt, 'sealed salt');
    if (contentCommitment(salt, dataBytes) !== meta.contentHash) {
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        `record ${quote(id)} version ${row.version} does not match its logged content commitment`,
      );
    }
    const readLogIndex = await this.#audit('record.read', `record:${id}@${row.version}`, access, {
      subject: k.pseudonym,
      details: { type: row.type },
    });
    const proof = { ...(await this.#proveWrite(row, meta.contentHash)), contentSalt: payload.salt };
    return { data: payload.data, meta, proof, readLogIndex };
  }

  #open(k: SubjectKeys, row: RecordRow): Uint8Array {
    try {
      return openEnvelope(
        k.sealKey,
        row.envelope as Uint8Array,
        recordAad(row.id, row.version, row.subjectRef, row.type),
      );
    } catch (cause) {
      if (isVerityError(cause, 'VERITY_E_ENVELOPE_INVALID')) {
        throw new KeyError(
          'VERITY_E_ENVELOPE_INVALID',
          `record ${quote(row.id)} version ${row.version} failed authentication: its ciphertext or metadata was altered`,
          {
            cause,
          },
        );
      }
      throw cause;
    }
  }

  /** Builds and checks the inclusion proof of the entry that recorded `row`'s write. */
  async #proveWrite(row: RecordRow, contentHash: string): Promise<Omit<RecordProof, 'contentSalt'>> {
    const p = await this.#log.inclusionProof(row.logIndex);
    const [entry] = await this.#log.entries(row.logIndex, row.logIndex + 1);
    const tampered = (why: string) =>
      new LogError(
        'VERITY_E_LOG_TAMPERED',
        `the log entry of record ${quote(row.id)} version ${row.version} ${why}; run \`verity log verify\``,
      );
    if (entry === undefined || entry.byteLength > MAX_ENTRY_BYTES) throw tampered('is missing');
    const leaf = hashLeaf(entry);
    if (!bytesEqual(leaf, fromBase64(p.leafHash))) throw tampered('does not hash to the stored leaf');
    const e = decodeAuditEntry(entry);
    if (e.resource !== `record:${row.id}@${row.version}` || e.contentHash !== contentHash)
      throw tampered('names other content');
    const checkpoint = p.checkpoint ?? (await this.#log.checkpoint());
    // Many reads share one checkpoint (one per group commit): verify its signature once.
    let cp = this.#verifiedCheckpoint;
    if (cp === undefined || cp.note !== checkpoint) {
      const c = verifyCheckpoint(checkpoint, this.#log.verifier, this.#log.origin).checkpoint;
      cp = { note: checkpoint, size: c.size, rootHash: c.rootHash };
      this.#verifiedCheckpoint = cp;
    }
    try {
      if (cp.size !== p.treeSize || !bytesEqual(cp.rootHash, fromBase64(p.rootHash)))
        throw new Error('checkpoint mismatch');
      verifyInclusion(
        leaf,
        p.leafIndex,
        p.treeSize,
        p.proof.map((h) => fromBase64(h)),
        cp.rootHash,
      );
    } catch (cause) {
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        `the inclusion proof of record ${quote(row.id)} version ${row.version} does not verify against the signed checkpoint; run \`verity log verify\``,
        { cause },
      );
    }
    return { ...p, checkpoint, entry: toBase64(entry) };
  }

  /**
   * What an authorization decision needs to know about a record, read without decrypting and
   * without an audit entry (the decision itself is audited by the caller). Undefined when absent.
   */
  async describe(id: string): Promise<
    | {
        id: string;
        version: number;
        type: string;
        subjectRef: string;
        category: string;
        sensitivity: string;
        state: LifecycleState;
      }
    | undefined
  > {
    checkId(id);
    const row = await this.#store.reader.getRecord(id);
    if (row === undefined) return undefined;
    const m = this.#meta(row);
    return {
      id,
      version: row.version,
      type: row.type,
      subjectRef: row.subjectRef,
      category: m.classification.category,
      sensitivity: m.classification.sensitivity,
      state: row.state,
    };
  }

  /** Metadata of every version of a record, oldest first (audited). */
  async history(id: string, access: Access): Promise<RecordMeta[]> {
    checkId(id);
    checkPurpose(access.purpose);
    const rows = await this.#store.reader.listRecordVersions(id);
    const last = rows[rows.length - 1];
    if (last === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', `record ${quote(id)} does not exist`);
    const k = await this.#subjectKeys(last.subjectRef, false);
    await this.#audit('record.history', `record:${id}`, access, k === undefined ? {} : { subject: k.pseudonym });
    return rows.map((r) => this.#meta(r));
  }

  /** Metadata of the latest version of each record of a subject (audited). */
  async listBySubject(subject: string, access: Access & { limit?: number; after?: string }): Promise<RecordMeta[]> {
    checkPurpose(access.purpose);
    const limit = access.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
      throw new InputError('VERITY_E_INPUT_INVALID', 'limit must be 1 to 1000');
    if (access.after !== undefined) checkId(access.after);
    const ref = await this.subjectRef(subject);
    const rows = await this.#store.reader.listRecordsBySubject(ref, {
      limit,
      ...(access.after === undefined ? {} : { after: access.after }),
    });
    const k = await this.#subjectKeys(ref, false);
    await this.#audit('subject.list', 'subject:records', access, {
      ...(k === undefined ? {} : { subject: k.pseudonym }),
      details: { count: rows.length },
    });
    return rows.map((r) => this.#meta(r, subject));
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
        `state ${quote(to)} is not a lifecycle state you can move to (erase has its own command)`,
      );
    }
    const current = await this.#store.reader.getRecord(id);
    if (current === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', `record ${quote(id)} does not exist`);
    const k = await this.#subjectKeys(current.subjectRef, false);
    const { result } = await this.#log.submit(async (tx, batch) => {
      const row = await tx.getRecord(id);
      if (row === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', `record ${quote(id)} does not exist`);
      if (!TRANSITIONS[row.state].includes(to)) {
        throw new VaultError(
          'VERITY_E_RECORD_STATE',
          `record ${quote(id)} is ${row.state} and cannot move to ${to}; allowed: ${TRANSITIONS[row.state].join(', ') || 'none'}`,
        );
      }
      await tx.setRecordState(id, row.version, to);
      const logIndex = batch.add(
        encodeAuditEntry({
          ...by(access),
          action: 'record.transition',
          resource: `record:${id}@${row.version}`,
          purpose: access.purpose,
          outcome: 'success',
          time: this.#clock.now(),
          ...(k === undefined ? {} : { subject: k.pseudonym }),
          details: { from: row.state, to },
        }),
      );
      return { id, version: row.version, from: row.state, to, logIndex };
    });
    return result;
  }

  /** Erases every version of a record: the sealed payloads are deleted, the erasure audited. */
  async erase(
    id: string,
    access: Access & { reason?: 'request' | 'retention' },
  ): Promise<{ id: string; versions: number; logIndex: number }> {
    checkId(id);
    checkPurpose(access.purpose);
    const row = await this.#store.reader.getRecord(id);
    if (row === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', `record ${quote(id)} does not exist`);
    const k = await this.#subjectKeys(row.subjectRef, false);
    const { result } = await this.#log.submit(async (tx, batch) => {
      const versions = await tx.eraseRecord(id);
      const logIndex = batch.add(
        encodeAuditEntry({
          ...by(access),
          action: 'record.erase',
          resource: `record:${id}`,
          purpose: access.purpose,
          outcome: 'success',
          time: this.#clock.now(),
          ...(k === undefined ? {} : { subject: k.pseudonym }),
          details: { versions, reason: access.reason ?? 'request' },
        }),
      );
      return { id, versions, logIndex };
    });
    return result;
  }

  /** Erases records whose retention deadline has passed (audited one by one). */
  async sweepExpired(access: Access, limit = 1000): Promise<number> {
    const rows = await this.#store.reader.listExpiredRecords(this.#clock.now(), limit);
    for (const r of rows) await this.erase(r.id, { ...access, reason: 'retention' });
    return rows.length;
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
    checkPurpose(access.purpose);
    const ref = await this.subjectRef(subject);
    const k = await this.#subjectKeys(ref, false);
    if (k === undefined)
      throw new KeyError(
        'VERITY_E_KEY_NOT_FOUND',
        'this subject has no data key: nothing is stored for it, or it was shredded already',
      );
    const { result } = await this.#log.submit(async (tx, batch) => {
      const existed = await tx.deleteSubjectKey(ref);
      if (!existed) throw new KeyError('VERITY_E_KEY_NOT_FOUND', 'the subject was shredded already');
      // Tell every process that cached subject keys must be checked against the store again.
      await tx.setMeta('subjects.epoch', String(Number((await tx.getMeta('subjects.epoch')) ?? '0') + 1));
      const versions = await tx.eraseSubjectRecords(ref);
      await tx.deleteSubjectFacts(ref);
      const logIndex = batch.add(
        encodeAuditEntry({
          ...by(access),
          action: 'subject.shred',
          resource: 'subject:key',
          purpose: access.purpose,
          outcome: 'success',
          time: this.#clock.now(),
          subject: k.pseudonym,
          details: { versions },
        }),
      );
      return { versions, logIndex };
    });
    this.#subjects.delete(ref);
    k.sealKey.fill(0);
    const destroyedKeks =
      access.rotate === false ? [] : (await this.rotateKeys({ ...access, destroyRetired: true })).destroyed;
    return { ...result, destroyedKeks };
  }

  /**
   * Records whether a subject is a minor and who their guardians are (other subjects), the facts
   * the access policies read about a record's owner. Replaces what was recorded before; a subject
   * who is not a minor and has no guardians has no facts kept. Audited (the entry names the subject
   * by pseudonym and counts the guardians; guardians are stored only as subject references).
   */
  async setGuardianship(
    subject: string,
    facts: { readonly minor: boolean; readonly guardians: readonly string[] },
    access: Access,
  ): Promise<{ logIndex: number }> {
    checkPurpose(access.purpose);
    if (typeof facts?.minor !== 'boolean' || !Array.isArray(facts.guardians))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'guardianship needs `minor` (true or false) and `guardians` (a list)',
      );
    if (facts.guardians.length > MAX_GUARDIANS)
      throw new InputError('VERITY_E_INPUT_INVALID', `a subject has at most ${MAX_GUARDIANS} guardians`);
    const ref = await this.subjectRef(subject);
    const guardians = [...new Set(await Promise.all(facts.guardians.map((g) => this.subjectRef(g))))].sort();
    if (guardians.includes(ref))
      throw new InputError('VERITY_E_INPUT_INVALID', 'a subject cannot be their own guardian');
    for (let attempt = 0; ; attempt++) {
      const k = (await this.#subjectKeys(ref, true)) as SubjectKeys;
      try {
        const { result } = await this.#log.submit(async (tx, batch) => {
          await this.#ensureSubjectRow(tx, batch, k, access);
          if (facts.minor || guardians.length > 0)
            await tx.putSubjectFacts({ subjectRef: ref, minor: facts.minor, guardians, updatedAt: this.#clock.now() });
          else await tx.deleteSubjectFacts(ref);
          return batch.add(
            encodeAuditEntry({
              ...by(access),
              action: 'subject.guardianship',
              resource: 'subject:guardianship',
              purpose: access.purpose,
              outcome: 'success',
              time: this.#clock.now(),
              subject: k.pseudonym,
              details: { minor: facts.minor, guardians: guardians.length },
            }),
          );
        });
        this.#committed(k);
        return { logIndex: result };
      } catch (e) {
        if (attempt < 3 && isVerityError(e, 'VERITY_E_STORE_CONFLICT') && e.details?.['retry'] === true) continue;
        throw e;
      }
    }
  }

  /** What is recorded about a subject (by reference) for authorization: minority and guardians. */
  async subjectFacts(subjectRef: string): Promise<{ minor: boolean; guardians: readonly string[] }> {
    const f = await this.#store.reader.getSubjectFacts(subjectRef);
    return f === undefined ? { minor: false, guardians: [] } : { minor: f.minor, guardians: f.guardians };
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
    const batchSize = access.batchSize ?? 500;
    const kekVersion = await this.#keys.rotateKek();
    await this.#log.submit(async (tx, batch) => {
      // From here on no transaction may store a subject key wrapped under an older version.
      await tx.setMeta('kek.min', String(kekVersion));
      batch.add(this.#keyEvent('key.rotate', kekVersion, access));
    });
    let rewrapped = 0;
    for (;;) {
      const rows = await this.#store.reader.listSubjectKeysBelow(kekVersion, batchSize);
      if (rows.length === 0) break;
      const updated: SubjectKeyRow[] = [];
      for (const row of rows) {
        const ctx = subjectKeyContext(row.subjectRef);
        const key = await this.#keys.unwrapKey({ kekVersion: row.kekVersion, bytes: row.wrappedKey }, ctx);
        const w = await this.#keys.wrapKey(key, ctx);
        key.fill(0);
        if (w.kekVersion < kekVersion)
          throw new KeyError('VERITY_E_KEY_IN_USE', 'the key store did not switch to the new key-encryption key');
        updated.push({ ...row, kekVersion: w.kekVersion, wrappedKey: w.bytes });
      }
      const { result } = await this.#log.submit(async (tx, batch) => {
        const live: SubjectKeyRow[] = [];
        for (const u of updated) {
          const cur = await tx.getSubjectKey(u.subjectRef);
          // Skip keys shredded or replaced meanwhile.
          if (cur !== undefined && cur.createdAt === u.createdAt && cur.kekVersion < kekVersion) live.push(u);
        }
        await tx.updateSubjectKeys(live);
        batch.add(this.#keyEvent('key.rewrap', kekVersion, access, { count: live.length }));
        return live.length;
      });
      rewrapped += result;
      if (result === 0 && rows.length > 0) {
      }
    }
    const destroyed: number[] = [];
    if (access.destroyRetired === true) {
      const counts = await this.#store.reader.countSubjectKeysByKek();
      for (const kek of await this.#keys.listKeks()) {
        if (kek.state !== 'retired' || (counts.get(kek.version) ?? 0) > 0) continue;
        await this.#keys.destroyKek(kek.version);
        await this.#log.submit((_tx, batch) => batch.add(this.#keyEvent('key.destroy', kek.version, access)));
        destroyed.push(kek.version);
      }
    }
    return { kekVersion, rewrapped, destroyed };
  }

  #keyEvent(action: AuditAction, kekVersion: number, access: Access, details?: Record<string, number>): Uint8Array {
    return encodeAuditEntry({
      ...by(access),
      action,
      resource: `kek:${kekVersion}`,
      purpose: access.purpose,
      outcome: 'success',
      time: this.#clock.now(),
      ...(details === undefined ? {} : { details }),
    });
  }
}
