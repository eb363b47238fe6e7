import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { quote, StoreError } from '../errors/index.ts';
import { runMigrations } from './migrator.ts';
import { postgresBulk } from './postgres-bulk.ts';
import { PipelinedReads } from './postgres-reads.ts';
import { queries } from './queries.ts';
import { type Backend, type Exec, Reader, type Result } from './reader.ts';
import { checkInt32, closedError, corrupt, isOwnError, SerialQueue, TxState, unavailable } from './rows.ts';
import { builder, type Compiled } from './sql.ts';
import { authenticate } from './state.ts';
import { type ReadAhead, readKey } from './statements.ts';
import type { RowStore, RowWriter, Store, WriteOptions } from './types.ts';
import { Writer } from './writer.ts';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://user:password@host:port/database` URL. Never echoed in errors. */
  readonly connectionString: string;
  /** The PostgreSQL schema that holds Verity's tables (default `verity`): a plain lowercase identifier. */
  readonly schema?: string;
  /** Pipelined connections for reads (default 8; D331); writes and migrations use one each more. */
  readonly poolSize?: number;
  /** How long to wait for a new connection before VERITY_E_STORE_UNAVAILABLE (default 10,000 ms). */
  readonly connectTimeoutMs?: number;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

// --- type parsing: BIGINT as number, BYTEA as Uint8Array ---------------------------------------

const OID_INT8 = 20;
const OID_BYTEA = 17;

function parseInt8(v: string): number {
  const n = Number(v);
  // Every integer Verity stores is a safe integer; a larger one was written around the store.
  if (!Number.isSafeInteger(n))
    throw corrupt('a stored integer is larger than 2^53; the database was written around verity');
  return n;
}

const defaultBytea = pg.types.getTypeParser(OID_BYTEA, 'text') as (v: string) => Buffer;

/**
 * Decodes bytea hex output into a Uint8Array with its own buffer (pg's default parser returns
 * Buffers that may be slices of a shared pool; a caller must not see neighbouring bytes).
 */
function parseBytea(v: string): Uint8Array {
  if (v.startsWith('\\x')) {
    const out = new Uint8Array((v.length - 2) >>> 1);
    const written = Buffer.from(out.buffer, 0, out.byteLength).write(v.slice(2), 'hex');
    if (written !== out.byteLength) throw corrupt('postgresql sent a malformed bytea value');
    return out;
  }
  // bytea_output = escape: let pg decode it, then copy out of the shared pool.
  return new Uint8Array(defaultBytea(v));
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === OID_INT8) return parseInt8;
      if (oid === OID_BYTEA) return parseBytea;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

// --- errors --------------------------------------------------------------------------------------

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const PG_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

function sqlstate(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}

/** True when the connection, not the statement, failed: the outcome of a COMMIT is then unknown. */
function isConnectionLoss(e: unknown): boolean {
  const c = sqlstate(e);
  return (
    NETWORK_CODES.has(c) ||
    c.startsWith('08') ||
    c === '57P01' ||
    c === '57P02' ||
    c === '57P03' ||
    (c === '' && e instanceof Error && PG_LOST.test(e.message))
  );
}

/** Maps a pg error to a Verity error; `where` is `host:port`, never the connection string. */
function translate(e: unknown, where: string): unknown {
  if (isOwnError(e)) return e;
  const c = sqlstate(e);
  if (isConnectionLoss(e) || c === '53300')
    return unavailable(`cannot reach postgresql at ${where}; check that it runs and the connection settings`, e);
  if (c.startsWith('28'))
    return unavailable(`postgresql at ${where} refused the credentials; check the user and password`, e);
  if (c === '3D000')
    return unavailable(`the database at ${where} does not exist; create it or fix the connection settings`, e);
  if (c === '42P01' || c === '3F000')
    return unavailable('the postgresql schema has no verity tables; run migrate() first', e);
  if (c === '42501')
    return unavailable('the postgresql user lacks a privilege on the verity schema; grant it or use another user', e);
  if (c === '53100' || c === '53200')
    return unavailable('postgresql is out of disk or memory; free resources and retry', e);
  if (c === 'XX001' || c === 'XX002') return corrupt('postgresql reports damaged data; restore from a backup', e);
  return new StoreError('VERITY_E_INTERNAL', `postgresql failed with sqlstate ${c === '' ? 'unknown' : c}`, {
    cause: e,
  });
}

