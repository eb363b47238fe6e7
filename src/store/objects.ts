// Writing a state object as the capabilities do: a JSON document, one version past the row read in
// the same transaction.
import type { ObjectRow } from './types.ts';

/**
 * The row that writes `doc` as JSON over `prev`, the object's row read in the same transaction
 * (undefined: a new object). Its version is one more than `prev`'s, so the store's compare and set
 * refuses it when another write came between (VERITY_E_STORE_CONFLICT).
 */
export function nextObject(
  prev: ObjectRow | undefined,
  o: { kind: string; id: string; owner?: string; doc: unknown; updatedAt: number },
): ObjectRow {
  return {
    kind: o.kind,
    id: o.id,
    owner: o.owner ?? '',
    body: JSON.stringify(o.doc),
    version: (prev?.version ?? 0) + 1,
    updatedAt: o.updatedAt,
  };
}

/** The row of a new object (version 1): the store refuses it when the object exists already. */
export function newObject(o: { kind: string; id: string; owner?: string; doc: unknown; updatedAt: number }): ObjectRow {
  return nextObject(undefined, o);
}
