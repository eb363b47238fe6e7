import canonicalize from 'canonicalize';
import { InputError, quote } from '../errors/index.ts';
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
 * One pass over JSON text outside its strings (their escapes skipped): the number of object members
 * it writes (its colons), or -1 as soon as arrays and objects nest deeper than `maxDepth`. It reads
 * the text without parsing it, so that a deeply nested document is refused before JSON.parse
 * recurses over it.
 */
function scanText(text: string, maxDepth: number): number {
  let depth = 0;
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) members++;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return -1;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return members;
}

/** True when the JSON text nests arrays and objects deeper than `maxDepth` (see scanText). */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  return scanText(text, maxDepth) < 0;
}

/** Object members in a parsed value (where a key came twice, JSON.parse kept one). */
function membersInValue(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += membersInValue(x);
  else
    for (const k in v) {
      n++;
      n += membersInValue((v as Record<string, unknown>)[k]);
    }
  return n;
}

/** The first key that some object of valid JSON text holds twice (keys compared after unescaping). */
function firstDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) stack.push(new Set());
    else if (c === 0x5b) stack.push(null);
    else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (; text.charCodeAt(j) !== 0x22; j++) {
        if (text.charCodeAt(j) === 0x5c) {
          escaped = true;
          j++;
        }
      }
      let k = j + 1;
      while (k < text.length && /\s/.test(text.charAt(k))) k++;
      const keys = stack[stack.length - 1];
      if (text.charCodeAt(k) === 0x3a && keys !== undefined && keys !== null) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = j;
    }
  }
  return undefined;
}

/**
 * Parses untrusted JSON with size and depth limits. An object that holds a key twice is refused
 * (I-JSON, RFC 7493: JSON.parse would silently keep the last, so two readers of the same text
 * could see different values); `__proto__` keys are refused so that a parsed object can never
 * alter prototypes.
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
  const members = scanText(text, limits.maxDepth);
  if (members < 0) {
    throw new InputError('VERITY_E_INPUT_TOO_LARGE', `${what} is nested deeper than ${limits.maxDepth} levels`, {
      details: { maxDepth: limits.maxDepth },
    });
  }
  let value: JsonValue;
  try {
    // A reviver makes JSON.parse several times slower, so it runs only when the text could hold a
    // `__proto__` key at all: spelled out, or hidden behind a \u escape.
    value =
      !text.includes('__proto__') && !text.includes('\\u')
        ? (JSON.parse(text) as JsonValue)
        : (JSON.parse(text, (key, v: unknown) => {
            if (key === '__proto__') throw new SyntaxError('the key `__proto__` is not allowed');
            return v;
          }) as JsonValue);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.slice(0, 120) : 'syntax error';
    const why = text.trim() === '' ? 'is empty: there is no JSON in it' : `is not valid JSON (${detail.toLowerCase()})`;
    throw new InputError('VERITY_E_INPUT_MALFORMED', `${what} ${why}`, { cause });
  }
  // Counting first (cheap): fewer members parsed than written means some key came twice. Text with
  // \u escapes is scanned key by key instead: Node 24's JSON.parse was seen to decode an escaped
  // key wrongly after some earlier parses (`"\u0068"` read as a backslash), which hid a duplicate
  // from the count (a property test caught it). Escapes are rare, so ordinary traffic pays nothing.
  const escapes = text.includes('\\u');
  const duplicate = escapes
    ? firstDuplicateKey(text)
    : typeof value === 'object' && value !== null && membersInValue(value) !== members
      ? (firstDuplicateKey(text) ?? '')
      : undefined;
  if (duplicate !== undefined) {
    const key = duplicate;
    throw new InputError(
      'VERITY_E_INPUT_MALFORMED',
      `${what} has the key ${quote(key)} twice in one object; send each key once`,
    );
  }
  return value;
}

/**
 * RFC 8785 JSON Canonicalization Scheme: the exact bytes Verity hashes and signs.
 * Throws VERITY_E_INPUT_INVALID, listing what it refuses, on values JSON cannot represent or RFC 8785
 * cannot canonicalize (undefined, functions, symbols, BigInt, non-finite numbers, a string or key
 * with an unpaired surrogate, an object that contains itself).
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

// The value is often the caller's data (a record, a request body): a coded error that says what to
// remove, not a bare one. (Which of them it holds: the vault's `jsonProblem`, kept out of this
// module, which the key process loads.)
function notJson(cause?: unknown): InputError {
  return new InputError(
    'VERITY_E_INPUT_INVALID',
    'the value cannot be written as canonical JSON: remove undefined, functions, symbols, BigInt, non-finite numbers, strings or keys with an unpaired surrogate (U+D800 to U+DFFF alone) and objects that contain themselves',
    cause === undefined ? undefined : { cause },
  );
}

/** RFC 8785 canonical bytes (UTF-8). */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}