function hostOf(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    if (u.hostname !== '') return `${u.hostname}:${u.port === '' ? '5432' : u.port}`;
  } catch {
    // Not a URL: never echo it, it may hold a password.
  }
  return 'the configured server';
}

/** A signed 64-bit advisory-lock key from a label: stable across versions, unlike hashtext(). */
function lockKey(label: string): string {
  return BigInt.asIntN(64, createHash('sha256').update(label).digest().readBigUInt64BE(0)).toString();
}

// --- the store -----------------------------------------------------------------------------------

interface Internals {
  readonly writerSetting: (name: string) => Promise<string>;
  readonly lockKey: string;
}

const internalsOf = new WeakMap<object, Internals>();

/**
 * What a write transaction of the store sees, for tests of the durability settings.
 * @internal Not exported from the package index.
 */
export function inspectPostgresStore(store: object): Internals {
  const i = internalsOf.get(store);
  if (i === undefined) throw new TypeError('not a postgres store');
  return i;
}

/**
 * Opens the PostgreSQL store, for one or several Verity processes sharing one database.
 *
 * Exclusion: a write transaction first takes a transaction-scoped advisory lock derived from the
 * schema name, so writers of every process run one at a time (which keeps the log sequencer
 * gap-free and fork-free); inside one process writes also queue in FIFO order on one dedicated
 * connection, so waiting writers never hold the connections that readers need. Durability: the
 * transaction commits with `synchronous_commit` at least `on` (raised for the transaction if the
 * server or role has it `off`), so a commit is on disk when `write()` resolves. Reads use a pool
 * in autocommit mode and see committed data only.
 *
 * Call `migrate()` once before use; it is safe to run from several processes at once.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ connectionString: 'postgres://verity@db:5432/verity' });
 * await store.migrate();
 * await store.write(async (tx) => tx.setMeta('hello', 'world'));
 * await store.close();
 * ```
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const rows = await openPostgresRowStore(options);
  const store = authenticate(rows);
  internalsOf.set(store, internalsOf.get(rows) as Internals);
  return store;
}

/**
 * The backend's rows without the state map: for the store's own conformance suite only (a write
 * through it is not committed to the map, so the authenticated store would refuse its rows).
 * @internal Not exported from the package index.
 */
