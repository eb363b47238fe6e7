export { newObject, nextObject } from './objects.ts';
export type { PostgresStoreOptions } from './postgres.ts';
export { dropPostgresSchema, openPostgresStore, postgresSchemaExists } from './postgres.ts';
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
