// Shared by both backends: input checks, row mapping, transaction bookkeeping. Private to src/store.
import { quote, StoreError, VerityError } from '../errors/index.ts';
import type {
  ObjectsTable,
  RecordsTable,
  SchemasTable,
  SessionsTable,
  SubjectFactsTable,
  SubjectKeysTable,
  TokensTable,
} from './schema.ts';
import type {
  LifecycleState,
  ListOptions,
  LogHead,
  ObjectRow,
  RecordRow,
  SchemaRow,
  SessionFilter,
  SessionRow,
  StoredTile,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

/** Lifecycle states the stores accept (a CHECK constraint in both schemas, too). */
export const STATES: ReadonlySet<string> = new Set<LifecycleState>([
  'created',
  'captured',
  'stored',
  'shared',
  'used',
  'archived',
  'erased',
]);

/** The `meta` key of the layout version (the number of migrations applied; see migrator.ts). */
export const SCHEMA_VERSION_KEY = 'store.schema';

/** Tile geometry of C2SP tlog-tiles: up to 256 hashes of 32 bytes. */
export const TILE_WIDTH = 256;
export const HASH_SIZE = 32;

const INT32_MAX = 2 ** 31 - 1;

// --- caller-input checks ------------------------------------------------------------------------
// The stores are called by Verity's own layers, so a bad argument is a programming error: TypeError
// or RangeError, thrown before any SQL runs. They also keep NaN and floats away from SQLite (which
// would turn NaN into NULL, and NULL into a fresh rowid for INTEGER PRIMARY KEY).

export function checkIndex(n: unknown, what: string): asserts n is number {
  if (!Number.isSafeInteger(n) || (n as number) < 0)
    throw new RangeError(`${what} must be a non-negative safe integer`);
}

/** Integers stored in BIGINT / INTEGER columns (timestamps may be negative). */
export function checkInteger(n: unknown, what: string): asserts n is number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer`);
}

/** Integers stored in PostgreSQL INTEGER (int4) columns. */
export function checkInt32(n: unknown, what: string, min: number, max = INT32_MAX): asserts n is number {
  if (!Number.isInteger(n) || (n as number) < min || (n as number) > max)
    throw new RangeError(`${what} must be an integer from ${min} to ${max}`);
}

export function checkLimit(n: unknown): asserts n is number {
  if (!Number.isSafeInteger(n) || (n as number) < 0) throw new RangeError('limit must be a non-negative safe integer');
}

/**
 * Text as both databases store it byte-exact: a string that is well-formed UTF-16 (a lone
 * surrogate would come back as U+FFFD) without NUL (PostgreSQL text refuses it).
 */
export function checkText(s: unknown, what: string, nonEmpty = false): asserts s is string {
  if (typeof s !== 'string' || !s.isWellFormed() || s.includes('\u0000') || (nonEmpty && s.length === 0))
    throw new TypeError(`${what} must be ${nonEmpty ? 'non-empty ' : ''}well-formed text without NUL characters`);
}

export function checkBytes(b: unknown, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
}

export function checkState(s: unknown): asserts s is LifecycleState {
  if (typeof s !== 'string' || !STATES.has(s)) throw new RangeError(`lifecycle state ${quote(s)} is not known`);
}

export function checkRange(start: number, end: number): void {
  checkIndex(start, 'log range start');
  checkIndex(end, 'log range end');
  if (end < start) throw new RangeError('log range end must not be below its start');
}

export function checkListOptions(o: ListOptions): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('list options must be an object');
  checkLimit(o.limit);
  if (o.after !== undefined) checkText(o.after, 'after');
}

export function checkHead(h: LogHead): void {
  checkIndex(h.size, 'log size');
  checkBytes(h.rootHash, 'root hash');
  if (h.rootHash.byteLength !== HASH_SIZE) throw new RangeError('root hash must be 32 bytes');
  checkBytes(h.frontier, 'frontier');
  if (h.frontier.byteLength % HASH_SIZE !== 0) throw new RangeError('frontier must be a multiple of 32 bytes');
  checkText(h.checkpoint, 'checkpoint');
  checkInteger(h.updatedAt, 'updatedAt');
}

export function checkEntries(start: number, entries: readonly Uint8Array[]): void {
  checkIndex(start, 'log index');
  if (!Array.isArray(entries)) throw new TypeError('log entries must be an array');
  checkIndex(start + entries.length, 'last log index');
  for (const e of entries) checkBytes(e, 'a log entry');
}

export function checkTile(t: StoredTile): void {
  checkInt32(t.level, 'tile level', 0, 63);
  checkIndex(t.index, 'tile index');
  checkInt32(t.width, 'tile width', 1, TILE_WIDTH);
  checkBytes(t.hashes, 'tile hashes');
  if (t.hashes.byteLength !== t.width * HASH_SIZE) throw new RangeError('tile hashes must be width * 32 bytes');
}

export function checkRecord(r: RecordRow): void {
  checkText(r.id, 'record id', true);
  checkInt32(r.version, 'record version', 1);
  checkText(r.subjectRef, 'subject ref', true);
  checkText(r.type, 'record type', true);
  checkState(r.state);
  checkText(r.meta, 'record meta');
  if (r.envelope !== null) checkBytes(r.envelope, 'envelope');
  checkInteger(r.createdAt, 'createdAt');
  if (r.retainUntil !== null) checkInteger(r.retainUntil, 'retainUntil');
  checkIndex(r.logIndex, 'log index');
}

export function checkSubjectKey(k: SubjectKeyRow): void {
  checkText(k.subjectRef, 'subject ref', true);
  checkInt32(k.kekVersion, 'kek version', 0);
  checkBytes(k.wrappedKey, 'wrapped key');
  checkInteger(k.createdAt, 'createdAt');
}

/** Most guardians a subject may have (SubjectFactsRow.guardians). */
export const MAX_GUARDIANS = 16;

/**
 * Guardians are in strictly increasing UTF-16 code unit order (the default order of
 * Array.prototype.sort, and of `<` on strings): sorted and without duplicates.
 */
export function checkSubjectFacts(f: SubjectFactsRow): void {
  checkText(f.subjectRef, 'subject ref', true);
  if (typeof f.minor !== 'boolean') throw new TypeError('minor must be a boolean');
  if (!Array.isArray(f.guardians)) throw new TypeError('guardians must be an array of subject refs');
  if (f.guardians.length > MAX_GUARDIANS)
    throw new RangeError(`a subject has at most ${MAX_GUARDIANS} guardians, not ${f.guardians.length}`);
  let previous: string | undefined;
  for (const g of f.guardians as unknown[]) {
    checkText(g, 'guardian subject ref', true);
    if (g === f.subjectRef) throw new RangeError('a subject cannot be its own guardian');
    if (previous !== undefined && !(previous < g))
      throw new RangeError('guardians must be sorted (Array.prototype.sort order) without duplicates');
    previous = g;
  }
  checkIndex(f.updatedAt, 'updatedAt');
}

export function checkSchemaRow(s: SchemaRow): void {
  checkText(s.type, 'record type', true);
  checkText(s.schema, 'schema');
  checkInteger(s.createdAt, 'createdAt');
}

export function checkTokenRow(t: TokenRow): void {
  checkText(t.id, 'token id', true);
  if (!(t.secretHash instanceof Uint8Array) || t.secretHash.byteLength !== 32)
    throw new RangeError('secretHash must be 32 bytes');
  checkText(t.principal, 'principal', true);
  checkText(t.role, 'role', true);
  checkText(t.scopes, 'scopes');
  checkInteger(t.createdAt, 'createdAt');
  checkInteger(t.expiresAt, 'expiresAt');
  if (t.revokedAt !== null) checkInteger(t.revokedAt, 'revokedAt');
}

export function checkSessionRow(s: SessionRow): void {
  checkText(s.id, 'session id', true);
  checkText(s.subjectRef, 'subject ref', true);
  checkText(s.openerTokenId, 'opener token id', true);
  checkText(s.opener, 'opener', true);
  checkInteger(s.createdAt, 'createdAt');
  checkInteger(s.expiresAt, 'expiresAt');
  if (s.expiresAt <= s.createdAt) throw new RangeError('a session must expire after it was created');
  if (s.revokedAt !== null) checkInteger(s.revokedAt, 'revokedAt');
}

/** Kinds of objects: lowercase names a capability chooses (`passkey`, `oidc.issuer`, ...). */
const OBJECT_KIND_RE = /^[a-z][a-z0-9.-]{0,63}$/;
/** The largest object document (a status list of a million credentials compresses well below it). */
export const MAX_OBJECT_BYTES = 1 << 20;

export function checkObjectKind(kind: unknown): asserts kind is string {
  if (typeof kind !== 'string' || !OBJECT_KIND_RE.test(kind))
    throw new TypeError('an object kind must be 1 to 64 lowercase letters, digits, `.` or `-`, starting with a letter');
}

export function checkObjectId(id: unknown): asserts id is string {
  checkText(id, 'object id', true);
  if (id.length > 512) throw new RangeError('an object id must be at most 512 characters');
}

export function checkObjectRow(o: ObjectRow): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('an object row must be an object');
  checkObjectKind(o.kind);
  checkObjectId(o.id);
  checkText(o.owner, 'object owner');
  if (o.owner.length > 512) throw new RangeError('an object owner must be at most 512 characters');
  checkText(o.body, 'object body');
  if (o.body.length > MAX_OBJECT_BYTES || new TextEncoder().encode(o.body).byteLength > MAX_OBJECT_BYTES)
    throw new RangeError(`an object body must be at most ${MAX_OBJECT_BYTES} bytes`);
  if (!Number.isSafeInteger(o.version) || o.version < 1) throw new RangeError('an object version must be 1 or more');
  checkInteger(o.updatedAt, 'updatedAt');
}

export function checkSessionFilter(f: SessionFilter): void {
  if (typeof f !== 'object' || f === null) throw new TypeError('a session filter must be an object');
  if (f.subjectRef !== undefined) checkText(f.subjectRef, 'subject ref', true);
  if (f.openerTokenId !== undefined) checkText(f.openerTokenId, 'opener token id', true);
  if (f.subjectRef !== undefined && f.openerTokenId !== undefined)
    throw new TypeError('list the sessions of a subject or of an opener, not both');
}

export function checkRows<T>(rows: readonly T[], check: (row: T) => void): void {
  if (!Array.isArray(rows)) throw new TypeError('rows must be an array');
  for (const r of rows) check(r);
}

// --- row mapping ---------------------------------------------------------------------------------

/** A record row as a database driver returns it (snake_case columns; no SQLite subject tag). */
export type RecordColumns = Omit<RecordsTable, 'subject_tag'>;

export function toRecord(c: RecordColumns): RecordRow {
  // The CHECK constraint keeps unknown states out; a row that has one was written around the store.
  if (!STATES.has(c.state)) throw corrupt('a stored record has an unknown lifecycle state');
  return {
    id: c.id,
    version: c.version,
    subjectRef: c.subject_ref,
    type: c.type,
    state: c.state as LifecycleState,
    meta: c.meta,
    envelope: c.envelope,
    createdAt: c.created_at,
    retainUntil: c.retain_until,
    logIndex: c.log_index,
  };
}

export type SubjectKeyColumns = SubjectKeysTable;

export function toSubjectKey(c: SubjectKeyColumns): SubjectKeyRow {
  return { subjectRef: c.subject_ref, kekVersion: c.kek_version, wrappedKey: c.wrapped_key, createdAt: c.created_at };
}

/** A subject facts row as a driver returns it: `minor` is 0/1 from SQLite, a boolean from PostgreSQL. */
export type SubjectFactsColumns = SubjectFactsTable;

/** Encodes validated guardians for the `guardians` column (JSON array text). */
export function guardiansText(guardians: readonly string[]): string {
  return JSON.stringify(guardians);
}

/**
 * Maps a stored row, checking it as a write would: a row that fails (unparsable guardians, an
 * unsorted or oversized list, a minor flag that is not a boolean) was written around the store.
 */
export function toSubjectFacts(c: SubjectFactsColumns): SubjectFactsRow {
  const bad = (cause: unknown) =>
    corrupt('a stored subject facts row is malformed; the database was written around verity', cause);
  let guardians: unknown;
  try {
    guardians = JSON.parse(c.guardians);
  } catch (e) {
    throw bad(e);
  }
  // SQLite returns 0 or 1 (its CHECK allows nothing else), PostgreSQL a boolean; anything else fails the check.
  const minor = c.minor === 1 || c.minor === true ? true : c.minor === 0 || c.minor === false ? false : c.minor;
  const row = { subjectRef: c.subject_ref, minor, guardians, updatedAt: c.updated_at } as SubjectFactsRow;
  try {
    checkSubjectFacts(row);
  } catch (e) {
    throw bad(e);
  }
  return row;
}

export type SchemaColumns = SchemasTable;

export function toSchema(c: SchemaColumns): SchemaRow {
  return { type: c.type, schema: c.schema, createdAt: c.created_at };
}

export type TokenColumns = TokensTable;

export function toToken(c: TokenColumns): TokenRow {
  return {
    id: c.id,
    secretHash: bytesOf(c.secret_hash),
    principal: c.principal,
    role: c.role,
    scopes: c.scopes,
    createdAt: c.created_at,
    expiresAt: c.expires_at,
    revokedAt: c.revoked_at,
  };
}

export type ObjectColumns = ObjectsTable;

export function toObject(c: ObjectColumns): ObjectRow {
  return {
    kind: c.kind,
    id: c.id,
    owner: c.owner,
    body: c.body,
    version: Number(c.version),
    updatedAt: Number(c.updated_at),
  };
}

export type SessionColumns = SessionsTable;

export function toSession(c: SessionColumns): SessionRow {
  return {
    id: c.id,
    subjectRef: c.subject_ref,
    openerTokenId: c.opener_token,
    opener: c.opener,
    createdAt: c.created_at,
    expiresAt: c.expires_at,
    revokedAt: c.revoked_at,
  };
}

function bytesOf(v: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(v) === Uint8Array.prototype ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

// --- errors --------------------------------------------------------------------------------------

export function corrupt(message: string, cause?: unknown): StoreError {
  return new StoreError('VERITY_E_STORE_CORRUPT', message, cause === undefined ? undefined : { cause });
}

export function unavailable(message: string, cause?: unknown): StoreError {
  return new StoreError('VERITY_E_STORE_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

export function closedError(): StoreError {
  return new StoreError('VERITY_E_CLOSED', 'the store is closed; open it again');
}

export function tileRefused(level: number, index: number, width: number): StoreError {
  return corrupt(
    `tile ${level}/${index} would shrink to width ${width}: a stored tile only grows; run \`verity log verify\``,
  );
}

