// HTTP load: bounded in count and time, against a Verity server on loopback. Used by
// `npm run load` (printing throughput and latency percentiles) and by `npm run bench`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { Tokens } from '../src/principals/index.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');
const SECRET = { passphrase: 'load test passphrase' };

export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs `op` with `concurrency` in flight until `count` ops or `seconds` have passed. */
export async function drive(
  count: number,
  seconds: number,
  concurrency: number,
  op: (i: number) => Promise<boolean>,
): Promise<LoadResult> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const t = performance.now();
        const ok = await op(i).catch(() => false);
        lat.push(performance.now() - t);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  return { ops: lat.length, errors, perSec: lat.length / elapsed, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

/**
 * A server in a child process on a fresh data directory, with a service token. With `postgres` (a
 * connection URL) its store is a fresh PostgreSQL schema of that database, dropped at stop.
 */
export async function startServer(
  options: { postgres?: string } = {},
): Promise<{ url: string; token: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-load-'));
  const data = join(dir, 'data');
  const pgSchema = `verity_load_${process.pid}_${Date.now()}`;
  const postgres =
    options.postgres === undefined ? undefined : { connectionString: options.postgres, schema: pgSchema };
  await initDataDir(data, {
    secret: SECRET,
    kdf: { N: 1024, r: 8, p: 1 },
    ...(postgres === undefined ? {} : { postgres }),
  });
  const v = await openDataDir(data, { secret: SECRET });
  const token = (
    await new Tokens(v.store, v.log).create({
      principal: 'load',
      role: 'service',
      recordTypes: ['avatar.state'],
      actor: 'operator:load',
    })
  ).token;
  await v.close();
  const child: ChildProcess = spawn(BIN, ['serve', '--data', data, '--port', '0'], {
    env: { ...process.env, VERITY_PASSPHRASE: SECRET.passphrase },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    // The server logs a line per request on standard output: keep reading (a full pipe would stall
    // it) but look only at what came before the address.
    let text: string | undefined = '';
    child.stdout?.on('data', (c: Buffer) => {
      if (text === undefined) return;
      text += c.toString();
      const m = /serving (http:\/\/\S+)/.exec(text);
      if (m) {
        text = undefined;
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return {
    url,
    token,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
      if (postgres !== undefined) {
        const c = new pg.Client({ connectionString: postgres.connectionString });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`).finally(() => c.end());
      }
    },
  };
}

/**
 * Sealed writes then reads over HTTP (authorization and audit included). The client is undici's
 * connection pool (one keep-alive connection per request in flight): `fetch` costs the client more
 * CPU than the server spends on a request, and on a 2-core machine that CPU is the server's.
 */
export async function httpLoad(o: {
  url: string;
  token: string;
  count: number;
  seconds: number;
  concurrency: number;
  /** Writes sent first and not measured, so that the figures are of a warmed-up server. */
  warmup?: number;
}): Promise<{ writes: LoadResult; reads: LoadResult }> {
  const pool = new Pool(o.url, { connections: o.concurrency, pipelining: 1 });
  const headers = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' };
  const ids: string[] = [];
  try {
    const write = async (i: number) => {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/records',
        headers,
        body: JSON.stringify({
          subject: `player-${i % 500}`,
          type: 'avatar.state',
          purpose: 'service-provision',
          data: { i, pos: [i, i, i], world: 'eu-1' },
        }),
      });
      if (res.statusCode !== 201) {
        await res.body.dump();
        return false;
      }
      ids.push(((await res.body.json()) as { id: string }).id);
      return true;
    };
    if ((o.warmup ?? 0) > 0) await drive(o.warmup ?? 0, o.seconds, o.concurrency, write);
    const writes = await drive(o.count, o.seconds, o.concurrency, write);
    const reads = await drive(o.count, o.seconds, o.concurrency, async (i) => {
      const res = await pool.request({
        method: 'GET',
        path: `/v1/records/${ids[(i * 7919) % ids.length]}?purpose=service-provision`,
        headers,
      });
      await res.body.dump();
      return res.statusCode === 200;
    });
    return { writes, reads };
  } finally {
    await pool.close();
  }
}

/**
 * The benchmark's HTTP figure: a server on a fresh store (SQLite, or PostgreSQL when `postgres` is
 * given) in a child process, the load from this one, both on this machine's cores. 24 requests in
 * flight fill the group commits on 2 cores; more only lengthen the queues (measured here: 16 → 5.5k/s
 * p99 10 ms, 24 → 6.6k/s p99 12 ms, 64 → 6.4k/s p99 28 ms).
 */
export async function measureHttp(quick: boolean, postgres?: string): ReturnType<typeof httpLoad> {
  const server = await startServer(postgres === undefined ? {} : { postgres });
  try {
    return await httpLoad({
      url: server.url,
      token: server.token,
      count: quick ? 3000 : 15000,
      seconds: quick ? 5 : 15,
      concurrency: 24,
      warmup: quick ? 500 : 2000,
    });
  } finally {
    await server.stop();
  }
}
