// The statement machinery under the StoreWriter of both backends: one transaction's state, writes
// sent and (in deferred mode) not waited for, record versions gathered into one multi-row insert,
// the read-ahead of a deferred PostgreSQL transaction, and the mapping of driver failures. Private
// to src/store.
import type { StoreError } from '../errors/index.ts';
import { type Backend, type Exec, Reader, type Result, type Statement } from './reader.ts';
import type { TxState } from './rows.ts';
import { type Args, bind, type Compiled } from './sql.ts';
import type { RecordRow } from './types.ts';

export /** Turns a raw driver failure of one statement into a specific Verity error (else the generic mapping applies). */
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

export /** Undefined when a write is done (or deferred), a promise when it must be waited for. */
type Maybe = Promise<void> | undefined;

/** A transaction's writer without its tables: `Writer` adds one method per kind of row. */
export abstract class StatementWriter extends Reader {
  protected readonly tx: TxState;
  /**
   * Deferred mode (see WriteOptions.deferred): writes that return nothing are sent without
   * waiting for their outcome, and record versions are gathered into one multi-row insert sent
   * before the next other statement. Failures doom the transaction; settle() waits for them all.
   */
  protected readonly deferred: boolean;
  #pending: Promise<unknown>[] = [];
  protected records: RecordRow[] = [];

  readonly #readAhead: ReadAhead | undefined;
  /** Whether a statement that may write was sent: read-ahead results are valid only before. */
  #wrote = false;

  constructor(b: Backend, x: Exec, tx: TxState, deferred: boolean, readAhead?: ReadAhead) {
    super(b, x);
    this.tx = tx;
    this.deferred = deferred;
    this.#readAhead = readAhead;
  }

  protected override failed(e: unknown): unknown {
    this.tx.fail(this.b.translate(e));
    return this.tx.failure;
  }

  protected override async exec(q: Compiled, args: Args, arrays?: boolean): Promise<Result> {
    this.tx.check();
    if (this.records.length > 0) await this.#flushRecords();
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
  protected unique(conflict: (cause: unknown) => StoreError): MapError {
    return (raw) => (this.b.isUniqueViolation(raw) ? conflict(raw) : undefined);
  }

  /**
   * Sends a write whose result only matters for success. Deferred, it does not wait, unless
   * `check` must look at the result: a failure found here, not by the server, could not stop a
   * COMMIT already sent behind it.
   */
  protected send(q: Compiled, values: readonly unknown[], map?: MapError, check?: (r: Result) => unknown): Maybe {
    this.tx.check();
    this.#wrote = true;
    if (this.records.length > 0 && q !== this.b.q.insertRecord)
      return this.#flushRecords().then(() => this.send(q, values, map, check));
    let sent: Result | Promise<Result>;
    try {
      sent = this.x.query(q, values);
    } catch (e) {
      throw this.#fail(e, map);
    }
    // SQLite: done already, synchronously; nothing to wait for.
    if (!(sent instanceof Promise)) return this.#checked(sent, check);
    if (this.deferred && check === undefined) {
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
  protected async sendAll(list: readonly Statement[], map?: MapError): Promise<void> {
    for (const st of list) {
      const p = this.send(st.q, st.values, map);
      if (p !== undefined) await p;
    }
  }

  #fail(e: unknown, map?: MapError): unknown {
    return this.failed(map?.(e) ?? e);
  }

  /** Deferred mode: sends the gathered record versions (without waiting, like any deferred write). */
  async flush(): Promise<void> {
    if (this.records.length > 0 && !this.tx.hasFailed) await this.#flushRecords();
  }

  /** Deferred mode: waits for the outcome of every write sent; a failure is then in the TxState. */
  async settle(): Promise<void> {
    while (this.#pending.length > 0) await Promise.all(this.#pending.splice(0));
  }

  async #flushRecords(): Promise<void> {
    const rows = this.records;
    this.records = [];
    await this.writeRecords(rows);
  }

  /**
   * Runs one mutation; any failure, even a bad argument, dooms the transaction (see TxState). A
   * body that finished synchronously (SQLite) costs one settled promise, not a chain of them.
   */
  protected mutate<T>(body: () => T | Promise<T>): Promise<T> {
    const doom = (e: unknown): never => {
      this.tx.fail(e);
      throw this.tx.failure;
    };
    try {
      const r = body();
      return r instanceof Promise ? r.catch(doom) : Promise.resolve(r);
    } catch (e) {
      this.tx.fail(e);
      return Promise.reject(this.tx.failure);
    }
  }

  /** Runs a statement that reports how many rows it changed. */
  protected async changes(q: Compiled, args: Args): Promise<number> {
    return (await this.exec(q, args)).changes;
  }

  protected each<T>(items: readonly T[], send: (item: T, i: number) => Maybe): Maybe {
    for (let i = 0; i < items.length; i++) {
      const p = send(items[i] as T, i);
      if (p !== undefined) return this.eachAfter(p, items, send, i + 1);
    }
    return undefined;
  }

  protected async eachAfter<T>(
    first: Promise<void>,
    items: readonly T[],
    send: (item: T, i: number) => Maybe,
    from: number,
  ) {
    await first;
    for (let i = from; i < items.length; i++) await send(items[i] as T, i);
  }

  /** Writes record versions (in deferred mode, gathered ones). */
  protected abstract writeRecords(rows: readonly RecordRow[]): Maybe;
}