export function logIndexTaken(cause: unknown): StoreError {
  return corrupt('a log index is already taken: the log head is behind its entries; run `verity log verify`', cause);
}

/** True for errors that describe a caller's mistake or are already Verity errors: pass them on. */
export function isOwnError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof VerityError;
}

// --- transactions --------------------------------------------------------------------------------

/**
 * The life of one write transaction as its StoreWriter sees it.
 *
 * INVARIANT: a writer is usable only while its transaction is open; a StoreWriter kept past the end
 * of `write()` would otherwise run statements outside any transaction (SQLite) or on a connection
 * that another transaction now owns (PostgreSQL).
 *
 * INVARIANT: once a statement of the transaction has failed, the transaction is not committed even
 * if `fn` catches the error. PostgreSQL aborts the transaction on any error anyway; SQLite would
 * keep the earlier rows of a half-done batch. Both backends behave the same: `write()` rolls back
 * and rejects with the first failure.
 */
export class TxState {
  active = true;
  failure: unknown = undefined;
  hasFailed = false;

  check(): void {
    if (!this.active)
      throw new TypeError('this transaction has ended; use the StoreWriter only inside its write() callback');
    // The transaction is already doomed: report its first failure again.
    if (this.hasFailed) throw this.failure;
  }

  /** Records the first failure; returns `e` for throwing. */
  fail<E>(e: E): E {
    if (!this.hasFailed) {
      this.hasFailed = true;
      this.failure = e;
    }
    return e;
  }
}

/** A FIFO queue running one async task at a time (the in-process half of writer exclusion). */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(task);
    this.#tail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** Settles after every task queued so far. */
  idle(): Promise<unknown> {
    return this.#tail;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
