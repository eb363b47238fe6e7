// The authenticated store: every row a read or an access decision uses is checked, at use, against
// the state map (src/smt) whose root the latest signed checkpoint commits to; every write of such a
// row changes the map in the same transaction. Private to src/store but for what index.ts exports.
import { bytesEqual, toHex } from '../encoding/index.ts';
import { isVerityError, quote, StoreError } from '../errors/index.ts';
import { sha256 } from '../platform/index.ts';
import {
  EMPTY_STATE_ROOT,
  recordStateKey,
  recordStateValue,
  recordVersionStateKey,
  STATE_TOMBSTONE,
  type StateChange,
  type StateProof,
  StateTree,
  type StateUpdate,
  stateDigest,
  stateKey,
  stateRootFromExtensions,
} from '../smt/index.ts';
import type {
  CheckpointAnchor,
  LifecycleState,
  ListOptions,
  LogHead,
  RecordRow,
  RowReader,
  RowStore,
  RowWriter,
  ScanOptions,
  SchemaRow,
  SessionFilter,
  SessionRow,
  StateCommit,
  StateNodeRow,
  Store,
  StoredFact,
  StoredTile,
  StoreReader,
  StoreWriter,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
  WriteOptions,
} from './types.ts';

// ---- What the map holds for each row --------------------------------------------------------

type Fact = StoredFact;

function recordValue(r: RecordRow): Uint8Array {
  return recordStateValue({ ...r, envelopeHash: r.envelope === null ? null : sha256(r.envelope) });
}

const keyOf = {
  subjectKey: (ref: string) => stateKey('subject-key', ref),
  facts: (ref: string) => stateKey('subject-facts', ref),
  schema: (type: string) => stateKey('schema', type),
  token: (id: string) => stateKey('token', id),
  session: (id: string) => stateKey('session', id),
  meta: (key: string) => stateKey('meta', key),
};

function latestFact(id: string, r: RecordRow | undefined): Fact {
  return { table: 'records', id, key: recordStateKey(id), value: r === undefined ? undefined : recordValue(r) };
}

function versionFact(r: RecordRow): Fact {
  return {
    table: 'records',
    id: `${r.id}@${r.version}`,
    key: recordVersionStateKey(r.id, r.version),
    value: recordValue(r),
  };
}

function subjectKeyFact(ref: string, r: SubjectKeyRow | undefined): Fact {
  return {
    table: 'subject_keys',
    id: ref,
    key: keyOf.subjectKey(ref),
    value:
      r === undefined ? undefined : stateDigest('subject-key', [r.subjectRef, r.kekVersion, r.wrappedKey, r.createdAt]),
  };
}

function factsFact(ref: string, r: SubjectFactsRow | undefined): Fact {
  return {
    table: 'subject_facts',
    id: ref,
    key: keyOf.facts(ref),
    value:
      r === undefined
        ? undefined
        : stateDigest('subject-facts', [r.subjectRef, r.minor, JSON.stringify(r.guardians), r.updatedAt]),
  };
}

function schemaFact(type: string, r: SchemaRow | undefined): Fact {
  return {
    table: 'schemas',
    id: type,
    key: keyOf.schema(type),
    value: r === undefined ? undefined : stateDigest('schema', [r.type, r.schema, r.createdAt]),
  };
}

function tokenFact(id: string, r: TokenRow | undefined): Fact {
  return {
    table: 'tokens',
    id,
    key: keyOf.token(id),
    value:
      r === undefined
        ? undefined
        : stateDigest('token', [
            r.id,
            r.secretHash,
            r.principal,
            r.role,
            r.scopes,
            r.createdAt,
            r.expiresAt,
            r.revokedAt,
          ]),
  };
}

function sessionFact(id: string, r: SessionRow | undefined): Fact {
  return {
    table: 'sessions',
    id,
    key: keyOf.session(id),
    value:
      r === undefined
        ? undefined
        : stateDigest('session', [
            r.id,
            r.subjectRef,
            r.openerTokenId,
            r.opener,
            r.createdAt,
            r.expiresAt,
            r.revokedAt,
          ]),
  };
}

