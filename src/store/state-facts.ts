// What the state map holds for each stored row (its key and digest), and every row of a store as
// such facts. Private to src/store.
import { sha256 } from '../platform/index.ts';
import {
  type RecordStateFields,
  recordStateKey,
  recordStateValue,
  recordVersionStateKey,
  stateDigest,
  stateKey,
} from '../smt/index.ts';
import type {
  ObjectRow,
  RecordRow,
  RowReader,
  SchemaRow,
  SessionRow,
  StoredFact,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

export type Fact = StoredFact;

/**
 * What was derived from each row object so far (D282): a read checks a row against the map, then
 * proves the same row object and shows its committed columns, and each of these hashed the
 * envelope again. Rows are read-only once read (every column `readonly`, envelopes never written
 * into), so what a row object commits to cannot change; keyed weakly, it goes with the row.
 */
const derived = new WeakMap<RecordRow, { fields: RecordStateFields; value?: Uint8Array }>();

/** The columns of a record version as the map commits to them (the envelope by its SHA-256). */
export function recordStateFields(r: RecordRow): RecordStateFields {
  const known = derived.get(r);
  if (known !== undefined) return known.fields;
  const fields: RecordStateFields = Object.freeze({
    id: r.id,
    version: r.version,
    subjectRef: r.subjectRef,
    type: r.type,
    state: r.state,
    meta: r.meta,
    envelopeHash: r.envelope === null ? null : sha256(r.envelope),
    createdAt: r.createdAt,
    retainUntil: r.retainUntil,
    logIndex: r.logIndex,
  });
  derived.set(r, { fields });
  return fields;
}

/** The digest the map holds for a record version's row. */
export function recordValue(r: RecordRow): Uint8Array {
  const fields = recordStateFields(r);
  const d = derived.get(r) as { fields: RecordStateFields; value?: Uint8Array };
  if (d.value === undefined) d.value = recordStateValue(fields);
  return d.value;
}

export const keyOf = {
  subjectKey: (ref: string) => stateKey('subject-key', ref),
  facts: (ref: string) => stateKey('subject-facts', ref),
  schema: (type: string) => stateKey('schema', type),
  token: (id: string) => stateKey('token', id),
  session: (id: string) => stateKey('session', id),
  meta: (key: string) => stateKey('meta', key),
  object: (kind: string, id: string) => stateKey(`object.${kind}`, id),
};

export function latestFact(id: string, r: RecordRow | undefined): Fact {
  return { table: 'records', id, key: recordStateKey(id), value: r === undefined ? undefined : recordValue(r) };
}

export function versionFact(r: RecordRow): Fact {
  return {
    table: 'records',
    id: `${r.id}@${r.version}`,
    key: recordVersionStateKey(r.id, r.version),
    value: recordValue(r),
  };
}

export function subjectKeyFact(ref: string, r: SubjectKeyRow | undefined): Fact {
  return {
    table: 'subject_keys',
    id: ref,
    key: keyOf.subjectKey(ref),
    value:
      r === undefined ? undefined : stateDigest('subject-key', [r.subjectRef, r.kekVersion, r.wrappedKey, r.createdAt]),
  };
}

export function factsFact(ref: string, r: SubjectFactsRow | undefined): Fact {
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

export function schemaFact(type: string, r: SchemaRow | undefined): Fact {
  return {
    table: 'schemas',
    id: type,
    key: keyOf.schema(type),
    value: r === undefined ? undefined : stateDigest('schema', [r.type, r.schema, r.createdAt]),
  };
}

export function tokenFact(id: string, r: TokenRow | undefined): Fact {
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

export function sessionFact(id: string, r: SessionRow | undefined): Fact {
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

export function objectFact(kind: string, id: string, r: ObjectRow | undefined): Fact {
  return {
    table: 'objects',
    id: `${kind}/${id}`,
    key: keyOf.object(kind, id),
    value: r === undefined ? undefined : stateDigest('object', [r.kind, r.id, r.owner, r.body, r.version, r.updatedAt]),
  };
}

/**
 * Settings the store keeps for itself (`store.schema`, the layout number its migrator writes outside
 * any log transaction): not in the map. The migrator checks them against `verity_migrations`.
 */
export function isStoreSetting(key: string): boolean {
  return key.startsWith('store.');
}

export function metaFacts(rows: readonly { key: string; value: string }[]): Fact[] {
  return rows.filter((m) => !isStoreSetting(m.key)).map((m) => metaFact(m.key, m.value));
}

export function metaFact(key: string, value: string | undefined): Fact {
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
export async function* storedFacts(reader: RowReader, page = 1000): AsyncGenerator<Fact> {
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
  const scan = (after: string | undefined) => ({ limit: page, ...(after ? { after } : {}) });
  for await (const r of pages(
    (a) => reader.scanSubjectKeys(scan(a)),
    (r) => r.subjectRef,
    page,
  ))
    yield subjectKeyFact(r.subjectRef, r);
  for await (const r of pages(
    (a) => reader.scanSubjectFacts(scan(a)),
    (r) => r.subjectRef,
    page,
  ))
    yield factsFact(r.subjectRef, r);
  for await (const r of pages(
    (a) => reader.scanSessions(scan(a)),
    (r) => r.id,
    page,
  ))
    yield sessionFact(r.id, r);
  for (let after: { kind: string; id: string } | undefined; ; ) {
    const rows = await reader.scanObjects({ limit: page, ...(after ? { after: after.kind, afterId: after.id } : {}) });
    for (const r of rows) yield objectFact(r.kind, r.id, r);
    const last = rows[rows.length - 1];
    if (rows.length < page || last === undefined) break;
    after = { kind: last.kind, id: last.id };
  }
  for (const r of await reader.listSchemas()) yield schemaFact(r.type, r);
  for (const r of await reader.listTokens()) yield tokenFact(r.id, r);
  for (const f of metaFacts(await reader.listMeta())) yield f;
}

export function recordVersionFacts(
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

export function versionsFacts(id: string, rows: readonly RecordRow[]): Fact[] {
  if (rows.length === 0) return [latestFact(id, undefined)];
  const latest = rows[rows.length - 1] as RecordRow;
  const facts = [latestFact(id, latest), ...rows.slice(0, -1).map(versionFact)];
  // Every version from 1 to the latest is stored: a gap is a deleted row.
  for (let v = 1; v < latest.version; v++)
    if (!rows.some((r) => r.version === v))
      facts.push({ table: 'records', id: `${id}@${v}`, key: recordVersionStateKey(id, v), value: undefined });
  return facts;
}

/** Every row of a listing keyed by text, a page at a time: `read(after)` returns the page after a key. */
export async function* pages<T>(
  read: (after: string | undefined) => Promise<readonly T[]>,
  key: (row: T) => string,
  size = 1000,
): AsyncGenerator<T> {
  for (let after: string | undefined; ; ) {
    const rows = await read(after);
    yield* rows;
    if (rows.length < size) return;
    after = key(rows[rows.length - 1] as T);
  }
}
