/**
 * The storage contract every backend (SQLite embedded, PostgreSQL) implements, and that the
 * shared conformance suite (`store-suite.ts`) checks. Storage knows rows, not meaning: it never
 * sees plaintext payloads or keys, only sealed envelopes, wrapped keys, hashes and metadata.
 */

/** Lifecycle states of a record version (FGMV-46 6.2: creation, capture, storage, sharing, use). */
export type LifecycleState = 'created' | 'captured' | 'stored' | 'shared' | 'used' | 'archived' | 'erased';

/** The current head of the transparency log, updated atomically with every append. */
export interface LogHead {
  /** Number of entries in the tree. */
  readonly size: number;
  /** RFC 9162 root hash of the tree of `size` entries (32 bytes). */
  readonly rootHash: Uint8Array;
  /**
   * The right edge of the tree (the compact range [0, size)): the roots of the perfect subtrees
   * in the binary decomposition of `size`, largest first, concatenated (32 bytes each).
   */
  readonly frontier: Uint8Array;
  /** The latest signed checkpoint note for exactly this size and root. */
  readonly checkpoint: string;
  /** Milliseconds since the epoch of the last update. */
  readonly updatedAt: number;
}

/** One C2SP tlog tile: the hashes of nodes [256*index, 256*index + width) at tree level 8*level. */
export interface StoredTile {
  readonly level: number;
  readonly index: number;
  /** 1..256; 256 means the tile is full and immutable. */
  readonly width: number;
  /** width * 32 bytes. */
  readonly hashes: Uint8Array;
}

/** One version of a sealed record as stored. */
export interface RecordRow {
  /** Opaque record id (`rec_` + base64url), the same across versions. */
  readonly id: string;
  /** 1, 2, 3, ... */
  readonly version: number;
  /** Keyed pseudonym of the data subject (never the plaintext subject id). */
  readonly subjectRef: string;
  readonly type: string;
  readonly state: LifecycleState;
  /** Non-secret metadata as canonical JSON text (classification, provenance, lineage, ...). */
  readonly meta: string;
  /** The sealed payload; null once the version is erased. */
  readonly envelope: Uint8Array | null;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** Retention deadline in milliseconds since the epoch, or null for none. */
  readonly retainUntil: number | null;
  /** Index of the log entry that recorded this version's write. */
  readonly logIndex: number;
}

/** A subject's data key, wrapped under a key-encryption key of the KeyStore. */
export interface SubjectKeyRow {
  readonly subjectRef: string;
  readonly kekVersion: number;
  readonly wrappedKey: Uint8Array;
  readonly createdAt: number;
}

/** Facts about a data subject that authorization reads: minority and guardians (by subject ref). */
export interface SubjectFactsRow {
  readonly subjectRef: string;
  readonly minor: boolean;
  /** Subject refs of the guardians, sorted, without duplicates; at most 16. */
  readonly guardians: readonly string[];
  readonly updatedAt: number;
}

/** A registered JSON Schema for a record type. */
export interface SchemaRow {
  readonly type: string;
  /** The JSON Schema as JSON text. */
  readonly schema: string;
  readonly createdAt: number;
}

/** An API token of a principal. Only a hash of its secret is stored, never the secret. */
export interface TokenRow {
  /** Public token id (`tok_` + base64url), the part of a token used to find it. */
  readonly id: string;
  /** SHA-256 of the token's secret part (32 bytes). */
  readonly secretHash: Uint8Array;
  /** The principal's name, e.g. `world-eu`. */
  readonly principal: string;
  /** `service`, `operator`, `auditor` or `player`. */
  readonly role: string;
  /** JSON text of the token's scopes (e.g. `{"recordTypes":["position"]}`). */
  readonly scopes: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When it was revoked, or null. */
  readonly revokedAt: number | null;
}

/** A player session: the state behind a session token, checked on every request made with it. */
export interface SessionRow {
  /** The session id (the session token's `jti`). */
  readonly id: string;
  /** Keyed pseudonym of the player (never the player id). */
  readonly subjectRef: string;
  /** Id of the API token that opened the session. */
  readonly openerTokenId: string;
  /** That token's principal as the audit trail names it, e.g. `service:platform`. */
  readonly opener: string;
  readonly createdAt: number;
  /** After `createdAt`. */
  readonly expiresAt: number;
  /** When it was revoked, or null. */
  readonly revokedAt: number | null;
}