/**
 * Settings the store keeps for itself (`store.schema`, the layout number its migrator writes outside
 * any log transaction): not in the map. The migrator checks them against `verity_migrations`.
 */
export function isStoreSetting(key: string): boolean {
  return key.startsWith('store.');
}

function metaFacts(rows: readonly { key: string; value: string }[]): Fact[] {
  return rows.filter((m) => !isStoreSetting(m.key)).map((m) => metaFact(m.key, m.value));
}

function metaFact(key: string, value: string | undefined): Fact {
  return {
    table: 'meta',
    id: key,
    key: keyOf.meta(key),
    value: value === undefined ? undefined : stateDigest('meta', [key, value]),
  };
}

/**
 * The facts of every protected row of a store, table by table, a page at a time: what the map of a
 * store must hold (its rebuild, and `verity log verify --data`).
 */
async function* storedFacts(reader: RowReader, page = 1000): AsyncGenerator<Fact> {
  for (let after: { id: string; version: number } | undefined; ; ) {
    const rows = await reader.scanRecords({
      limit: page,
      ...(after ? { after: after.id, afterVersion: after.version } : {}),
    });
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as RecordRow;
      const next = rows[i + 1];
      // The newest version of an id is its latest (a page may end inside an id: look one ahead).
      const newest =
        next !== undefined
          ? next.id !== r.id
          : (await reader.scanRecords({ limit: 1, after: r.id, afterVersion: r.version }))[0]?.id !== r.id;
      yield newest ? latestFact(r.id, r) : versionFact(r);
    }
    if (rows.length < page) break;
    const last = rows[rows.length - 1] as RecordRow;
    after = { id: last.id, version: last.version };
  }
  for (let after: string | undefined; ; ) {
    const rows = await reader.scanSubjectKeys({ limit: page, ...(after ? { after } : {}) });
    for (const r of rows) yield subjectKeyFact(r.subjectRef, r);
    if (rows.length < page) break;
    after = (rows[rows.length - 1] as SubjectKeyRow).subjectRef;
  }
  for (let after: string | undefined; ; ) {
    const rows = await reader.scanSubjectFacts({ limit: page, ...(after ? { after } : {}) });
    for (const r of rows) yield factsFact(r.subjectRef, r);
    if (rows.length < page) break;
    after = (rows[rows.length - 1] as SubjectFactsRow).subjectRef;
  }
  for (let after: string | undefined; ; ) {
    const rows = await reader.scanSessions({ limit: page, ...(after ? { after } : {}) });
    for (const r of rows) yield sessionFact(r.id, r);
    if (rows.length < page) break;
    after = (rows[rows.length - 1] as SessionRow).id;
  }
  for (const r of await reader.listSchemas()) yield schemaFact(r.type, r);
  for (const r of await reader.listTokens()) yield tokenFact(r.id, r);
  for (const f of metaFacts(await reader.listMeta())) yield f;
}

// ---- The guard: trusted roots, the verified node cache, checks ---------------------------------

/** How often a read is checked again because other processes kept committing meanwhile. */
const MAX_ATTEMPTS = 32;

/** How long a head read from the store may serve as the trusted root of reads (ms). */
const HEAD_REUSE_MS = 50;

/** The body of a signed note, unverified (the default anchor, until the log sets its own). */
function unverifiedRoot(checkpoint: string): Uint8Array | undefined {
  const end = checkpoint.indexOf('\n\n');
  const lines = (end < 0 ? checkpoint : checkpoint.slice(0, end)).split('\n');
  return stateRootFromExtensions(lines.slice(3));
}

function tampered(f: Fact, found: 'changed' | 'deleted' | 'added'): StoreError {
  const what =
    found === 'deleted'
      ? 'is missing although the state map holds it'
      : found === 'added'
        ? 'exists although the state map does not hold it'
        : 'does not match the state map';
  return new StoreError(
    'VERITY_E_STATE_TAMPERED',
    `${f.table} row ${quote(f.id)} ${what}: the store was changed outside Verity; run \`verity log verify --data\` and restore from a backup`,
    { details: { table: f.table, row: f.id } },
  );
}

