import { open as fsOpen } from 'node:fs/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LogError, quote, StoreError } from '../errors/index.ts';
import {
  checkEntries,
  checkHead,
  checkIndex,
  checkInt32,
  checkInteger,
  checkLimit,
  checkListOptions,
  checkRange,
  checkRecord,
  checkRows,
  checkSchemaRow,
  checkState,
  checkSubjectFacts,
  checkSubjectKey,
  checkText,
  checkTile,
  checkTokenRow,
  closedError,
  corrupt,
  guardiansText,
  isOwnError,
  logIndexTaken,
  newerSchema,
  RECORD_COLS,
  type RecordColumns,
  SCHEMA_VERSION,
  SCHEMA_VERSION_KEY,
  type SchemaColumns,
  SerialQueue,
  SUBJECT_FACTS_COLS,
  SUBJECT_KEY_COLS,
  type SubjectFactsColumns,
  type SubjectKeyColumns,
  sleep,
  TOKEN_COLS,
  type TokenColumns,
  TxState,
  tileRefused,
  toRecord,
  toSchema,
  toSubjectFacts,
  toSubjectKey,
  toToken,
  unavailable,
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
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * How long a write waits for another process's write transaction before failing with
   * VERITY_E_STORE_UNAVAILABLE (default 30,000 ms). The wait is asynchronous: the event loop keeps
   * serving reads meanwhile.
   */
  readonly busyTimeoutMs?: number;
}

// The schema (layout version SCHEMA_VERSION). STRICT tables make SQLite refuse a value of the wrong
// type instead of storing it as whatever it is; the CHECKs restate the invariants of types.ts so a
// row written around the store cannot break them either.
const DDL = `
-- Small named values: the layout version, counters such as subjects.epoch.
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- The head of the transparency log: one row, replaced in the transaction of every append.
CREATE TABLE IF NOT EXISTS log_head (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  size       INTEGER NOT NULL CHECK (size >= 0),
  root_hash  BLOB NOT NULL CHECK (length(root_hash) = 32),
  frontier   BLOB NOT NULL CHECK (length(frontier) % 32 = 0),
  checkpoint TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- Log entries by index. INTEGER PRIMARY KEY is the rowid: appends land on the b-tree's right edge.
CREATE TABLE IF NOT EXISTS log_entries (
  idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
  data BLOB NOT NULL
) STRICT;

-- C2SP tlog tiles: hashes of nodes [256*idx, 256*idx + width) at tree height 8*level.
CREATE TABLE IF NOT EXISTS log_tiles (
  level  INTEGER NOT NULL CHECK (level >= 0),
  idx    INTEGER NOT NULL CHECK (idx >= 0),
  width  INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
  hashes BLOB NOT NULL CHECK (length(hashes) = width * 32),
  PRIMARY KEY (level, idx)
) STRICT;

-- Versions of sealed records. The envelope is ciphertext; subject_ref a keyed pseudonym.
CREATE TABLE IF NOT EXISTS records (
  id           TEXT NOT NULL,
  version      INTEGER NOT NULL CHECK (version >= 1),
  subject_ref  TEXT NOT NULL,
  type         TEXT NOT NULL,
  state        TEXT NOT NULL
               CHECK (state IN ('created', 'captured', 'stored', 'shared', 'used', 'archived', 'erased')),
  meta         TEXT NOT NULL,
  envelope     BLOB,              -- NULL once erased
  created_at   INTEGER NOT NULL,
  retain_until INTEGER,           -- NULL: no retention deadline
  log_index    INTEGER NOT NULL CHECK (log_index >= 0),
  -- 48 bits of subject_ref (an HMAC, so uniform) as the key of the subject index: every write
  -- inserts into that index at a random place, and a small integer key keeps it a fraction of the
  -- size of an index on the text (measured: 15-20% of sealed-write throughput).
  subject_tag  INTEGER NOT NULL,
  PRIMARY KEY (id, version)
) STRICT;
-- A subject's records (listRecordsBySubject, eraseSubjectRecords), through the tag.
CREATE INDEX IF NOT EXISTS records_subject ON records (subject_tag);
-- Retention sweeps only look at rows that can still expire.
CREATE INDEX IF NOT EXISTS records_retention ON records (retain_until, id)
  WHERE retain_until IS NOT NULL AND state <> 'erased';

-- One wrapped data key per subject; deleting the row shreds the subject's records.
CREATE TABLE IF NOT EXISTS subject_keys (
  subject_ref TEXT PRIMARY KEY,
  kek_version INTEGER NOT NULL CHECK (kek_version >= 0),
  wrapped_key BLOB NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;
-- KEK rotation walks the keys below a version in this order.
CREATE INDEX IF NOT EXISTS subject_keys_kek ON subject_keys (kek_version, subject_ref);

-- Facts about a subject that authorization reads (layout version 2): whether the subject is a
-- minor, and the subject refs of its guardians as a JSON array text, sorted, at most 16.
CREATE TABLE IF NOT EXISTS subject_facts (
  subject_ref TEXT PRIMARY KEY,
  minor       INTEGER NOT NULL CHECK (minor IN (0, 1)),
  guardians   TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

-- Registered JSON Schemas by record type.
-- API tokens: the secret is never stored, only its SHA-256.
CREATE TABLE IF NOT EXISTS tokens (
  id          TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
  principal   TEXT NOT NULL,
  role        TEXT NOT NULL,
  scopes      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
) STRICT;

CREATE TABLE IF NOT EXISTS schemas (
  type       TEXT PRIMARY KEY,
  schema     TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
`;

