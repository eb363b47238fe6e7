import pg from 'pg';
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

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** PostgreSQL schema holding Verity's tables (default `verity`). */
  readonly schema?: string;
  readonly poolSize?: number;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const RECORD_COLS = 'id, version, subject_ref, type, state, meta, envelope, created_at, retain_until, log_index';

function ddl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.log_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size BIGINT NOT NULL, root_hash BYTEA NOT NULL, frontier BYTEA NOT NULL,
  checkpoint TEXT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.log_entries (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.log_tiles (
  level INTEGER NOT NULL, idx BIGINT NOT NULL, width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
  hashes BYTEA NOT NULL, PRIMARY KEY (level, idx));
CREATE TABLE IF NOT EXISTS ${s}.records (
  id TEXT NOT NULL, version INTEGER NOT NULL, subject_ref TEXT NOT NULL, type TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('created','captured','stored','shared','used','archived','erased')),
  meta TEXT NOT NULL, envelope BYTEA, created_at BIGINT NOT NULL, retain_until BIGINT,
  log_index BIGINT NOT NULL, PRIMARY KEY (id, version));
CREATE INDEX IF NOT EXISTS records_subject ON ${s}.records (subject_ref, id);
CREATE INDEX IF NOT EXISTS records_retention ON ${s}.records (retain_until) WHERE retain_until IS NOT NULL AND state <> 'erased';
CREATE TABLE IF NOT EXISTS ${s}.subject_keys (
  subject_ref TEXT PRIMARY KEY, kek_version INTEGER NOT NULL, wrapped_key BYTEA NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS subject_keys_kek ON ${s}.subject_keys (kek_version);
CREATE TABLE IF NOT EXISTS ${s}.schemas (type TEXT PRIMARY KEY, schema TEXT NOT NULL, created_at BIGINT NOT NULL);
`;
}

function parseBigint(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new StoreError('VERITY_E_STORE_CORRUPT', 'a stored integer is larger than 2^53');
  return n;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return parseBigint;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function isUnique(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === '23505';
}

type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

class PgReader implements StoreReader {
  protected readonly q: Query;
  protected readonly s: string;
  constructor(q: Query, schema: string) {
    this.q = q;
    this.s = schema;
  }
  async getMeta(key: string): Promise<string | undefined> {
    return (await this.q(`SELECT value FROM ${this.s}.meta WHERE key = $1`, [key])).rows[0]?.value;
  }
  async getLogHead(): Promise<LogHead | undefined> {
    const r = (
      await this.q(`SELECT size, root_hash, frontier, checkpoint, updated_at FROM ${this.s}.log_head WHERE id = 1`)
    ).rows[0];
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
    const rows = (
      await this.q(`SELECT idx, data FROM ${this.s}.log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`, [
        start,
        end,
      ])
    ).rows as { idx: number; data: Buffer }[];
    if (rows.length !== end - start || rows.some((r, i) => r.idx !== start + i)) {
      throw new LogError('VERITY_E_LOG_RANGE', `log entries [${start}, ${end}) are not all stored`);
    }
    return rows.map((r) => bytes(r.data));
  }
  async getTile(level: number, index: number): Promise<StoredTile | undefined> {
    const r = (
      await this.q(`SELECT width, hashes FROM ${this.s}.log_tiles WHERE level = $1 AND idx = $2`, [level, index])
    ).rows[0];
    return r === undefined ? undefined : { level, index, width: r.width, hashes: bytes(r.hashes) };
  }
  async getRecord(id: string, version?: number): Promise<RecordRow | undefined> {
    const r =
      version === undefined
        ? (
            await this.q(`SELECT ${RECORD_COLS} FROM ${this.s}.records WHERE id = $1 ORDER BY version DESC LIMIT 1`, [
              id,
            ])
          ).rows[0]
        : (await this.q(`SELECT ${RECORD_COLS} FROM ${this.s}.records WHERE id = $1 AND version = $2`, [id, version]))
            .rows[0];
    return r === undefined ? undefined : toRecord(r as RecordColumns);
  }
  async listRecordVersions(id: string): Promise<RecordRow[]> {
    return (await this.q(`SELECT ${RECORD_COLS} FROM ${this.s}.records WHERE id = $1 ORDER BY version`, [id])).rows.map(
      (r) => toRecord(r as RecordColumns),
    );
  }
  async listRecordsBySubject(subjectRef: string, o: ListOptions): Promise<RecordRow[]> {
    const rows = (
      await this.q(
        `SELECT DISTINCT ON (id) ${RECORD_COLS} FROM ${this.s}.records WHERE subject_ref = $1 AND id > $2
         ORDER BY id, version DESC LIMIT $3`,
        [subjectRef, o.after ?? '', o.limit],
      )
    ).rows;
    return rows.map((r) => toRecord(r as RecordColumns));
  }
  async listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    const rows = (
      await this.q(
        `SELECT ${RECORD_COLS} FROM ${this.s}.records r WHERE retain_until IS NOT NULL AND retain_until <= $1 AND state <> 'erased'
         AND version = (SELECT MAX(version) FROM ${this.s}.records WHERE id = r.id) ORDER BY retain_until, id LIMIT $2`,
        [now, limit],
      )
    ).rows;
    return rows.map((r) => toRecord(r as RecordColumns));
  }
  async getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    const r = (
      await this.q(
        `SELECT subject_ref, kek_version, wrapped_key, created_at FROM ${this.s}.subject_keys WHERE subject_ref = $1`,
        [subjectRef],
      )
    ).rows[0];
    return r === undefined ? undefined : toSubjectKey(r as SubjectKeyColumns);
  }
  async listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    const rows = (
      await this.q(
        `SELECT subject_ref, kek_version, wrapped_key, created_at FROM ${this.s}.subject_keys WHERE kek_version < $1 ORDER BY subject_ref LIMIT $2`,
        [kekVersion, limit],
      )
    ).rows;
    return rows.map((r) => toSubjectKey(r as SubjectKeyColumns));
  }
  async countSubjectKeysByKek(): Promise<Map<number, number>> {
    const rows = (
      await this.q(
        `SELECT kek_version, COUNT(*)::bigint AS n FROM ${this.s}.subject_keys GROUP BY kek_version ORDER BY kek_version`,
      )
    ).rows as { kek_version: number; n: number }[];
    return new Map(rows.map((r) => [r.kek_version, r.n]));
  }
  async getSchema(type: string): Promise<SchemaRow | undefined> {
    const r = (await this.q(`SELECT type, schema, created_at FROM ${this.s}.schemas WHERE type = $1`, [type])).rows[0];
    return r === undefined ? undefined : { type: r.type, schema: r.schema, createdAt: r.created_at };
  }
  async listSchemas(): Promise<SchemaRow[]> {
    return (await this.q(`SELECT type, schema, created_at FROM ${this.s}.schemas ORDER BY type`)).rows.map((r) => ({
      type: r.type,
      schema: r.schema,
      createdAt: r.created_at,
    }));
  }
}

class PgWriter extends PgReader implements StoreWriter {
  async setMeta(key: string, value: string): Promise<void> {
    await this.q(
      `INSERT INTO ${this.s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }
  async putLogHead(h: LogHead): Promise<void> {
    await this.q(
      `INSERT INTO ${this.s}.log_head (id, size, root_hash, frontier, checkpoint, updated_at) VALUES (1, $1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, frontier = excluded.frontier,
       checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
      [h.size, buf(h.rootHash), buf(h.frontier), h.checkpoint, h.updatedAt],
    );
  }
  async insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.q(`INSERT INTO ${this.s}.log_entries (idx, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, [
        entries.map((_, i) => start + i),
        entries.map(buf),
      ]);
    } catch (e) {
      if (isUnique(e))
        throw new StoreError(
          'VERITY_E_STORE_CORRUPT',
          'a log index is already taken: the log head is behind its entries',
          { cause: e },
        );
      throw e;
    }
  }
  async putTiles(tiles: readonly StoredTile[]): Promise<void> {
    for (const t of tiles) {
      if (t.hashes.byteLength !== t.width * 32) throw new RangeError('tile hashes must be width * 32 bytes');
      const r = await this.q(
        `INSERT INTO ${this.s}.log_tiles (level, idx, width, hashes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes WHERE ${this.s}.log_tiles.width <= excluded.width`,
        [t.level, t.index, t.width, buf(t.hashes)],
      );
      if (r.rowCount === 0)
        throw new StoreError('VERITY_E_STORE_CORRUPT', `tile ${t.level}/${t.index} would shrink to ${t.width}`);
    }
  }
  async insertRecords(rows: readonly RecordRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.q(
        `INSERT INTO ${this.s}.records (${RECORD_COLS})
         SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bigint[], $9::bigint[], $10::bigint[])`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.version),
          rows.map((r) => r.subjectRef),
          rows.map((r) => r.type),
          rows.map((r) => r.state),
          rows.map((r) => r.meta),
          rows.map((r) => (r.envelope === null ? null : buf(r.envelope))),
          rows.map((r) => r.createdAt),
          rows.map((r) => r.retainUntil),
          rows.map((r) => r.logIndex),
        ],
      );
    } catch (e) {
      if (isUnique(e)) throw conflict('a record version', e);
      throw e;
    }
  }
  async setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    await this.q(`UPDATE ${this.s}.records SET state = $1 WHERE id = $2 AND version = $3`, [state, id, version]);
  }
  async eraseRecord(id: string): Promise<number> {
    return (
      (await this.q(`UPDATE ${this.s}.records SET envelope = NULL, state = 'erased' WHERE id = $1`, [id])).rowCount ?? 0
    );
  }
  async eraseSubjectRecords(subjectRef: string): Promise<number> {
    return (
      (
        await this.q(`UPDATE ${this.s}.records SET envelope = NULL, state = 'erased' WHERE subject_ref = $1`, [
          subjectRef,
        ])
      ).rowCount ?? 0
    );
  }
  async insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    await this.q(
      `INSERT INTO ${this.s}.subject_keys (subject_ref, kek_version, wrapped_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (subject_ref) DO NOTHING`,
      [row.subjectRef, row.kekVersion, buf(row.wrappedKey), row.createdAt],
    );
    return (await this.getSubjectKey(row.subjectRef)) as SubjectKeyRow;
  }
  async updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.q(
      `UPDATE ${this.s}.subject_keys k SET kek_version = u.v, wrapped_key = u.w
       FROM unnest($1::text[], $2::int[], $3::bytea[]) AS u(r, v, w) WHERE k.subject_ref = u.r`,
      [rows.map((r) => r.subjectRef), rows.map((r) => r.kekVersion), rows.map((r) => buf(r.wrappedKey))],
    );
  }
  async deleteSubjectKey(subjectRef: string): Promise<boolean> {
    return (
      ((await this.q(`DELETE FROM ${this.s}.subject_keys WHERE subject_ref = $1`, [subjectRef])).rowCount ?? 0) > 0
    );
  }
  async putSchema(row: SchemaRow): Promise<void> {
    await this.q(
      `INSERT INTO ${this.s}.schemas (type, schema, created_at) VALUES ($1, $2, $3) ON CONFLICT (type) DO UPDATE SET schema = excluded.schema, created_at = excluded.created_at`,
      [row.type, row.schema, row.createdAt],
    );
  }
}

