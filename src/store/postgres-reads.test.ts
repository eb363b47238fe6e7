// Needs PostgreSQL (CI starts it): when it is unreachable these tests fail, they do not skip.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PG_URL } from '../../test/helpers/env.ts';
import { PipelinedReads } from './postgres-reads.ts';

/** Pipelined reads on `connections` connections of a fresh pool, closed after `fn`. */
async function withReads(connections: number, fn: (reads: PipelinedReads, pool: pg.Pool) => Promise<void>) {
  const pool = new pg.Pool({ connectionString: PG_URL, max: connections, pipeline: true } as pg.PoolConfig);
  pool.on('error', () => undefined);
  const reads = new PipelinedReads(pool, connections);
  try {
    await fn(reads, pool);
  } finally {
    reads.close();
    await pool.end();
  }
}

const value = (c: pg.PoolClient, n: number) =>
  c.query({ name: 'echo', text: 'SELECT $1::int AS n', values: [n] }).then((r) => r.rows[0].n as number);

describe('pipelined PostgreSQL reads (D331)', () => {
  it('answers each statement with its own rows, on few connections, a failing one alone', async () => {
    await withReads(2, async (reads, pool) => {
      const ns = Array.from({ length: 200 }, (_, i) => i);
      const answers = await Promise.all(
        ns.map((i) =>
          reads
            .run((c): Promise<unknown> => (i % 10 === 3 ? c.query('SELECT 1 / (0 * $1::int)', [i]) : value(c, i)))
            .then(
              (n) => n,
              (e: Error) => e.message,
            ),
        ),
      );
      for (const i of ns) assert.equal(answers[i], i % 10 === 3 ? 'division by zero' : i);
      assert.ok(pool.totalCount <= 2, `${pool.totalCount} connections`);
    });
  });

  it('writes the statements of one turn of the event loop in one write per connection', async () => {
    await withReads(1, async (reads) => {
      await reads.run((c) => value(c, 0));
      let socket: Socket | undefined;
      await reads.run(async (c) => {
        socket = (c as unknown as { connection: { stream: Socket } }).connection.stream;
      });
      const s = socket as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
      let writes = 0;
      const write = s._write.bind(s);
      const writev = s._writev.bind(s);
      s._write = (...a: unknown[]) => {
        writes++;
        write(...a);
      };
      s._writev = (...a: unknown[]) => {
        writes++;
        writev(...a);
      };
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => reads.run((c) => value(c, i))));
      assert.deepEqual(
        answers,
        Array.from({ length: 50 }, (_, i) => i),
      );
      assert.equal(writes, 1, 'fifty statements in one write');
    });
  });

  it('fails what was sent on a lost connection and opens another for the next statement', async () => {
    await withReads(1, async (reads) => {
      const pid = await reads.run((c) => c.query('SELECT pg_backend_pid() AS p').then((r) => r.rows[0].p as number));
      const slow = reads
        .run((c) => c.query('SELECT pg_sleep(5)'))
        .then(
          () => 'answered',
          (e: Error) => e,
        );
      const raw = new pg.Client({ connectionString: PG_URL });
      await raw.connect();
      try {
        await new Promise((r) => setTimeout(r, 100));
        await raw.query('SELECT pg_terminate_backend($1)', [pid]);
      } finally {
        await raw.end();
      }
      const lost = await slow;
      assert.ok(lost instanceof Error, 'the statement on the lost connection fails');
      // The next statement may still meet the dying connection once; then a new one serves.
      let other: number | undefined;
      for (let i = 0; i < 5 && other === undefined; i++)
        other = await reads
          .run((c) => c.query('SELECT pg_backend_pid() AS p').then((r) => r.rows[0].p as number))
          .catch(() => undefined);
      assert.notEqual(other, undefined);
      assert.notEqual(other, pid);
    });
  });
});