/**
 * One piece of a capability's state that has no table of its own (passkeys, identity issuers,
 * credentials and their status lists, DID keys, ...): a JSON document under a kind and an id,
 * optionally owned (listed by owner). Like every protected row, it is bound to the state map: a
 * changed, deleted or added object is refused at use.
 */
export interface ObjectRow {
  /** What it is, e.g. `passkey` or `oidc.issuer`: lowercase letters, digits, `.` and `-`, 1 to 64. */
  readonly kind: string;
  /** Its id within the kind (1 to 512 characters of well-formed text). */
  readonly id: string;
  /** Whom it belongs to (for instance a subject ref), '' for none: objects are listed by owner. */
  readonly owner: string;
  /** The document: JSON text, at most 1 MiB. */
  readonly body: string;
  /** 1 when created, one more at every replacement (optimistic concurrency). */
  readonly version: number;
  /** Milliseconds since the epoch of the last write. */
  readonly updatedAt: number;
}

/** Which active sessions to list: all, one player's, or those one token opened (not both). */
export interface SessionFilter {
  readonly subjectRef?: string;
  readonly openerTokenId?: string;
}

/** Page of results with an opaque continuation. */
export interface ListOptions {
  readonly limit: number;
  /** Return rows strictly after this key (for records by subject: the record id). */
  readonly after?: string;
}

/** A node of the state map to store at a position (src/smt). */
export interface StateNodeRow {
  readonly pos: Uint8Array;
  readonly node: Uint8Array;
}

/** A page of a table scan: rows after a key, in key order. */
export interface ScanOptions {
  readonly limit: number;
  /** The last key of the previous page (records: the id), or undefined for the first page. */
  readonly after?: string;
  /** Records: the last version of the previous page's last id. */
  readonly afterVersion?: number;
  /** Objects: the last id of the previous page (`after` is then its kind). */
  readonly afterId?: string;
}

/**
 * Read operations; inside a write transaction they see the transaction's own writes. Every row a
 * read returns (records, subject keys and facts, schemas, tokens, settings) has been checked
 * against the state map committed in the latest signed checkpoint: a row changed, deleted or added
 * outside Verity is refused with VERITY_E_STATE_TAMPERED naming it.
 */
export interface StoreReader {
  getMeta(key: string): Promise<string | undefined>;
  getLogHead(): Promise<LogHead | undefined>;
  /** Entries [start, end) in index order; throws VERITY_E_LOG_RANGE if any is missing. */
  getLogEntries(start: number, end: number): Promise<Uint8Array[]>;
  getTile(level: number, index: number): Promise<StoredTile | undefined>;
  /** The given version, or the latest version when `version` is undefined. */
  getRecord(id: string, version?: number): Promise<RecordRow | undefined>;
  /** Every version of a record, oldest first. */
  listRecordVersions(id: string): Promise<RecordRow[]>;
  /** The latest version of each record of a subject, ordered by record id. */
  listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]>;
  /** Latest versions whose retention deadline is at or before `now`, not yet erased. */
  listExpiredRecords(now: number, limit: number): Promise<RecordRow[]>;
  getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined>;
  /** Subject keys wrapped under a KEK version lower than `kekVersion`. */
  listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]>;
  /** How many subject keys are wrapped under each KEK version. */
  countSubjectKeysByKek(): Promise<Map<number, number>>;
  getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined>;
  getSchema(type: string): Promise<SchemaRow | undefined>;
  listSchemas(): Promise<SchemaRow[]>;
  getToken(id: string): Promise<TokenRow | undefined>;
  /** Every token, newest first (secret hashes included; callers must not print them). */
  listTokens(): Promise<TokenRow[]>;
  /** Every setting, by key. */
  listMeta(): Promise<{ key: string; value: string }[]>;
  /** Record versions in (id, version) order, a page at a time. */
  scanRecords(options: ScanOptions): Promise<RecordRow[]>;
  /** Subject keys in subject-ref order, a page at a time. */
  scanSubjectKeys(options: ScanOptions): Promise<SubjectKeyRow[]>;
  /** Subject facts in subject-ref order, a page at a time. */
  scanSubjectFacts(options: ScanOptions): Promise<SubjectFactsRow[]>;
  /** Sessions (revoked and expired ones too) in id order, a page at a time. */
  scanSessions(options: ScanOptions): Promise<SessionRow[]>;
  /** Stored state-map nodes at `positions` (undefined where none); unverified bytes. */
  getStateNodes(positions: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /** Sessions not revoked and expiring after `now`, by id (`after`: a session id). */
  listActiveSessions(now: number, filter: SessionFilter, options: ListOptions): Promise<SessionRow[]>;
  getObject(kind: string, id: string): Promise<ObjectRow | undefined>;
  /** Objects of a kind (of one owner when `owner` is given), by id (`after`: an object id). */
  listObjects(kind: string, owner: string | undefined, options: ListOptions): Promise<ObjectRow[]>;
  /** Objects in (kind, id) order, a page at a time. */
  scanObjects(options: ScanOptions): Promise<ObjectRow[]>;
}

