// The subject index: from an audit pseudonym to the log indices of the entries about that subject,
// so that an access report reads a subject's lines instead of the whole log. It is derived from
// the log alone and kept in authenticated state objects (bound to the state map like every row),
// brought up to date incrementally: each catch-up reads the entries appended since the last one,
// in one log transaction that also moves the cursor.
//
// Objects (docs/decisions.md D85):
//   report.cursor  `audit`                  {"next": N}       entries [0, N) are indexed
//   report.subject PSEUDONYM                {"count": n}      how many indices the subject has
//   report.entries PSEUDONYM/CHUNK (owner)  {"indices": [...]} up to CHUNK indices, ascending
//   report.record  RECORD-ID (owner)        {}                the subject a record belongs to
// `report.record` lets entries that name a record but no subject (authorization decisions, a
// denied read) be found for the record's subject. Keys are audit pseudonyms, which nothing links
// to a player once their key is shredded; at the shred entry the subject's objects are deleted.

import { type AuditEntry, decodeAuditEntry } from '../audit/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import { nextObject, type ObjectRow, type StoreReader, type StoreWriter } from '../store/index.ts';

/** Indices per `report.entries` object (about 10 KB of JSON each). */
export const CHUNK = 1024;
/** Most entries one catch-up transaction reads. */
const MAX_PER_TX = 20_000;
const PAGE = 1000;
/** Most catch-up transactions one `catchUp` call runs (a bound on work per call). */
const MAX_ROUNDS = 500;

const K_CURSOR = 'report.cursor';
const K_SUBJECT = 'report.subject';
const K_ENTRIES = 'report.entries';
const K_RECORD = 'report.record';

const RECORD_RESOURCE = /^record:(rec_[A-Za-z0-9_-]{22})(?:@[0-9]{1,15})?$/;

/** The record id an entry's resource names, if any. */
export function recordOf(resource: string): string | undefined {
  return RECORD_RESOURCE.exec(resource)?.[1];
}

/** Decodes an audit entry, or undefined for anything else (state entries, raw bytes). */
export function auditEntryOf(bytes: Uint8Array): AuditEntry | undefined {
  // Audit entries are RFC 8785 JSON whose first key is "action": skip the rest without parsing.
  if (bytes[0] !== 0x7b || bytes[1] !== 0x22 || bytes[2] !== 0x61) return undefined;
  try {
    return decodeAuditEntry(bytes);
  } catch {
    return undefined;
  }
}

function chunkId(pseudonym: string, chunk: number): string {
  return `${pseudonym}/${chunk}`;
}

function body<T>(row: ObjectRow | undefined): T | undefined {
  return row === undefined ? undefined : (JSON.parse(row.body) as T);
}

/** Writes a new version of an object (or its first). */
async function put(
  tx: StoreWriter,
  prev: ObjectRow | undefined,
  kind: string,
  id: string,
  owner: string,
  doc: unknown,
  now: number,
): Promise<void> {
  await tx.putObject(nextObject(prev, { kind, id, owner, doc, updatedAt: now }));
}

/** The subject index (see the file comment). */
export class SubjectIndex {
  readonly #log: TransparencyLog;
  readonly #now: () => number;

  constructor(log: TransparencyLog, now: () => number) {
    this.#log = log;
    this.#now = now;
  }

  /** Where the index has read the log to: entries [0, next) are indexed. */
  async indexedTo(reader: StoreReader): Promise<number> {
    return body<{ next: number }>(await reader.getObject(K_CURSOR, 'audit'))?.next ?? 0;
  }

