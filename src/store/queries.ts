// Every query of the store, written once with Kysely for both dialects and compiled once per store
// (queries()). The few differences between the dialects are flags here (the SQLite subject tag) or
// bulk statements of the PostgreSQL adapter (postgres-bulk.ts). Private to src/store.
import type { ExpressionBuilder, RawBuilder, SelectQueryBuilder, StringReference } from 'kysely';
import { sql } from './kysely.ts';
import type { Database } from './schema.ts';
import { arg, builder, type Compiled, compileAll, type DialectName } from './sql.ts';

const RECORD_COLUMNS = [
  'id',
  'version',
  'subject_ref',
  'type',
  'state',
  'meta',
  'envelope',
  'created_at',
  'retain_until',
  'log_index',
] as const;
const SUBJECT_KEY_COLUMNS = ['subject_ref', 'kek_version', 'wrapped_key', 'created_at'] as const;
const SUBJECT_FACTS_COLUMNS = ['subject_ref', 'minor', 'guardians', 'updated_at'] as const;
const TOKEN_COLUMNS = [
  'id',
  'secret_hash',
  'principal',
  'role',
  'scopes',
  'created_at',
  'expires_at',
  'revoked_at',
] as const;

const SESSION_COLUMNS = [
  'id',
  'subject_ref',
  'opener_token',
  'opener',
  'created_at',
  'expires_at',
  'revoked_at',
] as const;

const OBJECT_COLUMNS = ['kind', 'id', 'owner', 'body', 'version', 'updated_at'] as const;

const R = RECORD_COLUMNS.map((c) => `r.${c}` as const);

/**
 * "Latest version" is decided over all versions of the id, then filtered: a record lists under
 * the subject of its latest version only (both dialects run the same query).
 */
function isLatest(eb: ExpressionBuilder<Database & { r: Database['records'] }, 'r'>) {
  return eb(
    'r.version',
    '=',
    eb
      .selectFrom('records as v')
      .select((v) => v.fn.max('v.version').as('m'))
      .whereRef('v.id', '=', 'r.id'),
  );
}

/** Sessions neither revoked nor expired at `now`, from session id `after` on. */
function activeSessions(db: ReturnType<typeof builder>) {
  return db
    .selectFrom('sessions')
    .select(SESSION_COLUMNS)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', arg('now'))
    .where('id', '>', arg('after'));
}

/**
 * The SET list of an upsert that keeps the new row: `c = excluded.c` for each column. (`never`
 * like arg(): the reference stands for a value of whatever type the column has.)
 */
function takeExcluded<C extends string>(...columns: readonly C[]): Record<C, RawBuilder<never>> {
  return Object.fromEntries(columns.map((c) => [c, sql.ref<never>(`excluded.${c}`)])) as Record<C, RawBuilder<never>>;
}

/** A page of rows in `key` order: `limit` of them, from the first with a key above `after`. */
function pageAfter<TB extends keyof Database, O>(key: StringReference<Database, TB>) {
  return (q: SelectQueryBuilder<Database, TB, O>) => q.where(key, '>', arg('after')).orderBy(key).limit(arg('limit'));
}

/** The state-map nodes at `n` positions, named p0 to p(n-1). */
function getNodes(db: ReturnType<typeof builder>, n: number) {
  return db
    .selectFrom('state_nodes')
    .select(['pos', 'node'])
    .where(
      'pos',
      'in',
      Array.from({ length: n }, (_, i) => arg<Uint8Array>(`p${i}`)),
    );
}

