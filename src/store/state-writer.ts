// A write transaction that records the digests of the rows it changes and commits them to the map.
// Private to src/store.
import { bytesEqual, toHex } from '../encoding/index.ts';
import { quote } from '../errors/index.ts';
import { EMPTY_STATE_ROOT, STATE_TOMBSTONE, type StateChange, type StateUpdate } from '../smt/index.ts';
import * as F from './state-facts.ts';
import { type Guard, tampered, unboundCheck } from './state-guard.ts';
import type {
  LifecycleState,
  ListOptions,
  LogHead,
  ObjectRow,
  RecordRow,
  RowWriter,
  ScanOptions,
  SchemaRow,
  SessionFilter,
  SessionRow,
  StateCommit,
  StateNodeRow,
  StoredTile,
  StoreWriter,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';
/**
 * A write transaction that records what it changes in the map. Its reads are checked against the
 * map of the transaction's head plus the changes it has made so far.
 */
export class StateWriter implements StoreWriter {
  readonly #tx: RowWriter;
  readonly #guard: Guard;
  readonly #changes = new Map<string, StateChange>();
  /** The newest version of each record this transaction has seen or written (checked). */
  readonly #latest = new Map<string, RecordRow>();
  #root: Promise<Uint8Array | undefined> | undefined;
  update: StateUpdate | undefined;
  committed = false;

  constructor(tx: RowWriter, guard: Guard) {
    this.#tx = tx;
    this.#guard = guard;
  }

  get changed(): boolean {
    return this.#changes.size > 0;
  }

  /** The state keys (hex) this transaction changed. */
  changedKeys(): Iterable<string> {
    return this.#changes.keys();
  }

  #set(f: F.Fact): void {
    if (this.#guard.off) return;
    if (this.committed)
      throw new TypeError('a protected row was changed after the state map was committed in this transaction');
    this.#changes.set(toHex(f.key), { key: f.key, value: f.value ?? STATE_TOMBSTONE });
  }

  /** The root of the map at the start of this transaction (its head, checked by the anchor). */
  #txRoot(): Promise<Uint8Array | undefined> {
    this.#root ??= this.#tx.getLogHead().then((h) => (h === undefined ? undefined : this.#guard.rootOf(h.checkpoint)));
    return this.#root;
  }

  async #check<T>(rows: T, facts: F.Fact[]): Promise<T> {
    if (this.#guard.off) return rows;
    const root = await this.#txRoot();
    if (root === undefined) {
      await unboundCheck(
        this.#tx,
        facts.filter((f) => !this.#changes.has(toHex(f.key))),
      );
      return rows;
    }
    const failure = await this.#guard.firstFailure(this.#tx, root, facts, this.#changes);
    if (failure !== undefined) throw tampered(failure.fact, failure.found);
    return rows;
  }

  // Reads.

  async getMeta(key: string): Promise<string | undefined> {
    const v = await this.#tx.getMeta(key);
    return this.#check(v, F.isStoreSetting(key) ? [] : [F.metaFact(key, v)]);
  }

  getLogHead(): Promise<LogHead | undefined> {
    return this.#tx.getLogHead();
  }

  getLogEntries(start: number, end: number): Promise<Uint8Array[]> {
    return this.#tx.getLogEntries(start, end);
  }

  getTile(level: number, index: number): Promise<StoredTile | undefined> {
    return this.#tx.getTile(level, index);
  }

  async getRecord(id: string, version?: number): Promise<RecordRow | undefined> {
    const latest = await this.#tx.getRecord(id);
    if (version === undefined || latest?.version === version) {
      await this.#check(latest, [F.latestFact(id, latest)]);
      if (latest !== undefined) this.#latest.set(id, latest);
      return latest;
    }
    const r = await this.#tx.getRecord(id, version);
    return this.#check(r, F.recordVersionFacts(id, version, r, latest));
  }

  async listRecordVersions(id: string): Promise<RecordRow[]> {
    const rows = await this.#tx.listRecordVersions(id);
    return this.#check(rows, F.versionsFacts(id, rows));
  }

  async listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]> {
    const rows = await this.#tx.listRecordsBySubject(subjectRef, options);
    return this.#check(
      rows,
      rows.map((r) => F.latestFact(r.id, r)),
    );
  }

  async listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    const rows = await this.#tx.listExpiredRecords(now, limit);
    return this.#check(
      rows,
      rows.map((r) => F.latestFact(r.id, r)),
    );
  }

  async getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    const r = await this.#tx.getSubjectKey(subjectRef);
    return this.#check(r, [F.subjectKeyFact(subjectRef, r)]);
  }

  async listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    const rows = await this.#tx.listSubjectKeysBelow(kekVersion, limit);
    return this.#check(
      rows,
      rows.map((r) => F.subjectKeyFact(r.subjectRef, r)),
    );
  }

  countSubjectKeysByKek(): Promise<Map<number, number>> {
    return this.#tx.countSubjectKeysByKek();
  }

  async getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined> {
    const r = await this.#tx.getSubjectFacts(subjectRef);
    return this.#check(r, [F.factsFact(subjectRef, r)]);
  }

  async getSchema(type: string): Promise<SchemaRow | undefined> {
    const r = await this.#tx.getSchema(type);
    return this.#check(r, [F.schemaFact(type, r)]);
  }

  async listSchemas(): Promise<SchemaRow[]> {
    const rows = await this.#tx.listSchemas();
    return this.#check(
      rows,
      rows.map((r) => F.schemaFact(r.type, r)),
    );
  }

  async getToken(id: string): Promise<TokenRow | undefined> {
    const r = await this.#tx.getToken(id);
    return this.#check(r, [F.tokenFact(id, r)]);
  }

  async listTokens(): Promise<TokenRow[]> {
    const rows = await this.#tx.listTokens();
    return this.#check(
      rows,
      rows.map((r) => F.tokenFact(r.id, r)),
    );
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    const r = await this.#tx.getSession(id);
    return this.#check(r, [F.sessionFact(id, r)]);
  }

  async listActiveSessions(now: number, filter: SessionFilter, options: ListOptions): Promise<SessionRow[]> {
    const rows = await this.#tx.listActiveSessions(now, filter, options);
    return this.#check(
      rows,
      rows.map((r) => F.sessionFact(r.id, r)),
    );
  }

  scanSessions(options: ScanOptions): Promise<SessionRow[]> {
    return this.#tx.scanSessions(options);
  }

  async getObject(kind: string, id: string): Promise<ObjectRow | undefined> {
    const r = await this.#tx.getObject(kind, id);
    return this.#check(r, [F.objectFact(kind, id, r)]);
  }

  async listObjects(kind: string, owner: string | undefined, options: ListOptions): Promise<ObjectRow[]> {
    const rows = await this.#tx.listObjects(kind, owner, options);
    return this.#check(
      rows,
      rows.map((r) => F.objectFact(r.kind, r.id, r)),
    );
  }

  scanObjects(options: ScanOptions): Promise<ObjectRow[]> {
    return this.#tx.scanObjects(options);
  }

  async listMeta(): Promise<{ key: string; value: string }[]> {
    const rows = await this.#tx.listMeta();
    return this.#check(rows, F.metaFacts(rows));
  }

  scanRecords(options: ScanOptions): Promise<RecordRow[]> {
    return this.#tx.scanRecords(options);
  }

  scanSubjectKeys(options: ScanOptions): Promise<SubjectKeyRow[]> {
    return this.#tx.scanSubjectKeys(options);
  }

  scanSubjectFacts(options: ScanOptions): Promise<SubjectFactsRow[]> {
    return this.#tx.scanSubjectFacts(options);
  }

  getStateNodes(positions: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#tx.getStateNodes(positions);
  }

  // Writes: each forwards, then records the rows it changed.

  async setMeta(key: string, value: string): Promise<void> {
    if (F.isStoreSetting(key)) throw new TypeError(`setting ${quote(key)} belongs to the store's migrator`);
    await this.#tx.setMeta(key, value);
    this.#set(F.metaFact(key, value));
  }

  /** The head this transaction writes (noted as trusted once committed). */
  newHead: LogHead | undefined;
  /** The head this transaction started from (the one its state commit builds on). */
  baseHead: LogHead | undefined;

  putLogHead(head: LogHead): Promise<void> {
    this.newHead = head;
    return this.#tx.putLogHead(head);
  }

  insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void> {
    return this.#tx.insertLogEntries(start, entries);
  }

  putTiles(tiles: readonly StoredTile[]): Promise<void> {
    return this.#tx.putTiles(tiles);
  }

  async insertRecords(rows: readonly RecordRow[]): Promise<void> {
    // The version each new one supersedes keeps its digest under its own key.
    const superseded: RecordRow[] = [];
    for (const r of rows) {
      if (r.version === 1) continue;
      const prev = this.#latest.get(r.id) ?? (await this.getRecord(r.id));
      if (prev !== undefined && prev.version === r.version - 1) superseded.push(prev);
    }
    await this.#tx.insertRecords(rows);
    for (const p of superseded) this.#set(F.versionFact(p));
    for (const r of rows) {
      const cur = this.#latest.get(r.id);
      if (cur === undefined || cur.version < r.version) {
        this.#latest.set(r.id, r);
        this.#set(F.latestFact(r.id, r));
      } else this.#set(F.versionFact(r));
    }
  }

  async setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    await this.#tx.setRecordState(id, version, state);
    await this.#restate(id);
  }

  async eraseRecord(id: string): Promise<number> {
    const n = await this.#tx.eraseRecord(id);
    if (n > 0) await this.#restate(id);
    return n;
  }

  async eraseSubjectRecords(subjectRef: string): Promise<number> {
    const ids: string[] = [];
    const list = (after: string | undefined) =>
      this.#tx.listRecordsBySubject(subjectRef, { limit: 1000, ...(after ? { after } : {}) });
    for await (const r of F.pages(list, (r) => r.id)) ids.push(r.id);
    const n = await this.#tx.eraseSubjectRecords(subjectRef);
    for (const id of ids) await this.#restate(id);
    return n;
  }

  /** Re-reads every version of a record after a change in place and records their digests. */
  async #restate(id: string): Promise<void> {
    const rows = await this.#tx.listRecordVersions(id);
    rows.forEach((r, i) => {
      if (i === rows.length - 1) {
        this.#latest.set(id, r);
        this.#set(F.latestFact(id, r));
      } else this.#set(F.versionFact(r));
    });
  }

  async insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    const stored = await this.#tx.insertSubjectKey(row);
    const inserted =
      stored.kekVersion === row.kekVersion &&
      stored.createdAt === row.createdAt &&
      bytesEqual(stored.wrappedKey, row.wrappedKey);
    if (inserted) this.#set(F.subjectKeyFact(row.subjectRef, stored));
    else await this.#check(stored, [F.subjectKeyFact(row.subjectRef, stored)]);
    return stored;
  }

  async updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    await this.#tx.updateSubjectKeys(rows);
    for (const r of rows) {
      const stored = await this.#tx.getSubjectKey(r.subjectRef);
      if (stored !== undefined) this.#set(F.subjectKeyFact(r.subjectRef, stored));
    }
  }

  async deleteSubjectKey(subjectRef: string): Promise<boolean> {
    const existed = await this.#tx.deleteSubjectKey(subjectRef);
    if (existed) this.#set(F.subjectKeyFact(subjectRef, undefined));
    return existed;
  }

  async putSubjectFacts(row: SubjectFactsRow): Promise<void> {
    await this.#tx.putSubjectFacts(row);
    this.#set(F.factsFact(row.subjectRef, row));
  }

  async deleteSubjectFacts(subjectRef: string): Promise<boolean> {
    const existed = await this.#tx.deleteSubjectFacts(subjectRef);
    if (existed) this.#set(F.factsFact(subjectRef, undefined));
    return existed;
  }

  async putSchema(row: SchemaRow): Promise<void> {
    await this.#tx.putSchema(row);
    this.#set(F.schemaFact(row.type, row));
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.#tx.insertToken(row);
    this.#set(F.tokenFact(row.id, row));
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const existed = await this.#tx.revokeToken(id, at);
    if (existed) this.#set(F.tokenFact(id, await this.#tx.getToken(id)));
    return existed;
  }

  async insertSession(row: SessionRow): Promise<void> {
    await this.#tx.insertSession(row);
    this.#set(F.sessionFact(row.id, row));
  }

  async revokeSession(id: string, at: number): Promise<boolean> {
    const existed = await this.#tx.revokeSession(id, at);
    if (existed) this.#set(F.sessionFact(id, await this.#tx.getSession(id)));
    return existed;
  }

  revokeSubjectSessions(subjectRef: string, at: number): Promise<number> {
    return this.#revokeAll({ subjectRef }, () => this.#tx.revokeSubjectSessions(subjectRef, at));
  }

  revokeOpenerSessions(openerTokenId: string, at: number): Promise<number> {
    return this.#revokeAll({ openerTokenId }, () => this.#tx.revokeOpenerSessions(openerTokenId, at));
  }

  async putObject(row: ObjectRow): Promise<void> {
    await this.#tx.putObject(row);
    this.#set(F.objectFact(row.kind, row.id, row));
  }

  async deleteObject(kind: string, id: string): Promise<boolean> {
    const existed = await this.#tx.deleteObject(kind, id);
    if (existed) this.#set(F.objectFact(kind, id, undefined));
    return existed;
  }

  /** Revokes many sessions in one statement, then records the rows it changed. */
  async #revokeAll(filter: SessionFilter, revoke: () => Promise<number>): Promise<number> {
    // The rows it will change: every one of the filter not yet revoked (expired ones too).
    const ids: string[] = [];
    const list = (after: string | undefined) =>
      this.#tx.listActiveSessions(Number.MIN_SAFE_INTEGER, filter, { limit: 1000, ...(after ? { after } : {}) });
    for await (const r of F.pages(list, (r) => r.id)) ids.push(r.id);
    const n = await revoke();
    for (const id of ids) this.#set(F.sessionFact(id, await this.#tx.getSession(id)));
    return n;
  }

  putStateNodes(nodes: readonly StateNodeRow[]): Promise<void> {
    return this.#tx.putStateNodes(nodes);
  }

  async commitState(head: LogHead | undefined): Promise<StateCommit> {
    if (this.committed) throw new TypeError('the state map was already committed in this transaction');
    this.baseHead = head;
    if (this.#guard.off) {
      this.committed = true;
      return { root: EMPTY_STATE_ROOT, changes: [] };
    }
    let base = head === undefined ? EMPTY_STATE_ROOT : this.#guard.rootOf(head.checkpoint);
    if (base === undefined) {
      // The first commit after an upgrade from a store without the map: bind every row there is.
      base = EMPTY_STATE_ROOT;
      for await (const f of F.storedFacts(this.#tx)) {
        const k = toHex(f.key);
        if (!this.#changes.has(k)) this.#changes.set(k, { key: f.key, value: f.value ?? STATE_TOMBSTONE });
      }
    }
    this.committed = true;
    const changes = [...this.#changes.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map((e) => e[1]);
    const update = await this.#guard.tree.update(this.#tx, base, changes);
    await this.#tx.putStateNodes(update.writes);
    this.update = update;
    return { root: update.root, changes };
  }
}