/** The trusted root of a read: from a head whose checkpoint the anchor accepted. */
interface Trusted {
  readonly checkpoint: string;
  /** undefined: the checkpoint predates the state map (nothing to check against yet). */
  readonly root: Uint8Array | undefined;
  readonly at: number;
}

class Guard {
  readonly tree = new StateTree();
  /** The benchmark's baseline only (`authenticate(rows, { baseline: true })`): no map at all. */
  off = false;
  anchor: CheckpointAnchor = unverifiedRoot;
  #trusted: Trusted | undefined;
  #anchored = new Map<string, Uint8Array | undefined>();

  /** The root a checkpoint commits to, through the anchor (memoized: a signature check each is costly). */
  rootOf(checkpoint: string): Uint8Array | undefined {
    if (this.#anchored.has(checkpoint)) return this.#anchored.get(checkpoint);
    let root: Uint8Array | undefined;
    try {
      root = this.anchor(checkpoint);
    } catch (cause) {
      throw new StoreError(
        'VERITY_E_STATE_TAMPERED',
        'the stored checkpoint does not verify with the log key, so no row can be checked; run `verity log verify`',
        { cause, details: { table: 'log_head' } },
      );
    }
    if (this.#anchored.size >= 64) this.#anchored.clear();
    this.#anchored.set(checkpoint, root);
    return root;
  }

  /** A head this process just committed, with the state root it computed: trusted as is. */
  committed(head: LogHead, root: Uint8Array): void {
    if (this.#anchored.size >= 64) this.#anchored.clear();
    this.#anchored.set(head.checkpoint, root);
    this.note(head);
  }

  setAnchor(a: CheckpointAnchor): void {
    this.anchor = a;
    this.#anchored.clear();
    this.#trusted = undefined;
  }

  /** Notes a head (read, or just committed by this process); its checkpoint is checked when used. */
  note(head: LogHead): void {
    if (this.#trusted?.checkpoint !== head.checkpoint) this.#trusted = undefined;
    this.#latest = { checkpoint: head.checkpoint, at: performance.now() };
  }

  #latest: { checkpoint: string; at: number } | undefined;

  #use(checkpoint: string): Trusted {
    const t = { checkpoint, root: this.rootOf(checkpoint), at: performance.now() };
    this.#trusted = t;
    return t;
  }

  async trusted(reader: RowReader, fresh: boolean): Promise<Trusted | undefined> {
    if (!fresh) {
      const t = this.#trusted;
      if (t !== undefined && performance.now() - t.at < HEAD_REUSE_MS) return t;
      const l = this.#latest;
      if (l !== undefined && performance.now() - l.at < HEAD_REUSE_MS) return this.#use(l.checkpoint);
    }
    const head = await reader.getLogHead();
    if (head === undefined) return undefined;
    this.note(head);
    return this.#use(head.checkpoint);
  }

  /** Checks facts under `root`; returns the first that fails and how. */
  async firstFailure(
    source: RowReader,
    root: Uint8Array,
    facts: readonly Fact[],
    staged?: ReadonlyMap<string, StateChange>,
  ): Promise<{ fact: Fact; found: 'changed' | 'deleted' | 'added' } | undefined> {
    for (const f of facts) {
      const s = staged?.get(toHex(f.key));
      const mapped = s !== undefined ? s.value : (await this.tree.prove(source, root, f.key)).value;
      const absent = mapped === undefined || bytesEqual(mapped, STATE_TOMBSTONE);
      if (f.value === undefined) {
        if (!absent) return { fact: f, found: 'deleted' };
      } else if (absent) return { fact: f, found: 'added' };
      else if (!bytesEqual(mapped, f.value)) return { fact: f, found: 'changed' };
    }
    return undefined;
  }
}

/** A store whose map is not bound yet holds no nodes; one that holds nodes but whose checkpoint has no root was rolled back. */
async function unboundCheck(reader: RowReader, facts: readonly Fact[]): Promise<void> {
  if (facts.length === 0) return;
  const [root] = await reader.getStateNodes([new Uint8Array(1)]);
  if (root !== undefined)
    throw new StoreError(
      'VERITY_E_STATE_TAMPERED',
      'the log head predates the state map although the store holds one: the head was rolled back; run `verity log verify --data`',
      { details: { table: 'log_head' } },
    );
}

// ---- Reads outside a transaction ---------------------------------------------------------------

class VerifiedReader implements StoreReader {
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
  async #checked<T>(read: () => Promise<T>, facts: (rows: T) => Fact[] | Promise<Fact[]>): Promise<T> {
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
      (v) => (isStoreSetting(key) ? [] : [metaFact(key, v)]),
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
        (r) => [latestFact(id, r)],
      );
    return this.#checked(
      async () => [await this.#inner.getRecord(id, version), await this.#inner.getRecord(id)] as const,
      ([r, latest]) => recordVersionFacts(id, version, r, latest),
    ).then(([r]) => r);
  }

  listRecordVersions(id: string): Promise<RecordRow[]> {
    return this.#checked(
      () => this.#inner.listRecordVersions(id),
      (rows) => versionsFacts(id, rows),
    );
  }

  listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]> {
    return this.#checked(
      () => this.#inner.listRecordsBySubject(subjectRef, options),
      (rows) => rows.map((r) => latestFact(r.id, r)),
    );
  }

  listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    return this.#checked(
      () => this.#inner.listExpiredRecords(now, limit),
      (rows) => rows.map((r) => latestFact(r.id, r)),
    );
  }

  getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    return this.#checked(
      () => this.#inner.getSubjectKey(subjectRef),
      (r) => [subjectKeyFact(subjectRef, r)],
    );
  }

  listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    return this.#checked(
      () => this.#inner.listSubjectKeysBelow(kekVersion, limit),
      (rows) => rows.map((r) => subjectKeyFact(r.subjectRef, r)),
    );
  }

  /** Counts only: informational (KEK status), not a decision input. */
  countSubjectKeysByKek(): Promise<Map<number, number>> {
    return this.#inner.countSubjectKeysByKek();
  }

  getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined> {
    return this.#checked(
      () => this.#inner.getSubjectFacts(subjectRef),
      (r) => [factsFact(subjectRef, r)],
    );
  }

  getSchema(type: string): Promise<SchemaRow | undefined> {
    return this.#checked(
      () => this.#inner.getSchema(type),
      (r) => [schemaFact(type, r)],
    );
  }

  listSchemas(): Promise<SchemaRow[]> {
    return this.#checked(
      () => this.#inner.listSchemas(),
      (rows) => rows.map((r) => schemaFact(r.type, r)),
    );
  }

  getToken(id: string): Promise<TokenRow | undefined> {
    return this.#checked(
      () => this.#inner.getToken(id),
      (r) => [tokenFact(id, r)],
    );
  }

  listTokens(): Promise<TokenRow[]> {
    return this.#checked(
      () => this.#inner.listTokens(),
      (rows) => rows.map((r) => tokenFact(r.id, r)),
    );
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return this.#checked(
      () => this.#inner.getSession(id),
      (r) => [sessionFact(id, r)],
    );
  }

  listActiveSessions(now: number, filter: SessionFilter, options: ListOptions): Promise<SessionRow[]> {
    return this.#checked(
      () => this.#inner.listActiveSessions(now, filter, options),
      (rows) => rows.map((r) => sessionFact(r.id, r)),
    );
  }

  scanSessions(options: ScanOptions): Promise<SessionRow[]> {
    return this.#inner.scanSessions(options);
  }

  listMeta(): Promise<{ key: string; value: string }[]> {
    return this.#checked(
      () => this.#inner.listMeta(),
      (rows) => metaFacts(rows),
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
function recordVersionFacts(
  id: string,
  version: number,
  r: RecordRow | undefined,
  latest: RecordRow | undefined,
): Fact[] {
  const facts = [latestFact(id, latest)];
  if (latest === undefined || latest.version === version) return facts;
  if (r !== undefined) facts.push(versionFact(r));
  // A version below the latest must exist: its absence means a deleted row.
  else if (version < latest.version)
    facts.push({ table: 'records', id: `${id}@${version}`, key: recordVersionStateKey(id, version), value: undefined });
  return facts;
}

function versionsFacts(id: string, rows: readonly RecordRow[]): Fact[] {
  if (rows.length === 0) return [latestFact(id, undefined)];
  const latest = rows[rows.length - 1] as RecordRow;
  const facts = [latestFact(id, latest), ...rows.slice(0, -1).map(versionFact)];
  // Every version from 1 to the latest is stored: a gap is a deleted row.
  for (let v = 1; v < latest.version; v++)
    if (!rows.some((r) => r.version === v))
      facts.push({ table: 'records', id: `${id}@${v}`, key: recordVersionStateKey(id, v), value: undefined });
  return facts;
}

// ---- Writes -------------------------------------------------------------------------------------

/**
 * A write transaction that records what it changes in the map. Its reads are checked against the
 * map of the transaction's head plus the changes it has made so far.
 */
class StateWriter implements StoreWriter {
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

  #set(f: Fact): void {
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

  async #check<T>(rows: T, facts: Fact[]): Promise<T> {
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
    return this.#check(v, isStoreSetting(key) ? [] : [metaFact(key, v)]);
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
      await this.#check(latest, [latestFact(id, latest)]);
      if (latest !== undefined) this.#latest.set(id, latest);
      return latest;
    }
    const r = await this.#tx.getRecord(id, version);
    return this.#check(r, recordVersionFacts(id, version, r, latest));
  }

  async listRecordVersions(id: string): Promise<RecordRow[]> {
    const rows = await this.#tx.listRecordVersions(id);
    return this.#check(rows, versionsFacts(id, rows));
  }

  async listRecordsBySubject(subjectRef: string, options: ListOptions): Promise<RecordRow[]> {
    const rows = await this.#tx.listRecordsBySubject(subjectRef, options);
    return this.#check(
      rows,
      rows.map((r) => latestFact(r.id, r)),
    );
  }

  async listExpiredRecords(now: number, limit: number): Promise<RecordRow[]> {
    const rows = await this.#tx.listExpiredRecords(now, limit);
    return this.#check(
      rows,
      rows.map((r) => latestFact(r.id, r)),
    );
  }

  async getSubjectKey(subjectRef: string): Promise<SubjectKeyRow | undefined> {
    const r = await this.#tx.getSubjectKey(subjectRef);
    return this.#check(r, [subjectKeyFact(subjectRef, r)]);
  }

  async listSubjectKeysBelow(kekVersion: number, limit: number): Promise<SubjectKeyRow[]> {
    const rows = await this.#tx.listSubjectKeysBelow(kekVersion, limit);
    return this.#check(
      rows,
      rows.map((r) => subjectKeyFact(r.subjectRef, r)),
    );
  }

  countSubjectKeysByKek(): Promise<Map<number, number>> {
    return this.#tx.countSubjectKeysByKek();
  }

  async getSubjectFacts(subjectRef: string): Promise<SubjectFactsRow | undefined> {
    const r = await this.#tx.getSubjectFacts(subjectRef);
    return this.#check(r, [factsFact(subjectRef, r)]);
  }

  async getSchema(type: string): Promise<SchemaRow | undefined> {
    const r = await this.#tx.getSchema(type);
    return this.#check(r, [schemaFact(type, r)]);
  }

  async listSchemas(): Promise<SchemaRow[]> {
    const rows = await this.#tx.listSchemas();
    return this.#check(
      rows,
      rows.map((r) => schemaFact(r.type, r)),
    );
  }

  async getToken(id: string): Promise<TokenRow | undefined> {
    const r = await this.#tx.getToken(id);
    return this.#check(r, [tokenFact(id, r)]);
  }

  async listTokens(): Promise<TokenRow[]> {
    const rows = await this.#tx.listTokens();
    return this.#check(
      rows,
      rows.map((r) => tokenFact(r.id, r)),
    );
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    const r = await this.#tx.getSession(id);
    return this.#check(r, [sessionFact(id, r)]);
  }

  async listActiveSessions(now: number, filter: SessionFilter, options: ListOptions): Promise<SessionRow[]> {
    const rows = await this.#tx.listActiveSessions(now, filter, options);
    return this.#check(
      rows,
      rows.map((r) => sessionFact(r.id, r)),
    );
  }

  scanSessions(options: ScanOptions): Promise<SessionRow[]> {
    return this.#tx.scanSessions(options);
  }

  async listMeta(): Promise<{ key: string; value: string }[]> {
    const rows = await this.#tx.listMeta();
    return this.#check(rows, metaFacts(rows));
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
    if (isStoreSetting(key)) throw new TypeError(`setting ${quote(key)} belongs to the store's migrator`);
    await this.#tx.setMeta(key, value);
    this.#set(metaFact(key, value));
  }

  /** The head this transaction writes (noted as trusted once committed). */
  newHead: LogHead | undefined;

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
    for (const p of superseded) this.#set(versionFact(p));
    for (const r of rows) {
      const cur = this.#latest.get(r.id);
      if (cur === undefined || cur.version < r.version) {
        this.#latest.set(r.id, r);
        this.#set(latestFact(r.id, r));
      } else this.#set(versionFact(r));
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
    for (let after: string | undefined; ; ) {
      const page = await this.#tx.listRecordsBySubject(subjectRef, { limit: 1000, ...(after ? { after } : {}) });
      for (const r of page) ids.push(r.id);
      if (page.length < 1000) break;
      after = (page[page.length - 1] as RecordRow).id;
    }
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
        this.#set(latestFact(id, r));
      } else this.#set(versionFact(r));
    });
  }

  async insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    const stored = await this.#tx.insertSubjectKey(row);
    const inserted =
      stored.kekVersion === row.kekVersion &&
      stored.createdAt === row.createdAt &&
      bytesEqual(stored.wrappedKey, row.wrappedKey);
    if (inserted) this.#set(subjectKeyFact(row.subjectRef, stored));
    else await this.#check(stored, [subjectKeyFact(row.subjectRef, stored)]);
    return stored;
  }

  async updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    await this.#tx.updateSubjectKeys(rows);
    for (const r of rows) {
      const stored = await this.#tx.getSubjectKey(r.subjectRef);
      if (stored !== undefined) this.#set(subjectKeyFact(r.subjectRef, stored));
    }
  }

  async deleteSubjectKey(subjectRef: string): Promise<boolean> {
    const existed = await this.#tx.deleteSubjectKey(subjectRef);
    if (existed) this.#set(subjectKeyFact(subjectRef, undefined));
    return existed;
  }

  async putSubjectFacts(row: SubjectFactsRow): Promise<void> {
    await this.#tx.putSubjectFacts(row);
    this.#set(factsFact(row.subjectRef, row));
  }

  async deleteSubjectFacts(subjectRef: string): Promise<boolean> {
    const existed = await this.#tx.deleteSubjectFacts(subjectRef);
    if (existed) this.#set(factsFact(subjectRef, undefined));
    return existed;
  }

  async putSchema(row: SchemaRow): Promise<void> {
    await this.#tx.putSchema(row);
    this.#set(schemaFact(row.type, row));
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.#tx.insertToken(row);
    this.#set(tokenFact(row.id, row));
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const existed = await this.#tx.revokeToken(id, at);
    if (existed) this.#set(tokenFact(id, await this.#tx.getToken(id)));
    return existed;
  }

  async insertSession(row: SessionRow): Promise<void> {
    await this.#tx.insertSession(row);
    this.#set(sessionFact(row.id, row));
  }

  async revokeSession(id: string, at: number): Promise<boolean> {
    const existed = await this.#tx.revokeSession(id, at);
    if (existed) this.#set(sessionFact(id, await this.#tx.getSession(id)));
    return existed;
  }

  revokeSubjectSessions(subjectRef: string, at: number): Promise<number> {
    return this.#revokeAll({ subjectRef }, () => this.#tx.revokeSubjectSessions(subjectRef, at));
  }

  revokeOpenerSessions(openerTokenId: string, at: number): Promise<number> {
    return this.#revokeAll({ openerTokenId }, () => this.#tx.revokeOpenerSessions(openerTokenId, at));
  }

  /** Revokes many sessions in one statement, then records the rows it changed. */
  async #revokeAll(filter: SessionFilter, revoke: () => Promise<number>): Promise<number> {
    // The rows it will change: every one of the filter not yet revoked (expired ones too).
    const ids: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.#tx.listActiveSessions(Number.MIN_SAFE_INTEGER, filter, {
        limit: 1000,
        ...(after ? { after } : {}),
      });
      for (const r of page) ids.push(r.id);
      if (page.length < 1000) break;
      after = (page[page.length - 1] as SessionRow).id;
    }
    const n = await revoke();
    for (const id of ids) this.#set(sessionFact(id, await this.#tx.getSession(id)));
    return n;
  }

  putStateNodes(nodes: readonly StateNodeRow[]): Promise<void> {
    return this.#tx.putStateNodes(nodes);
  }

  async commitState(head: LogHead | undefined): Promise<StateCommit> {
    if (this.committed) throw new TypeError('the state map was already committed in this transaction');
    if (this.#guard.off) {
      this.committed = true;
      return { root: EMPTY_STATE_ROOT, changes: [] };
    }
    let base = head === undefined ? EMPTY_STATE_ROOT : this.#guard.rootOf(head.checkpoint);
    if (base === undefined) {
      // The first commit after an upgrade from a store without the map: bind every row there is.
      base = EMPTY_STATE_ROOT;
      for await (const f of storedFacts(this.#tx)) {
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

/**
 * Adds the state map to a backend: reads are checked, writes change the map in their transaction.
 * The log commits the map (StoreWriter.commitState) in every transaction that changes a protected
 * row; a transaction that changes one and does not is refused.
 */
export function authenticate(inner: RowStore, options: { baseline?: boolean } = {}): Store {
  const guard = new Guard();
  // @internal The baseline of `npm run bench` (the same writes without the map); never exported
  // from the store's index, so no deployment can turn the map off.
  guard.off = options.baseline === true;
  const store: Store = {
    kind: inner.kind,
    reader: new VerifiedReader(inner.reader, guard),
    migrate: () => inner.migrate(),
    anchor: (read) => guard.setAnchor(read),
    storedState: () => storedFacts(inner.reader),
    async write<T>(fn: (tx: StoreWriter) => Promise<T>, options?: WriteOptions): Promise<T> {
      let w: StateWriter | undefined;
      const result = await inner.write(async (tx) => {
        w = new StateWriter(tx, guard);
        const r = await fn(w);
        if (w.changed && !w.committed)
          throw new TypeError('a write changed protected rows without committing the state map: write through the log');
        return r;
      }, options);
      w?.update?.commit();
      if (w?.newHead !== undefined && w.update !== undefined) guard.committed(w.newHead, w.update.root);
      return result;
    },
    close: () => inner.close(),
  };
  guards.set(store, guard);
  return store;
}

/** A proof of one key under a root, for answers that carry their own evidence. */
export async function proveState(
  store: Store,
  root: Uint8Array,
  key: Uint8Array,
): Promise<{ value: Uint8Array | undefined; proof: StateProof }> {
  const g = guards.get(store);
  if (g === undefined) throw new TypeError('not an authenticated store');
  return g.tree.prove(store.reader, root, key);
}

const guards = new WeakMap<Store, Guard>();
