// The StoreReader of both backends over the compiled queries (queries.ts) and a backend's connection
// (Exec), and the adapter interface a backend implements (Backend). Private to src/store.
import { LogError, type StoreError } from '../errors/index.ts';
import type { Queries } from './queries.ts';
import {
  checkIndex,
  checkInt32,
  checkInteger,
  checkLimit,
  checkListOptions,
  checkObjectId,
  checkObjectKind,
  checkRange,
  checkSessionFilter,
  checkText,
  type ObjectColumns,
  type RecordColumns,
  type SchemaColumns,
  type SessionColumns,
  type SubjectFactsColumns,
  type SubjectKeyColumns,
  type TokenColumns,
  toObject,
  toRecord,
  toSchema,
  toSession,
  toSubjectFacts,
  toSubjectKey,
  toToken,
} from './rows.ts';
import { type Args, bind, type Compiled, type DialectName } from './sql.ts';
import type {
  ListOptions,
  LogHead,
  ObjectRow,
  RecordRow,
  RowReader,
  ScanOptions,
  SchemaRow,
  SessionFilter,
  SessionRow,
  StateNodeRow,
  StoredTile,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

type Row = Record<string, unknown>;

/** What a statement returned: rows (objects, or arrays when asked) and the number of rows changed. */
export interface Result {
  readonly rows: readonly unknown[];
  readonly changes: number;
}

/** One connection of a backend: runs a compiled statement with bound values. */
export interface Exec {
  /** Synchronous on SQLite (node:sqlite), a promise on PostgreSQL. */
  query(q: Compiled, values: readonly unknown[], arrays?: boolean): Result | Promise<Result>;
}

/** A statement of a bulk write with its values. */
export interface Statement {
  readonly q: Compiled;
  readonly values: readonly unknown[];
  /** How many rows of the bulk write it carries. */
  readonly rows: number;
}

/**
 * Multi-row forms of writes that otherwise run one statement per row (PostgreSQL: one statement
 * per batch; a round trip per row is what made it slow). Each returns the statements to run.
 */
export interface BulkWrites {
  insertEntries(start: number, entries: readonly Uint8Array[]): Statement[];
  /** Its statements fail, on the server, when a tile would shrink: see tileRefused. */
  putTiles(tiles: readonly StoredTile[]): Statement[];
  /** The tile refusal of a failed putTiles statement (VERITY_E_STORE_CORRUPT), else undefined. */
  tileRefused(cause: unknown): StoreError | undefined;
  insertRecords(rows: readonly RecordRow[]): Statement[];
  updateKeys(rows: readonly SubjectKeyRow[]): Statement[];
  putStateNodes(nodes: readonly StateNodeRow[]): Statement[];
  /** The conflict error of a failed multi-row record insert. */
  recordConflict(cause: unknown): StoreError;
}

/** What differs between the backends, below the queries. */
export interface Backend {
  readonly dialect: DialectName;
  readonly q: Queries;
  /** Maps a driver error to a Verity error; passes caller mistakes and Verity errors on. */
  translate(e: unknown): unknown;
  isUniqueViolation(e: unknown): boolean;
  /** Bytes as the driver binds them. */
  bytes(v: Uint8Array): unknown;
  bool(v: boolean): unknown;
  readonly bulk: BulkWrites | undefined;
}

/** 48 bits of a subject reference as the SQLite subject index key (see migrations/0001_init). */
export function subjectTag(subjectRef: string): number {
  let t = 0;
  for (let i = 0; i < 8 && i < subjectRef.length; i++) t = t * 64 + (subjectRef.charCodeAt(i) % 64);
  return t;
}

export class Reader implements RowReader {
  protected readonly b: Backend;
  protected readonly x: Exec;

  constructor(b: Backend, x: Exec) {
    this.b = b;
    this.x = x;
  }

  /** Maps a failure of a statement; the writer also dooms its transaction. */
  protected failed(e: unknown): unknown {
    return this.b.translate(e);
  }

  /** Runs a query; the writer first checks that its transaction is usable. */
  protected async exec(q: Compiled, args: Args, arrays?: boolean): Promise<Result> {
    try {
      return await this.x.query(q, bind(q, args), arrays);
    } catch (e) {
      throw this.failed(e);
    }
  }

  protected async one<T>(q: Compiled, args: Args = {}): Promise<T | undefined> {
    return (await this.exec(q, args)).rows[0] as T | undefined;
  }

  protected async many<T>(q: Compiled, args: Args = {}): Promise<T[]> {
    return (await this.exec(q, args)).rows as T[];
  }

  async getMeta(key: string): Promise<string | undefined> {
    checkText(key, 'meta key');
    return (await this.one<{ value: string }>(this.b.q.getMeta, { key }))?.value;
  }

  async getLogHead(): Promise<LogHead | undefined> {
    const r = await this.one<Row>(this.b.q.getHead);
    if (r === undefined) return undefined;
    return {
      size: r['size'] as number,
      rootHash: r['root_hash'] as Uint8Array,
      frontier: r['frontier'] as Uint8Array,
      checkpoint: r['checkpoint'] as string,
      updatedAt: r['updated_at'] as number,
    };
  }

  async getLogEntries(start: number, end: number): Promise<Uint8Array[]> {
    checkRange(start, end);
    if (start === end) return [];
    // Rows as arrays: no per-row object with a named property to build and throw away.
    const rows = (await this.exec(this.b.q.getEntries, { start, end }, true)).rows as [Uint8Array][];
    // idx is the primary key, so [start, end) holds at most end - start rows: fewer means a gap.
    if (rows.length !== end - start)
      throw new LogError(
        'VERITY_E_LOG_RANGE',
        `log entries [${start}, ${end}) are not all stored; ask only for entries below the log size`,
      );
    const out = new Array<Uint8Array>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = (rows[i] as [Uint8Array])[0];
    return out;
  }

  async getTile(level: number, index: number): Promise<StoredTile | undefined> {
    checkInt32(level, 'tile level', 0, 63);
    checkIndex(index, 'tile index');
    const r = await this.one<{ width: number; hashes: Uint8Array }>(this.b.q.getTile, { level, index });
    return r === undefined ? undefined : { level, index, width: r.width, hashes: r.hashes };
  }

  async getRecord(id: string, version?: number): Promise<RecordRow | undefined> {
    checkText(id, 'record id');
    let r: RecordColumns | undefined;
    if (version === undefined) r = await this.one<RecordColumns>(this.b.q.getLatest, { id });
    else {
      checkInt32(version, 'record version', 1);
      r = await this.one<RecordColumns>(this.b.q.getVersion, { id, version });
    }
    return r === undefined ? undefined : toRecord(r);
  }

  async listRecordVersions(id: string): Promise<RecordRow[]> {
    checkText(id, 'record id');
    return (await this.many<RecordColumns>(this.b.q.listVersions, { id })).map(toRecord);
  }

  async listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]> {
    checkText(subjectRef, 'subject ref');
    checkListOptions(options);
    if (options.limit === 0) return [];
    const args = { tag: subjectTag(subjectRef), subject: subjectRef, after: options.after ?? '', limit: options.limit };
    return (await this.many<RecordColumns>(this.b.q.listBySubject, args)).map(toRecord);
  }

  async listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    checkInteger(now, 'now');
    checkLimit(limit);
    if (limit === 0) return [];
    return (await this.many<RecordColumns>(this.b.q.listExpired, { now, limit })).map(toRecord);
  }

  async getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    checkText(subjectRef, 'subject ref');
    const r = await this.one<SubjectKeyColumns>(this.b.q.getKey, { subject: subjectRef });
    return r === undefined ? undefined : toSubjectKey(r);
  }

  async listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    checkInteger(kekVersion, 'kek version');
    checkLimit(limit);
    if (limit === 0) return [];
    return (await this.many<SubjectKeyColumns>(this.b.q.listKeysBelow, { kek: kekVersion, limit })).map(toSubjectKey);
  }

  async countSubjectKeysByKek(): Promise<Map<number, number>> {
    const rows = await this.many<{ kek_version: number; n: number }>(this.b.q.countKeys);
    return new Map(rows.map((r) => [r.kek_version, r.n]));
  }

  async getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined> {
    checkText(subjectRef, 'subject ref');
    const r = await this.one<SubjectFactsColumns>(this.b.q.getFacts, { subject: subjectRef });
    return r === undefined ? undefined : toSubjectFacts(r);
  }

  async getSchema(type: string): Promise<SchemaRow | undefined> {
    checkText(type, 'record type');
    const r = await this.one<SchemaColumns>(this.b.q.getSchema, { type });
    return r === undefined ? undefined : toSchema(r);
  }

  async listSchemas(): Promise<SchemaRow[]> {
    return (await this.many<SchemaColumns>(this.b.q.listSchemas)).map(toSchema);
  }

  async getToken(id: string): Promise<TokenRow | undefined> {
    checkText(id, 'token id');
    const r = await this.one<TokenColumns>(this.b.q.getToken, { id });
    return r === undefined ? undefined : toToken(r);
  }

  async listTokens(): Promise<TokenRow[]> {
    return (await this.many<TokenColumns>(this.b.q.listTokens)).map(toToken);
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    checkText(id, 'session id');
    const r = await this.one<SessionColumns>(this.b.q.getSession, { id });
    return r === undefined ? undefined : toSession(r);
  }

  async listActiveSessions(now: number, filter: SessionFilter, options: ListOptions): Promise<SessionRow[]> {
    checkInteger(now, 'now');
    checkSessionFilter(filter);
    checkListOptions(options);
    if (options.limit === 0) return [];
    const args = { now, after: options.after ?? '', limit: options.limit };
    const q = this.b.q;
    const rows =
      filter.subjectRef !== undefined
        ? await this.many<SessionColumns>(q.listSubjectSessions, { ...args, subject: filter.subjectRef })
        : filter.openerTokenId !== undefined
          ? await this.many<SessionColumns>(q.listOpenerSessions, { ...args, opener: filter.openerTokenId })
          : await this.many<SessionColumns>(q.listSessions, args);
    return rows.map(toSession);
  }

  async getObject(kind: string, id: string): Promise<ObjectRow | undefined> {
    checkObjectKind(kind);
    checkObjectId(id);
    const r = await this.one<ObjectColumns>(this.b.q.getObject, { kind, id });
    return r === undefined ? undefined : toObject(r);
  }

  async listObjects(kind: string, owner: string | undefined, options: ListOptions): Promise<ObjectRow[]> {
    checkObjectKind(kind);
    if (owner !== undefined) checkText(owner, 'object owner');
    checkListOptions(options);
    if (options.limit === 0) return [];
    const args = { kind, after: options.after ?? '', limit: options.limit };
    const rows =
      owner === undefined
        ? await this.many<ObjectColumns>(this.b.q.listObjects, args)
        : await this.many<ObjectColumns>(this.b.q.listOwnerObjects, { ...args, owner });
    return rows.map(toObject);
  }

  async scanObjects(options: ScanOptions): Promise<ObjectRow[]> {
    checkLimit(options.limit);
    const args = { after: options.after ?? '', afterId: options.afterId ?? '', limit: options.limit };
    return (await this.many<ObjectColumns>(this.b.q.scanObjects, args)).map(toObject);
  }

  async listMeta(): Promise<{ key: string; value: string }[]> {
    return this.many<{ key: string; value: string }>(this.b.q.listMeta);
  }

  async scanRecords(options: ScanOptions): Promise<RecordRow[]> {
    checkLimit(options.limit);
    const args = { after: options.after ?? '', afterVersion: options.afterVersion ?? 0, limit: options.limit };
    return (await this.many<RecordColumns>(this.b.q.scanRecords, args)).map(toRecord);
  }

  async scanSubjectKeys(options: ScanOptions): Promise<SubjectKeyRow[]> {
    checkLimit(options.limit);
    const args = { after: options.after ?? '', limit: options.limit };
    return (await this.many<SubjectKeyColumns>(this.b.q.scanKeys, args)).map(toSubjectKey);
  }

  async scanSubjectFacts(options: ScanOptions): Promise<SubjectFactsRow[]> {
    checkLimit(options.limit);
    const args = { after: options.after ?? '', limit: options.limit };
    return (await this.many<SubjectFactsColumns>(this.b.q.scanFacts, args)).map(toSubjectFacts);
  }

  async scanSessions(options: ScanOptions): Promise<SessionRow[]> {
    checkLimit(options.limit);
    const args = { after: options.after ?? '', limit: options.limit };
    return (await this.many<SessionColumns>(this.b.q.scanSessions, args)).map(toSession);
  }

  async getStateNodes(positions: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const found = new Map<string, Uint8Array>();
    for (let i = 0; i < positions.length; ) {
      const size = positions.length - i <= 8 ? 8 : 64;
      const q = size === 8 ? this.b.q.getNodes8 : this.b.q.getNodes64;
      const args: Record<string, unknown> = {};
      for (let k = 0; k < size; k++) args[`p${k}`] = this.b.bytes(positions[i + k] ?? NO_POSITION);
      for (const r of await this.many<{ pos: Uint8Array; node: Uint8Array }>(q, args)) found.set(posKey(r.pos), r.node);
      i += size;
    }
    return positions.map((p) => found.get(posKey(p)));
  }
}

/** A position no state-map node has (every position starts with its depth byte). */
const NO_POSITION = new Uint8Array(0);

function posKey(p: Uint8Array): string {
  return String.fromCharCode(...p);
}
