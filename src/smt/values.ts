// What the state map holds for each kind of stored row: the key it is found under and the digest of
// its columns. Portable (the SDK recomputes a record's digest from the fields a read returns).
import { fromBase64, toBase64, utf8 } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { sha256 } from '../platform/index.ts';
import { stateKey } from './hash.ts';

/** The value of a key whose row was deleted on purpose (a shredded subject key, removed facts). */
export const STATE_TOMBSTONE: Uint8Array = sha256(utf8('verity/state/v1/tombstone'));

/** A column value as the digest sees it. */
export type StateField = string | number | boolean | null | Uint8Array;

const enc = new TextEncoder();
const PREFIX = new Map<string, Uint8Array>();

/**
 * SHA-256 over the kind and each column, each column as a type byte (0 null, 1 text, 2 integer,
 * 3 bytes, 4 boolean) and a 4-byte big-endian length before its bytes: no two rows share an input.
 * Written into one buffer (text with `encodeInto`): a digest is taken for every row read and written.
 */
export function stateDigest(kind: string, fields: readonly StateField[]): Uint8Array {
  let prefix = PREFIX.get(kind);
  if (prefix === undefined) {
    prefix = enc.encode(`verity/state/v1/${kind}\u0000`);
    PREFIX.set(kind, prefix);
  }
  let max = prefix.byteLength;
  for (const f of fields) {
    max += 5;
    if (typeof f === 'string') max += f.length * 3;
    else if (typeof f === 'number') max += 24;
    else if (f instanceof Uint8Array) max += f.byteLength;
    else if (f !== null) max += 1;
  }
  const buf = new Uint8Array(max);
  const view = new DataView(buf.buffer);
  buf.set(prefix, 0);
  let at = prefix.byteLength;
  for (const f of fields) {
    const head = at;
    at += 5;
    let type: number;
    if (f === null) type = 0;
    else if (typeof f === 'string') {
      type = 1;
      at += enc.encodeInto(f, buf.subarray(at)).written;
    } else if (typeof f === 'number') {
      if (!Number.isSafeInteger(f)) throw new RangeError('a state field number must be a safe integer');
      type = 2;
      at += enc.encodeInto(String(f), buf.subarray(at)).written;
    } else if (typeof f === 'boolean') {
      type = 4;
      buf[at++] = f ? 1 : 0;
    } else {
      type = 3;
      buf.set(f, at);
      at += f.byteLength;
    }
    buf[head] = type;
    view.setUint32(head + 1, at - head - 5);
  }
  return sha256(buf.subarray(0, at));
}

/** The columns of a record version that the map commits to (the envelope by its SHA-256). */
export interface RecordStateFields {
  readonly id: string;
  readonly version: number;
  readonly subjectRef: string;
  readonly type: string;
  readonly state: string;
  readonly meta: string;
  /** SHA-256 of the sealed envelope, or null once erased. */
  readonly envelopeHash: Uint8Array | null;
  readonly createdAt: number;
  readonly retainUntil: number | null;
  readonly logIndex: number;
}

/** The digest of a record version's row. */
export function recordStateValue(r: RecordStateFields): Uint8Array {
  return stateDigest('record', [
    r.id,
    r.version,
    r.subjectRef,
    r.type,
    r.state,
    r.meta,
    r.envelopeHash,
    r.createdAt,
    r.retainUntil,
    r.logIndex,
  ]);
}

/** The key of a record's current version (its newest), which a read of the record checks. */
export function recordStateKey(id: string): Uint8Array {
  return stateKey('record', id);
}

/** The key of a superseded version of a record. */
export function recordVersionStateKey(id: string, version: number): Uint8Array {
  return stateKey('record-version', `${id}/${version}`);
}

/** The checkpoint extension line that commits to the state map: `verity-state/v1 <base64 root>`. */
export const STATE_EXTENSION_PREFIX = 'verity-state/v1 ';

/** The extension line for a state root. */
export function formatStateExtension(root: Uint8Array): string {
  return `${STATE_EXTENSION_PREFIX}${toBase64(root)}`;
}

/**
 * The state root among a checkpoint's extension lines; undefined when none (a checkpoint signed
 * before the state map existed). More than one, or a malformed one, is an error.
 */
export function stateRootFromExtensions(extensions: readonly string[]): Uint8Array | undefined {
  const lines = extensions.filter((e) => e.startsWith(STATE_EXTENSION_PREFIX));
  if (lines.length === 0) return undefined;
  const bad = () =>
    new LogError('VERITY_E_LOG_CHECKPOINT_INVALID', 'checkpoint invalid: its state-map line is malformed');
  if (lines.length > 1) throw bad();
  let root: Uint8Array;
  try {
    root = fromBase64((lines[0] as string).slice(STATE_EXTENSION_PREFIX.length), 'state root');
  } catch {
    throw bad();
  }
  if (root.byteLength !== 32) throw bad();
  return root;
}
