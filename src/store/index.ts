export type { PostgresStoreOptions } from './postgres.ts';
export { dropPostgresSchema, openPostgresStore, postgresSchemaExists } from './postgres.ts';
export type { SqliteStoreOptions } from './sqlite.ts';
export { openSqliteStore } from './sqlite.ts';
export type {
  LifecycleState,
  ListOptions,
  LogHead,
  RecordRow,
  SchemaRow,
  Store,
  StoredTile,
  StoreReader,
  StoreWriter,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
  WriteOptions,
} from './types.ts';
