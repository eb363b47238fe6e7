// The read path: a record opened with its subject's key, checked against its logged content
// commitment, audited, and returned with an inclusion proof Verity verified first; plus the
// metadata reads (describe, history, listing by subject).
import { contentCommitment, decodeAuditEntry } from '../audit/index.ts';
import {
  bytesEqual,
  canonicalJsonBytes,
  fromBase64Url,
  type JsonValue,
  parseJson,
  toBase64,
} from '../encoding/index.ts';
import { open as openEnvelope } from '../envelope/index.ts';
import { InputError, isVerityError, KeyError, LogError, quote, VaultError } from '../errors/index.ts';
import { type InclusionProofCase, MAX_ENTRY_BYTES } from '../log/index.ts';
import { hashLeaf, InclusionBatchVerifier } from '../merkle/index.ts';
import {
  type RecordStateJson,
  type RecordStateProof,
  recordStateKey,
  recordVersionStateKey,
  stateProofToBase64,
  stateRootFromExtensions,
} from '../smt/index.ts';
import { type LifecycleState, proveState, type RecordRow, recordStateFields, recordValue } from '../store/index.ts';
import { type Access, audit, checkId, checkPurpose, recordNotFound, subjectOf, type VaultContext } from './context.ts';
import type { Keyring, SubjectKeys } from './keyring.ts';
import { type RecordMeta, recordAad, type StoredMeta } from './model.ts';

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
  /** That this version is the record's current one (or the superseded version asked for), under the state root of `checkpoint`. */
  readonly state: RecordStateProof;
}

export interface ReadResult {
  readonly data: JsonValue;
  readonly meta: RecordMeta;
  readonly proof: RecordProof;
  /** The log index of the audit entry that recorded this read. */
  readonly readLogIndex: number;
}

/** What an authorization decision needs to know about a record (see `Vault.describe`). */
/**
 * The row behind each RecordFacts `describe` returned, so that `get` given those facts reads the
 * same version row once instead of twice (an HTTP read decides on the facts, then reads). Keyed by
 * the facts object: gone when the caller drops it.
 */
const describedRows = new WeakMap<RecordFacts, RecordRow>();

export interface RecordFacts {
  readonly id: string;
  readonly version: number;
  readonly type: string;
  readonly subjectRef: string;
  readonly category: string;
  readonly sensitivity: string;
  readonly state: LifecycleState;
}

/**
 * How a caller decides which of a subject's records a listing returns (see `listBySubject`): every
 * decision is made before anything about the subject is logged.
 */
export interface ListDecision {
  /** Whether the caller may read this record. */
  permit(m: RecordMeta): boolean;
  /**
   * Called when the listing permits no record: throws to refuse the whole query (the caller logs
   * its denial). `after` describes the record the page starts after, when that is the subject's.
   */
  none(after: RecordFacts | undefined): Promise<void>;
}

/** Most records one listing looks at while it looks for permitted ones. */
const MAX_SCAN = 10_000;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * A row's stored metadata parsed once per row object (D313): a read parses it for the decision
 * (`describe`) and again for the answer (`get`) from the same row. Sound as D282: rows are
 * read-only once read, and every read from the database is a new row object.
 */
const parsedMeta = new WeakMap<RecordRow, StoredMeta>();

function storedMeta(row: RecordRow): StoredMeta {
  let m = parsedMeta.get(row);
  if (m === undefined) {
    m = parseJson(row.meta, { maxBytes: 1024 * 1024, maxDepth: 8 }, 'stored metadata') as unknown as StoredMeta;
    parsedMeta.set(row, m);
  }
  return m;
}

function recordMeta(row: RecordRow, subject?: string): RecordMeta {
  const m = storedMeta(row);
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

function openRecord(k: SubjectKeys, row: RecordRow): Uint8Array {
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
        { cause },
      );
    }
    throw cause;
  }
}

/** A checkpoint whose signature is known good, its roots, and the inclusion proofs verified under it. */
interface VerifiedCheckpoint {
  readonly note: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly stateRoot: Uint8Array | undefined;
  readonly inclusion: InclusionBatchVerifier<Uint8Array>;
}

