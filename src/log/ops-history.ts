// The operations history index: the log indices of retention runs and key-encryption-key rotations,
// so that the operators' pages list them without scanning the log. Each is written by the
// transaction that logs the run or the rotation, as a state object (bound to the state map like
// every row, D50), keyed so that the store's ascending key order is newest first.
//
//   ops.history  REVERSED-INDEX (owner: `retention` | `rotation`)  {"index": N}
//
// Entries logged before this index existed are not listed (the log still holds them).

// Types only: this module is reachable from the SDK's browser bundle through log/index.ts, which
// must not pull in the store's drivers.
import type { StoreReader, StoreWriter } from '../store/index.ts';

/** The kinds of operation the history lists. */
export type OpsHistoryKind = 'retention' | 'rotation';

const KIND = 'ops.history';
/** Digits of a reversed index: Number.MAX_SAFE_INTEGER has 16. */
const WIDTH = 16;

/** The object id of log index `index`: ids ascend as indices descend. */
function idOf(index: number): string {
  return String(Number.MAX_SAFE_INTEGER - index).padStart(WIDTH, '0');
}

/** Notes, in the transaction that logs it, that entry `index` is an operation of `kind`. */
export async function noteOpsHistory(tx: StoreWriter, kind: OpsHistoryKind, index: number, now: number): Promise<void> {
  // A new object (version 1, as `nextObject` would make it): an index is noted once, by the
  // transaction that logged it.
  const doc = JSON.stringify({ index });
  await tx.putObject({ kind: KIND, id: idOf(index), owner: kind, body: doc, version: 1, updatedAt: now });
}

/**
 * The log indices of operations of `kind`, newest first: at most `limit` of them, all below
 * `before` when given (the paging cursor). One bounded read of the index, never a scan of the log.
 */
export async function listOpsHistory(
  reader: StoreReader,
  kind: OpsHistoryKind,
  page: { readonly limit: number; readonly before?: number },
): Promise<number[]> {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000)
    throw new RangeError('limit must be between 1 and 1000');
  if (page.before !== undefined && (!Number.isSafeInteger(page.before) || page.before < 0))
    throw new RangeError('before must be a log index');
  const rows = await reader.listObjects(KIND, kind, {
    limit: page.limit,
    ...(page.before === undefined ? {} : { after: idOf(page.before) }),
  });
  return rows.map((r) => Number.MAX_SAFE_INTEGER - Number(r.id));
}
