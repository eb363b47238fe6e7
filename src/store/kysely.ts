// Kysely's values for the query layer, from its joined module where one was built (src/deps: the
// package's some 280 modules took 150-200 ms to load in every process that opens a store). Every
// module of the store imports Kysely's values from here and its types from 'kysely' with
// `import type`. Private to src/store.
import type * as K from 'kysely';
import { loadJoined } from '../deps/index.ts';

const loaded = await loadJoined<typeof K>('kysely');
const k = loaded.module;
/** Where this process's Kysely came from (for the tests). */
export const KYSELY_FROM = loaded.from;

export const sql: typeof K.sql = k.sql;
export const Kysely: typeof K.Kysely = k.Kysely;
export type Kysely<DB> = K.Kysely<DB>;
export const DummyDriver: typeof K.DummyDriver = k.DummyDriver;
export const PostgresAdapter: typeof K.PostgresAdapter = k.PostgresAdapter;
export const PostgresIntrospector: typeof K.PostgresIntrospector = k.PostgresIntrospector;
export const PostgresQueryCompiler: typeof K.PostgresQueryCompiler = k.PostgresQueryCompiler;
export const SqliteAdapter: typeof K.SqliteAdapter = k.SqliteAdapter;
export const SqliteIntrospector: typeof K.SqliteIntrospector = k.SqliteIntrospector;
export const SqliteQueryCompiler: typeof K.SqliteQueryCompiler = k.SqliteQueryCompiler;
