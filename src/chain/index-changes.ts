// The rows one block range changes, and the undo record that rewinds them (D212): each row read
// once in the range's transaction, written once, and remembered as it was before.
import type { Hex } from 'viem';
import { ChainError } from '../errors/index.ts';
import type { ObjectRow, StoreWriter } from '../store/index.ts';
import { chainObjectId, UNDO_KIND } from './indexed.ts';

/** Per applied range: the cursor before it and every row it changed, as it was (body null: absent). */
export interface UndoRecord {
  readonly from: number;
  readonly to: number;
  readonly toHash: Hex;
  /** The cursor before this range. */
  readonly prev: { readonly blockNumber: number; readonly blockHash: Hex | null };
  /** Each row this range changed, as it was before (body null: it did not exist). */
  readonly rows: readonly { kind: string; id: string; owner: string; body: string | null }[];
}

export function undoId(chainId: number, from: number): string {
  return chainObjectId(chainId, String(from).padStart(12, '0'));
}

export function parse<T>(row: ObjectRow | undefined): T | undefined {
  return row === undefined ? undefined : (JSON.parse(row.body) as T);
}

/** The rows one range changes, read once in its transaction and written once. */
export class Changes {
  readonly #tx: StoreWriter;
  readonly #rows = new Map<string, { kind: string; id: string; before: ObjectRow | undefined; doc: unknown }>();
  constructor(tx: StoreWriter) {
    this.#tx = tx;
  }
  async get<T>(kind: string, id: string): Promise<T | undefined> {
    const k = `${kind} ${id}`;
    const c = this.#rows.get(k);
    if (c !== undefined) return c.doc as T | undefined;
    const before = await this.#tx.getObject(kind, id);
    const doc = parse<T>(before);
    this.#rows.set(k, { kind, id, before, doc });
    return doc;
  }
  async set(kind: string, id: string, doc: unknown): Promise<void> {
    await this.get(kind, id);
    const c = this.#rows.get(`${kind} ${id}`) as { doc: unknown };
    c.doc = doc;
  }
  /** Writes every changed row; returns the undo rows (what each was before). */
  async write(now: number): Promise<UndoRecord['rows']> {
    const undo: { kind: string; id: string; owner: string; body: string | null }[] = [];
    for (const c of this.#rows.values()) {
      const body = JSON.stringify(c.doc);
      if (c.before?.body === body) continue;
      undo.push({ kind: c.kind, id: c.id, owner: c.before?.owner ?? '', body: c.before?.body ?? null });
      await this.#tx.putObject({
        kind: c.kind,
        id: c.id,
        owner: c.before?.owner ?? '',
        body,
        version: (c.before?.version ?? 0) + 1,
        updatedAt: now,
      });
    }
    return undo;
  }
}

/**
 * Stores a range's undo record and drops those older than `window` blocks before its end: those
 * blocks are final for Verity.
 */
export async function keepUndo(
  tx: StoreWriter,
  chainId: number,
  undo: UndoRecord,
  window: number,
  now: number,
): Promise<void> {
  await tx.putObject({
    kind: UNDO_KIND,
    id: undoId(chainId, undo.from),
    owner: String(chainId),
    body: JSON.stringify(undo),
    version: 1,
    updatedAt: now,
  });
  const old = await tx.listObjects(UNDO_KIND, String(chainId), { limit: 1000 });
  for (const o of old)
    if ((JSON.parse(o.body) as UndoRecord).to < undo.to - window) await tx.deleteObject(UNDO_KIND, o.id);
}

/** Puts back every row one undo record names as it was, newest change first, and drops the record. */
export async function applyUndo(tx: StoreWriter, id: string, now: number): Promise<void> {
  const row = await tx.getObject(UNDO_KIND, id);
  if (row === undefined)
    throw new ChainError('VERITY_E_CHAIN_CONFLICT', 'an undo record went away; run the pass again');
  const u = JSON.parse(row.body) as UndoRecord;
  for (const r of [...u.rows].reverse()) {
    const cur = await tx.getObject(r.kind, r.id);
    if (r.body === null) {
      if (cur !== undefined) await tx.deleteObject(r.kind, r.id);
    } else
      await tx.putObject({
        kind: r.kind,
        id: r.id,
        owner: r.owner,
        body: r.body,
        version: (cur?.version ?? 0) + 1,
        updatedAt: now,
      });
  }
  await tx.deleteObject(UNDO_KIND, id);
}
