// A child process for the conformance suite: N read-increment-write transactions on a meta
// counter. Usage: store-counter.ts N sqlite PATH | N postgres URL SCHEMA
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';

const [n, kind, a, b] = process.argv.slice(2);
const store =
  kind === 'sqlite'
    ? await openSqliteStore(a as string)
    : await openPostgresStore({ connectionString: a as string, schema: b as string });
for (let i = 0; i < Number(n); i++) {
  await store.write(async (tx) => {
    const v = Number(await tx.getMeta('counter'));
    await new Promise((r) => setTimeout(r, 1));
    await tx.setMeta('counter', String(v + 1));
  });
}
await store.close();