export async function openPostgresRowStore(options: PostgresStoreOptions): Promise<RowStore> {
  if (typeof options?.connectionString !== 'string' || options.connectionString === '')
    throw new TypeError('the postgres store needs a connection string');
  const schema = options.schema ?? 'verity';
  if (typeof schema !== 'string' || !SCHEMA_RE.test(schema) || schema.startsWith('pg_'))
    throw new RangeError(
      `postgresql schema ${quote(schema)} must be a plain lowercase identifier ([a-z_][a-z0-9_]*, not pg_*)`,
    );
  const poolSize = options.poolSize ?? 8;
  checkInt32(poolSize, 'poolSize', 1, 1000);
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  checkInt32(connectTimeout, 'connectTimeoutMs', 1);

  const where = hostOf(options.connectionString);
  const q = `"${schema}"`;
  const writeKey = lockKey(`verity:write:${schema}`);
  const migrateKey = lockKey(`verity:migrate:${schema}`);
  const base: pg.PoolConfig = {
    connectionString: options.connectionString,
    types,
    connectionTimeoutMillis: connectTimeout,
    application_name: 'verity',
    keepAlive: true,
  };
  const adminPool = new pg.Pool({ ...base, max: 1 }); // migrations and the first check
  const pipePool = new pg.Pool({ ...base, max: poolSize, pipeline: true } as pg.PoolConfig);
  const reads = new PipelinedReads(pipePool, poolSize);
  // One connection for writes: writes run one at a time anyway, and a writer waiting for the
  // advisory lock must not hold a connection that a reader (perhaps the lock holder) needs. It
  // pipelines: statements are sent without waiting for the answers of earlier ones, which a
  // deferred write (WriteOptions.deferred) uses to run a group commit in a few round trips.
  const writePool = new pg.Pool({ ...base, max: 1, pipeline: true } as pg.PoolConfig);
  const pools = [adminPool, writePool, pipePool];
  for (const p of pools)
    p.on('error', () => {
      // An idle connection died (server restart); the pool drops it and the next query reconnects.
    });
  const fail = (e: unknown): unknown => translate(e, where);
  /** A connection of `pool`, its failure a typed store error. */
  const connect = async (pool: pg.Pool): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (e) {
      throw fail(e);
    }
  };
  try {
    await adminPool.query('SELECT 1');
  } catch (e) {
    await Promise.allSettled(pools.map((p) => p.end()));
    throw fail(e);
  }

  const backend: Backend = {
    dialect: 'postgres',
    q: queries('postgres', schema),
    translate: fail,
    isUniqueViolation: (e) => sqlstate(e) === '23505',
    // A Buffer over the same memory: pg sends Buffers as binary parameters.
    bytes: (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength),
    bool: (v) => v,
    bulk: postgresBulk(builder('postgres'), schema),
  };

  const queue = new SerialQueue();
  let closed = false;
  /** The reads of the last deferred transaction before its first write (see ReadAhead). */
  let lastReads: ReadAhead['made'] = [];

  const readExec: Exec = {
    query: (c, values, arrays) => {
      if (closed) return Promise.reject(closedError());
      return reads.run((client) => run(client, c, values, arrays));
    },
  };

  // Takes the cross-process write lock and makes sure the commit is durable, in one round trip.
  const begin =
    `BEGIN; SELECT pg_advisory_xact_lock(${writeKey}); ` +
    "SELECT set_config('synchronous_commit', 'on', true) WHERE current_setting('synchronous_commit') = 'off'";

  /**
   * Runs `fn` in one locked transaction on the write connection; resolves once committed. Deferred
   * (pipelined), nothing is waited for on the way: BEGIN, the writes and COMMIT go out back to
   * back, and the first read and the COMMIT are the only waits. That is safe because every failure
   * of a deferred write is an error of its statement on the server (see Writer.#send), which aborts
   * the transaction: PostgreSQL then answers the COMMIT with ROLLBACK.
   */
  const transaction = <T>(
    deferred: boolean,
    fn: (client: pg.PoolClient, tx: TxState, readAhead: ReadAhead | undefined) => Promise<T>,
    writer?: () => Writer | undefined,
  ): Promise<T> =>
    queue.run(async () => {
      const client = await connect(writePool);
      let broken = false;
      const tx = new TxState();
      const sent: Promise<unknown>[] = [];
      /** Waits for the answers of everything sent so far (they must not be read as a later one's). */
      const settle = async (): Promise<void> => {
        await Promise.all(sent);
        await writer?.()?.settle();
      };
      const rollback = async (): Promise<void> => {
        await settle();
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      };
      try {
        sent.push(
          client.query(begin).catch((e: unknown) => {
            broken = true;
            tx.fail(fail(e));
          }),
        );
        if (!deferred) await settle();
        const readAhead: ReadAhead | undefined = deferred ? { sent: new Map(), made: [] } : undefined;
        for (const r of readAhead === undefined ? [] : lastReads) {
          const p = run(client, r.q, r.values, false);
          // An unused read that failed has aborted the transaction: report its own error.
          sent.push(p.catch((e: unknown) => tx.fail(fail(e))));
          readAhead?.sent.set(readKey(r.q, r.values) as string, p);
        }
        let result: T;
        try {
          if (tx.hasFailed) throw tx.failure;
          result = await fn(client, tx, readAhead);
          await writer?.()?.flush();
        } catch (e) {
          tx.active = false;
          await rollback();
          throw e;
        }
        tx.active = false;
        if (tx.hasFailed) {
          await rollback();
          throw tx.failure;
        }
        const committing = client.query('COMMIT');
        committing.catch(() => undefined);
        await settle();
        let done: pg.QueryResult;
        try {
          done = await committing;
        } catch (e) {
          broken = true;
          if (!isConnectionLoss(e)) throw fail(e);
          // The COMMIT may or may not have reached the server: the caller must not acknowledge.
          throw unavailable(
            `lost postgresql at ${where} during commit; the write is not acknowledged, check the server`,
            e,
          );
        }
        // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
        if (done.command !== 'COMMIT') {
          if (tx.hasFailed) throw tx.failure;
          throw new StoreError(
            'VERITY_E_INTERNAL',
            'postgresql rolled the transaction back at commit; retry the write',
          );
        }
        // INVARIANT: a failed write is never committed (see above); if one was, say so loudly.
        if (tx.hasFailed)
          throw new StoreError('VERITY_E_INTERNAL', 'a failed write was committed; run `verity log verify`', {
            cause: tx.failure,
          });
        if (readAhead !== undefined) lastReads = readAhead.made;
        return result;
      } finally {
        client.release(broken);
      }
    });

  const store: RowStore = {
    kind: 'postgres',
    reader: new Reader(backend, readExec),

    async migrate(): Promise<void> {
      if (closed) throw closedError();
      const c = await connect(adminPool);
      let broken = false;
      try {
        // A session lock, not the write lock: DDL of concurrent migrations (CREATE ... races on
        // the catalogs) must not interleave, but writes need not wait for it.
        try {
          await c.query(`SELECT pg_advisory_lock(${migrateKey})`);
        } catch (e) {
          broken = true;
          throw fail(e);
        }
        try {
          await c.query('BEGIN');
          const ns = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
          if (ns.rowCount === 0) await c.query(`CREATE SCHEMA ${q}`);
          await runMigrations(
            {
              dialect: 'postgres',
              schema,
              query: async (text, params) => (await c.query(text, params as unknown[])).rows,
              hasTable: async (name) =>
                (await c.query('SELECT to_regclass($1) AS t', [`${q}.${name}`])).rows[0]?.t !== null,
            },
            Date.now(),
          );
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw fail(e);
        } finally {
          await c.query(`SELECT pg_advisory_unlock(${migrateKey})`).catch(() => {
            // A broken connection drops its session locks with it.
            broken = true;
          });
        }
      } finally {
        c.release(broken);
      }
    },

    write<T>(fn: (tx: RowWriter) => Promise<T>, options?: WriteOptions): Promise<T> {
      if (closed) return Promise.reject(closedError());
      const deferred = options?.deferred === true;
      let writer: Writer | undefined;
      return transaction(
        deferred,
        (client, tx, readAhead) => {
          const exec: Exec = { query: (c, values, arrays) => run(client, c, values, arrays) };
          writer = new Writer(backend, exec, tx, deferred, readAhead);
          return fn(writer);
        },
        () => writer,
      );
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue.idle();
      reads.close();
      await Promise.allSettled(pools.map((p) => p.end()));
    },
  };

  internalsOf.set(store, {
    lockKey: writeKey,
    writerSetting: (name) =>
      transaction(false, async (client) => {
        const r = await client.query('SELECT current_setting($1) AS v', [name]);
        return String(r.rows[0]?.v);
      }),
  });
  return store;
}