/** Operations of one exclusive write transaction (one at a time across every process). */
export interface StoreWriter extends StoreReader {
  setMeta(key: string, value: string): Promise<void>;
  /** Replaces the head (the row is created on first use). */
  putLogHead(head: LogHead): Promise<void>;
  /** Inserts entries at indices start, start+1, ...; fails if any index exists. */
  insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void>;
  /** Inserts or replaces tiles (a tile only ever grows in width). */
  putTiles(tiles: readonly StoredTile[]): Promise<void>;
  /** Inserts new record versions; fails with VERITY_E_STORE_CONFLICT if (id, version) exists. */
  insertRecords(rows: readonly RecordRow[]): Promise<void>;
  /** Sets the lifecycle state of one version. */
  setRecordState(id: string, version: number, state: LifecycleState): Promise<void>;
  /** Drops the envelopes of every version of a record and marks them erased; returns how many. */
  eraseRecord(id: string): Promise<number>;
  /**
   * Drops the envelopes of every record of a subject, marks them erased and unlinks them from the
   * subject: they are given one fresh random reference (the same for all of them, known to no one),
   * so that afterwards no row carries `subjectRef`; returns how many versions.
   */
  eraseSubjectRecords(subjectRef: string): Promise<number>;
  /** Inserts a subject key unless one exists; returns the row that is stored afterwards. */
  insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow>;
  /** Replaces the wrapping of existing subject keys (KEK rotation). */
  updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void>;
  /** Deletes a subject key (crypto-shredding); returns whether one existed. */
  deleteSubjectKey(subjectRef: string): Promise<boolean>;
  /** Inserts or replaces the facts of a subject. */
  putSubjectFacts(row: SubjectFactsRow): Promise<void>;
  /** Deletes the facts of a subject; returns whether they existed. */
  deleteSubjectFacts(subjectRef: string): Promise<boolean>;
  putSchema(row: SchemaRow): Promise<void>;
  /** Inserts a new token; VERITY_E_STORE_CONFLICT if the id exists. */
  insertToken(row: TokenRow): Promise<void>;
  /** Marks a token revoked at `at` (first revocation wins); returns whether it exists. */
  revokeToken(id: string, at: number): Promise<boolean>;
  /** Inserts or replaces state-map nodes. */
  putStateNodes(nodes: readonly StateNodeRow[]): Promise<void>;
  /**
   * Applies this transaction's changes of protected rows to the state map whose root `head`'s
   * checkpoint commits to: stores the new nodes and returns the new root and the changes (for the
   * log's state entry). The log calls it once per transaction, before it signs the checkpoint.
   */
  commitState(head: LogHead | undefined): Promise<StateCommit>;
  /** Inserts a new session; VERITY_E_STORE_CONFLICT if the id exists. */
  insertSession(row: SessionRow): Promise<void>;
  /** Marks a session revoked at `at` (first revocation wins); returns whether it exists. */
  revokeSession(id: string, at: number): Promise<boolean>;
  /** Marks every session of a subject not yet revoked as revoked at `at`; returns how many. */
  revokeSubjectSessions(subjectRef: string, at: number): Promise<number>;
  /** Marks every session a token opened not yet revoked as revoked at `at`; returns how many. */
  revokeOpenerSessions(openerTokenId: string, at: number): Promise<number>;
  /**
   * Creates an object (`row.version` 1) or replaces version `row.version - 1` of it; throws
   * VERITY_E_STORE_CONFLICT when it exists already (creating) or its stored version is another
   * (replacing): reread it and retry.
   */
  putObject(row: ObjectRow): Promise<void>;
  /** Deletes an object; returns whether it existed. */
  deleteObject(kind: string, id: string): Promise<boolean>;
}