/** Reads sealed records and their metadata. */
export class RecordReader {
  readonly #ctx: VaultContext;
  readonly #keyring: Keyring;
  #verifiedCheckpoint: VerifiedCheckpoint | undefined;

  constructor(ctx: VaultContext, keyring: Keyring) {
    this.#ctx = ctx;
    this.#keyring = keyring;
  }

  /**
   * Reads one version (default: the latest). The read is audited before the data is returned, and
   * the returned proof shows that the version's write entry is in the signed log; Verity verifies
   * that proof itself first, so a tampered store is reported instead of served.
   */
  async get(id: string, access: Access & { version?: number; facts?: RecordFacts }): Promise<ReadResult> {
    checkId(id);
    checkPurpose(access.purpose);
    if (access.version !== undefined && (!Number.isSafeInteger(access.version) || access.version < 1)) {
      throw new InputError('VERITY_E_INPUT_INVALID', `version ${quote(access.version)} must be a positive integer`);
    }
    // The row `describe` read (and checked against the state map) for the decision: read once.
    const described = access.facts === undefined ? undefined : describedRows.get(access.facts);
    const row =
      described !== undefined && described.id === id && (access.version ?? described.version) === described.version
        ? described
        : await this.#ctx.store.reader.getRecord(id, access.version);
    if (row === undefined) {
      const e = recordNotFound(id, access.version === undefined ? '' : ` version ${access.version}`);
      throw await this.#withState(e, id, access.version);
    }
    if (row.state === 'erased' || row.envelope === null) {
      const e = new VaultError('VERITY_E_RECORD_ERASED', `record ${quote(id)} version ${row.version} was erased`);
      throw await this.#withState(e, id, access.version);
    }
    const k = await this.#keyring.stored(row.subjectRef);
    if (k === undefined)
      throw new VaultError(
        'VERITY_E_SUBJECT_SHREDDED',
        `the keys of the subject of record ${quote(id)} were shredded; the data is gone`,
      );
    await this.#ctx.guard?.check({
      op: 'read',
      subjectRef: row.subjectRef,
      pseudonym: k.pseudonym,
      recordId: id,
      type: row.type,
      actor: access.actor,
      purpose: access.purpose,
    });
    const plaintext = openRecord(k, row);
    const payload = parseJson(
      plaintext,
      { maxBytes: plaintext.byteLength, maxDepth: this.#ctx.limits.maxDepth + 2 },
      'sealed payload',
    ) as {
      data: JsonValue;
      salt: string;
      subject: string;
    };
    const meta = recordMeta(row, payload.subject);
    const dataBytes = canonicalJsonBytes(payload.data);
    const salt = fromBase64Url(payload.salt, 'sealed salt');
    if (contentCommitment(salt, dataBytes) !== meta.contentHash) {
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        `record ${quote(id)} version ${row.version} does not match its logged content commitment`,
      );
    }
    const readLogIndex = await audit(this.#ctx, access, 'record.read', `record:${id}@${row.version}`, {
      subject: k.pseudonym,
      details: { type: row.type },
    });
    let proof = await this.#proveWrite(row, meta.contentHash);
    let state = await this.#proveState(proof.checkpoint, row, access.version !== undefined);
    if (state === undefined) {
      // The row is newer than the checkpoint the proof used: prove both at the current head.
      proof = await this.#proveWrite(row, meta.contentHash, (await this.#ctx.log.head()).size);
      state = await this.#proveState(proof.checkpoint, row, access.version !== undefined);
      if (state === undefined)
        throw new LogError(
          'VERITY_E_STATE_TAMPERED',
          `record ${quote(id)} is not in the state map of the latest checkpoint`,
        );
    }
    return { data: payload.data, meta, proof: { ...proof, contentSalt: payload.salt, state }, readLogIndex };
  }

  /**
   * The checkpoint's roots, once its signature is known good: checkpoints this process signed, or
   * verified before, are known to the log (D280).
   */
  #checkpoint(note: string): VerifiedCheckpoint {
    let cp = this.#verifiedCheckpoint;
    if (cp === undefined || cp.note !== note) {
      const c = this.#ctx.log.verifiedCheckpoint(note);
      cp = {
        note,
        size: c.size,
        rootHash: c.rootHash,
        stateRoot: stateRootFromExtensions(c.extensions),
        // Bounded (about 13 MB): a checkpoint that serves many reads keeps the paths of the first.
        inclusion: new InclusionBatchVerifier<Uint8Array>(c.size, c.rootHash, (h) => h, 1 << 16),
      };
      this.#verifiedCheckpoint = cp;
    }
    return cp;
  }

  /**
   * The state proof of `row` under the checkpoint's state root: under the record's key when it is
   * the current version, else under the version's key. Undefined when the map there does not hold
   * this row (the checkpoint predates the row).
   */
  async #proveState(checkpoint: string, row: RecordRow, versionAsked: boolean): Promise<RecordStateProof | undefined> {
    const root = this.#checkpoint(checkpoint).stateRoot;
    if (root === undefined) return undefined;
    const value = recordValue(row);
    const current = await proveState(this.#ctx.store, root, recordStateKey(row.id));
    if (current.value !== undefined && bytesEqual(current.value, value))
      return { checkpoint, scope: 'current', proof: stateProofToBase64(current.proof), record: stateJson(row) };
    if (!versionAsked) return undefined;
    const old = await proveState(this.#ctx.store, root, recordVersionStateKey(row.id, row.version));
    if (old.value !== undefined && bytesEqual(old.value, value))
      return { checkpoint, scope: 'version', proof: stateProofToBase64(old.proof), record: stateJson(row) };
    return undefined;
  }

  /**
   * Adds to a refusal (unknown or erased record) the proof of it under the latest checkpoint: the
   * record's absence from the state map, or its erased row.
   */
  async #withState(e: VaultError, id: string, version: number | undefined): Promise<VaultError> {
    const checkpoint = await this.#ctx.log.checkpoint();
    const root = this.#checkpoint(checkpoint).stateRoot;
    if (root === undefined) return e;
    const latest = await this.#ctx.store.reader.getRecord(id);
    const useVersion = version !== undefined && latest !== undefined && latest.version !== version;
    const key = useVersion ? recordVersionStateKey(id, version) : recordStateKey(id);
    const row = useVersion ? await this.#ctx.store.reader.getRecord(id, version) : latest;
    const p = await proveState(this.#ctx.store, root, key);
    const state: RecordStateProof = {
      checkpoint,
      scope: useVersion ? 'version' : 'current',
      proof: stateProofToBase64(p.proof),
      ...(row === undefined || p.value === undefined ? {} : { record: stateJson(row) }),
    };
    return new VaultError(e.code, e.message, { details: { ...(e.details ?? {}), state } });
  }

  /** What the state map of the latest checkpoint holds for a record now (its tombstone once erased), proven. */
  async stateOf(id: string): Promise<RecordStateProof> {
    checkId(id);
    const checkpoint = await this.#ctx.log.checkpoint();
    const root = this.#checkpoint(checkpoint).stateRoot;
    if (root === undefined)
      throw new LogError('VERITY_E_STATE_TAMPERED', 'the latest checkpoint commits to no state map');
    const row = await this.#ctx.store.reader.getRecord(id);
    const p = await proveState(this.#ctx.store, root, recordStateKey(id));
    return {
      checkpoint,
      scope: 'current',
      proof: stateProofToBase64(p.proof),
      ...(row === undefined || p.value === undefined ? {} : { record: stateJson(row) }),
    };
  }

  /** Builds and checks the inclusion proof of the entry that recorded `row`'s write. */
  async #proveWrite(
    row: RecordRow,
    contentHash: string,
    size?: number,
  ): Promise<Omit<RecordProof, 'contentSalt' | 'state'>> {
    const { log } = this.#ctx;
    const { proof: p, hashes } = await log.inclusionProofWithHashes(row.logIndex, size);
    const [entry] = await log.entries(row.logIndex, row.logIndex + 1);
    const tampered = (why: string) =>
      new LogError(
        'VERITY_E_LOG_TAMPERED',
        `the log entry of record ${quote(row.id)} version ${row.version} ${why}; run \`verity log verify\``,
      );
    if (entry === undefined || entry.byteLength > MAX_ENTRY_BYTES) throw tampered('is missing');
    const leaf = hashLeaf(entry);
    if (!bytesEqual(leaf, hashes.leaf)) throw tampered('does not hash to the stored leaf');
    const e = decodeAuditEntry(entry);
    if (e.resource !== `record:${row.id}@${row.version}` || e.contentHash !== contentHash)
      throw tampered('names other content');
    const checkpoint = p.checkpoint ?? (await log.checkpoint());
    // Many reads share one checkpoint (one per group commit): verify its signature once.
    const cp = this.#checkpoint(checkpoint);
    try {
      // The proof's text is the base64 of these bytes (the log serves text for the bytes it gives).
      if (cp.size !== p.treeSize || !bytesEqual(cp.rootHash, hashes.root)) throw new Error('checkpoint mismatch');
      // The reads proven at one checkpoint share the upper part of their paths: each node on a
      // path already proven there is compared, not hashed again (RFC 9162's answer either way).
      cp.inclusion.verify(leaf, p.leafIndex, hashes.path);
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
  async describe(id: string, version?: number): Promise<RecordFacts | undefined> {
    checkId(id);
    if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
      throw new InputError('VERITY_E_INPUT_INVALID', `version ${quote(version)} must be a positive integer`);
    }
    const row = await this.#ctx.store.reader.getRecord(id, version);
    if (row === undefined) return undefined;
    const m = recordMeta(row);
    const facts: RecordFacts = {
      id,
      version: row.version,
      type: row.type,
      subjectRef: row.subjectRef,
      category: m.classification.category,
      sensitivity: m.classification.sensitivity,
      state: row.state,
    };
    describedRows.set(facts, row);
    return facts;
  }

  /** Metadata of every version of a record, oldest first (audited). */
  async history(id: string, access: Access): Promise<RecordMeta[]> {
    checkId(id);
    checkPurpose(access.purpose);
    const rows = await this.#ctx.store.reader.listRecordVersions(id);
    const last = rows[rows.length - 1];
    if (last === undefined) throw recordNotFound(id);
    const k = await this.#keyring.stored(last.subjectRef);
    await audit(this.#ctx, access, 'record.history', `record:${id}`, subjectOf(k));
    return rows.map((r) => recordMeta(r));
  }

  /**
   * Metadata of the latest version of each record of a subject, in id order after `after`, at most
   * `limit` (audited). With `decide`, only the records it permits, looking further than one page
   * for them; when it permits none, `decide.none` refuses the query or lets it answer nothing. The
   * audit entry is written only after every decision, and counts what is returned.
   */
  async listBySubject(
    subject: string,
    access: Access & { limit?: number; after?: string; decide?: ListDecision },
  ): Promise<RecordMeta[]> {
    checkPurpose(access.purpose);
    const limit = access.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
      throw new InputError('VERITY_E_INPUT_INVALID', 'limit must be 1 to 1000');
    if (access.after !== undefined) checkId(access.after);
    const { decide } = access;
    const ref = await this.#keyring.subjectRef(subject);
    const listed: RecordMeta[] = [];
    let after = access.after;
    // Looking for permitted records, read pages of at least 100 (no more than needed otherwise).
    const page = decide === undefined ? limit : Math.max(limit, 100);
    for (let scanned = 0; scanned < MAX_SCAN; ) {
      const rows = await this.#ctx.store.reader.listRecordsBySubject(ref, {
        limit: page,
        ...(after === undefined ? {} : { after }),
      });
      for (const r of rows) {
        const m = recordMeta(r, subject);
        if (decide === undefined || decide.permit(m)) listed.push(m);
        if (listed.length === limit) break;
      }
      scanned += rows.length;
      if (decide === undefined || listed.length === limit || rows.length < page) break;
      after = rows[rows.length - 1]?.id;
    }
    if (decide !== undefined && listed.length === 0) {
      const start = access.after === undefined ? undefined : await this.describe(access.after);
      await decide.none(start?.subjectRef === ref ? start : undefined);
    }
    const k = await this.#keyring.stored(ref);
    await audit(this.#ctx, access, 'subject.list', 'subject:records', {
      ...subjectOf(k),
      details: { count: listed.length },
    });
    return listed;
  }
}

function stateJson(r: RecordRow): RecordStateJson {
  const f = recordStateFields(r);
  return { ...f, envelopeHash: f.envelopeHash === null ? null : toBase64(f.envelopeHash) };
}
