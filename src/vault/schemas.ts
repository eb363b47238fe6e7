import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { canonicalJson, type JsonValue, toBase64Url } from '../encoding/index.ts';
import { InputError, quote, VaultError } from '../errors/index.ts';

/** The schema applied to record types nobody registered, when the store allows them. */
export const GENERIC_SCHEMA = Object.freeze({ type: 'object' });
export const GENERIC_SCHEMA_ID = 'verity:generic';

const TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

/** Checks a record type name: lowercase letters, digits, `_ . -`, at most 64, starting with a letter. */
export function checkTypeName(type: unknown): string {
  if (typeof type !== 'string' || !TYPE_RE.test(type)) {
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `record type ${quote(type)} must be 1 to 64 lowercase letters, digits, \`_\`, \`.\` or \`-\`, starting with a letter`,
    );
  }
  return type;
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
  readonly #ajv = new Ajv({ strict: true, allErrors: false, validateFormats: false });

  /** Compiles a schema or throws VERITY_E_RECORD_SCHEMA saying why it is not usable. */
  compile(schema: JsonValue, type: string): ValidateFunction {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new VaultError('VERITY_E_RECORD_SCHEMA', `the schema of type ${quote(type)} must be a JSON object`);
    }
    try {
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