const SQL = {
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  getHead: 'SELECT size, root_hash, frontier, checkpoint, updated_at FROM log_head WHERE id = 1',
  getEntries: 'SELECT data FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx',
  getTile: 'SELECT width, hashes FROM log_tiles WHERE level = ? AND idx = ?',
  getLatest: `SELECT ${RECORD_COLS} FROM records WHERE id = ? ORDER BY version DESC LIMIT 1`,
  getVersion: `SELECT ${RECORD_COLS} FROM records WHERE id = ? AND version = ?`,
  listVersions: `SELECT ${RECORD_COLS} FROM records WHERE id = ? ORDER BY version`,
  // "Latest version" is decided over all versions of the id, then filtered by subject: a record
  // lists under the subject of its latest version only (PostgreSQL runs the same query).
  listBySubject: `SELECT ${RECORD_COLS} FROM records r
    WHERE subject_tag = ? AND subject_ref = ? AND id > ? AND version = (SELECT MAX(version) FROM records WHERE id = r.id)
    ORDER BY id LIMIT ?`,
  listExpired: `SELECT ${RECORD_COLS} FROM records r
    WHERE retain_until IS NOT NULL AND retain_until <= ? AND state <> 'erased'
      AND version = (SELECT MAX(version) FROM records WHERE id = r.id)
    ORDER BY retain_until, id LIMIT ?`,
  getKey: `SELECT ${SUBJECT_KEY_COLS} FROM subject_keys WHERE subject_ref = ?`,
  listKeysBelow: `SELECT ${SUBJECT_KEY_COLS} FROM subject_keys WHERE kek_version < ?
    ORDER BY kek_version, subject_ref LIMIT ?`,
  countKeys: 'SELECT kek_version, COUNT(*) AS n FROM subject_keys GROUP BY kek_version ORDER BY kek_version',
  getFacts: `SELECT ${SUBJECT_FACTS_COLS} FROM subject_facts WHERE subject_ref = ?`,
  getToken: `SELECT ${TOKEN_COLS} FROM tokens WHERE id = ?`,
  listTokens: `SELECT ${TOKEN_COLS} FROM tokens ORDER BY created_at DESC, id`,
  insertToken: `INSERT INTO tokens (${TOKEN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  revokeToken: 'UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?',
  getSchema: 'SELECT type, schema, created_at FROM schemas WHERE type = ?',
  listSchemas: 'SELECT type, schema, created_at FROM schemas ORDER BY type',

  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  putHead: `INSERT INTO log_head (id, size, root_hash, frontier, checkpoint, updated_at) VALUES (1, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash,
      frontier = excluded.frontier, checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
  insertEntry: 'INSERT INTO log_entries (idx, data) VALUES (?, ?)',
  // INVARIANT: a stored tile never shrinks. The WHERE turns a narrower replacement into a no-op,
  // which putTiles sees as 0 changes and refuses.
  putTile: `INSERT INTO log_tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?)
    ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes
    WHERE excluded.width >= log_tiles.width`,
  insertRecord: `INSERT INTO records (${RECORD_COLS}, subject_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  setState: 'UPDATE records SET state = ? WHERE id = ? AND version = ?',
  eraseRecord: "UPDATE records SET envelope = NULL, state = 'erased' WHERE id = ?",
  eraseSubject: "UPDATE records SET envelope = NULL, state = 'erased' WHERE subject_tag = ? AND subject_ref = ?",
  insertKey: `INSERT INTO subject_keys (${SUBJECT_KEY_COLS}) VALUES (?, ?, ?, ?) ON CONFLICT (subject_ref) DO NOTHING`,
  updateKey: 'UPDATE subject_keys SET kek_version = ?, wrapped_key = ? WHERE subject_ref = ?',
  deleteKey: 'DELETE FROM subject_keys WHERE subject_ref = ?',
  putFacts: `INSERT INTO subject_facts (${SUBJECT_FACTS_COLS}) VALUES (?, ?, ?, ?)
    ON CONFLICT (subject_ref) DO UPDATE SET minor = excluded.minor, guardians = excluded.guardians,
      updated_at = excluded.updated_at`,
  deleteFacts: 'DELETE FROM subject_facts WHERE subject_ref = ?',
  putSchema: `INSERT INTO schemas (type, schema, created_at) VALUES (?, ?, ?)
    ON CONFLICT (type) DO UPDATE SET schema = excluded.schema, created_at = excluded.created_at`,
} as const;

// SQLite result codes (https://www.sqlite.org/rescode.html); node:sqlite reports extended codes.
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

function errcode(e: unknown): number | undefined {
  const c = (e as { errcode?: unknown } | null)?.errcode;
  return typeof c === 'number' ? c : undefined;
}

function isBusy(e: unknown): boolean {
  const c = errcode(e);
  return c !== undefined && ((c & 0xff) === SQLITE_BUSY || (c & 0xff) === SQLITE_LOCKED);
}

function isUniqueViolation(e: unknown): boolean {
  const c = errcode(e);
  return c === SQLITE_CONSTRAINT_PRIMARYKEY || c === SQLITE_CONSTRAINT_UNIQUE;
}

/** Maps a node:sqlite error to a Verity error; passes caller mistakes and Verity errors on. */
function translate(e: unknown): unknown {
  if (isOwnError(e)) return e;
  const c = errcode(e);
  if (c !== undefined) {
    switch (c & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return unavailable('the sqlite database is locked by another process; retry', e);
      case SQLITE_FULL:
        return unavailable('the disk of the sqlite database is full; free space and retry', e);
      case SQLITE_PERM:
      case SQLITE_READONLY:
      case SQLITE_IOERR:
      case SQLITE_CANTOPEN:
        return unavailable('the sqlite database cannot be read or written; check the disk and the file permissions', e);
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return corrupt('the sqlite database file is damaged or not a database; restore it from a backup', e);
    }
    if (e instanceof Error && e.message.startsWith('no such table'))
      return unavailable('the sqlite database has no verity tables; run migrate() first', e);
    const what = (e as { errstr?: unknown }).errstr;
    return new StoreError('VERITY_E_INTERNAL', `sqlite failed: ${typeof what === 'string' ? what : `code ${c}`}`, {
      cause: e,
    });
  }
  // node:sqlite refuses to return an integer that does not fit a JS number; ours never are.
  if ((e as { code?: unknown } | null)?.code === 'ERR_OUT_OF_RANGE')
    return corrupt('a stored integer is larger than 2^53; the database was written around verity', e);
  return e;
}

/** One SQLite connection and its prepared statements (prepared once, reused for its lifetime). */
class Connection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  closed = false;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  prepare(sql: string): StatementSync {
    if (this.closed) throw closedError();
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  close(): void {
    this.closed = true;
    this.#statements.clear();
    this.db.close();
  }
}

type Param = null | number | string | Uint8Array;

class SqliteReader implements StoreReader {
  protected readonly c: Connection;

  constructor(c: Connection) {
    this.c = c;
  }

  /** Maps a failure of a statement; the writer also dooms its transaction. */
  protected failed(e: unknown): unknown {
    return translate(e);
  }

  /** The prepared statement for `sql`; the writer first checks its transaction is usable. */
  protected st(sql: string): StatementSync {
    return this.c.prepare(sql);
  }

  protected one<T>(sql: string, ...params: Param[]): T | undefined {
    try {
      return this.st(sql).get(...params) as T | undefined;
    } catch (e) {
      throw this.failed(e);
    }
  }

  protected many<T>(sql: string, ...params: Param[]): T[] {
    try {
      return this.st(sql).all(...params) as T[];
    } catch (e) {
      throw this.failed(e);
    }
  }

  async getMeta(key: string): Promise<string | undefined> {
    checkText(key, 'meta key');
    return this.one<{ value: string }>(SQL.getMeta, key)?.value;
  }

  async getLogHead(): Promise<LogHead | undefined> {
    const r = this.one<{
      size: number;
      root_hash: Uint8Array;
      frontier: Uint8Array;
      checkpoint: string;
      updated_at: number;
    }>(SQL.getHead);
    if (r === undefined) return undefined;
    return {
      size: r.size,
      rootHash: r.root_hash,
      frontier: r.frontier,
      checkpoint: r.checkpoint,
      updatedAt: r.updated_at,
    };
  }

  async getLogEntries(start: number, end: number): Promise<Uint8Array[]> {
    checkRange(start, end);
    if (start === end) return [];
    let rows: unknown[][];
    try {
      const st = this.st(SQL.getEntries);
      // Rows as arrays: no per-row object with a named property to build and throw away.
      st.setReturnArrays(true);
      rows = st.all(start, end) as unknown as unknown[][];
    } catch (e) {
      throw this.failed(e);
    }
    // idx is the primary key, so [start, end) holds at most end - start rows: fewer means a gap.
    if (rows.length !== end - start)
      throw new LogError(
        'VERITY_E_LOG_RANGE',
        `log entries [${start}, ${end}) are not all stored; ask only for entries below the log size`,
      );
    const out = new Array<Uint8Array>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = (rows[i] as unknown[])[0] as Uint8Array;
    return out;
  }

  async getTile(level: number, index: number): Promise<StoredTile | undefined> {
    checkInt32(level, 'tile level', 0, 63);
    checkIndex(index, 'tile index');
    const r = this.one<{ width: number; hashes: Uint8Array }>(SQL.getTile, level, index);
    return r === undefined ? undefined : { level, index, width: r.width, hashes: r.hashes };
  }

  async getRecord(id: string, version?: number): Promise<RecordRow | undefined> {
    checkText(id, 'record id');
    let r: RecordColumns | undefined;
    if (version === undefined) r = this.one<RecordColumns>(SQL.getLatest, id);
    else {
      checkInt32(version, 'record version', 1);
      r = this.one<RecordColumns>(SQL.getVersion, id, version);
    }
    return r === undefined ? undefined : toRecord(r);
  }

  async listRecordVersions(id: string): Promise<RecordRow[]> {
    checkText(id, 'record id');
    return this.many<RecordColumns>(SQL.listVersions, id).map(toRecord);
  }

  async listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]> {
    checkText(subjectRef, 'subject ref');
    checkListOptions(options);
    if (options.limit === 0) return [];
    return this.many<RecordColumns>(
      SQL.listBySubject,
      subjectTag(subjectRef),
      subjectRef,
      options.after ?? '',
      options.limit,
    ).map(toRecord);
  }

  async listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    checkInteger(now, 'now');
    checkLimit(limit);
    if (limit === 0) return [];
    return this.many<RecordColumns>(SQL.listExpired, now, limit).map(toRecord);
  }

  async getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    checkText(subjectRef, 'subject ref');
    const r = this.one<SubjectKeyColumns>(SQL.getKey, subjectRef);
    return r === undefined ? undefined : toSubjectKey(r);
  }

  async listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    checkInteger(kekVersion, 'kek version');
    checkLimit(limit);
    if (limit === 0) return [];
    return this.many<SubjectKeyColumns>(SQL.listKeysBelow, kekVersion, limit).map(toSubjectKey);
  }

  async countSubjectKeysByKek(): Promise<Map<number, number>> {
    const rows = this.many<{ kek_version: number; n: number }>(SQL.countKeys);
    return new Map(rows.map((r) => [r.kek_version, r.n]));
  }

  async getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined> {
    checkText(subjectRef, 'subject ref');
    const r = this.one<SubjectFactsColumns>(SQL.getFacts, subjectRef);
    return r === undefined ? undefined : toSubjectFacts(r);
  }

  async getSchema(type: string): Promise<SchemaRow | undefined> {
    checkText(type, 'record type');
    const r = this.one<SchemaColumns>(SQL.getSchema, type);
    return r === undefined ? undefined : toSchema(r);
  }

  async listSchemas(): Promise<SchemaRow[]> {
    return this.many<SchemaColumns>(SQL.listSchemas).map(toSchema);
  }

  async getToken(id: string): Promise<TokenRow | undefined> {
    checkText(id, 'token id');
    const r = this.one<TokenColumns>(SQL.getToken, id);
    return r === undefined ? undefined : toToken(r);
  }

  async listTokens(): Promise<TokenRow[]> {
    return this.many<TokenColumns>(SQL.listTokens).map(toToken);
  }
}

class SqliteWriter extends SqliteReader implements StoreWriter {
  readonly #tx: TxState;

  constructor(c: Connection, tx: TxState) {
    super(c);
    this.#tx = tx;
  }

  protected override failed(e: unknown): unknown {
    return this.#tx.fail(translate(e));
  }

  protected override st(sql: string): StatementSync {
    this.#tx.check();
    return this.c.prepare(sql);
  }

  /** Runs one mutation; any failure, even a bad argument, dooms the transaction (see TxState). */
  #mutate<T>(body: () => T): T {
    try {
      return body();
    } catch (e) {
      throw this.failed(e);
    }
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#mutate(() => {
      checkText(key, 'meta key');
      checkText(value, 'meta value');
      this.st(SQL.setMeta).run(key, value);
    });
  }

  async putLogHead(head: LogHead): Promise<void> {
    this.#mutate(() => {
      checkHead(head);
      this.st(SQL.putHead).run(head.size, head.rootHash, head.frontier, head.checkpoint, head.updatedAt);
    });
  }

  async insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void> {
    this.#mutate(() => {
      checkEntries(start, entries);
      if (entries.length === 0) return;
      const st = this.st(SQL.insertEntry);
      try {
        let idx = start;
        for (const e of entries) st.run(idx++, e);
      } catch (e) {
        throw isUniqueViolation(e) ? logIndexTaken(e) : e;
      }
    });
  }

  async putTiles(tiles: readonly StoredTile[]): Promise<void> {
    this.#mutate(() => {
      checkRows(tiles, checkTile);
      if (tiles.length === 0) return;
      const st = this.st(SQL.putTile);
      for (const t of tiles) {
        if (Number(st.run(t.level, t.index, t.width, t.hashes).changes) !== 1)
          throw tileRefused(t.level, t.index, t.width);
      }
    });
  }

  async insertRecords(rows: readonly RecordRow[]): Promise<void> {
    this.#mutate(() => {
      checkRows(rows, checkRecord);
      if (rows.length === 0) return;
      const st = this.st(SQL.insertRecord);
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
          if (!isUniqueViolation(e)) throw e;
          throw new StoreError(
            'VERITY_E_STORE_CONFLICT',
            `record ${quote(r.id)} version ${r.version} exists already; reread the record and retry`,
            { cause: e, details: { id: r.id, version: r.version } },
          );
        }
      }
    });
  }

  async setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    this.#mutate(() => {
      checkText(id, 'record id');
      checkInt32(version, 'record version', 1);
      checkState(state);
      this.st(SQL.setState).run(state, id, version);
    });
  }

  async eraseRecord(id: string): Promise<number> {
    return this.#mutate(() => {
      checkText(id, 'record id');
      return Number(this.st(SQL.eraseRecord).run(id).changes);
    });
  }

  async eraseSubjectRecords(subjectRef: string): Promise<number> {
    return this.#mutate(() => {
      checkText(subjectRef, 'subject ref');
      return Number(this.st(SQL.eraseSubject).run(subjectTag(subjectRef), subjectRef).changes);
    });
  }

  async insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    return this.#mutate(() => {
      checkSubjectKey(row);
      this.st(SQL.insertKey).run(row.subjectRef, row.kekVersion, row.wrappedKey, row.createdAt);
      const stored = this.one<SubjectKeyColumns>(SQL.getKey, row.subjectRef);
      if (stored === undefined) throw corrupt('a subject key vanished right after its insert');
      return toSubjectKey(stored);
    });
  }

  async updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    this.#mutate(() => {
      checkRows(rows, checkSubjectKey);
      if (rows.length === 0) return;
      const st = this.st(SQL.updateKey);
      for (const r of rows) st.run(r.kekVersion, r.wrappedKey, r.subjectRef);
    });
  }

  async deleteSubjectKey(subjectRef: string): Promise<boolean> {
    return this.#mutate(() => {
      checkText(subjectRef, 'subject ref');
      return Number(this.st(SQL.deleteKey).run(subjectRef).changes) > 0;
    });
  }

  async putSubjectFacts(row: SubjectFactsRow): Promise<void> {
    this.#mutate(() => {
      checkSubjectFacts(row);
      this.st(SQL.putFacts).run(row.subjectRef, row.minor ? 1 : 0, guardiansText(row.guardians), row.updatedAt);
    });
  }

  async deleteSubjectFacts(subjectRef: string): Promise<boolean> {
    return this.#mutate(() => {
      checkText(subjectRef, 'subject ref');
      return Number(this.st(SQL.deleteFacts).run(subjectRef).changes) > 0;
    });
  }

  async putSchema(row: SchemaRow): Promise<void> {
    this.#mutate(() => {
      checkSchemaRow(row);
      this.st(SQL.putSchema).run(row.type, row.schema, row.createdAt);
    });
  }

  async insertToken(row: TokenRow): Promise<void> {
    this.#mutate(() => {
      checkTokenRow(row);
      try {
        this.st(SQL.insertToken).run(
          row.id,
          row.secretHash,
          row.principal,
          row.role,
          row.scopes,
          row.createdAt,
          row.expiresAt,
          row.revokedAt,
        );
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        throw new StoreError('VERITY_E_STORE_CONFLICT', `token ${quote(row.id)} exists already; create another`, {
          cause: e,
        });
      }
    });
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    return this.#mutate(() => {
      checkText(id, 'token id');
      checkInteger(at, 'at');
      return Number(this.st(SQL.revokeToken).run(at, id).changes) > 0;
    });
  }
}

/** Rolls back whatever is open; a failed ROLLBACK is retried by the next BEGIN. */
function rollback(db: DatabaseSync): void {
  try {
    if (db.isTransaction) db.exec('ROLLBACK');
  } catch {
    // Nothing of the transaction is committed either way; beginImmediate() retries the ROLLBACK.
  }
}

/**
 * `BEGIN IMMEDIATE` takes SQLite's write lock at once, which excludes writers of other processes.
 * The writer connection has busy_timeout 0 and this loop waits instead, with timers: SQLite's own
 * busy handler would sleep inside the call and freeze the event loop for as long as another
 * process holds the lock.
 */
/** 48 bits of a subject reference as the subject index key (see the records table). */
function subjectTag(subjectRef: string): number {
  let t = 0;
  for (let i = 0; i < 8 && i < subjectRef.length; i++) t = t * 64 + (subjectRef.charCodeAt(i) % 64);
  return t;
}

async function beginImmediate(db: DatabaseSync, timeoutMs: number): Promise<void> {
  if (db.isTransaction) db.exec('ROLLBACK');
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      db.exec('BEGIN IMMEDIATE');
      return;
    } catch (e) {
      if (!isBusy(e)) throw translate(e);
    }
    const left = deadline - performance.now();
    if (left <= 0)
      throw unavailable(
        `another process held the sqlite write lock for over ${timeoutMs} ms; retry, or raise busyTimeoutMs`,
      );
    // 1, 2, 4, 8, then 10 ms steps, jittered so that waiting processes do not retry in lockstep.
    const step = Math.min(10, 2 ** Math.min(attempt, 4)) * (0.5 + Math.random());
    await sleep(Math.min(step, left));
  }
}

const writerOf = new WeakMap<Store, DatabaseSync>();

/**
 * The writer connection's settings, for tests that check the durability configuration.
 * @internal Not exported from the package index.
 */
export function inspectSqliteStore(store: Store): {
  journalMode: string;
  synchronous: number;
  foreignKeys: number;
  busyTimeout: number;
} {
  const db = writerOf.get(store);
  if (db === undefined) throw new TypeError('not a sqlite store');
  const pragma = (name: string): unknown => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
  return {
    journalMode: String(pragma('journal_mode')),
    synchronous: Number(pragma('synchronous')),
    foreignKeys: Number(pragma('foreign_keys')),
    busyTimeout: Number(pragma('busy_timeout')),
  };
}

function cannotOpen(path: string, cause: unknown): StoreError {
  return unavailable(
    `cannot open the sqlite database ${quote(path)}; check that its directory exists and is writable`,
    cause,
  );
}

/**
 * Opens (creating when absent) the embedded store: one SQLite file in an existing directory.
 *
 * Durability: WAL mode with `synchronous=FULL`, so a transaction is on disk (the WAL is fsynced)
 * when COMMIT returns; this is what lets Verity acknowledge a write. Exclusion: one connection
 * writes, inside `write()` only, one transaction at a time (an in-process FIFO queue), and
 * `BEGIN IMMEDIATE` excludes writers in other processes. A second connection serves `reader`, so
 * reads never see an open transaction's rows, and in WAL mode they never wait for the writer.
 *
 * A new file is created owner-only (0600); SQLite gives its `-wal` and `-shm` files the same mode.
 * Call `migrate()` once before use.
 *
 * @example
 * ```ts
 * const store = await openSqliteStore(join(dataDir, 'verity.db'));
 * await store.migrate();
 * await store.write(async (tx) => tx.setMeta('hello', 'world'));
 * await store.reader.getMeta('hello'); // 'world'
 * await store.close();
 * ```
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  if (typeof path !== 'string' || path === '' || path === ':memory:' || path.startsWith('file:'))
    throw new TypeError('the sqlite store needs a file path (not `:memory:` and not a uri)');
  const busy = options.busyTimeoutMs ?? 30_000;
  checkInt32(busy, 'busyTimeoutMs', 0);
  try {
    // Create the file owner-only before SQLite opens it; an existing file keeps its mode.
    await (await fsOpen(path, 'wx', 0o600)).close();
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'EEXIST') throw cannotOpen(path, e);
  }
  let writerDb: DatabaseSync | undefined;
  let readerDb: DatabaseSync | undefined;
  try {
    // The busy timeout applies while opening: switching a new file to WAL takes an exclusive lock
    // that another process opening the same file may hold for a moment.
    writerDb = new DatabaseSync(path, { timeout: busy, defensive: true });
    const mode = writerDb.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: unknown } | undefined;
    if (mode?.journal_mode !== 'wal')
      throw unavailable(`cannot switch the sqlite database ${quote(path)} to wal mode; put it on a local file system`);
    writerDb.exec(`
      PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA trusted_schema = OFF;
      PRAGMA cache_size = -65536;
      PRAGMA journal_size_limit = 67108864;
      PRAGMA busy_timeout = 0;`);
    readerDb = new DatabaseSync(path, { timeout: busy, defensive: true });
    readerDb.exec(`
      PRAGMA query_only = ON;
      PRAGMA trusted_schema = OFF;
      PRAGMA cache_size = -65536;`);
  } catch (e) {
    writerDb?.close();
    readerDb?.close();
    throw e instanceof StoreError ? e : errcode(e) === undefined ? cannotOpen(path, e) : translate(e);
  }
  const db = writerDb;
  const writerConn = new Connection(writerDb);
  const readerConn = new Connection(readerDb);
  const queue = new SerialQueue();
  let closed = false;

  const store: Store = {
    kind: 'sqlite',
    reader: new SqliteReader(readerConn),

    migrate(): Promise<void> {
      if (closed) return Promise.reject(closedError());
      return queue.run(async () => {
        await beginImmediate(db, busy);
        try {
          const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").get();
          if (hasMeta !== undefined) {
            const found = (db.prepare(SQL.getMeta).get(SCHEMA_VERSION_KEY) as { value?: string } | undefined)?.value;
            if (found !== undefined && (!/^[1-9][0-9]{0,8}$/.test(found) || Number(found) > SCHEMA_VERSION))
              throw newerSchema(found);
            if (
              found === undefined &&
              db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'records'").get() !== undefined
            ) {
              // Tables without a layout version come from a pre-release build: their columns may differ.
              throw corrupt(
                'this database has no layout version (a pre-release Verity made it); create a new data directory',
              );
            }
          }
          db.exec(DDL);
          db.prepare(SQL.setMeta).run(SCHEMA_VERSION_KEY, String(SCHEMA_VERSION));
          db.exec('COMMIT');
        } catch (e) {
          rollback(db);
          throw translate(e);
        }
      });
    },

    write<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(closedError());
      return queue.run(async () => {
        await beginImmediate(db, busy);
        const tx = new TxState();
        let result: T;
        try {
          result = await fn(new SqliteWriter(writerConn, tx));
        } catch (e) {
          tx.active = false;
          rollback(db);
          throw e;
        }
        tx.active = false;
        if (tx.hasFailed) {
          rollback(db);
          throw tx.failure;
        }
        try {
          db.exec('COMMIT');
        } catch (e) {
          rollback(db);
          // In WAL mode a COMMIT fails on a full disk or an i/o error while appending or syncing
          // the WAL; frames already written may still be replayed by recovery, so the outcome is
          // unknown. The caller must not acknowledge the write.
          throw new StoreError(
            'VERITY_E_STORE_UNAVAILABLE',
            'the sqlite commit failed (disk full or i/o error); the write is not acknowledged, check the disk',
            { cause: translate(e) },
          );
        }
        return result;
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue.idle();
      try {
        // Refreshes planner statistics where SQLite thinks it worthwhile (cheap; recommended at close).
        db.exec('PRAGMA optimize');
      } catch {
        // Statistics are an optimization only.
      }
      // The last connection to close checkpoints the WAL into the database file: make it the writer.
      readerConn.close();
      writerConn.close();
    },
  };
  writerOf.set(store, writerDb);
  return store;
}
