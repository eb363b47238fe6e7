// The log's state entries: each transaction that changes the state map appends the keys it changed
// and their new values, so the map is derived from the log (Trillian's verifiable log-derived map):
// anyone holding the entries can rebuild it and check every checkpoint's state root.
import { concatBytes, fromBase64, fromUtf8, parseJson, toBase64, utf8 } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import type { StateCommit } from '../store/index.ts';

/** Changes in one entry: 64 bytes each, base64 in JSON, under the 65,535-byte entry limit. */
const CHANGES_PER_ENTRY = 700;

/** One state entry: part `part` of `parts` of a transaction's changes, and the map's root after it. */
export interface StateEntry {
  readonly root: Uint8Array;
  readonly part: number;
  readonly parts: number;
  readonly changes: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[];
}

/** The entries recording one transaction's changes (none when it changed nothing). */
export function encodeStateEntries(c: StateCommit): Uint8Array[] {
  const out: Uint8Array[] = [];
  const parts = Math.ceil(c.changes.length / CHANGES_PER_ENTRY);
  for (let p = 0; p < parts; p++) {
    const slice = c.changes.slice(p * CHANGES_PER_ENTRY, (p + 1) * CHANGES_PER_ENTRY);
    const packed = toBase64(concatBytes(...slice.flatMap((x) => [x.key, x.value])));
    out.push(
      utf8(
        `{"changes":"${packed}","kind":"verity.state","part":${p + 1},"parts":${parts},"root":"${toBase64(c.root)}","v":1}`,
      ),
    );
  }
  return out;
}

function invalid(what: string): LogError {
  return new LogError('VERITY_E_LOG_TAMPERED', `a state entry of the log is malformed: ${what}`);
}

/** A state entry, or undefined for any other entry (attacker-controlled bytes). */
export function decodeStateEntry(bytes: Uint8Array): StateEntry | undefined {
  // Cheap test first: audit entries never start this way.
  if (
    bytes.byteLength < 12 ||
    bytes[2] !== 0x63 /* c */ ||
    !fromUtf8(bytes.subarray(0, 11), 'entry').startsWith('{"changes"')
  )
    return undefined;
  const v = parseJson(fromUtf8(bytes, 'state entry'), { maxBytes: 0xffff, maxDepth: 2 }, 'state entry');
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v['kind'] !== 'verity.state' || v['v'] !== 1)
    return undefined;
  const { changes, part, parts, root } = v as Record<string, unknown>;
  if (typeof changes !== 'string' || typeof root !== 'string') throw invalid('changes or root missing');
  if (
    !Number.isSafeInteger(part) ||
    !Number.isSafeInteger(parts) ||
    (part as number) < 1 ||
    (part as number) > (parts as number)
  )
    throw invalid('its part numbers are out of range');
  const raw = fromBase64(changes, 'state changes');
  const r = fromBase64(root, 'state root');
  if (raw.byteLength % 64 !== 0 || r.byteLength !== 32) throw invalid('its changes or root have the wrong length');
  const list: { key: Uint8Array; value: Uint8Array }[] = [];
  for (let i = 0; i < raw.byteLength; i += 64)
    list.push({ key: raw.slice(i, i + 32), value: raw.slice(i + 32, i + 64) });
  return { root: r, part: part as number, parts: parts as number, changes: list };
}
