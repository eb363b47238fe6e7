import { open as fsOpen } from 'node:fs/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { quote, StoreError } from '../errors/index.ts';
import { runMigrations } from './migrator.ts';
import { queries } from './queries.ts';
import { type Backend, type Exec, Reader, type Result, subjectTag } from './reader.ts';
import { checkInt32, closedError, corrupt, isOwnError, SerialQueue, sleep, TxState, unavailable } from './rows.ts';
import type { Compiled } from './sql.ts';
import { authenticate } from './state.ts';
import type { IndexProblem, RowStore, RowWriter, Store, WriteOptions } from './types.ts';
import { Writer } from './writer.ts';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * How long a write waits for another process's write transaction before failing with
   * VERITY_E_STORE_UNAVAILABLE (default 30,000 ms). The wait is asynchronous: the event loop keeps
   * serving reads meanwhile.
   */
  readonly busyTimeoutMs?: number;
}

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

/**
 * One SQLite connection and its prepared statements (prepared once, reused for its lifetime). It
 * runs statements synchronously, on the event loop: the write path of the store is this.
 */
class Connection implements Exec {
  readonly db: DatabaseSync;
  readonly #statements = new Map<Compiled, StatementSync>();
  readonly #arrayStatements = new Map<Compiled, StatementSync>();
  closed = false;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  query(q: Compiled, values: readonly unknown[], arrays = false): Result {
    if (this.closed) throw closedError();
    const cache = arrays ? this.#arrayStatements : this.#statements;
    let st = cache.get(q);
    if (st === undefined) {
      st = this.db.prepare(q.sql);
      // Rows as arrays: no per-row object with a named property to build and throw away.
      if (arrays) st.setReturnArrays(true);
      cache.set(q, st);
    }
    const params = values as (null | number | string | Uint8Array)[];
    if (q.returnsRows) return { rows: st.all(...params), changes: 0 };
    return { rows: NO_ROWS, changes: Number(st.run(...params).changes) };
  }

  close(): void {
    this.closed = true;
    this.#statements.clear();
    this.#arrayStatements.clear();
    this.db.close();
  }
}

const NO_ROWS: readonly unknown[] = Object.freeze([]);

const backend: Backend = {
  dialect: 'sqlite',
  q: queries('sqlite'),
  translate,
  isUniqueViolation,
  bytes: (v) => v,
  bool: (v) => (v ? 1 : 0),
  // One prepared statement per row: node:sqlite runs each in about a microsecond, no round trip.
  bulk: undefined,
};

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

/**
 * Empties SQLite's planner statistics (`sqlite_stat1`, as `ANALYZE` or `PRAGMA optimize` leave them)
 * and reloads them, so the planner goes by the schema alone (D342). Verity closed its stores with
 * `PRAGMA optimize`, which analyzed the tables of a store just made by `verity init`: the state
 * map's node table then held one row, and a server started on it read every node of the map by a
 * scan of the whole table instead of its primary key, for as long as it ran (0.6-1.8 ms a lookup at
 * 7,000 nodes, longer as the map grows). Every query of the store is a key lookup or a key range,
 * which the planner serves from the right index without statistics. Left in place when the
 * database is busy: statistics are an optimization only, and the next open tries again.
 */
function forgetPlannerStatistics(db: DatabaseSync): void {
  try {
    if (!hasStatistics(db) || db.prepare('SELECT 1 FROM sqlite_stat1 LIMIT 1').get() === undefined) return;
    db.exec('DELETE FROM sqlite_stat1');
    // Reloads the (now empty) statistics into this connection; others read them at their next start.
    db.exec('ANALYZE sqlite_schema');
  } catch {
    // Busy (another process writes) or read-only: the plans stay as the statistics make them.
  }
}

/** Whether the database has a table of planner statistics (ANALYZE makes it; it is never dropped). */
function hasStatistics(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'").get() !== undefined;
}

const writerOf = new WeakMap<object, DatabaseSync>();

/**
 * The writer connection's settings, for tests that check the durability configuration.
 * @internal Not exported from the package index.
 */