/** Runs a compiled statement on a pool or a client: prepared once per connection under its name. */
async function run(
  on: pg.Pool | pg.PoolClient,
  c: Compiled,
  values: readonly unknown[],
  arrays: boolean | undefined,
): Promise<Result> {
  const config: pg.QueryConfig & { rowMode?: 'array' } = { name: c.name, text: c.sql, values: values as unknown[] };
  if (arrays === true) config.rowMode = 'array';
  const r = await on.query(config);
  return { rows: r.rows, changes: r.rowCount ?? 0 };
}

// --- for `verity init`: all or nothing ------------------------------------------------------------

async function withClient<T>(options: PostgresStoreOptions, fn: (c: pg.Client, schema: string) => Promise<T>) {
  const schema = options.schema ?? 'verity';
  if (!SCHEMA_RE.test(schema) || schema.startsWith('pg_'))
    throw new RangeError(`postgresql schema ${quote(schema)} must be a plain lowercase identifier`);
  const c = new pg.Client({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await fn(c, schema);
  } catch (e) {
    throw translate(e, hostOf(options.connectionString));
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Whether the store's PostgreSQL schema exists at all. */
export function postgresSchemaExists(options: PostgresStoreOptions): Promise<boolean> {
  return withClient(
    options,
    async (c, schema) => ((await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount ?? 0) > 0,
  );
}

/**
 * Drops the store's PostgreSQL schema and everything in it. Only for a schema that a `verity init`
 * created itself and could not finish, so that a retry starts from nothing.
 */
export function dropPostgresSchema(options: PostgresStoreOptions): Promise<void> {
  return withClient(options, async (c, schema) => {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}
