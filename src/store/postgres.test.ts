// Needs PostgreSQL (CI starts it): when it is unreachable these tests fail, they do not skip.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PG_URL, pgSchema } from '../../test/helpers/env.ts';
import { isVerityError } from '../errors/index.ts';
import { inspectPostgresStore, openPostgresRowStore as openPostgresStore } from './postgres.ts';
import { storeConformanceSuite } from './store-suite.ts';
import type { RowStore as Store } from './types.ts';

storeConformanceSuite('postgres', async () => {
  const { schema, drop } = pgSchema();
  return {
    store: await openPostgresStore({ connectionString: PG_URL, schema }),
    child: { kind: 'postgres', connectionString: PG_URL, schema },
    cleanup: drop,
    exec: async (sql: string) => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        // The suite's table names are unqualified: resolve them in the store's schema.
        await c.query(`SET search_path TO "${schema}"; ${sql}`);
      } finally {
        await c.end();
      }
    },
  };
});

/** A migrated store on a fresh schema, and a raw client on the same database. */
async function withStore(
  fn: (store: Store, raw: pg.Client, schema: string) => Promise<void>,
  connectionString = PG_URL,
): Promise<void> {
  const { schema, drop } = pgSchema();
  const store = await openPostgresStore({ connectionString, schema, poolSize: 2 });
  const raw = new pg.Client({ connectionString: PG_URL });
  await raw.connect();
  try {
    await store.migrate();
    await fn(store, raw, schema);
  } finally {
    await store.close();
    await raw.end();
    await drop();
  }
}

describe('postgres store', () => {
  it('reports an unreachable server by host and port, never the password', async () => {
    await assert.rejects(
      openPostgresStore({ connectionString: 'postgres://verity:hunter2@127.0.0.1:1/none', schema: 'x' }),
      (e) =>
        isVerityError(e, 'VERITY_E_STORE_UNAVAILABLE') &&
        e.message.includes('127.0.0.1:1') &&
        !e.message.includes('hunter2') &&
        !JSON.stringify(e).includes('hunter2'),
    );
    const noDb = new URL(PG_URL);
    noDb.pathname = '/verity_no_such_database';
    await assert.rejects(
      openPostgresStore({ connectionString: noDb.href }),
      (e) => isVerityError(e, 'VERITY_E_STORE_UNAVAILABLE') && /does not exist/.test(e.message),
    );
  });

  it('accepts only plain lowercase schema names and sane options', async () => {
    for (const schema of ['Bad-Name; DROP', 'UPPER', '', '1abc', 'pg_catalog', 'a'.repeat(64), 'a"b'])
      await assert.rejects(openPostgresStore({ connectionString: PG_URL, schema }), RangeError, schema);
    await assert.rejects(openPostgresStore({ connectionString: PG_URL, poolSize: 0 }), RangeError);
    await assert.rejects(openPostgresStore({ connectionString: '' }), TypeError);
  });

  it('commits with synchronous_commit on, even where the role or server sets it off', async () => {
    const off = new URL(PG_URL);
    off.searchParams.set('options', '-c synchronous_commit=off');
    await withStore(async (store, raw) => {
      assert.equal(await inspectPostgresStore(store).writerSetting('synchronous_commit'), 'on');
      // The raw session really runs with it off: the store raised it for its transactions only.
      const c = new pg.Client({ connectionString: off.href });
      await c.connect();
      assert.equal((await c.query('SHOW synchronous_commit')).rows[0]?.synchronous_commit, 'off');
      await c.end();
      void raw;
    }, off.href);
  });

  it('waits for another holder of the write lock while reads go on', async () => {
    await withStore(async (store, raw) => {
      await store.write((tx) => tx.setMeta('k', 'before'));
      await raw.query('BEGIN');
      await raw.query(`SELECT pg_advisory_xact_lock(${inspectPostgresStore(store).lockKey})`);
      let done = false;
      const w = store
        .write(async (tx) => {
          await tx.setMeta('k', `${await tx.getMeta('k')}+store`);
        })
        .then(() => {
          done = true;
        });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(done, false, 'the write waits for the lock');
      assert.equal(await store.reader.getMeta('k'), 'before');
      await raw.query('COMMIT');
      await w;
      assert.equal(await store.reader.getMeta('k'), 'before+store');
    });
  });

  it('reads ahead in deferred writes only what the reads would see', async () => {
    await withStore(async (store, _raw, schema) => {
      const other = await openPostgresStore({ connectionString: PG_URL, schema, poolSize: 1 });
      try {
        const deferred = { deferred: true } as const;
        const step = (value: string) =>
          store.write(async (tx) => {
            const seen = [await tx.getMeta('k'), await tx.getMeta('n')];
            await tx.setMeta('k', value);
            seen.push(await tx.getMeta('k'));
            return seen;
          }, deferred);
        await store.write((tx) => tx.setMeta('n', '1'));
        assert.deepEqual(await step('a'), [undefined, '1', 'a']);
        // Read ahead now: k and n. Another process changes both between two transactions.
        await other.write(async (tx) => {
          await tx.setMeta('k', 'other');
          await tx.setMeta('n', '2');
        });
        assert.deepEqual(await step('b'), ['other', '2', 'b']);
        assert.deepEqual(await step('c'), ['b', '2', 'c']);
        // A read-ahead the transaction does not use (it reads nothing) costs nothing else.
        await store.write((tx) => tx.setMeta('n', '3'), deferred);
        assert.deepEqual(await step('d'), ['c', '3', 'd']);
      } finally {
        await other.close();
      }
    });
  });

  it('refuses integers beyond 2^53 written around the store, and returns bytea as plain Uint8Array', async () => {
    await withStore(async (store, raw, schema) => {
      await store.write((tx) => tx.insertLogEntries(0, [new Uint8Array([1, 2, 3])]));
      const [e] = await store.reader.getLogEntries(0, 1);
      assert.equal(Object.getPrototypeOf(e), Uint8Array.prototype);
      assert.equal(e?.buffer.byteLength, 3, 'an own buffer, not a slice of a shared pool');
      await raw.query(
        `INSERT INTO "${schema}".log_head VALUES (1, 9007199254740993, decode(repeat('00', 32), 'hex'), ''::bytea, 'cp', 0)`,
      );
      await assert.rejects(store.reader.getLogHead(), (x) => isVerityError(x, 'VERITY_E_STORE_CORRUPT'));
    });
  });

  it('keeps ciphertext columns out of compression', async () => {
    await withStore(async (_store, raw, schema) => {
      const r = await raw.query(
        `SELECT attname, attstorage FROM pg_attribute
         WHERE attrelid IN ($1::regclass, $2::regclass) AND attname IN ('envelope', 'hashes') ORDER BY attname`,
        [`"${schema}".records`, `"${schema}".log_tiles`],
      );
      assert.deepEqual(
        r.rows.map((x) => [x.attname, x.attstorage]),
        [
          ['envelope', 'e'],
          ['hashes', 'e'],
        ],
      );
    });
  });
});
