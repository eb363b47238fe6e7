import canonicalize from 'canonicalize';
import { InputError } from '../errors/index.ts';
import { fromUtf8, utf8 } from './bytes.ts';

/** Hard caps for JSON accepted at a boundary. */
export interface JsonLimits {
  /** Maximum encoded size in bytes. */
  readonly maxBytes: number;
  /** Maximum nesting depth of arrays and objects. */
  readonly maxDepth: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 32 });

/** A JSON value as parsed from text. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * True when the JSON text nests arrays and objects deeper than `maxDepth`. Measures nesting depth of the JSON text without parsing it, so that a deeply nested document
 * is refused before JSON.parse recurses over it. Strings are skipped with their escapes.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Parses untrusted JSON with size and depth limits. Duplicate-key handling follows JSON.parse
 * (last wins); `__proto__` keys are refused so that a parsed object can never alter prototypes.
 */
export function parseJson(
  input: string | Uint8Array,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
  what = 'JSON input',
): JsonValue {
  const bytes = typeof input === 'string' ? utf8(input).byteLength : input.byteLength;
  if (bytes > limits.maxBytes) {
    throw new InputError('VERITY_E_INPUT_TOO_LARGE', `${what} is ${bytes} bytes; the limit is ${limits.maxBytes}`, {
      details: { limit: limits.maxBytes, size: bytes },
    });
  }
  const text = typeof input === 'string' ? input : fromUtf8(input, what);
  if (jsonDepthExceeds(text, limits.maxDepth)) {
    throw new InputError('VERITY_E_INPUT_TOO_LARGE', `${what} is nested deeper than ${limits.maxDepth} levels`, {
      details: { maxDepth: limits.maxDepth },
    });
  }
  try {
    // A reviver makes JSON.parse several times slower, so it runs only when the text could hold a
    // `__proto__` key at all: spelled out, or hidden behind a \u escape.
    if (!text.includes('__proto__') && !text.includes('\\u')) return JSON.parse(text) as JsonValue;
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new SyntaxError('the key `__proto__` is not allowed');
      return value;
    }) as JsonValue;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.slice(0, 120) : 'syntax error';
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} is not valid JSON (${detail.toLowerCase()})`, { cause });
  }
}

/**
 * RFC 8785 JSON Canonicalization Scheme: the exact bytes Verity hashes and signs.
 * Throws on values JSON cannot represent (undefined, functions, non-finite numbers).
 */
export function canonicalJson(value: unknown): string {
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (cause) {
    throw notJson(cause);
  }
  if (out === undefined) throw notJson();
  return out;
}

// The value is often the caller's data (a record, a request body): a coded error, not a bare one.
function notJson(cause?: unknown): InputError {
  return new InputError(
    'VERITY_E_INPUT_INVALID',
    'the value cannot be written as JSON: remove undefined, functions, BigInt and non-finite numbers',
    cause === undefined ? undefined : { cause },
  );
}

/** RFC 8785 canonical bytes (UTF-8). */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}
