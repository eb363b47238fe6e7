// The tables of the store as Kysely sees them (column names and the JS types the drivers return).
// Private to src/store: the queries (queries.ts) and the migrations are typed against it.
import type { Generated } from 'kysely';

/** Small named values: the layout version, counters such as subjects.epoch. */
export interface MetaTable {
  key: string;
  value: string;
}

export interface LogHeadTable {
  id: number;
  size: number;
  root_hash: Uint8Array;
  frontier: Uint8Array;
  checkpoint: string;
  updated_at: number;
}

export interface LogEntriesTable {
  idx: number;
  data: Uint8Array;
}

export interface LogTilesTable {
  level: number;
  idx: number;
  width: number;
  hashes: Uint8Array;
}

export interface RecordsTable {
  id: string;
  version: number;
  subject_ref: string;
  type: string;
  state: string;
  meta: string;
  envelope: Uint8Array | null;
  created_at: number;
  retain_until: number | null;
  log_index: number;
  /** SQLite only: 48 bits of subject_ref as the key of the subject index (see 0001_init). */
  subject_tag: Generated<number>;
}

export interface SubjectKeysTable {
  subject_ref: string;
  kek_version: number;
  wrapped_key: Uint8Array;
  created_at: number;
}

export interface SubjectFactsTable {
  subject_ref: string;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  minor: number | boolean;
  guardians: string;
  updated_at: number;
}

export interface TokensTable {
  id: string;
  secret_hash: Uint8Array;
  principal: string;
  role: string;
  scopes: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface SessionsTable {
  id: string;
  subject_ref: string;
  opener_token: string;
  opener: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** Capabilities' state documents (passkeys, issuers, credentials, ...), see ObjectRow. */
export interface ObjectsTable {
  kind: string;
  id: string;
  owner: string;
  body: string;
  version: number;
  updated_at: number;
}

export interface SchemasTable {
  type: string;
  schema: string;
  created_at: number;
}

/** Nodes of the state map (src/smt): position -> encoded node. */
export interface StateNodesTable {
  pos: Uint8Array;
  node: Uint8Array;
}

/** The migrations applied to this database, by name (`0001_init`, ...): the store owns this table. */
export interface MigrationsTable {
  name: string;
  applied_at: number;
}

export interface Database {
  meta: MetaTable;
  log_head: LogHeadTable;
  log_entries: LogEntriesTable;
  log_tiles: LogTilesTable;
  records: RecordsTable;
  subject_keys: SubjectKeysTable;
  subject_facts: SubjectFactsTable;
  tokens: TokensTable;
  sessions: SessionsTable;
  objects: ObjectsTable;
  schemas: SchemasTable;
  state_nodes: StateNodesTable;
  verity_migrations: MigrationsTable;
}
