import { createHash } from 'node:crypto';
import { canonicalJson, type JsonValue, parseJson, toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError, quote, VaultError } from '../errors/index.ts';
import { checkIdentifier } from '../identifiers/index.ts';
import { newAjv, type ValidateFunction } from '../jsonschema/index.ts';
import { type Access, auditEntry, checkPurpose, type VaultContext } from './context.ts';

/** The schema applied to record types nobody registered, when the store allows them. */
export const GENERIC_SCHEMA = Object.freeze({ type: 'object' });
export const GENERIC_SCHEMA_ID = 'verity:generic';

const TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

/** Checks a record type name: lowercase letters, digits, `_ . -`, at most 64, starting with a letter. */
export function checkTypeName(type: unknown): string {
  return checkIdentifier(type, 'record type', {
    maxLength: 64,
    pattern: TYPE_RE,
    hint: '1 to 64 lowercase letters, digits, `_`, `.` or `-`, starting with a letter',
  });
}

/** `sha256:` + base64url digest of a schema's canonical JSON: names the exact schema a record was checked with. */
export function schemaDigest(schema: JsonValue): string {
  return `sha256:${toBase64Url(createHash('sha256').update(canonicalJson(schema)).digest())}`;
}

/**
 * Compiles JSON Schemas (draft 2020-12 subset Ajv supports by default, strict mode so that typos
 * in a schema are errors rather than silently ignored keywords).
 */
export class SchemaCompiler {
  #ajv: ReturnType<typeof newAjv> | undefined;

  /** Compiles a schema or throws VERITY_E_RECORD_SCHEMA saying why it is not usable. */
  compile(schema: JsonValue, type: string): ValidateFunction {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new VaultError('VERITY_E_RECORD_SCHEMA', `the schema of type ${quote(type)} must be a JSON object`);
    }
    try {
      this.#ajv ??= newAjv({ strict: true, allErrors: false, validateFormats: false });
      return this.#ajv.compile(schema);
    } catch (cause) {
      const why = cause instanceof Error ? cause.message.slice(0, 160) : 'invalid schema';
      throw new VaultError(
        'VERITY_E_RECORD_SCHEMA',
        `the schema of type ${quote(type)} is not a valid JSON Schema: ${why}`,
        { cause },
      );
    }
  }
}

/** Runs a compiled validator and turns its first error into a VERITY_E_RECORD_SCHEMA error. */
export function validateAgainst(validate: ValidateFunction, data: unknown, type: string): void {
  if (validate(data)) return;
  const e = validate.errors?.[0];
  const where =
    e?.instancePath === undefined || e.instancePath === '' ? 'the record' : `\`${e.instancePath.slice(0, 64)}\``;
  throw new VaultError(
    'VERITY_E_RECORD_SCHEMA',
    `${where} does not match the schema of type ${quote(type)}: ${e?.message ?? 'invalid'}`,
  );
}

let generic: ValidateFunction | undefined;

/**
 * The generic schema's validator. It is Verity's own constant, so it is compiled without first
 * compiling the JSON Schema meta-schema (most of the cost of a command's first record); every
 * registered schema still is checked against the meta-schema.
 */
function genericValidator(): ValidateFunction {
  generic ??= newAjv({ strict: true, allErrors: false, validateFormats: false, validateSchema: false }).compile(
    GENERIC_SCHEMA,
  );
  return generic;
}

/** Largest schema, as canonical JSON. */
const MAX_SCHEMA_BYTES = 256 * 1024;

/** A type's compiled validator and the id (`TYPE@sha256:...`) of the schema it checks. */
export interface TypeValidator {
  readonly id: string;
  readonly validate: ValidateFunction;
}

/**
 * The record types' schemas: registered through the log, compiled once and cached for a minute
 * (a schema registered by another process is picked up within that time).
 */
export class SchemaRegistry {
  readonly #ctx: VaultContext;
  readonly #unknownTypes: 'generic' | 'reject';
  readonly #compiler = new SchemaCompiler();
  readonly #validators = new Map<string, TypeValidator & { until: number }>();

  constructor(ctx: VaultContext, unknownTypes: 'generic' | 'reject') {
    this.#ctx = ctx;
    this.#unknownTypes = unknownTypes;
  }

  /** Registers (or replaces) the JSON Schema of a record type; audited. */
  async register(
    type: string,
    schema: JsonValue,
    access: Access,
  ): Promise<{ type: string; schema: string; logIndex: number }> {
    checkTypeName(type);
    checkPurpose(access.purpose);
    const text = canonicalJson(schema);
    if (utf8(text).byteLength > MAX_SCHEMA_BYTES)
      throw new InputError('VERITY_E_INPUT_TOO_LARGE', 'a schema may be at most 256 KiB');
    this.#compiler.compile(schema, type);
    const digest = schemaDigest(schema);
    const { clock } = this.#ctx;
    const { result } = await this.#ctx.log.submit(async (tx, batch) => {
      await tx.putSchema({ type, schema: text, createdAt: clock.now() });
      return batch.add(auditEntry(clock, access, 'schema.register', `schema:${type}`, { contentHash: digest }));
    });
    this.#validators.delete(type);
    return { type, schema: `${type}@${digest}`, logIndex: result };
  }

  /** The validator of a record type; VERITY_E_RECORD_TYPE_UNKNOWN when it has none and the vault is strict. */
  async validator(type: string): Promise<TypeValidator> {
    const now = this.#ctx.clock.now();
    const cached = this.#validators.get(type);
    if (cached !== undefined && cached.until > now) return cached;
    const row = await this.#ctx.store.reader.getSchema(type);
    let v: TypeValidator & { until: number };
    if (row !== undefined) {
      const schema = parseJson(row.schema, { maxBytes: MAX_SCHEMA_BYTES, maxDepth: 64 }, 'stored schema');
      v = {
        id: `${type}@${schemaDigest(schema)}`,
        validate: this.#compiler.compile(schema, type),
        until: now + 60_000,
      };
    } else if (this.#unknownTypes === 'generic') {
      v = { id: GENERIC_SCHEMA_ID, validate: genericValidator(), until: now + 5_000 };
    } else {
      throw new VaultError(
        'VERITY_E_RECORD_TYPE_UNKNOWN',
        `record type ${quote(type)} has no registered schema; register one with \`verity types add\``,
      );
    }
    this.#validators.set(type, v);
    return v;
  }
}
