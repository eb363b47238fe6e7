// The write path: a record's input checked at the boundary, validated against its type's schema,
// sealed under the subject's data key and stored with its audit entry in one group commit.
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { contentCommitment } from '../audit/index.ts';
import {
  canonicalJson,
  concatBytes,
  fromBase64,
  type JsonValue,
  jsonDepthExceeds,
  randomBytesSecure,
  toBase64Url,
  utf8,
} from '../encoding/index.ts';
import { seal } from '../envelope/index.ts';
import { InputError, quote, VaultError } from '../errors/index.ts';
import type { LogBatch } from '../log/index.ts';
import type { StoreWriter } from '../store/index.ts';
import { type Access, auditEntry, checkId, checkPurpose, checkSubject, type VaultContext } from './context.ts';
import { jsonProblem } from './json-problem.ts';
import type { Keyring, SubjectKeys } from './keyring.ts';
import {
  type Classification,
  type Provenance,
  type ProvenanceSignature,
  recordAad,
  type Sensitivity,
  type StoredMeta,
} from './model.ts';
import { checkTypeName, type SchemaRegistry, validateAgainst } from './schemas.ts';

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

const SENSITIVITIES: readonly Sensitivity[] = ['public', 'internal', 'confidential', 'restricted'];
const CATEGORY_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
const SOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;

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

function checkSignature(type: string, dataText: string, sig: ProvenanceSignature): void {
  const bad = (why: string) => new InputError('VERITY_E_INPUT_INVALID', `the provenance signature ${why}`);
  if (sig.alg !== 'Ed25519') throw bad('must use alg `Ed25519`');
  const pub = fromBase64(sig.publicKey, 'signature public key');
  const value = fromBase64(sig.value, 'signature value');
  if (pub.byteLength !== 32 || value.byteLength !== 64) throw bad('has a key or value of the wrong length');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' });
  const message = utf8(`{"data":${dataText},"type":${JSON.stringify(type)}}`);
  if (!verifySignature(null, message, key, value)) throw bad('does not verify over the record type and data');
}

/** Writes sealed records (new ones and new versions). */
export class RecordWriter {
  readonly #ctx: VaultContext;
  readonly #keyring: Keyring;
  readonly #schemas: SchemaRegistry;

  constructor(ctx: VaultContext, keyring: Keyring, schemas: SchemaRegistry) {
    this.#ctx = ctx;
    this.#keyring = keyring;
    this.#schemas = schemas;
  }

  /**
   * Writes a record (a new one, or a new version when `id` is given). Resolves once the sealed
   * record and its audit entry are durable.
   */
  async put(input: PutInput): Promise<PutResult> {
    const n = this.#normalize(input);
    const validator = await this.#schemas.validator(n.type);
    validateAgainst(validator.validate, input.data, n.type);
    const id = input.id === undefined ? newRecordId(this.#ctx.clock.now()) : checkId(input.id);
    const ref = await this.#keyring.subjectRef(n.subject);
    const guard = this.#ctx.guard;
    if (guard !== undefined)
      await guard.check({
        op: 'write',
        subjectRef: ref,
        pseudonym: (await this.#keyring.stored(ref))?.pseudonym,
        recordId: input.id,
        type: n.type,
        actor: input.actor,
        purpose: n.purpose,
      });
    return this.#keyring.write(
      ref,
      input,
      (tx, batch, k) => this.#putOp(tx, batch, k, id, input.id !== undefined, n, validator.id, input),
      () => this.#keyring.subjectRef(n.subject),
    );
  }

  #normalize(input: PutInput): NormalizedPut {
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
        `record data must be plain JSON: it holds ${jsonProblem(input.data)}`,
        {
          cause,
        },
      );
    }
    const { limits } = this.#ctx;
    const dataBytes = utf8(dataText);
    if (dataBytes.byteLength > limits.maxDataBytes) {
      throw new InputError(
        'VERITY_E_INPUT_TOO_LARGE',
        `record data is ${dataBytes.byteLength} bytes; the limit is ${limits.maxDataBytes}`,
      );
    }
    // The caller's object could be arbitrarily nested: measure its canonical text.
    if (jsonDepthExceeds(dataText, limits.maxDepth)) {
      throw new InputError('VERITY_E_INPUT_TOO_LARGE', `record data is nested deeper than ${limits.maxDepth} levels`);
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
    if (lineage.length > limits.maxLineage) {
      throw new InputError(
        'VERITY_E_INPUT_TOO_LARGE',
        `lineage names ${lineage.length} records; at most ${limits.maxLineage}`,
      );
    }
    lineage.forEach(checkId);
    const origin = input.origin ?? 'created';
    if (origin !== 'created' && origin !== 'captured') {
      throw new InputError('VERITY_E_INPUT_INVALID', 'origin must be `created` or `captured`');
    }
    if (input.signature !== undefined) checkSignature(type, dataText, input.signature);
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
    const now = this.#ctx.clock.now();
    const salt = randomBytesSecure(16);
    const contentHash = contentCommitment(salt, n.dataBytes);
    const plaintext = concatBytes(
      utf8('{"data":'),
      n.dataBytes,
      utf8(`,"salt":${JSON.stringify(toBase64Url(salt))},"subject":${JSON.stringify(n.subject)}}`),
    );
    const envelope = seal(k.sealKey, plaintext, recordAad(id, version, k.ref, n.type));
    const logIndex = batch.add(
      auditEntry(
        this.#ctx.clock,
        access,
        version === 1 ? 'record.create' : 'record.update',
        `record:${id}@${version}`,
        { time: now, subject: k.pseudonym, contentHash, details: { type: n.type } },
      ),
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
}
