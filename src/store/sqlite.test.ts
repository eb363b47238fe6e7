import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { isVerityError } from '../errors/index.ts';
import { queries } from './queries.ts';
import { inspectSqlitePlanner, inspectSqliteStore, openSqliteRowStore as openSqliteStore } from './sqlite.ts';
import { storeConformanceSuite } from './store-suite.ts';

storeConformanceSuite('sqlite', async () => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'verity.db');
  const exec = async (sql: string): Promise<void> => {
    const db = new DatabaseSync(path);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  };
  return { store: await openSqliteStore(path), child: { kind: 'sqlite', path }, cleanup, exec };
});

/**
 * What closing with `PRAGMA optimize` did to a store just made (D342): its tables analyzed while they
 * held a row each. Returns the rows of statistics written.
 */
function analyzeWhileTiny(path: string): number {
  const raw = new DatabaseSync(path);
  try {
    raw.exec("INSERT INTO state_nodes (pos, node) VALUES (x'00', x'00'); ANALYZE;");
    return Number(raw.prepare('SELECT count(*) AS n FROM sqlite_stat1').get()?.n);
  } finally {
    raw.close();
  }
}

describe('sqlite store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('leaves no planner statistics, and forgets those an earlier version left (D342)', async () => {
    const path = join(dir, 'v.db');
    const store = await openSqliteStore(path);
    await store.migrate();
    await store.write((tx) => tx.setMeta('k', 'v'));
    await store.close();
    const raw = new DatabaseSync(path);
    try {
      assert.equal(raw.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sqlite_stat1'").get()?.n, 0);
    } finally {
      raw.close();
    }
    assert.ok(analyzeWhileTiny(path) > 0);
    const again = await openSqliteStore(path);
    try {
      const inspected = inspectSqlitePlanner(again);
      assert.equal(inspected.statistics, 0);
      // The node lookup by primary key, not a scan of the whole table.
      assert.match(inspected.nodeLookupPlan, /USING INDEX/);
      assert.doesNotMatch(inspected.nodeLookupPlan, /SCAN/);
    } finally {
      await again.close();
    }
  });

  it('plans every query of the store on an index, even after statistics of tiny tables (D342)', async () => {
    const path = join(dir, 'v.db');
    const first = await openSqliteStore(path);
    await first.migrate();
    await first.close();
    analyzeWhileTiny(path);
    const store = await openSqliteStore(path);
    await store.close();
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      // A full listing by design: the few tokens an operator lists, newest first.
      const listings = new Set(['listTokens']);
      const scans: string[] = [];
      for (const [name, c] of Object.entries(queries('sqlite') as Record<string, { sql?: unknown }>)) {
        if (typeof c?.sql !== 'string' || listings.has(name)) continue;
        const params = (c.sql.match(/\?/g) ?? []).map(() => 1);
        for (const r of db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...params)) {
          const detail = String((r as { detail?: unknown }).detail);
          if (/^SCAN /.test(detail) && !/USING (COVERING )?INDEX/.test(detail)) scans.push(`${name}: ${detail}`);
        }
      }
      assert.deepEqual(scans, []);
    } finally {
      db.close();
    }
  });

  it('writes durably: WAL, synchronous=FULL, foreign keys on, in owner-only files', async () => {
    const path = join(dir, 'v.db');
    const store = await openSqliteStore(path);
    try {
      await store.migrate();
      await store.write((tx) => tx.setMeta('k', 'v'));
      assert.deepEqual(inspectSqliteStore(store), {
        journalMode: 'wal',
        synchronous: 2,
        foreignKeys: 1,
        // The writer waits for other processes with timers, never inside SQLite (see beginImmediate).
        busyTimeout: 0,
      });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(`${path}-wal`)).mode & 0o777, 0o600);
      assert.equal((await stat(`${path}-shm`)).mode & 0o777, 0o600);
    } finally {
      await store.close();
    }
    // Committed data is in the file for any other connection once the store is closed.
    const db = new DatabaseSync(path);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.deepEqual({ ...db.prepare("SELECT value FROM meta WHERE key = 'k'").get() }, { value: 'v' });
    db.close();
  });

  it('keeps the mode of an existing file', async () => {
    const path = join(dir, 'v.db');
    await writeFile(path, '', { mode: 0o640 });
    const store = await openSqliteStore(path);
    await store.migrate();
    await store.close();
    assert.equal((await stat(path)).mode & 0o777, 0o640);
  });

  it('waits for a write lock held by another connection without blocking the event loop', async () => {
    const path = join(dir, 'v.db');
    const store = await openSqliteStore(path);
    try {
      await store.migrate();
      await store.write((tx) => tx.setMeta('k', 'before'));
      const other = new DatabaseSync(path);
      other.exec("BEGIN IMMEDIATE; UPDATE meta SET value = 'other' WHERE key = 'k'");
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const w = store.write(async (tx) => {
        await tx.setMeta('k', `${await tx.getMeta('k')}+store`);
      });
      await new Promise((r) => setTimeout(r, 150));
      // Reads go on meanwhile and see the last committed value.
      assert.equal(await store.reader.getMeta('k'), 'before');
      other.exec('COMMIT');
      other.close();
      await w;
      clearInterval(timer);
      assert.ok(ticks >= 10, `the event loop ran ${ticks} timer ticks while the write waited`);
      assert.equal(await store.reader.getMeta('k'), 'other+store');
    } finally {
      await store.close();
    }
  });

  it('gives up after busyTimeoutMs with VERITY_E_STORE_UNAVAILABLE', async () => {
    const path = join(dir, 'v.db');
    const store = await openSqliteStore(path, { busyTimeoutMs: 50 });
    const other = new DatabaseSync(path);
    try {
      await store.migrate();
      other.exec('BEGIN IMMEDIATE');
      const t0 = performance.now();
      await assert.rejects(
        store.write((tx) => tx.setMeta('k', 'v')),
        (e) => isVerityError(e, 'VERITY_E_STORE_UNAVAILABLE') && /busyTimeoutMs/.test(e.message),
      );
      assert.ok(performance.now() - t0 >= 45);
      other.exec('ROLLBACK');
      await store.write((tx) => tx.setMeta('k', 'v'));
      assert.equal(await store.reader.getMeta('k'), 'v');
    } finally {
      other.close();
      await store.close();
    }
  });

  it('reports a damaged file and a missing directory as typed errors', async () => {
    await assert.rejects(openSqliteStore(join(dir, 'missing', 'v.db')), (e) =>
      isVerityError(e, 'VERITY_E_STORE_UNAVAILABLE'),
    );
    const junk = join(dir, 'junk.db');
    await writeFile(junk, Buffer.alloc(8192, 'not a database '));
    await assert.rejects(openSqliteStore(junk), (e) => isVerityError(e, 'VERITY_E_STORE_CORRUPT'));
    await assert.rejects(openSqliteStore(':memory:'), TypeError);
    await assert.rejects(openSqliteStore(join(dir, 'v.db'), { busyTimeoutMs: -1 }), RangeError);
  });
});

it('sqlite refuses a database without a layout version (a pre-release layout)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = `${dir}/old.db`;
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE records (id TEXT);');
    db.close();
    const store = await openSqliteStore(path);
    try {
      await assert.rejects(store.migrate(), (e) => isVerityError(e, 'VERITY_E_STORE_CORRUPT'));
    } finally {
      await store.close();
    }
  } finally {
    await cleanup();
  }
});
