// Reads outside a transaction, each row checked against the map under the latest trusted root.
// Private to src/store.
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
export class VerifiedReader implements StoreReader {
  readonly #inner: RowReader;
  readonly #guard: Guard;

  constructor(inner: RowReader, guard: Guard) {
    this.#inner = inner;
    this.#guard = guard;
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
    return this.#checked(
      () => this.#inner.getSubjectFacts(subjectRef),
      (r) => [F.factsFact(subjectRef, r)],
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
    return this.#checked(
      () => this.#inner.getToken(id),
      (r) => [F.tokenFact(id, r)],
    );
  }

  listTokens(): Promise<TokenRow[]> {
    return this.#checked(
      () => this.#inner.listTokens(),
      (rows) => rows.map((r) => F.tokenFact(r.id, r)),
    );
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return this.#checked(
      () => this.#inner.getSession(id),
      (r) => [F.sessionFact(id, r)],
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
    return this.#checked(
      () => this.#inner.getObject(kind, id),
      (r) => [F.objectFact(kind, id, r)],
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
