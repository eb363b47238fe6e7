// One log entry as the CLI and the HTTP API list it: an audit entry, a state entry, or raw bytes.
import { type AuditEntry, decodeAuditEntry } from '../audit/index.ts';
import { toBase64 } from '../encoding/index.ts';
import { decodeStateEntry } from './state-entry.ts';

/** A listed entry: `entry` (an audit entry), `state` (the state-map changes of a transaction), or `raw`. */
export type DescribedEntry =
  | { readonly index: number; readonly entry: AuditEntry }
  | {
      readonly index: number;
      readonly state: {
        readonly root: string;
        readonly part: number;
        readonly parts: number;
        readonly changes: readonly { readonly key: string; readonly value: string }[];
      };
    }
  | { readonly index: number; readonly raw: string };

/** Decodes entry `index` for a listing (attacker-controlled bytes: anything unknown is shown raw). */
export function describeEntry(bytes: Uint8Array, index: number): DescribedEntry {
  try {
    const s = decodeStateEntry(bytes);
    if (s !== undefined)
      return {
        index,
        state: {
          root: toBase64(s.root),
          part: s.part,
          parts: s.parts,
          changes: s.changes.map((c) => ({ key: toBase64(c.key), value: toBase64(c.value) })),
        },
      };
    return { index, entry: decodeAuditEntry(bytes) };
  } catch {
    return { index, raw: toBase64(bytes) };
  }
}