export function inspectSqliteStore(store: object): {
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

/**
 * The planner's statistics (rows of `sqlite_stat1`, 0 when there are none) and its plan for the
 * lookup of eight state-map nodes by position, for the test of D342.
 * @internal Not exported from the package index.
 */
export function inspectSqlitePlanner(store: object): { statistics: number; nodeLookupPlan: string } {
  const db = writerOf.get(store);
  if (db === undefined) throw new TypeError('not a sqlite store');
  return {
    statistics: hasStatistics(db)
      ? Number(Object.values(db.prepare('SELECT count(*) FROM sqlite_stat1').get() ?? {})[0])
      : 0,
    nodeLookupPlan: db
      .prepare(`EXPLAIN QUERY PLAN ${backend.q.getNodes8.sql}`)
      .all(...Array.from({ length: 8 }, () => new Uint8Array(1)))
      .map((r) => String((r as { detail?: unknown }).detail))
      .join('; '),
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
  const rows = await openSqliteRowStore(path, options);
  const store = authenticate(rows);
  writerOf.set(store, writerOf.get(rows) as DatabaseSync);
  return store;
}

/**
 * The backend's rows without the state map: for the store's own conformance suite only (a write
 * through it is not committed to the map, so the authenticated store would refuse its rows).
 * @internal Not exported from the package index.
 */
export async function openSqliteRowStore(path: string, options: SqliteStoreOptions = {}): Promise<RowStore> {
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
    forgetPlannerStatistics(writerDb);
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

  const dataVersion = readerDb.prepare('PRAGMA data_version');
  const reader = readerDb;
  // Asked before every memoized read (D99): an array, not an object with a named property, per call.
  dataVersion.setReturnArrays(true);
  const store: RowStore = {
    kind: 'sqlite',
    reader: new Reader(backend, readerConn),
    dataVersion: () => {
      if (readerConn.closed) throw closedError();
      return Number((dataVersion.get() as unknown as [number | bigint])[0]);
    },

    // The indexes are in the file a copy of the store holds: one rebuilt without a row (a session, a
    // record past its deadline) is found only by SQLite's own check, which reads every index against
    // its table; a changed subject tag (a column derived from the subject, which the map does not
    // hold) by recomputing it. Read on the reader's connection: it sees one committed state.
    async indexProblems(limit = 1000): Promise<readonly IndexProblem[]> {
      if (readerConn.closed) throw closedError();
      const out: IndexProblem[] = [];
      const checked = reader.prepare(`PRAGMA integrity_check(${Math.max(1, Math.min(limit, 10_000))})`);
      checked.setReturnArrays(true);
      for (const [message] of checked.all() as unknown as [string][]) {
        if (message === 'ok') break;
        const table = /\bindex (\w+)/.exec(message)?.[1] ?? 'sqlite';
        out.push({ table, row: message });
      }
      const tags = reader.prepare('SELECT id, version, subject_ref, subject_tag FROM records');
      tags.setReturnArrays(true);
      for (const [id, version, ref, tag] of tags.iterate() as IterableIterator<[string, number, string, number]>) {
        if (out.length >= limit) break;
        if (subjectTag(ref) !== Number(tag)) out.push({ table: 'records', row: `${id}@${version}` });
      }
      return out;
    },

    migrate(): Promise<void> {
      if (closed) return Promise.reject(closedError());
      return queue.run(async () => {
        await beginImmediate(db, busy);
        try {
          await runMigrations(
            {
              dialect: 'sqlite',
              schema: undefined,
              query: async (text, params) => {
                const st = db.prepare(text);
                const values = params as (null | number | string | Uint8Array)[];
                return st.columns().length > 0
                  ? (st.all(...values) as Record<string, unknown>[])
                  : (st.run(...values), []);
              },
              hasTable: async (name) =>
                db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined,
            },
            Date.now(),
          );
          db.exec('COMMIT');
        } catch (e) {
          rollback(db);
          throw translate(e);
        }
      });
    },

    // Writes are synchronous statements: there is nothing to defer (WriteOptions.deferred).
    write<T>(fn: (tx: RowWriter) => Promise<T>, _options?: WriteOptions): Promise<T> {
      if (closed) return Promise.reject(closedError());
      return queue.run(async () => {
        await beginImmediate(db, busy);
        const tx = new TxState();
        let result: T;
        try {
          result = await fn(new Writer(backend, writerConn, tx, false));
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
      // No `PRAGMA optimize` here: statistics gathered while a table is small outlive its growth
      // (forgetPlannerStatistics, D342).
      // The last connection to close checkpoints the WAL into the database file: make it the writer.
      readerConn.close();
      writerConn.close();
    },
  };
  writerOf.set(store, writerDb);
  return store;
}
