// Runs the numbered migrations (migrations/index.ts) on both dialects, inside a transaction that
// the backend makes exclusive across processes. Kysely's own Migrator is not used: its SQLite lock
// is a no-op (it assumes one connection), and it cannot run on our synchronous node:sqlite
// connection or inside the backend's exclusive transaction; this is the same idea in one page.
// Private to src/store.
import type { Compilable, RawBuilder } from 'kysely';
import { quote, StoreError } from '../errors/index.ts';
import { sql } from './kysely.ts';
import { columnTypes, MIGRATIONS, type Migration, type MigrationContext } from './migrations/index.ts';
import { corrupt, SCHEMA_VERSION_KEY } from './rows.ts';
import { builder, type DialectName } from './sql.ts';

/** What the migrator needs of a backend: SQL in the open, exclusive migrating transaction. */
export interface MigrationHost {
  readonly dialect: DialectName;
  /** The PostgreSQL schema of the store; undefined for SQLite. */
  readonly schema: string | undefined;
  query(text: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  hasTable(name: string): Promise<boolean>;
}

export function layoutNewer(what: string): StoreError {
  return new StoreError(
    'VERITY_E_STORE_LAYOUT_NEWER',
    `the database was migrated by a newer verity (${what}); upgrade verity to open it`,
  );
}

/**
 * Brings the layout up to date: refuses a newer one, adopts a store of the layout-number era
 * (`meta.store.schema` 1 or 2, no migrations table) by recording the migrations it already has,
 * then applies the missing ones in order, each recorded in `verity_migrations` in the same
 * transaction. Keeps `meta.store.schema` at the number of migrations applied, so that a Verity of
 * the layout-number era refuses a store migrated past what it knows.
 */
export async function runMigrations(
  host: MigrationHost,
  now: number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  const db = builder(host.dialect, host.schema);
  const run = async (q: Compilable | RawBuilder<unknown>): Promise<Record<string, unknown>[]> => {
    const c = 'isRawBuilder' in q ? q.compile(db) : q.compile();
    return host.query(c.sql, c.parameters);
  };
  const names = migrations.map((m) => m.name);
  let found: string | undefined;
  if (await host.hasTable('meta')) {
    const rows = await run(db.selectFrom('meta').select('value').where('key', '=', SCHEMA_VERSION_KEY));
    found = rows[0]?.['value'] as string | undefined;
    if (found !== undefined && (!/^[1-9][0-9]{0,8}$/.test(found) || Number(found) > migrations.length))
      throw layoutNewer(`layout version ${quote(found)}, this one knows ${migrations.length}`);
  }
  if (!(await host.hasTable('verity_migrations'))) {
    if (found === undefined && (await host.hasTable('records')))
      // Tables without a layout version come from a pre-release build: their columns may differ.
      throw corrupt('this database has no layout version (a pre-release Verity made it); create a new data directory');
    await run(
      db.schema
        .createTable('verity_migrations')
        .addColumn('name', 'text', (c) => columnTypes(host.dialect).key(c).primaryKey())
        .addColumn('applied_at', host.dialect === 'sqlite' ? 'integer' : 'bigint', (c) => c.notNull())
        .$call(columnTypes(host.dialect).table),
    );
    // A store of the layout-number era: its version says which migrations it already has.
    for (const name of names.slice(0, Number(found ?? '0')))
      await run(db.insertInto('verity_migrations').values({ name, applied_at: now }));
  }
  const applied = (await run(db.selectFrom('verity_migrations').select('name').orderBy('name'))).map(
    (r) => r['name'] as string,
  );
  const unknown = applied.find((n) => !names.includes(n));
  if (unknown !== undefined) throw layoutNewer(`migration ${quote(unknown)}`);
  if (applied.some((n, i) => names[i] !== n))
    throw corrupt('the applied migrations are not a prefix of the known ones; restore the database from a backup');
  const ctx: MigrationContext = {
    dialect: host.dialect,
    db: db as never,
    types: columnTypes(host.dialect),
    table: (name) => sql.table(host.schema === undefined ? name : `${host.schema}.${name}`),
    async run(statement) {
      await run(statement);
    },
  };
  for (const m of migrations.slice(applied.length)) {
    await m.up(ctx);
    await run(db.insertInto('verity_migrations').values({ name: m.name, applied_at: now }));
  }
  if (found !== String(migrations.length))
    await run(
      db
        .insertInto('meta')
        .values({ key: SCHEMA_VERSION_KEY, value: String(migrations.length) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(migrations.length) })),
    );
}
