export type { PostgresStoreOptions } from './postgres.ts';
export { openPostgresStore } from './postgres.ts';
export type { SqliteStoreOptions } from './sqlite.ts';
export { openSqliteStore } from './sqlite.ts';
export type {
  LifecycleState,
  ListOptions,
  LogHead,
  RecordRow,
  SchemaRow,
  SessionFilter,
  SessionRow,
  Store,
  StoredTile,
  StoreReader,
  StoreWriter,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
  WriteOptions,
} from './types.ts';