  /**
   * Indexes the entries appended since the last catch-up (up to the head as it was when called),
   * in transactions of at most 20,000 entries. `extra`, when given, runs in the last transaction
   * (an audit entry to log with the catch-up); returns its result and the head committed with it.
   */
  async catchUp<R>(
    extra?: (tx: StoreWriter, batch: LogBatch) => Promise<R> | R,
  ): Promise<{ result: R | undefined; indexedTo: number; checkpoint: string }> {
    const target = (await this.#log.head()).size;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const last = round === MAX_ROUNDS - 1;
      const { result, head } = await this.#log.submit(async (tx, batch) => {
        const next = await this.#step(tx, target);
        const done = next >= target || last;
        return { next, done, extra: done && extra !== undefined ? await extra(tx, batch) : undefined };
      });
      if (result.done) return { result: result.extra, indexedTo: result.next, checkpoint: head.checkpoint };
    }
    /* c8 ignore next */
    throw new Error('unreachable');
  }

  /** One transaction's worth: indexes [cursor, min(target, cursor + MAX_PER_TX)). */
  async #step(tx: StoreWriter, target: number): Promise<number> {
    const cursorRow = await tx.getObject(K_CURSOR, 'audit');
    const from = body<{ next: number }>(cursorRow)?.next ?? 0;
    const head = (await tx.getLogHead())?.size ?? 0;
    const to = Math.min(target, head, from + MAX_PER_TX);
    if (to <= from) return from;
    const now = this.#now();
    /** New indices per pseudonym, in log order. */
    const added = new Map<string, number[]>();
    /** Record → subject links learnt in this step (before they are stored). */
    const records = new Map<string, string>();
    const shredded = new Set<string>();
    for (let p = from; p < to; p += PAGE) {
      const entries = await tx.getLogEntries(p, Math.min(to, p + PAGE));
      for (let i = 0; i < entries.length; i++) {
        const e = auditEntryOf(entries[i] as Uint8Array);
        if (e === undefined) continue;
        const index = p + i;
        let who = e.subject;
        const rec = recordOf(e.resource);
        if (rec !== undefined) {
          if (who !== undefined) {
            if (!records.has(rec) && (await tx.getObject(K_RECORD, rec)) === undefined) records.set(rec, who);
          } else {
            who = records.get(rec) ?? (await tx.getObject(K_RECORD, rec))?.owner;
          }
        }
        if (who === undefined || shredded.has(who)) continue;
        if (e.action === 'subject.shred' && e.outcome === 'success') {
          // Shredded: nothing of the subject stays in the index (the log keeps its own entries).
          shredded.add(who);
          added.delete(who);
          for (const [r, s] of records) if (s === who) records.delete(r);
          continue;
        }
        let list = added.get(who);
        if (list === undefined) {
          list = [];
          added.set(who, list);
        }
        list.push(index);
      }
    }
    for (const who of shredded) await this.#forget(tx, who);
    for (const [rec, who] of records) await put(tx, undefined, K_RECORD, rec, who, {}, now);
    for (const [who, list] of added) await this.#append(tx, who, list, now);
    await put(tx, cursorRow, K_CURSOR, 'audit', '', { next: to }, now);
    return to;
  }

  async #append(tx: StoreWriter, who: string, list: readonly number[], now: number): Promise<void> {
    const headRow = await tx.getObject(K_SUBJECT, who);
    let count = body<{ count: number }>(headRow)?.count ?? 0;
    let k = 0;
    while (k < list.length) {
      const chunk = Math.floor(count / CHUNK);
      const row = count % CHUNK === 0 ? undefined : await tx.getObject(K_ENTRIES, chunkId(who, chunk));
      const indices = body<{ indices: number[] }>(row)?.indices ?? [];
      const room = CHUNK - indices.length;
      const part = list.slice(k, k + room);
      indices.push(...part);
      await put(tx, row, K_ENTRIES, chunkId(who, chunk), who, { indices }, now);
      k += part.length;
      count += part.length;
    }
    await put(tx, headRow, K_SUBJECT, who, '', { count }, now);
  }

  /** Deletes everything the index holds about a subject. */
  async #forget(tx: StoreWriter, who: string): Promise<void> {
    for (const kind of [K_ENTRIES, K_RECORD]) {
      for (;;) {
        const rows = await tx.listObjects(kind, who, { limit: 500 });
        if (rows.length === 0) break;
        for (const r of rows) await tx.deleteObject(kind, r.id);
      }
    }
    await tx.deleteObject(K_SUBJECT, who);
  }

  /** The indexed log indices of a subject's entries, ascending (at most `max`). */
  async indicesOf(reader: StoreReader, pseudonym: string, max = Number.MAX_SAFE_INTEGER): Promise<number[]> {
    const count = body<{ count: number }>(await reader.getObject(K_SUBJECT, pseudonym))?.count ?? 0;
    const out: number[] = [];
    for (let c = 0; c * CHUNK < count && out.length < max; c++) {
      const chunk = body<{ indices: number[] }>(await reader.getObject(K_ENTRIES, chunkId(pseudonym, c)));
      if (chunk === undefined) break;
      out.push(...chunk.indices);
    }
    return out.length > max ? out.slice(0, max) : out;
  }

  /** The subject (audit pseudonym) a record belongs to, as the index learnt it from the log. */
  async subjectOfRecord(reader: StoreReader, recordId: string): Promise<string | undefined> {
    return (await reader.getObject(K_RECORD, recordId))?.owner;
  }
}