/** What one transaction did to the state map. */
export interface StateCommit {
  /** The map's root after the transaction. */
  readonly root: Uint8Array;
  /** The keys changed and their new values, in a canonical order (by key). */
  readonly changes: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[];
}

/**
 * Reads a signed checkpoint for the store: verifies its signature and returns the state root its
 * extension line commits to (undefined for a checkpoint written before the state map existed).
 * Throws when the signature does not verify.
 */
export type CheckpointAnchor = (checkpoint: string) => Uint8Array | undefined;

/** Options of one write transaction. */
export interface WriteOptions {
  /**
   * Lets the backend send the writes that return nothing (setMeta, putLogHead, insertLogEntries,
   * putTiles, insertRecords, setRecordState, updateSubjectKeys, putSubjectFacts, putSchema,
   * insertToken, insertSession) without waiting for each outcome, and gather record inserts into one multi-row
   * statement (PostgreSQL: no round trip per row inside the lock). Such a call may then resolve
   * before its statement has run, and its failure is reported by `write()` instead: the
   * transaction still rolls back as a whole and `write()` rejects with the first failure. Reads
   * and writes that return a value still wait and see every earlier write. SQLite runs statements
   * synchronously and ignores it. Default false.
   */
  readonly deferred?: boolean;
}

/** A storage backend. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Brings the database to the layout of this code: applies, in order, the numbered migrations it
   * lacks (an older layout is upgraded in place, each migration recorded in `verity_migrations` in
   * its own transaction), and refuses with VERITY_E_STORE_LAYOUT_NEWER a database migrated by a
   * newer Verity. Idempotent and safe to run from several processes at once.
   */
  migrate(): Promise<void>;
  /** Reads outside any transaction: sees only committed data. */
  readonly reader: StoreReader;
  /**
   * Runs `fn` in one exclusive, durable write transaction: at most one runs at a time across
   * every process on the same database. When the returned promise resolves the transaction is
   * committed and durable; when `fn` throws, nothing of it is kept.
   */
  write<T>(fn: (tx: StoreWriter) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * Sets how the store reads checkpoints: the log sets one that verifies the log's signature, so
   * that reads check rows against a state root only a holder of the signing key could have made.
   * Until then checkpoints are parsed without their signature.
   */
  anchor(read: CheckpointAnchor): void;
  /**
   * Every protected row's map key and digest as stored, unchecked (the check that lists every row
   * differing from the map, `verity log verify`, must see a tampered row rather than stop at it).
   */
  storedState(): AsyncIterable<StoredFact>;
  /**
   * Where the store's own indexes and derived columns disagree with its rows (at most `limit`): the
   * map holds rows, not the indexes a listing, an erasure, a revocation or a retention sweep goes
   * through, so an index rebuilt without a row would leave that row out unseen. SQLite: `PRAGMA
   * integrity_check` and each record's subject tag against its subject. Absent where the backend's
   * indexes are not in the files a copy of the store holds (PostgreSQL: see docs/architecture.md).
   */
  indexProblems?(limit?: number): Promise<readonly IndexProblem[]>;
  close(): Promise<void>;
}

/** An index or a derived column of the store that disagrees with the rows (Store.indexProblems). */
export interface IndexProblem {
  readonly table: string;
  /** The row (a record's id and version) or what the database reported. */
  readonly row: string;
}

/** One protected row: its table, its id (for messages), its state-map key and digest. */
export interface StoredFact {
  readonly table: string;
  readonly id: string;
  readonly key: Uint8Array;
  /** undefined: the row is absent. */
  readonly value: Uint8Array | undefined;
}

/** A store's rows without the state map (what each backend implements; state.ts adds the map). */
export type RowReader = Omit<StoreReader, never>;
/** A backend's write transaction, before the state map is added. */
export type RowWriter = Omit<StoreWriter, 'commitState'>;
/** A backend (SQLite, PostgreSQL) before the state map is added. */
export interface RowStore extends Omit<Store, 'reader' | 'write' | 'anchor' | 'storedState'> {
  readonly reader: RowReader;
  /**
   * A number that changes whenever a transaction commits to the database, by any connection of any
   * process (SQLite's `PRAGMA data_version` on the reader's connection, which counts this process's
   * own writer too); undefined where the backend has none (PostgreSQL). See D99.
   */
  dataVersion?(): number;
  write<T>(fn: (tx: RowWriter) => Promise<T>, options?: WriteOptions): Promise<T>;
}
