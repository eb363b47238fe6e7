// The query layer's machinery: Kysely as a query builder only. Each query is written once with
// Kysely, compiled once per dialect (and PostgreSQL schema) into SQL text with named parameters,
// and run through the backend's own driver: node:sqlite synchronously on the event loop (Kysely has
// no node:sqlite dialect, and its drivers are asynchronous: a promise per statement cost the
// synchronous write path time), pg asynchronously. Private to src/store.
import type { Compilable, RawBuilder } from 'kysely';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from './kysely.ts';
import type { Database } from './schema.ts';

/** The SQL dialects of the backends. */
export type DialectName = 'sqlite' | 'postgres';

/** A query compiled for one dialect: its SQL, and for each `?`/`$n` a parameter name or a constant. */
export interface Compiled {
  /** Stable name (pg uses it to prepare the statement once per connection). */
  readonly name: string;
  readonly sql: string;
  /** Per placeholder, in order: the name of an argument, or undefined for a constant of `consts`. */
  readonly names: readonly (string | undefined)[];
  readonly consts: readonly unknown[];
  /** Whether it returns rows (a SELECT, or a statement with RETURNING). */
  readonly returnsRows: boolean;
  /** Whether it only reads (a plain SELECT). */
  readonly readOnly: boolean;
}

/** Named arguments of a compiled query. */
export type Args = Readonly<Record<string, unknown>>;

// A named parameter compiles to a placeholder whose value is this marker; compile() maps it back to
// the name. NUL cannot occur in a value the store accepts (checkText), so no real value collides.
const MARK = '\u0000verity:';

/** A named parameter: `where('key', '=', arg('key'))`, bound by name when the query runs. */
export function arg<T = never>(name: string): T {
  return `${MARK}${name}` as T;
}

/** A Kysely instance that builds and compiles queries for `dialect` but cannot run them. */
export function builder(dialect: DialectName, schema?: string): Kysely<Database> {
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => (dialect === 'sqlite' ? new SqliteAdapter() : new PostgresAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => (dialect === 'sqlite' ? new SqliteIntrospector(k) : new PostgresIntrospector(k)),
      createQueryCompiler: () => (dialect === 'sqlite' ? new SqliteQueryCompiler() : new PostgresQueryCompiler()),
    },
  });
  return schema === undefined ? db : db.withSchema(schema);
}

/** Compiles a built query (or `sql` text, with the builder it is for) once. */
export function compile(name: string, query: Compilable | RawBuilder<unknown>, db?: Kysely<Database>): Compiled {
  const c = 'isRawBuilder' in query ? query.compile(db as Kysely<Database>) : query.compile();
  const names: (string | undefined)[] = [];
  const consts: unknown[] = [];
  for (const p of c.parameters) {
    const isArg = typeof p === 'string' && p.startsWith(MARK);
    names.push(isArg ? p.slice(MARK.length) : undefined);
    consts.push(isArg ? undefined : p);
  }
  return {
    name,
    sql: c.sql,
    names,
    consts,
    returnsRows: /^\s*(select|with)\b|\breturning\b/i.test(c.sql),
    readOnly: /^\s*select\b/i.test(c.sql),
  };
}

/** Compiles every query of a table of built queries. */
export function compileAll<K extends string>(queries: Record<K, Compilable>): Record<K, Compiled> {
  const out = {} as Record<K, Compiled>;
  for (const k of Object.keys(queries) as K[]) out[k] = compile(k, queries[k]);
  return out;
}

/** The parameter values of `q` for `args`, in placeholder order. */
export function bind(q: Compiled, args: Args): unknown[] {
  const n = q.names.length;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const name = q.names[i];
    const v = name === undefined ? q.consts[i] : args[name];
    // A missing argument is a bug of this folder; SQLite and pg would each bind it differently.
    if (v === undefined) throw new TypeError(`query ${q.name} is missing its argument ${name}`);
    out[i] = v;
  }
  return out;
}
