import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { type Clock, systemClock } from '../../src/clock/index.ts';
import { SoftwareKeyStore } from '../../src/keys/index.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.ts';
import { openVerity, type Verity } from '../../src/verity/index.ts';
import { PG_URL, pgSchema, TEST_KDF, TEST_SECRET, tempDir } from './env.ts';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

/** A Verity core on a real backend with a real software key store, in a temp dir. */
export interface TestCore extends Verity {
  readonly dir: string;
  readonly backend: Backend;
  /** Opens another store on the same database (as a second process would). */
  openStore(): Promise<Store>;
  /** Overwrites a stored log entry behind Verity's back (tamper tests). */
  corruptEntry(index: number, data: Uint8Array): Promise<void>;
  /**
   * Runs SQL on the database behind Verity's back, as an attacker holding it would: `?` placeholders,
   * tables named `t.NAME` (the PostgreSQL schema is filled in). Returns the rows.
   */
  sql(statement: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Closes and removes everything. */
  dispose(): Promise<void>;
}

export async function makeCore(
  backend: Backend,
  options: { clock?: Clock; unknownTypes?: 'generic' | 'reject'; maxBatch?: number } = {},
): Promise<TestCore> {
  const { dir, cleanup } = await tempDir();
  const pgs = backend === 'postgres' ? pgSchema() : undefined;
  const openStore = (): Promise<Store> =>
    backend === 'sqlite'
      ? openSqliteStore(join(dir, 'verity.db'))
      : openPostgresStore({ connectionString: PG_URL, schema: (pgs as { schema: string }).schema });
  const clock = options.clock ?? systemClock;
  const keys = await SoftwareKeyStore.create(join(dir, 'keys.json'), TEST_SECRET, {
    kdf: TEST_KDF,
    now: () => clock.now(),
  });
  const v = await openVerity({
    store: await openStore(),
    keys,
    origin: 'verity.test/log',
    clock,
    unknownTypes: options.unknownTypes ?? 'generic',
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
  });
  const sql = async (statement: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> => {
    if (backend === 'sqlite') {
      const db = new DatabaseSync(join(dir, 'verity.db'));
      try {
        const st = db.prepare(statement.replace(/\bt\./g, ''));
        const values = params as (null | number | string | Uint8Array)[];
        return st.columns().length > 0 ? (st.all(...values) as Record<string, unknown>[]) : (st.run(...values), []);
      } finally {
        db.close();
      }
    }
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      let n = 0;
      const text = statement
        .replace(/\bt\./g, `${(pgs as { schema: string }).schema}.`)
        .replace(/\?/g, () => `$${++n}`);
      const values = params.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v));
      return (await c.query(text, values)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  return {
    ...v,
    dir,
    backend,
    openStore,
    async corruptEntry(index, data) {
      await sql('UPDATE t.log_entries SET data = ? WHERE idx = ?', [data, index]);
    },
    sql,
    async dispose() {
      await v.close();
      await pgs?.drop();
      await cleanup();
    },
  };
}
