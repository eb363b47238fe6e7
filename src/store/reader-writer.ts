// The StoreReader and StoreWriter of both backends, over the compiled queries (queries.ts) and a
// backend's connection (Exec). Private to src/store.
import { LogError, quote, StoreError } from '../errors/index.ts';
import type { Queries } from './queries.ts';
import {
  checkEntries,
  checkHead,
  checkIndex,
  checkInt32,
  checkInteger,
  checkLimit,
  checkListOptions,
  checkRange,
  checkRecord,
  checkRows,
  checkSchemaRow,
  checkState,
  checkSubjectFacts,
  checkSubjectKey,
  checkText,
  checkTile,
  checkTokenRow,
  corrupt,
  guardiansText,
  logIndexTaken,
  type RecordColumns,
  type SchemaColumns,
  type SubjectFactsColumns,
  type SubjectKeyColumns,
  type TokenColumns,
  type TxState,
  tileRefused,
  toRecord,
  toSchema,
  toSubjectFacts,
  toSubjectKey,
  toToken,
} from './rows.ts';
import { type Args, bind, type Compiled, type DialectName } from './sql.ts';
import type {
  LifecycleState,
  ListOptions,
  LogHead,
  RecordRow,
  SchemaRow,
  StoredTile,
  StoreReader,
  StoreWriter,
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
  /** Its statements return the (level, idx) of every tile written: a missing one was refused. */
  putTiles(tiles: readonly StoredTile[]): Statement[];
  insertRecords(rows: readonly RecordRow[]): Statement[];
  updateKeys(rows: readonly SubjectKeyRow[]): Statement[];
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

function recordConflict(r: RecordRow, cause: unknown): StoreError {
  return new StoreError(
    'VERITY_E_STORE_CONFLICT',
    `record ${quote(r.id)} version ${r.version} exists already; reread the record and retry`,
    { cause, details: { id: r.id, version: r.version } },
  );
}

export class Reader implements StoreReader {
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
}

/** Turns a raw driver failure of one statement into a specific Verity error (else the generic mapping applies). */
type MapError = (raw: unknown) => StoreError | undefined;

export class Writer extends Reader implements StoreWriter {
  readonly #tx: TxState;
  /**
   * Deferred mode (see WriteOptions.deferred): writes that return nothing are sent without
   * waiting for their outcome, and record versions are gathered into one multi-row insert sent
   * before the next other statement. Failures doom the transaction; settle() waits for them all.
   */
  readonly #deferred: boolean;
  #pending: Promise<unknown>[] = [];
  #records: RecordRow[] = [];

  constructor(b: Backend, x: Exec, tx: TxState, deferred: boolean) {
    super(b, x);
    this.#tx = tx;
    this.#deferred = deferred;
  }

  protected override failed(e: unknown): unknown {
    this.#tx.fail(this.b.translate(e));
    return this.#tx.failure;
  }

  protected override async exec(q: Compiled, args: Args, arrays?: boolean): Promise<Result> {
    this.#tx.check();
    if (this.#records.length > 0) await this.#flushRecords();
    return super.exec(q, args, arrays);
  }

  /** Sends a write whose result only matters for success; `check` may turn a result into an error. */
  async #send(q: Compiled, values: readonly unknown[], map?: MapError, check?: (r: Result) => unknown): Promise<void> {
    this.#tx.check();
    if (this.#records.length > 0 && q !== this.b.q.insertRecord) await this.#flushRecords();
    const done = (r: Result): void => {
      const e = check?.(r);
      if (e !== undefined) throw e;
    };
    let sent: Result | Promise<Result>;
    try {
      sent = this.x.query(q, values);
    } catch (e) {
      throw this.#fail(e, map);
    }
    if (this.#deferred && sent instanceof Promise) {
      this.#pending.push(
        sent.then(done).catch((e: unknown) => {
          this.#fail(e, map);
        }),
      );
      return;
    }
    try {
      done(await sent);
    } catch (e) {
      throw this.#fail(e, map);
    }
  }

  #fail(e: unknown, map?: MapError): unknown {
    return this.failed(map?.(e) ?? e);
  }

  /** Deferred mode: sends what is gathered and waits for every write sent; then the outcome is known. */
  async settle(flush = true): Promise<void> {
    if (flush && this.#records.length > 0 && !this.#tx.hasFailed) await this.#flushRecords();
    while (this.#pending.length > 0) await Promise.all(this.#pending.splice(0));
  }

  async #flushRecords(): Promise<void> {
    const rows = this.#records;
    this.#records = [];
    await this.#writeRecords(rows);
  }

  /** Runs one mutation; any failure, even a bad argument, dooms the transaction (see TxState). */
  async #mutate<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (e) {
      this.#tx.fail(e);
      throw this.#tx.failure;
    }
  }

  /** Runs a statement that reports how many rows it changed. */
  async #changes(q: Compiled, args: Args): Promise<number> {
    return (await this.exec(q, args)).changes;
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.#mutate(async () => {
      checkText(key, 'meta key');
      checkText(value, 'meta value');
      await this.#send(this.b.q.setMeta, bind(this.b.q.setMeta, { key, value }));
    });
  }

  putLogHead(head: LogHead): Promise<void> {
    return this.#mutate(async () => {
      checkHead(head);
      const q = this.b.q.putHead;
      await this.#send(
        q,
        bind(q, {
          size: head.size,
          root: this.b.bytes(head.rootHash),
          frontier: this.b.bytes(head.frontier),
          checkpoint: head.checkpoint,
          at: head.updatedAt,
        }),
      );
    });
  }

  insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void> {
    return this.#mutate(async () => {
      checkEntries(start, entries);
      if (entries.length === 0) return;
      const taken: MapError = (raw) => (this.b.isUniqueViolation(raw) ? logIndexTaken(raw) : undefined);
      if (this.b.bulk !== undefined && entries.length > 1) {
        for (const s of this.b.bulk.insertEntries(start, entries)) await this.#send(s.q, s.values, taken);
        return;
      }
      const q = this.b.q.insertEntry;
      let idx = start;
      for (const data of entries) await this.#send(q, bind(q, { idx: idx++, data: this.b.bytes(data) }), taken);
    });
  }

  putTiles(tiles: readonly StoredTile[]): Promise<void> {
    return this.#mutate(async () => {
      checkRows(tiles, checkTile);
      if (tiles.length === 0) return;
      const bulk = this.b.bulk;
      // ON CONFLICT cannot touch one row twice in a statement: a batch naming a tile twice goes
      // tile by tile, in order, so each step must grow the previous one.
      if (
        bulk !== undefined &&
        tiles.length > 1 &&
        new Set(tiles.map((t) => `${t.level}/${t.index}`)).size === tiles.length
      ) {
        for (const s of bulk.putTiles(tiles)) {
          await this.#send(s.q, s.values, undefined, (r) => {
            if (r.rows.length === s.rows) return undefined;
            const written = new Set((r.rows as Row[]).map((x) => `${x['level']}/${x['idx']}`));
            const t = tiles.find((x) => !written.has(`${x.level}/${x.index}`)) as StoredTile;
            return tileRefused(t.level, t.index, t.width);
          });
        }
        return;
      }
      const q = this.b.q.putTile;
      for (const t of tiles) {
        const values = bind(q, { level: t.level, index: t.index, width: t.width, hashes: this.b.bytes(t.hashes) });
        await this.#send(q, values, undefined, (r) =>
          r.changes === 1 ? undefined : tileRefused(t.level, t.index, t.width),
        );
      }
    });
  }

  insertRecords(rows: readonly RecordRow[]): Promise<void> {
    return this.#mutate(async () => {
      checkRows(rows, checkRecord);
      if (this.#deferred) {
        this.#tx.check();
        for (const r of rows) this.#records.push(r);
        return;
      }
      await this.#writeRecords(rows);
    });
  }

  async #writeRecords(rows: readonly RecordRow[]): Promise<void> {
    if (rows.length === 0) return;
    const bulk = this.b.bulk;
    if (bulk !== undefined && rows.length > 1) {
      const map: MapError = (raw) => (this.b.isUniqueViolation(raw) ? bulk.recordConflict(raw) : undefined);
      for (const s of bulk.insertRecords(rows)) await this.#send(s.q, s.values, map);
      return;
    }
    const q = this.b.q.insertRecord;
    for (const r of rows) {
      const values = bind(q, {
        id: r.id,
        version: r.version,
        subject: r.subjectRef,
        type: r.type,
        state: r.state,
        meta: r.meta,
        envelope: r.envelope === null ? null : this.b.bytes(r.envelope),
        createdAt: r.createdAt,
        retainUntil: r.retainUntil,
        logIndex: r.logIndex,
        tag: subjectTag(r.subjectRef),
      });
      await this.#send(q, values, (raw) => (this.b.isUniqueViolation(raw) ? recordConflict(r, raw) : undefined));
    }
  }

  setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    return this.#mutate(async () => {
      checkText(id, 'record id');
      checkInt32(version, 'record version', 1);
      checkState(state);
      await this.#send(this.b.q.setState, bind(this.b.q.setState, { state, id, version }));
    });
  }

  eraseRecord(id: string): Promise<number> {
    return this.#mutate(async () => {
      checkText(id, 'record id');
      return this.#changes(this.b.q.eraseRecord, { id });
    });
  }

  eraseSubjectRecords(subjectRef: string): Promise<number> {
    return this.#mutate(async () => {
      checkText(subjectRef, 'subject ref');
      return this.#changes(this.b.q.eraseSubject, { tag: subjectTag(subjectRef), subject: subjectRef });
    });
  }

  insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    return this.#mutate(async () => {
      checkSubjectKey(row);
      const inserted = await this.one<SubjectKeyColumns>(this.b.q.insertKey, {
        subject: row.subjectRef,
        kek: row.kekVersion,
        wrapped: this.b.bytes(row.wrappedKey),
        createdAt: row.createdAt,
      });
      const stored = inserted ?? (await this.one<SubjectKeyColumns>(this.b.q.getKey, { subject: row.subjectRef }));
      if (stored === undefined) throw corrupt('a subject key vanished right after its insert');
      return toSubjectKey(stored);
    });
  }

  updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    return this.#mutate(async () => {
      checkRows(rows, checkSubjectKey);
      if (rows.length === 0) return;
      if (this.b.bulk !== undefined && rows.length > 1) {
        for (const s of this.b.bulk.updateKeys(rows)) await this.#send(s.q, s.values);
        return;
      }
      const q = this.b.q.updateKey;
      for (const r of rows)
        await this.#send(q, bind(q, { kek: r.kekVersion, wrapped: this.b.bytes(r.wrappedKey), subject: r.subjectRef }));
    });
  }

  deleteSubjectKey(subjectRef: string): Promise<boolean> {
    return this.#mutate(async () => {
      checkText(subjectRef, 'subject ref');
      return (await this.#changes(this.b.q.deleteKey, { subject: subjectRef })) > 0;
    });
  }

  putSubjectFacts(row: SubjectFactsRow): Promise<void> {
    return this.#mutate(async () => {
      checkSubjectFacts(row);
      const q = this.b.q.putFacts;
      await this.#send(
        q,
        bind(q, {
          subject: row.subjectRef,
          minor: this.b.bool(row.minor),
          guardians: guardiansText(row.guardians),
          at: row.updatedAt,
        }),
      );
    });
  }

  deleteSubjectFacts(subjectRef: string): Promise<boolean> {
    return this.#mutate(async () => {
      checkText(subjectRef, 'subject ref');
      return (await this.#changes(this.b.q.deleteFacts, { subject: subjectRef })) > 0;
    });
  }

  putSchema(row: SchemaRow): Promise<void> {
    return this.#mutate(async () => {
      checkSchemaRow(row);
      const q = this.b.q.putSchema;
      await this.#send(q, bind(q, { type: row.type, schema: row.schema, createdAt: row.createdAt }));
    });
  }

  insertToken(row: TokenRow): Promise<void> {
    return this.#mutate(async () => {
      checkTokenRow(row);
      const q = this.b.q.insertToken;
      const values = bind(q, {
        id: row.id,
        hash: this.b.bytes(row.secretHash),
        principal: row.principal,
        role: row.role,
        scopes: row.scopes,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        revokedAt: row.revokedAt,
      });
      await this.#send(q, values, (raw) =>
        this.b.isUniqueViolation(raw)
          ? new StoreError('VERITY_E_STORE_CONFLICT', `token ${quote(row.id)} exists already; create another`, {
              cause: raw,
            })
          : undefined,
      );
    });
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.#mutate(async () => {
      checkText(id, 'token id');
      checkInteger(at, 'at');
      return (await this.#changes(this.b.q.revokeToken, { at, id })) > 0;
    });
  }
}
