// What an update may carry, and the checks its content passes before it is applied: the same
// parsers that load each kind at run time, so a set that is applied is a set that loads.
//
//   policies/NAME.cedar          Cedar policies (the whole set replaces DIR/policies/*.cedar)
//   policies/privacy-policy.json the privacy policy document
//   schemas/TYPE.json            the JSON Schema of record type TYPE
//   pii/names-places.jsonl       the PII scanner's name and place dictionaries

import { PolicyEngine } from '../access/index.ts';
import { fromUtf8, type JsonValue, parseJson } from '../encoding/index.ts';
import { isVerityError, quote, UpdateError } from '../errors/index.ts';
import { parseDictionaryFile } from '../pii/index.ts';
import { isPolicyFileName } from '../policies/index.ts';
import { PrivacyPolicy } from '../privacy/index.ts';
import { SchemaCompiler } from '../vault/index.ts';

/** At most this many targets in one update. */
export const MAX_TARGETS = 256;

const SCHEMA_RE = /^schemas\/([a-z][a-z0-9_.-]{0,63})\.json$/;
const FIXED = new Set(['policies/privacy-policy.json', 'pii/names-places.jsonl']);

/** The kind of a target path, or a VERITY_E_UPDATE_REPOSITORY error for a path Verity does not apply. */
export function checkTargetPath(path: string): 'cedar' | 'privacy' | 'schema' | 'pii' {
  if (typeof path === 'string' && path.length <= 128) {
    if (path.startsWith('policies/') && isPolicyFileName(path.slice('policies/'.length)) && !path.includes('..'))
      return 'cedar';
    if (path === 'policies/privacy-policy.json') return 'privacy';
    if (path === 'pii/names-places.jsonl') return 'pii';
    if (SCHEMA_RE.test(path)) return 'schema';
  }
  throw new UpdateError(
    'VERITY_E_UPDATE_REPOSITORY',
    `target ${quote(path)} is not one Verity applies: use policies/NAME.cedar, schemas/TYPE.json, ${[...FIXED].join(' or ')}`,
  );
}

/** The parsed content of a checked set. */
export interface CheckedSet {
  /** Cedar policy files by name (`verity.cedar`), when the set carries policies. */
  readonly cedar: ReadonlyMap<string, string>;
  readonly privacy?: PrivacyPolicy;
  readonly schemas: ReadonlyMap<string, JsonValue>;
  readonly pii: boolean;
}

function invalid(path: string, e: unknown): UpdateError {
  const why = isVerityError(e) || e instanceof Error ? e.message : String(e);
  return new UpdateError(
    'VERITY_E_UPDATE_CONTENT_INVALID',
    `target ${quote(path)} does not load: ${why.slice(0, 300)}; nothing was applied, fix it in the repository`,
    { cause: e },
  );
}

/**
 * Parses every file of a set as Verity will load it; the first that fails stops the update with
 * VERITY_E_UPDATE_CONTENT_INVALID naming the target. (Attacker-controlled only if the repository's
 * keys are: the TUF client has already checked signatures, versions and hashes.)
 */
export function checkSet(files: ReadonlyMap<string, Uint8Array>): CheckedSet {
  if (files.size > MAX_TARGETS)
    throw new UpdateError('VERITY_E_UPDATE_CONTENT_INVALID', `an update holds at most ${MAX_TARGETS} targets`);
  const cedar = new Map<string, string>();
  const schemas = new Map<string, JsonValue>();
  let privacy: PrivacyPolicy | undefined;
  let pii = false;
  const compiler = new SchemaCompiler();
  for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    try {
      const kind = checkTargetPath(path);
      if (kind === 'cedar') cedar.set(path.slice('policies/'.length), fromUtf8(bytes, path));
      else if (kind === 'privacy') privacy = PrivacyPolicy.parse(bytes);
      else if (kind === 'schema') {
        const type = path.slice('schemas/'.length, -'.json'.length);
        const schema = parseJson(bytes, { maxBytes: 256 * 1024, maxDepth: 64 }, path);
        compiler.compile(schema, type);
        schemas.set(type, schema);
      } else {
        parseDictionaryFile(fromUtf8(bytes, path));
        pii = true;
      }
    } catch (e) {
      throw invalid(path, e);
    }
  }
  if (cedar.size > 0) {
    // The set as the server reads a policies folder: every .cedar file in name order.
    const text = [...cedar.keys()].sort().map((k) => cedar.get(k) as string);
    try {
      PolicyEngine.load(text.join('\n'), { cacheSize: 0 });
    } catch (e) {
      throw invalid('policies/*.cedar', e);
    }
  }
  return { cedar, ...(privacy === undefined ? {} : { privacy }), schemas, pii };
}