/** Builds and compiles the store's queries for a dialect (and PostgreSQL schema). */
export function queries(dialect: DialectName, schema?: string) {
  const db = builder(dialect, schema);
  // SQLite keys the subject index on a 48-bit tag of subject_ref (see 0001_init).
  const tagged = dialect === 'sqlite';
  return compileAll({
    getMeta: db.selectFrom('meta').select('value').where('key', '=', arg('key')),
    getHead: db
      .selectFrom('log_head')
      .select(['size', 'root_hash', 'frontier', 'checkpoint', 'updated_at'])
      .where('id', '=', 1),
    getEntries: db
      .selectFrom('log_entries')
      .select('data')
      .where('idx', '>=', arg('start'))
      .where('idx', '<', arg('end'))
      .orderBy('idx'),
    getTile: db
      .selectFrom('log_tiles')
      .select(['width', 'hashes'])
      .where('level', '=', arg('level'))
      .where('idx', '=', arg('index')),
    getLatest: db
      .selectFrom('records')
      .select(RECORD_COLUMNS)
      .where('id', '=', arg('id'))
      .orderBy('version', 'desc')
      .limit(sql.lit(1)),
    getVersion: db
      .selectFrom('records')
      .select(RECORD_COLUMNS)
      .where('id', '=', arg('id'))
      .where('version', '=', arg('version')),
    listVersions: db.selectFrom('records').select(RECORD_COLUMNS).where('id', '=', arg('id')).orderBy('version'),
    listBySubject: db
      .selectFrom('records as r')
      .select(R)
      .$if(tagged, (q) => q.where('r.subject_tag', '=', arg('tag')))
      .where('r.subject_ref', '=', arg('subject'))
      .where('r.id', '>', arg('after'))
      .where(isLatest)
      .orderBy('r.id')
      .limit(arg('limit')),
    listExpired: db
      .selectFrom('records as r')
      .select(R)
      .where('r.retain_until', 'is not', null)
      .where('r.retain_until', '<=', arg('now'))
      .where('r.state', '<>', sql.lit('erased'))
      .where(isLatest)
      .orderBy('r.retain_until')
      .orderBy('r.id')
      .limit(arg('limit')),
    getKey: db.selectFrom('subject_keys').select(SUBJECT_KEY_COLUMNS).where('subject_ref', '=', arg('subject')),
    // The bound may exceed int4: compare as int8 (SQLite reads `bigint` as INTEGER).
    listKeysBelow: db
      .selectFrom('subject_keys')
      .select(SUBJECT_KEY_COLUMNS)
      .where((eb) => eb('kek_version', '<', eb.cast<number>(eb.val(arg<number>('kek')), 'bigint')))
      .orderBy('kek_version')
      .orderBy('subject_ref')
      .limit(arg('limit')),
    countKeys: db
      .selectFrom('subject_keys')
      .select((eb) => ['kek_version', eb.fn.countAll().as('n')])
      .groupBy('kek_version')
      .orderBy('kek_version'),
    getFacts: db.selectFrom('subject_facts').select(SUBJECT_FACTS_COLUMNS).where('subject_ref', '=', arg('subject')),
    getToken: db.selectFrom('tokens').select(TOKEN_COLUMNS).where('id', '=', arg('id')),
    listTokens: db.selectFrom('tokens').select(TOKEN_COLUMNS).orderBy('created_at', 'desc').orderBy('id'),
    getSession: db.selectFrom('sessions').select(SESSION_COLUMNS).where('id', '=', arg('id')),
    listSessions: activeSessions(db).orderBy('id').limit(arg('limit')),
    listSubjectSessions: activeSessions(db).where('subject_ref', '=', arg('subject')).orderBy('id').limit(arg('limit')),
    listOpenerSessions: activeSessions(db).where('opener_token', '=', arg('opener')).orderBy('id').limit(arg('limit')),
    getObject: db
      .selectFrom('objects')
      .select(OBJECT_COLUMNS)
      .where('kind', '=', arg('kind'))
      .where('id', '=', arg('id')),
    listObjects: db.selectFrom('objects').select(OBJECT_COLUMNS).where('kind', '=', arg('kind')).$call(pageAfter('id')),
    listOwnerObjects: db
      .selectFrom('objects')
      .select(OBJECT_COLUMNS)
      .where('kind', '=', arg('kind'))
      .where('owner', '=', arg('owner'))
      .$call(pageAfter('id')),
    getSchema: db.selectFrom('schemas').select(['type', 'schema', 'created_at']).where('type', '=', arg('type')),
    listSchemas: db.selectFrom('schemas').select(['type', 'schema', 'created_at']).orderBy('type'),

    // Nodes of the state map by position, 8 or 64 at a time (shorter lists are padded with a
    // position no node has: the empty blob).
    getNodes8: getNodes(db, 8),
    getNodes64: getNodes(db, 64),
    hasNodes: db.selectFrom('state_nodes').select('pos').limit(sql.lit(1)),
    // Every row of a table in key order, a page at a time: state-map rebuilds and checks.
    scanRecords: db
      .selectFrom('records')
      .select(RECORD_COLUMNS)
      .where((eb) =>
        eb.or([
          eb('id', '>', arg('after')),
          eb.and([eb('id', '=', arg('after')), eb('version', '>', arg('afterVersion'))]),
        ]),
      )
      .orderBy('id')
      .orderBy('version')
      .limit(arg('limit')),
    scanKeys: db.selectFrom('subject_keys').select(SUBJECT_KEY_COLUMNS).$call(pageAfter('subject_ref')),
    scanFacts: db.selectFrom('subject_facts').select(SUBJECT_FACTS_COLUMNS).$call(pageAfter('subject_ref')),
    listMeta: db.selectFrom('meta').select(['key', 'value']).orderBy('key'),
    scanSessions: db.selectFrom('sessions').select(SESSION_COLUMNS).$call(pageAfter('id')),
    scanObjects: db
      .selectFrom('objects')
      .select(OBJECT_COLUMNS)
      .where((eb) =>
        eb.or([eb('kind', '>', arg('after')), eb.and([eb('kind', '=', arg('after')), eb('id', '>', arg('afterId'))])]),
      )
      .orderBy('kind')
      .orderBy('id')
      .limit(arg('limit')),

    setMeta: db
      .insertInto('meta')
      .values({ key: arg('key'), value: arg('value') })
      .onConflict((oc) => oc.column('key').doUpdateSet(takeExcluded('value'))),
    putHead: db
      .insertInto('log_head')
      .values({
        id: 1,
        size: arg('size'),
        root_hash: arg('root'),
        frontier: arg('frontier'),
        checkpoint: arg('checkpoint'),
        updated_at: arg('at'),
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet(takeExcluded('size', 'root_hash', 'frontier', 'checkpoint', 'updated_at')),
      ),
    insertEntry: db.insertInto('log_entries').values({ idx: arg('idx'), data: arg('data') }),
    // INVARIANT: a stored tile never shrinks. The WHERE turns a narrower replacement into a no-op,
    // which the writer sees as 0 changes and refuses.
    putTile: db
      .insertInto('log_tiles')
      .values({ level: arg('level'), idx: arg('index'), width: arg('width'), hashes: arg('hashes') })
      .onConflict((oc) =>
        oc
          .columns(['level', 'idx'])
          .doUpdateSet(takeExcluded('width', 'hashes'))
          .where((eb) => eb('excluded.width', '>=', eb.ref('log_tiles.width'))),
      ),
    insertRecord: db.insertInto('records').values({
      id: arg('id'),
      version: arg('version'),
      subject_ref: arg('subject'),
      type: arg('type'),
      state: arg('state'),
      meta: arg('meta'),
      envelope: arg('envelope'),
      created_at: arg('createdAt'),
      retain_until: arg('retainUntil'),
      log_index: arg('logIndex'),
      ...(tagged ? { subject_tag: arg<number>('tag') } : {}),
    }),
    setState: db
      .updateTable('records')
      .set({ state: arg('state') })
      .where('id', '=', arg('id'))
      .where('version', '=', arg('version')),
    eraseRecord: db
      .updateTable('records')
      .set({ envelope: sql.lit(null), state: sql.lit('erased') })
      .where('id', '=', arg('id')),
    eraseSubject: db
      .updateTable('records')
      .set({
        envelope: sql.lit(null),
        state: sql.lit('erased'),
        subject_ref: arg('unlinked'),
        ...(tagged ? { subject_tag: arg<number>('unlinkedTag') } : {}),
      })
      .$if(tagged, (q) => q.where('subject_tag', '=', arg('tag')))
      .where('subject_ref', '=', arg('subject')),
    insertKey: db
      .insertInto('subject_keys')
      .values({
        subject_ref: arg('subject'),
        kek_version: arg('kek'),
        wrapped_key: arg('wrapped'),
        created_at: arg('createdAt'),
      })
      .onConflict((oc) => oc.column('subject_ref').doNothing())
      .returning(SUBJECT_KEY_COLUMNS),
    updateKey: db
      .updateTable('subject_keys')
      .set({ kek_version: arg('kek'), wrapped_key: arg('wrapped') })
      .where('subject_ref', '=', arg('subject')),
    deleteKey: db.deleteFrom('subject_keys').where('subject_ref', '=', arg('subject')),
    putFacts: db
      .insertInto('subject_facts')
      .values({
        subject_ref: arg('subject'),
        minor: arg('minor'),
        guardians: arg('guardians'),
        updated_at: arg('at'),
      })
      .onConflict((oc) => oc.column('subject_ref').doUpdateSet(takeExcluded('minor', 'guardians', 'updated_at'))),
    deleteFacts: db.deleteFrom('subject_facts').where('subject_ref', '=', arg('subject')),
    putSchema: db
      .insertInto('schemas')
      .values({ type: arg('type'), schema: arg('schema'), created_at: arg('createdAt') })
      .onConflict((oc) => oc.column('type').doUpdateSet(takeExcluded('schema', 'created_at'))),
    insertToken: db.insertInto('tokens').values({
      id: arg('id'),
      secret_hash: arg('hash'),
      principal: arg('principal'),
      role: arg('role'),
      scopes: arg('scopes'),
      created_at: arg('createdAt'),
      expires_at: arg('expiresAt'),
      revoked_at: arg('revokedAt'),
    }),
    putNode: db
      .insertInto('state_nodes')
      .values({ pos: arg('pos'), node: arg('node') })
      .onConflict((oc) => oc.column('pos').doUpdateSet(takeExcluded('node'))),
    revokeToken: db
      .updateTable('tokens')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(arg<number>('at'))) }))
      .where('id', '=', arg('id')),
    insertSession: db.insertInto('sessions').values({
      id: arg('id'),
      subject_ref: arg('subject'),
      opener_token: arg('opener'),
      opener: arg('principal'),
      created_at: arg('createdAt'),
      expires_at: arg('expiresAt'),
      revoked_at: arg('revokedAt'),
    }),
    revokeSession: db
      .updateTable('sessions')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(arg<number>('at'))) }))
      .where('id', '=', arg('id')),
    revokeSubjectSessions: db
      .updateTable('sessions')
      .set({ revoked_at: arg('at') })
      .where('subject_ref', '=', arg('subject'))
      .where('revoked_at', 'is', null),
    revokeOpenerSessions: db
      .updateTable('sessions')
      .set({ revoked_at: arg('at') })
      .where('opener_token', '=', arg('opener'))
      .where('revoked_at', 'is', null),
    insertObject: db.insertInto('objects').values({
      kind: arg('kind'),
      id: arg('id'),
      owner: arg('owner'),
      body: arg('body'),
      version: arg('version'),
      updated_at: arg('at'),
    }),
    // Compare and set: replaces only the version the writer read.
    replaceObject: db
      .updateTable('objects')
      .set({ owner: arg('owner'), body: arg('body'), version: arg('version'), updated_at: arg('at') })
      .where('kind', '=', arg('kind'))
      .where('id', '=', arg('id'))
      .where('version', '=', arg('previous')),
    deleteObject: db.deleteFrom('objects').where('kind', '=', arg('kind')).where('id', '=', arg('id')),
  });
}

/** The compiled queries of a store. */
export type Queries = ReturnType<typeof queries>;
export type { Compiled };
