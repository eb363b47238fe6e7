export { newObject, nextObject } from './objects.ts';

import type { PostgresStoreOptions } from './postgres.ts';
import type { Store } from './types.ts';

export type { PostgresStoreOptions } from './postgres.ts';

// The PostgreSQL store and its driver load on first use: a process on the embedded store (every
// CLI command on a SQLite data directory) goes without them.
const postgres = () => import('./postgres.ts');

/** Opens (and migrates) the PostgreSQL store; see `postgres.ts`. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  return (await postgres()).openPostgresStore(options);
}

/** Whether the store's schema exists. */
export async function postgresSchemaExists(options: PostgresStoreOptions): Promise<boolean> {
  return (await postgres()).postgresSchemaExists(options);
}

/** Drops the store's schema. */
export async function dropPostgresSchema(options: PostgresStoreOptions): Promise<void> {
  return (await postgres()).dropPostgresSchema(options);
}
export type { SqliteStoreOptions } from './sqlite.ts';
export { openSqliteStore } from './sqlite.ts';
export { proveState } from './state.ts';
export { recordStateFields, recordValue } from './state-facts.ts';
export type {
  CheckpointAnchor,
  LifecycleState,
  ListOptions,
  LogHead,
  ObjectRow,
  RecordRow,
  RowReader,
  ScanOptions,
  SchemaRow,
  SessionFilter,
  SessionRow,
  StateCommit,
  StateNodeRow,
  Store,
  StoredFact,
  StoredTile,
  StoreReader,
  StoreWriter,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
  WriteOptions,
} from './types.ts';
