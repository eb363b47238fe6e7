// A child process of the conformance suite (store-suite.ts), not part of the store's API.
// Usage: store-counter.ts SPEC COUNT
//   SPEC   JSON {"kind":"sqlite","path":...} or {"kind":"postgres","connectionString":...,"schema":...}
//   COUNT  read-increment-write transactions to run on meta `counter`
// It migrates first (the suite starts several children at once on a fresh database, so this is
// also a concurrent-migration test), yields to the event loop between each read and write so an
// unserialized writer would lose updates, and prints `ack N` once transaction N has committed.
import { openPostgresRowStore as openPostgresStore } from './postgres.ts';
import { openSqliteRowStore as openSqliteStore } from './sqlite.ts';
import type { RowStore as Store } from './types.ts';

/** How a child reopens the database a suite target uses. */
export type ChildSpec =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
  const count = Number(process.argv[3]);
  const store: Store =
    spec.kind === 'sqlite'
      ? await openSqliteStore(spec.path)
      : await openPostgresStore({ connectionString: spec.connectionString, schema: spec.schema, poolSize: 1 });
  try {
    await store.migrate();
    for (let i = 1; i <= count; i++) {
      await store.write(async (tx) => {
        const n = Number((await tx.getMeta('counter')) ?? '0');
        await new Promise((resolve) => setTimeout(resolve, 1));
        await tx.setMeta('counter', String(n + 1));
      });
      process.stdout.write(`ack ${i}\n`);
    }
  } finally {
    await store.close();
  }
}

if (import.meta.main) await main();
