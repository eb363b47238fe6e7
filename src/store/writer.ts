// The StoreWriter of both backends, over the compiled queries (queries.ts) and a backend's connection
// (Exec). Private to src/store.
import { randomBytes } from 'node:crypto';
import { quote, StoreError } from '../errors/index.ts';
import { type Backend, type Exec, Reader, type Result, type Statement, subjectTag } from './reader.ts';
import {
  checkEntries,
  checkHead,
  checkInt32,
  checkInteger,
  checkObjectId,
  checkObjectKind,
  checkObjectRow,
  checkRecord,
  checkRows,
  checkSchemaRow,
  checkSessionRow,
  checkState,
  checkSubjectFacts,
  checkSubjectKey,
  checkText,
  checkTile,
  checkTokenRow,
  corrupt,
  guardiansText,
  logIndexTaken,
  type SubjectKeyColumns,
  type TxState,
  tileRefused,
  toSubjectKey,
} from './rows.ts';
import { type Args, bind, type Compiled } from './sql.ts';
import type {
  LifecycleState,
  LogHead,
  ObjectRow,
  RecordRow,
  RowWriter,
  SchemaRow,
  SessionRow,
  StateNodeRow,
  StoredTile,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

function recordConflict(r: RecordRow, cause: unknown): StoreError {
  return new StoreError(
    'VERITY_E_STORE_CONFLICT',
    `record ${quote(r.id)} version ${r.version} exists already; reread the record and retry`,
    { cause, details: { id: r.id, version: r.version } },
  );
}

/** A row whose key is taken already: a conflict that says what to do next. */
function existsAlready(what: string, id: string, next: string): (cause: unknown) => StoreError {
  return (cause) =>
    new StoreError('VERITY_E_STORE_CONFLICT', `${what} ${quote(id)} exists already; ${next}`, { cause });
}

/** Turns a raw driver failure of one statement into a specific Verity error (else the generic mapping applies). */
type MapError = (raw: unknown) => StoreError | undefined;

/**
 * Read-ahead of a deferred PostgreSQL transaction: the reads the previous one made before its first
 * write (the log head, `subjects.epoch`), sent again right behind BEGIN and the write lock, so that
 * they cost no round trip of their own inside the lock. A result is used only by an identical read
 * made before this transaction sent any write: every Verity writer holds the same lock, so nothing
 * else can commit between the read-ahead and that read, and it sees what the read would see.
 */
export interface ReadAhead {
  /** Results of the reads sent behind BEGIN, by readKey(); each is taken at most once. */
  readonly sent: Map<string, Promise<Result>>;
  /** The reads this transaction made before its first write: the next one's read-ahead. */
  readonly made: { q: Compiled; values: readonly unknown[] }[];
}

const MAX_READ_AHEAD = 4;

/** The key of a read for the read-ahead; undefined when a value is not a plain string or number. */
export function readKey(q: Compiled, values: readonly unknown[]): string | undefined {
  for (const v of values) if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  return `${q.name}\u0000${JSON.stringify(values)}`;
}

/** Undefined when a write is done (or deferred), a promise when it must be waited for. */
type Maybe = Promise<void> | undefined;

export class Writer extends Reader implements RowWriter {
  readonly #tx: TxState;
  /**
   * Deferred mode (see WriteOptions.deferred): writes that return nothing are sent without
   * waiting for their outcome, and record versions are gathered into one multi-row insert sent
   * before the next other statement. Failures doom the transaction; settle() waits for them all.
   */
  readonly #deferred: boolean;
  #pending: Promise<unknown>[] = [];
  #records: RecordRow[] = [];

  readonly #readAhead: ReadAhead | undefined;
  /** Whether a statement that may write was sent: read-ahead results are valid only before. */
  #wrote = false;

  constructor(b: Backend, x: Exec, tx: TxState, deferred: boolean, readAhead?: ReadAhead) {
    super(b, x);
    this.#tx = tx;
    this.#deferred = deferred;
    this.#readAhead = readAhead;
  }

  protected override failed(e: unknown): unknown {
    this.#tx.fail(this.b.translate(e));
    return this.#tx.failure;
  }

  protected override async exec(q: Compiled, args: Args, arrays?: boolean): Promise<Result> {
    this.#tx.check();
    if (this.#records.length > 0) await this.#flushRecords();
    const ra = this.#readAhead;
    if (!q.readOnly) this.#wrote = true;
    else if (ra !== undefined && !this.#wrote && arrays !== true) {
      const values = bind(q, args);
      const key = readKey(q, values);
      if (key !== undefined) {
        if (ra.made.length < MAX_READ_AHEAD) ra.made.push({ q, values });
        const sent = ra.sent.get(key);
        if (sent !== undefined) {
          ra.sent.delete(key);
          try {
            return await sent;
          } catch (e) {
            throw this.failed(e);
          }
        }
      }
    }
    return super.exec(q, args, arrays);
  }

  /** Maps a unique-key violation to `conflict`; the driver's other failures take the generic mapping. */
  #unique(conflict: (cause: unknown) => StoreError): MapError {
    return (raw) => (this.b.isUniqueViolation(raw) ? conflict(raw) : undefined);
  }

  /**
   * Sends a write whose result only matters for success. Deferred, it does not wait, unless
   * `check` must look at the result: a failure found here, not by the server, could not stop a
   * COMMIT already sent behind it.
   */
  #send(q: Compiled, values: readonly unknown[], map?: MapError, check?: (r: Result) => unknown): Maybe {
    this.#tx.check();
    this.#wrote = true;
    if (this.#records.length > 0 && q !== this.b.q.insertRecord)
      return this.#flushRecords().then(() => this.#send(q, values, map, check));
    let sent: Result | Promise<Result>;
    try {
      sent = this.x.query(q, values);
    } catch (e) {
      throw this.#fail(e, map);
    }
    // SQLite: done already, synchronously; nothing to wait for.
    if (!(sent instanceof Promise)) return this.#checked(sent, check);
    if (this.#deferred && check === undefined) {
      this.#pending.push(
        sent.catch((e: unknown) => {
          this.#fail(e, map);
        }),
      );
      return undefined;
    }
    return sent.then(
      (r) => this.#checked(r, check),
      (e: unknown) => {
        throw this.#fail(e, map);
      },
    );
  }

  #checked(r: Result, check: ((r: Result) => unknown) | undefined): undefined {
    const e = check?.(r);
    if (e !== undefined) throw this.#fail(e);
    return undefined;
  }

  /** Runs statements in order; waits only for those that must be waited for. */
  async #sendAll(list: readonly Statement[], map?: MapError): Promise<void> {
    for (const st of list) {
      const p = this.#send(st.q, st.values, map);
      if (p !== undefined) await p;
    }
  }

  #fail(e: unknown, map?: MapError): unknown {
    return this.failed(map?.(e) ?? e);
  }

  /** Deferred mode: sends the gathered record versions (without waiting, like any deferred write). */
  async flush(): Promise<void> {
    if (this.#records.length > 0 && !this.#tx.hasFailed) await this.#flushRecords();
  }

  /** Deferred mode: waits for the outcome of every write sent; a failure is then in the TxState. */
  async settle(): Promise<void> {
    while (this.#pending.length > 0) await Promise.all(this.#pending.splice(0));
  }

  async #flushRecords(): Promise<void> {
    const rows = this.#records;
    this.#records = [];
    await this.#writeRecords(rows);
  }

  /**
   * Runs one mutation; any failure, even a bad argument, dooms the transaction (see TxState). A
   * body that finished synchronously (SQLite) costs one settled promise, not a chain of them.
   */
  #mutate<T>(body: () => T | Promise<T>): Promise<T> {
    const doom = (e: unknown): never => {
      this.#tx.fail(e);
      throw this.#tx.failure;
    };
    try {
      const r = body();
      return r instanceof Promise ? r.catch(doom) : Promise.resolve(r);
    } catch (e) {
      this.#tx.fail(e);
      return Promise.reject(this.#tx.failure);
    }
  }

  /** Runs a statement that reports how many rows it changed. */
  async #changes(q: Compiled, args: Args): Promise<number> {
    return (await this.exec(q, args)).changes;
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.#mutate(() => {
      checkText(key, 'meta key');
      checkText(value, 'meta value');
      return this.#send(this.b.q.setMeta, bind(this.b.q.setMeta, { key, value }));
    });
  }

  putLogHead(head: LogHead): Promise<void> {
    return this.#mutate(() => {
      checkHead(head);
      const q = this.b.q.putHead;
      return this.#send(
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
    return this.#mutate(() => {
      checkEntries(start, entries);
      if (entries.length === 0) return undefined;
      const taken = this.#unique(logIndexTaken);
      if (this.b.bulk !== undefined && entries.length > 1)
        return this.#sendAll(this.b.bulk.insertEntries(start, entries), taken);
      const q = this.b.q.insertEntry;
      return this.#each(entries, (data, i) =>
        this.#send(q, bind(q, { idx: start + i, data: this.b.bytes(data) }), taken),
      );
    });
  }

  /** Runs `send` for each item in order, waiting only where a send returned a promise. */
  #each<T>(items: readonly T[], send: (item: T, i: number) => Maybe): Maybe {
    for (let i = 0; i < items.length; i++) {
      const p = send(items[i] as T, i);
      if (p !== undefined) return this.#eachAfter(p, items, send, i + 1);
    }
    return undefined;
  }

  async #eachAfter<T>(first: Promise<void>, items: readonly T[], send: (item: T, i: number) => Maybe, from: number) {
    await first;
    for (let i = from; i < items.length; i++) await send(items[i] as T, i);
  }

  putTiles(tiles: readonly StoredTile[]): Promise<void> {
    return this.#mutate(() => {
      checkRows(tiles, checkTile);
      if (tiles.length === 0) return undefined;
      const bulk = this.b.bulk;
      if (bulk !== undefined) {
        // ON CONFLICT cannot touch one row twice in a statement: a batch naming a tile twice goes
        // tile by tile, in order, so each step must grow the previous one.
        const unique = new Set(tiles.map((t) => `${t.level}/${t.index}`)).size === tiles.length;
        const groups = unique ? [tiles] : tiles.map((t) => [t]);
        return this.#sendAll(
          groups.flatMap((g) => bulk.putTiles(g)),
          bulk.tileRefused,
        );
      }
      const q = this.b.q.putTile;
      return this.#each(tiles, (t) =>
        this.#send(
          q,
          bind(q, { level: t.level, index: t.index, width: t.width, hashes: this.b.bytes(t.hashes) }),
          undefined,
          (r) => (r.changes === 1 ? undefined : tileRefused(t.level, t.index, t.width)),
        ),
      );
    });
  }

  insertRecords(rows: readonly RecordRow[]): Promise<void> {
    return this.#mutate(() => {
      checkRows(rows, checkRecord);
      if (this.#deferred) {
        this.#tx.check();
        for (const r of rows) this.#records.push(r);
        return undefined;
      }
      return this.#writeRecords(rows);
    });
  }

  #writeRecords(rows: readonly RecordRow[]): Maybe {
    if (rows.length === 0) return undefined;
    const bulk = this.b.bulk;
    if (bulk !== undefined && rows.length > 1)
      return this.#sendAll(
        bulk.insertRecords(rows),
        this.#unique((raw) => bulk.recordConflict(raw)),
      );
    const q = this.b.q.insertRecord;
    return this.#each(rows, (r) =>
      this.#send(
        q,
        bind(q, {
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
        }),
        this.#unique((raw) => recordConflict(r, raw)),
      ),
    );
  }

  setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    return this.#mutate(() => {
      checkText(id, 'record id');
      checkInt32(version, 'record version', 1);
      checkState(state);
      return this.#send(this.b.q.setState, bind(this.b.q.setState, { state, id, version }));
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
      // A fresh reference of the same shape as a keyed one (256 random bits, base64url), which no
      // subject id maps to: the erased rows no longer lead to their subject, nor it to them.
      const unlinked = randomBytes(32).toString('base64url');
      return this.#changes(this.b.q.eraseSubject, {
        tag: subjectTag(subjectRef),
        subject: subjectRef,
        unlinked,
        unlinkedTag: subjectTag(unlinked),
      });
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
    return this.#mutate(() => {
      checkRows(rows, checkSubjectKey);
      if (rows.length === 0) return undefined;
      if (this.b.bulk !== undefined && rows.length > 1) return this.#sendAll(this.b.bulk.updateKeys(rows));
      const q = this.b.q.updateKey;
      return this.#each(rows, (r) =>
        this.#send(q, bind(q, { kek: r.kekVersion, wrapped: this.b.bytes(r.wrappedKey), subject: r.subjectRef })),
      );
    });
  }

  deleteSubjectKey(subjectRef: string): Promise<boolean> {
    return this.#deleteOfSubject(this.b.q.deleteKey, subjectRef);
  }

  /** Runs a delete of one subject's row (`q` takes `subject`): whether there was one. */
  #deleteOfSubject(q: Compiled, subjectRef: string): Promise<boolean> {
    return this.#mutate(async () => {
      checkText(subjectRef, 'subject ref');
      return (await this.#changes(q, { subject: subjectRef })) > 0;
    });
  }

  putSubjectFacts(row: SubjectFactsRow): Promise<void> {
    return this.#mutate(() => {
      checkSubjectFacts(row);
      const q = this.b.q.putFacts;
      return this.#send(
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
    return this.#deleteOfSubject(this.b.q.deleteFacts, subjectRef);
  }

  putSchema(row: SchemaRow): Promise<void> {
    return this.#mutate(() => {
      checkSchemaRow(row);
      const q = this.b.q.putSchema;
      return this.#send(q, bind(q, { type: row.type, schema: row.schema, createdAt: row.createdAt }));
    });
  }

  insertToken(row: TokenRow): Promise<void> {
    return this.#mutate(() => {
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
      return this.#send(q, values, this.#unique(existsAlready('token', row.id, 'create another')));
    });
  }

  putStateNodes(nodes: readonly StateNodeRow[]): Promise<void> {
    return this.#mutate(() => {
      if (nodes.length === 0) return undefined;
      if (this.b.bulk !== undefined && nodes.length > 1) return this.#sendAll(this.b.bulk.putStateNodes(nodes));
      const q = this.b.q.putNode;
      return this.#each(nodes, (n) => this.#send(q, bind(q, { pos: this.b.bytes(n.pos), node: this.b.bytes(n.node) })));
    });
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.#revoke(this.b.q.revokeToken, 'token id', 'id', id, at).then((n) => n > 0);
  }

  insertSession(row: SessionRow): Promise<void> {
    return this.#mutate(() => {
      checkSessionRow(row);
      const q = this.b.q.insertSession;
      const values = bind(q, {
        id: row.id,
        subject: row.subjectRef,
        opener: row.openerTokenId,
        principal: row.opener,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        revokedAt: row.revokedAt,
      });
      return this.#send(q, values, this.#unique(existsAlready('session', row.id, 'open another')));
    });
  }

  revokeSession(id: string, at: number): Promise<boolean> {
    return this.#revoke(this.b.q.revokeSession, 'session id', 'id', id, at).then((n) => n > 0);
  }

  revokeSubjectSessions(subjectRef: string, at: number): Promise<number> {
    return this.#revoke(this.b.q.revokeSubjectSessions, 'subject ref', 'subject', subjectRef, at);
  }

  revokeOpenerSessions(openerTokenId: string, at: number): Promise<number> {
    return this.#revoke(this.b.q.revokeOpenerSessions, 'opener token id', 'opener', openerTokenId, at);
  }

  putObject(row: ObjectRow): Promise<void> {
    return this.#mutate(() => {
      checkObjectRow(row);
      const conflict = () =>
        new StoreError(
          'VERITY_E_STORE_CONFLICT',
          row.version === 1
            ? `${row.kind} ${quote(row.id)} exists already; reread it and retry`
            : `${row.kind} ${quote(row.id)} is not at version ${row.version - 1} any more; reread it and retry`,
          { details: { kind: row.kind, id: row.id } },
        );
      const values = {
        kind: row.kind,
        id: row.id,
        owner: row.owner,
        body: row.body,
        version: row.version,
        at: row.updatedAt,
      };
      if (row.version === 1) {
        const q = this.b.q.insertObject;
        return this.#send(q, bind(q, values), this.#unique(conflict));
      }
      return this.#changes(this.b.q.replaceObject, { ...values, previous: row.version - 1 }).then((n) => {
        if (n !== 1) throw conflict();
      });
    });
  }

  deleteObject(kind: string, id: string): Promise<boolean> {
    return this.#mutate(async () => {
      checkObjectKind(kind);
      checkObjectId(id);
      return (await this.#changes(this.b.q.deleteObject, { kind, id })) > 0;
    });
  }

  /** Runs a revocation statement (`key` names its one text argument); returns the rows it changed. */
  #revoke(q: Compiled, what: string, key: string, value: string, at: number): Promise<number> {
    return this.#mutate(async () => {
      checkText(value, what);
      checkInteger(at, 'at');
      return this.#changes(q, { [key]: value, at });
    });
  }
}
