import { chmod, open as fsOpen } from 'node:fs/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LogError, StoreError } from '../errors/index.ts';
import {
  bytes,
  checkRange,
  conflict,
  type RecordColumns,
  type SubjectKeyColumns,
  toRecord,
  toSubjectKey,
} from './rows.ts';
import type {
  LifecycleState,
  ListOptions,
  LogHead,
  RecordRow,
  SchemaRow,
  Store,
  StoredTile,
  StoreReader,
  StoreWriter,
  SubjectKeyRow,
} from './types.ts';

// The schema. Record payloads are sealed envelopes; subject columns hold keyed pseudonyms.
const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL, root_hash BLOB NOT NULL, frontier BLOB NOT NULL,
  checkpoint TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS log_tiles (
  level INTEGER NOT NULL, idx INTEGER NOT NULL, width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
  hashes BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  id TEXT NOT NULL, version INTEGER NOT NULL, subject_ref TEXT NOT NULL, type TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('created','captured','stored','shared','used','archived','erased')),
  meta TEXT NOT NULL, envelope BLOB, created_at INTEGER NOT NULL, retain_until INTEGER,
  log_index INTEGER NOT NULL, subject_tag INTEGER NOT NULL, UNIQUE (id, version));
-- A subject's records are found through a 48-bit tag of its reference: a small integer key keeps
-- this index (touched at a random place by every write) a quarter of the size of one on the text.
CREATE INDEX IF NOT EXISTS records_subject ON records (subject_tag);
CREATE INDEX IF NOT EXISTS records_retention ON records (retain_until) WHERE retain_until IS NOT NULL AND state <> 'erased';
CREATE TABLE IF NOT EXISTS subject_keys (
  subject_ref TEXT PRIMARY KEY, kek_version INTEGER NOT NULL, wrapped_key BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS subject_keys_kek ON subject_keys (kek_version);
CREATE TABLE IF NOT EXISTS schemas (type TEXT PRIMARY KEY, schema TEXT NOT NULL, created_at INTEGER NOT NULL);
`;

const RECORD_COLS = 'id, version, subject_ref, type, state, meta, envelope, created_at, retain_until, log_index';

/** 48 bits of a subject reference (itself an HMAC, so uniformly distributed) as an index key. */
function subjectTag(subjectRef: string): number {
  let t = 0;
  for (let i = 0; i < 8 && i < subjectRef.length; i++) t = t * 64 + (subjectRef.charCodeAt(i) % 64);
  return t;
}

/** SQLITE_CONSTRAINT_PRIMARYKEY or SQLITE_CONSTRAINT_UNIQUE: a duplicate key, nothing else. */
function isConstraint(e: unknown): boolean {
  const code = (e as { errcode?: number } | null)?.errcode;
  return code === 1555 || code === 2067;
}

/** Prepared statements of one connection, created on first use. */
class Statements {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  get(sql: string): StatementSync {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
}

class SqliteReader implements StoreReader {
  protected readonly s: Statements;
  constructor(s: Statements) {
    this.s = s;
  }
  async getMeta(key: string): Promise<string | undefined> {
    const r = this.s.get('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }
  async getLogHead(): Promise<LogHead | undefined> {
    const r = this.s.get('SELECT size, root_hash, frontier, checkpoint, updated_at FROM log_head WHERE id = 1').get() as
      | { size: number; root_hash: Uint8Array; frontier: Uint8Array; checkpoint: string; updated_at: number }
      | undefined;
    if (r === undefined) return undefined;
    return {
      size: r.size,
      rootHash: bytes(r.root_hash),
      frontier: bytes(r.frontier),
      checkpoint: r.checkpoint,
      updatedAt: r.updated_at,
    };
  }
  async getLogEntries(start: number, end: number): Promise<Uint8Array[]> {
    checkRange(start, end);
    const rows = this.s
      .get('SELECT idx, data FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx')
      .all(start, end) as { idx: number; data: Uint8Array }[];
    if (rows.length !== end - start || rows.some((r, i) => r.idx !== start + i)) {
      throw new LogError('VERITY_E_LOG_RANGE', `log entries [${start}, ${end}) are not all stored`);
    }
    return rows.map((r) => bytes(r.data));
  }
  async getTile(level: number, index: number): Promise<StoredTile | undefined> {
    const r = this.s.get('SELECT width, hashes FROM log_tiles WHERE level = ? AND idx = ?').get(level, index) as
      | { width: number; hashes: Uint8Array }
      | undefined;
    return r === undefined ? undefined : { level, index, width: r.width, hashes: bytes(r.hashes) };
  }
  async getRecord(id: string, version?: number): Promise<RecordRow | undefined> {
    const r = (
      version === undefined
        ? this.s.get(`SELECT ${RECORD_COLS} FROM records WHERE id = ? ORDER BY version DESC LIMIT 1`).get(id)
        : this.s.get(`SELECT ${RECORD_COLS} FROM records WHERE id = ? AND version = ?`).get(id, version)
    ) as RecordColumns | undefined;
    return r === undefined ? undefined : toRecord(r);
  }
  async listRecordVersions(id: string): Promise<RecordRow[]> {
    return (
      this.s
        .get(`SELECT ${RECORD_COLS} FROM records WHERE id = ? ORDER BY version`)
        .all(id) as unknown as RecordColumns[]
    ).map(toRecord);
  }
  async listRecordsBySubject(subjectRef: string, o: ListOptions): Promise<RecordRow[]> {
    const rows = this.s
      .get(
        `SELECT ${RECORD_COLS} FROM records r WHERE subject_tag = ? AND subject_ref = ? AND id > ?
         AND version = (SELECT MAX(version) FROM records WHERE id = r.id) ORDER BY id LIMIT ?`,
      )
      .all(subjectTag(subjectRef), subjectRef, o.after ?? '', o.limit) as unknown as RecordColumns[];
    return rows.map(toRecord);
  }
  async listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    const rows = this.s
      .get(
        `SELECT ${RECORD_COLS} FROM records r WHERE retain_until IS NOT NULL AND retain_until <= ? AND state <> 'erased'
         AND version = (SELECT MAX(version) FROM records WHERE id = r.id) ORDER BY retain_until, id LIMIT ?`,
      )
      .all(now, limit) as unknown as RecordColumns[];
    return rows.map(toRecord);
  }
  async getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    const r = this.s
      .get('SELECT subject_ref, kek_version, wrapped_key, created_at FROM subject_keys WHERE subject_ref = ?')
      .get(subjectRef) as SubjectKeyColumns | undefined;
    return r === undefined ? undefined : toSubjectKey(r);
  }
  async listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    const rows = this.s
      .get(
        'SELECT subject_ref, kek_version, wrapped_key, created_at FROM subject_keys WHERE kek_version < ? ORDER BY subject_ref LIMIT ?',
      )
      .all(kekVersion, limit) as unknown as SubjectKeyColumns[];
    return rows.map(toSubjectKey);
  }
  async countSubjectKeysByKek(): Promise<Map<number, number>> {
    const rows = this.s
      .get('SELECT kek_version, COUNT(*) AS n FROM subject_keys GROUP BY kek_version ORDER BY kek_version')
      .all() as { kek_version: number; n: number }[];
    return new Map(rows.map((r) => [r.kek_version, r.n]));
  }
  async getSchema(type: string): Promise<SchemaRow | undefined> {
    const r = this.s.get('SELECT type, schema, created_at FROM schemas WHERE type = ?').get(type) as
      | { type: string; schema: string; created_at: number }
      | undefined;
    return r === undefined ? undefined : { type: r.type, schema: r.schema, createdAt: r.created_at };
  }
  async listSchemas(): Promise<SchemaRow[]> {
    return (
      this.s.get('SELECT type, schema, created_at FROM schemas ORDER BY type').all() as {
        type: string;
        schema: string;
        created_at: number;
      }[]
    ).map((r) => ({
      type: r.type,
      schema: r.schema,
      createdAt: r.created_at,
    }));
  }
}

class SqliteWriter extends SqliteReader implements StoreWriter {
  async setMeta(key: string, value: string): Promise<void> {
    this.s
      .get('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }
  async putLogHead(h: LogHead): Promise<void> {
    this.s
      .get(
        `INSERT INTO log_head (id, size, root_hash, frontier, checkpoint, updated_at) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, frontier = excluded.frontier,
         checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
      )
      .run(h.size, h.rootHash, h.frontier, h.checkpoint, h.updatedAt);
  }
  async insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void> {
    const st = this.s.get('INSERT INTO log_entries (idx, data) VALUES (?, ?)');
    try {
      for (let i = 0; i < entries.length; i++) st.run(start + i, entries[i] as Uint8Array);
    } catch (e) {
      if (isConstraint(e))
        throw new StoreError(
          'VERITY_E_STORE_CORRUPT',
          'a log index is already taken: the log head is behind its entries',
          { cause: e },
        );
      throw e;
    }
  }
  async putTiles(tiles: readonly StoredTile[]): Promise<void> {
    const get = this.s.get('SELECT width FROM log_tiles WHERE level = ? AND idx = ?');
    const put = this.s.get(
      'INSERT INTO log_tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes',
    );
    for (const t of tiles) {
      if (t.hashes.byteLength !== t.width * 32) throw new RangeError('tile hashes must be width * 32 bytes');
      const old = get.get(t.level, t.index) as { width: number } | undefined;
      if (old !== undefined && old.width > t.width)
        throw new StoreError(
          'VERITY_E_STORE_CORRUPT',
          `tile ${t.level}/${t.index} would shrink from ${old.width} to ${t.width}`,
        );
      put.run(t.level, t.index, t.width, t.hashes);
    }
  }
  async insertRecords(rows: readonly RecordRow[]): Promise<void> {
    const st = this.s.get(`INSERT INTO records (${RECORD_COLS}, subject_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const r of rows) {
      try {
        st.run(
          r.id,
          r.version,
          r.subjectRef,
          r.type,
          r.state,
          r.meta,
          r.envelope,
          r.createdAt,
          r.retainUntil,
          r.logIndex,
          subjectTag(r.subjectRef),
        );
      } catch (e) {
        if (isConstraint(e)) throw conflict(`record version ${r.id}@${r.version}`, e);
        throw e;
      }
    }
  }
  async setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    this.s.get('UPDATE records SET state = ? WHERE id = ? AND version = ?').run(state, id, version);
  }
  async eraseRecord(id: string): Promise<number> {
    return Number(this.s.get("UPDATE records SET envelope = NULL, state = 'erased' WHERE id = ?").run(id).changes);
  }
  async eraseSubjectRecords(subjectRef: string): Promise<number> {
    return Number(
      this.s
        .get("UPDATE records SET envelope = NULL, state = 'erased' WHERE subject_tag = ? AND subject_ref = ?")
        .run(subjectTag(subjectRef), subjectRef).changes,
    );
  }
  async insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    this.s
      .get(
        'INSERT INTO subject_keys (subject_ref, kek_version, wrapped_key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (subject_ref) DO NOTHING',
      )
      .run(row.subjectRef, row.kekVersion, row.wrappedKey, row.createdAt);
    return (await this.getSubjectKey(row.subjectRef)) as SubjectKeyRow;
  }
  async updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    const st = this.s.get('UPDATE subject_keys SET kek_version = ?, wrapped_key = ? WHERE subject_ref = ?');
    for (const r of rows) st.run(r.kekVersion, r.wrappedKey, r.subjectRef);
  }
  async deleteSubjectKey(subjectRef: string): Promise<boolean> {
    return Number(this.s.get('DELETE FROM subject_keys WHERE subject_ref = ?').run(subjectRef).changes) > 0;
  }
  async putSchema(row: SchemaRow): Promise<void> {
    this.s
      .get(
        'INSERT INTO schemas (type, schema, created_at) VALUES (?, ?, ?) ON CONFLICT (type) DO UPDATE SET schema = excluded.schema, created_at = excluded.created_at',
      )
      .run(row.type, row.schema, row.createdAt);
  }
}

/**
 * The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a transaction is on
 * disk when COMMIT returns (what lets Verity acknowledge a write). One connection writes (inside
 * `write()` only, one transaction at a time; `BEGIN IMMEDIATE` excludes writers in other
 * processes); a second connection reads and so never sees an open transaction's rows.
 */
export async function openSqliteStore(path: string, options: { busyTimeoutMs?: number } = {}): Promise<Store> {
  const busy = options.busyTimeoutMs ?? 30_000;
  // Create the file owner-only before SQLite opens it.
  await (await fsOpen(path, 'a', 0o600)).close();
  await chmod(path, 0o600);
  let writerDb: DatabaseSync;
  let readerDb: DatabaseSync;
  try {
    writerDb = new DatabaseSync(path, { timeout: busy });
    writerDb.exec(
      `PRAGMA busy_timeout = ${busy}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;`,
    );
    readerDb = new DatabaseSync(path, { timeout: busy });
    readerDb.exec(`PRAGMA busy_timeout = ${busy}; PRAGMA query_only = ON; PRAGMA cache_size = -65536;`);
  } catch (cause) {
    throw new StoreError(
      'VERITY_E_STORE_UNAVAILABLE',
      'cannot open the SQLite database; check the data directory and its permissions',
      { cause },
    );
  }
  const writer = new SqliteWriter(new Statements(writerDb));
  const reader = new SqliteReader(new Statements(readerDb));
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  const store: Store = {
    kind: 'sqlite',
    reader,
    async migrate() {
      writerDb.exec('BEGIN IMMEDIATE');
      try {
        writerDb.exec(DDL);
        writerDb.exec('COMMIT');
      } catch (e) {
        writerDb.exec('ROLLBACK');
        throw e;
      }
    },
    write<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new StoreError('VERITY_E_CLOSED', 'the store is closed'));
      const run = async (): Promise<T> => {
        writerDb.exec('BEGIN IMMEDIATE');
        let result: T;
        try {
          result = await fn(writer);
        } catch (e) {
          writerDb.exec('ROLLBACK');
          throw e;
        }
        try {
          writerDb.exec('COMMIT');
        } catch (e) {
          // A failed COMMIT may leave the transaction open (SQLITE_BUSY): never leave it so.
          if (writerDb.isTransaction) writerDb.exec('ROLLBACK');
          throw new StoreError(
            'VERITY_E_STORE_UNAVAILABLE',
            'the SQLite commit failed; nothing of this write was kept',
            { cause: e },
          );
        }
        return result;
      };
      // FIFO: each transaction starts after the previous one settled.
      const p = tail.then(run, run);
      tail = p.catch(() => undefined);
      return p;
    },
    async close() {
      if (closed) return;
      closed = true;
      await tail;
      writerDb.close();
      readerDb.close();
    },
  };
  return store;
}