function unavailable(options: PostgresStoreOptions, cause: unknown): StoreError {
  let where = 'the configured server';
  try {
    const u = new URL(options.connectionString);
    where = `${u.hostname}:${u.port || '5432'}`;
  } catch {
    // never echo a connection string: it may hold a password
  }
  return new StoreError(
    'VERITY_E_STORE_UNAVAILABLE',
    `cannot reach PostgreSQL at ${where}; check that it runs and the connection settings`,
    { cause },
  );
}

function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code ?? '';
  return ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001'].includes(code);
}

/**
 * The PostgreSQL store, for several Verity processes on one database. Every write transaction
 * first takes a transaction-scoped advisory lock on the schema: writers from every process run one
 * at a time, which keeps the log sequencer gap-free and fork-free. Commits are durable
 * (`synchronous_commit` on, the server default).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = options.schema ?? 'verity';
  if (!SCHEMA_RE.test(schema)) throw new RangeError('the PostgreSQL schema name must be a plain lowercase identifier');
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 8, types });
  pool.on('error', () => {
    // Idle client errors surface on the next query; keep the process alive.
  });
  const lockKey = `verity:${schema}`;
  const query: Query = async (sql, params) => {
    try {
      return await pool.query(sql, params);
    } catch (e) {
      throw isConnectionError(e) ? unavailable(options, e) : e;
    }
  };
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw unavailable(options, e);
  }
  let closed = false;
  return {
    kind: 'postgres',
    reader: new PgReader(query, schema),
    async migrate() {
      const c = await pool.connect().catch((e: unknown) => {
        throw unavailable(options, e);
      });
      try {
        await c.query('SELECT pg_advisory_lock(hashtext($1))', [`${lockKey}:migrate`]);
        try {
          await c.query(ddl(schema));
        } finally {
          await c.query('SELECT pg_advisory_unlock(hashtext($1))', [`${lockKey}:migrate`]);
        }
      } finally {
        c.release();
      }
    },
    async write<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
      if (closed) throw new StoreError('VERITY_E_CLOSED', 'the store is closed');
      const c = await pool.connect().catch((e: unknown) => {
        throw unavailable(options, e);
      });
      let broken = false;
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
        let result: T;
        try {
          result = await fn(new PgWriter((sql, params) => c.query(sql, params), schema));
        } catch (e) {
          await c.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw e;
        }
        await c.query('COMMIT');
        return result;
      } catch (e) {
        if (isConnectionError(e)) {
          broken = true;
          throw unavailable(options, e);
        }
        throw e;
      } finally {
        c.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
