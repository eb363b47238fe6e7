// What a migration gets: a query builder of the store's dialect (compile only) and a way to run
// what it builds inside the migrating transaction. Private to src/store.
import type { ColumnDefinitionBuilder, Compilable, CreateTableBuilder, Kysely, RawBuilder } from 'kysely';
import { sql } from '../kysely.ts';
import type { DialectName } from '../sql.ts';

/** One step of the layout, applied once, in order, inside one transaction with its record. */
export interface Migration {
  /** `0001_init`, `0002_subject_facts`, ...: the order is the order of the names. */
  readonly name: string;
  up(m: MigrationContext): Promise<void>;
}

export interface MigrationContext {
  readonly dialect: DialectName;
  /** Builds statements for this store (schema-qualified on PostgreSQL); run them with `run`. */
  readonly db: Kysely<unknown>;
  /** Runs a built statement (a schema or query builder, or `sql` text) in the migrating transaction. */
  run(statement: Compilable | RawBuilder<unknown>): Promise<void>;
  /** A table of the store for `sql` text (schema-qualified on PostgreSQL). */
  table(name: string): RawBuilder<unknown>;
  /** Column types and modifiers that differ between the dialects. */
  readonly types: ColumnTypes;
}

/** The column vocabulary of the layout, spelled per dialect. */
export interface ColumnTypes {
  /** 64-bit integers (sizes, indices, timestamps): INTEGER in SQLite, BIGINT in PostgreSQL. */
  readonly int64: 'integer' | 'bigint';
  readonly bytes: 'blob' | 'bytea';
  readonly bool: 'integer' | 'boolean';
  /**
   * A text key compared bytewise on both dialects: COLLATE "C" in PostgreSQL, so ids sort and page
   * in the same order as in SQLite whatever the database's locale.
   */
  key(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** STRICT tables in SQLite: a value of the wrong type is refused, not stored as whatever it is. */
  table<T extends string, C extends string>(t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>;
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  const sqlite = dialect === 'sqlite';
  return {
    int64: sqlite ? 'integer' : 'bigint',
    bytes: sqlite ? 'blob' : 'bytea',
    bool: sqlite ? 'integer' : 'boolean',
    key: (col) => (sqlite ? col : col.modifyFront(sql`collate "C"`)),
    table: (t) => (sqlite ? t.modifyEnd(sql`strict`) : t),
  };
}
