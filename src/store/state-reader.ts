// Reads outside a transaction, each row checked against the map under the latest trusted root.
// Private to src/store.
import { toHex } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import * as F from './state-facts.ts';
import { type Guard, MAX_ATTEMPTS, tampered, unboundCheck } from './state-guard.ts';
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
  StoredTile,
  StoreReader,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

/** Most rows the memo of verified rows holds before it starts again (D99). */
const MEMO_MAX = 16_384;

export class VerifiedReader implements StoreReader {
  readonly #inner: RowReader;
  readonly #guard: Guard;
  readonly #dataVersion: (() => number) | undefined;
  /**
   * Rows verified against the map since the database last changed (D99): by state key, valid while
   * the backend's data version is `#memoVersion`. Own writes re-validate it, minus the keys they
   * changed (`afterWrite`); any other change empties it.
   */
  readonly #memo = new Map<string, unknown>();
  /** The memo's entries by the state key (hex) their rows sit under, for own writes to forget. */
  readonly #memoByKey = new Map<string, string>();
  #memoVersion: number | undefined;
  /** The head (checkpoint) the database held at `#memoVersion`, when an own write established it. */
  #memoHead: string | undefined;

  constructor(inner: RowReader, guard: Guard, dataVersion?: () => number) {
    this.#inner = inner;
    this.#guard = guard;
    this.#dataVersion = dataVersion;
  }

  /**
   * A point read through the memo: served from it while nothing committed since it was verified,
   * else read and checked (and remembered, when nothing committed meanwhile either).
   */
  async #memoized<T>(name: string, key: () => Uint8Array, read: () => Promise<T>): Promise<T> {
    if (this.#dataVersion === undefined || this.#guard.off) return read();
    const v = this.#dataVersion();
    if (v !== this.#memoVersion) {
      this.#forget();
      this.#memoVersion = v;
      this.#memoHead = undefined;
    }
    if (this.#memo.has(name)) return this.#memo.get(name) as T;
    const row = await read();
    // INVARIANT: remembered only if no commit (ours included) landed between the version read and
    // now: the row is then the database's state at version v, checked against the map.
    if (this.#memoVersion === v && this.#dataVersion() === v) {
      if (this.#memo.size >= MEMO_MAX) this.#forget();
      // Shared by every later caller: frozen, so no caller can change what the next one reads.
      this.#memo.set(name, typeof row === 'object' && row !== null ? Object.freeze(row) : row);
      this.#memoByKey.set(toHex(key()), name);
    }
    return row;
  }

  #forget(): void {
    this.#memo.clear();
    this.#memoByKey.clear();
  }

  /**
   * After a write of this process: when the database's version right after it belongs to a head
   * that is the one this write committed (so no other writer committed in between), the memo stays
   * valid at that version but for the state keys the write changed; otherwise it is emptied.
   */
  async afterWrite(
    changed: Iterable<string> | undefined,
    base: LogHead | undefined,
    head: LogHead | undefined,
  ): Promise<void> {
    if (this.#dataVersion === undefined) return;
    const known = this.#memoHead;
    let v: number;
    try {
      v = this.#dataVersion();
    } catch {
      this.#forget();
      this.#memoVersion = undefined;
      this.#memoHead = undefined;
      return;
    }
    // The head read after `v` is the one this write signed: the database at `v` is that head.
    const now = changed !== undefined && head !== undefined ? await this.#inner.getLogHead() : undefined;
    const settled = now !== undefined && head !== undefined && now.checkpoint === head.checkpoint;
    // INVARIANT: the memo carries over only when this write started from the very head it was
    // valid at (no other commit before it) and ended at the head read after `v` (none after it).
    if (settled && known !== undefined && base !== undefined && base.checkpoint === known) {
      for (const k of changed ?? []) {
        const name = this.#memoByKey.get(k);
        if (name === undefined) continue;
        this.#memo.delete(name);
        this.#memoByKey.delete(k);
      }
    } else this.#forget();
    this.#memoVersion = v;
    this.#memoHead = settled ? head?.checkpoint : undefined;
  }

  /**
   * Reads, then checks what was read against the trusted root. A mismatch is re-checked against a
   * fresh head (a write may have committed between the two reads), and reported only when the head
   * did not move.
   */
  async #checked<T>(read: () => Promise<T>, facts: (rows: T) => F.Fact[] | Promise<F.Fact[]>): Promise<T> {
    if (this.#guard.off) return read();
    let trusted = await this.#guard.trusted(this.#inner, false);
    for (let attempt = 0; ; attempt++) {
      const rows = await read();
      const list = await facts(rows);
      if (trusted === undefined) return rows;
      if (trusted.root === undefined) {
        await unboundCheck(this.#inner, list);
        return rows;
      }
      let error: unknown;
      try {
        const failure = await this.#guard.firstFailure(this.#inner, trusted.root, list);
        if (failure === undefined) return rows;
        error = tampered(failure.fact, failure.found);
      } catch (e) {
        // A node that does not match may have been rewritten by a writer in another process since
        // the head was read: the same as a row newer than the head.
        if (!isVerityError(e, 'VERITY_E_STATE_TAMPERED')) throw e;
        error = e;
      }
      // Tampering, unless the head moved since it was read (then check against the new one).
      const again = await this.#guard.trusted(this.#inner, true);
      if (again === undefined || again.checkpoint === trusted.checkpoint || attempt >= MAX_ATTEMPTS) throw error;
      trusted = again;
    }
  }

  getMeta(key: string): Promise<string | undefined> {
    return this.#checked(
      () => this.#inner.getMeta(key),
      (v) => (F.isStoreSetting(key) ? [] : [F.metaFact(key, v)]),
    );
  }

  async getLogHead(): Promise<LogHead | undefined> {
    const h = await this.#inner.getLogHead();
    if (h !== undefined) this.#guard.note(h);
    return h;
  }

  getLogEntries(start: number, end: number): Promise<Uint8Array[]> {
    return this.#inner.getLogEntries(start, end);
  }

  getTile(level: number, index: number): Promise<StoredTile | undefined> {
    return this.#inner.getTile(level, index);
  }

  getRecord(id: string, version?: number): Promise<RecordRow | undefined> {
    if (version === undefined)
      return this.#checked(
        () => this.#inner.getRecord(id),
        (r) => [F.latestFact(id, r)],
      );
    return this.#checked(
      async () => [await this.#inner.getRecord(id, version), await this.#inner.getRecord(id)] as const,
      ([r, latest]) => F.recordVersionFacts(id, version, r, latest),
    ).then(([r]) => r);
  }

  listRecordVersions(id: string): Promise<RecordRow[]> {
    return this.#checked(
      () => this.#inner.listRecordVersions(id),
      (rows) => F.versionsFacts(id, rows),
    );
  }

  listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]> {
    return this.#checked(
      () => this.#inner.listRecordsBySubject(subjectRef, options),
      (rows) => rows.map((r) => F.latestFact(r.id, r)),
    );
  }

  listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    return this.#checked(
      () => this.#inner.listExpiredRecords(now, limit),
      (rows) => rows.map((r) => F.latestFact(r.id, r)),
    );
  }

  getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    return this.#checked(
      () => this.#inner.getSubjectKey(subjectRef),
      (r) => [F.subjectKeyFact(subjectRef, r)],
    );
  }

  listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    return this.#checked(
      () => this.#inner.listSubjectKeysBelow(kekVersion, limit),
      (rows) => rows.map((r) => F.subjectKeyFact(r.subjectRef, r)),
    );
  }

  /** Counts only: informational (KEK status), not a decision input. */
  countSubjectKeysByKek(): Promise<Map<number, number>> {
    return this.#inner.countSubjectKeysByKek();
  }

  getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined> {
    return this.#memoized(
      `f\u0000${subjectRef}`,
      () => F.keyOf.facts(subjectRef),
      () =>
        this.#checked(
          () => this.#inner.getSubjectFacts(subjectRef),
          (r) => [F.factsFact(subjectRef, r)],
        ),
    );
  }

  getSchema(type: string): Promise<SchemaRow | undefined> {
    return this.#checked(
      () => this.#inner.getSchema(type),
      (r) => [F.schemaFact(type, r)],
    );
  }

  listSchemas(): Promise<SchemaRow[]> {
    return this.#checked(
      () => this.#inner.listSchemas(),
      (rows) => rows.map((r) => F.schemaFact(r.type, r)),
    );
  }

  getToken(id: string): Promise<TokenRow | undefined> {
    return this.#memoized(
      `t\u0000${id}`,
      () => F.keyOf.token(id),
      () =>
        this.#checked(
          () => this.#inner.getToken(id),
          (r) => [F.tokenFact(id, r)],
        ),
    );
  }

  listTokens(): Promise<TokenRow[]> {
    return this.#checked(
      () => this.#inner.listTokens(),
      (rows) => rows.map((r) => F.tokenFact(r.id, r)),
    );
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return this.#memoized(
      `s\u0000${id}`,
      () => F.keyOf.session(id),
      () =>
        this.#checked(
          () => this.#inner.getSession(id),
          (r) => [F.sessionFact(id, r)],
        ),
    );
  }

  listActiveSessions(now: number, filter: SessionFilter, options: ListOptions): Promise<SessionRow[]> {
    return this.#checked(
      () => this.#inner.listActiveSessions(now, filter, options),
      (rows) => rows.map((r) => F.sessionFact(r.id, r)),
    );
  }

  scanSessions(options: ScanOptions): Promise<SessionRow[]> {
    return this.#inner.scanSessions(options);
  }

  getObject(kind: string, id: string): Promise<ObjectRow | undefined> {
    return this.#memoized(
      `o\u0000${kind}\u0000${id}`,
      () => F.keyOf.object(kind, id),
      () =>
        this.#checked(
          () => this.#inner.getObject(kind, id),
          (r) => [F.objectFact(kind, id, r)],
        ),
    );
  }

  listObjects(kind: string, owner: string | undefined, options: ListOptions): Promise<ObjectRow[]> {
    return this.#checked(
      () => this.#inner.listObjects(kind, owner, options),
      (rows) => rows.map((r) => F.objectFact(r.kind, r.id, r)),
    );
  }

  scanObjects(options: ScanOptions): Promise<ObjectRow[]> {
    return this.#inner.scanObjects(options);
  }

  listMeta(): Promise<{ key: string; value: string }[]> {
    return this.#checked(
      () => this.#inner.listMeta(),
      (rows) => F.metaFacts(rows),
    );
  }

  scanRecords(options: ScanOptions): Promise<RecordRow[]> {
    return this.#inner.scanRecords(options);
  }

  scanSubjectKeys(options: ScanOptions): Promise<SubjectKeyRow[]> {
    return this.#inner.scanSubjectKeys(options);
  }

  scanSubjectFacts(options: ScanOptions): Promise<SubjectFactsRow[]> {
    return this.#inner.scanSubjectFacts(options);
  }

  getStateNodes(positions: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#inner.getStateNodes(positions);
  }
}

/** The facts of a read of version `version`, given the record's latest row. */
