// Benchmarks of the core (issue targets on a 2-core machine): sealed writes and reads, log
// appends and inclusion proofs, printed beside the machine's raw limits measured in the same run.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../src/clock/index.ts';
import { type JsonValue, utf8 } from '../src/encoding/index.ts';
import { SoftwareKeyStore } from '../src/keys/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { openVerity, type Verity } from '../src/verity/index.ts';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/**
 * A Verity core for a benchmark in `dir`: SQLite store, a software key store with a quick KDF (the
 * passphrase is not what is measured), checkpoints signed as `verity.bench/NAME`.
 */
export async function benchVerity(
  dir: string,
  name: string,
  o: { clock?: Clock; unknownTypes?: 'generic' | 'reject' } = {},
): Promise<Verity> {
  const keys = await SoftwareKeyStore.create(
    join(dir, 'keys.json'),
    { passphrase: 'bench' },
    { kdf: { N: 1024, r: 8, p: 1 } },
  );
  return openVerity({
    store: await openSqliteStore(join(dir, 'verity.db')),
    keys,
    origin: `verity.bench/${name}`,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.unknownTypes === undefined ? {} : { unknownTypes: o.unknownTypes }),
  });
}

/** SHA-256 of 64-byte inputs per second, for about `ms` (the raw limit beside hashing figures). */
export function rawSha256PerSec(ms: number): number {
  const buf = new Uint8Array(64).fill(7);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) createHash('sha256').update(buf).digest();
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Calls `f` (after 50 warm-up calls) for about `ms` milliseconds; returns calls per second. */
export async function callsPerSec(ms: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await f();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 20; i++) await f();
    n += 20;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second. */
async function rate(ms: number, fn: () => Promise<number> | number): Promise<number> {
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < ms) ops += await fn();
  return ops / ((performance.now() - start) / 1000);
}

/**
 * Runs `f` and returns its result with the process's CPU time (user and system, every thread) in
 * microseconds: on a machine shared with other work, throughput moves with their load, CPU time a
 * write takes much less.
 */
export async function withCpu<T>(f: () => Promise<T>): Promise<{ result: T; cpuMicros: number }> {
  const before = process.cpuUsage();
  const result = await f();
  const used = process.cpuUsage(before);
  return { result, cpuMicros: used.user + used.system };
}

/** Runs `total` async operations with `concurrency` in flight; returns operations per second. */
export async function concurrent(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

function sha256MBps(): Promise<number> {
  const buf = randomBytes(1 << 20);
  return rate(700, () => {
    createHash('sha256').update(buf).digest();
    return 1;
  });
}

function aesGcmMBps(): Promise<number> {
  const buf = randomBytes(1 << 20);
  const key = randomBytes(32);
  return rate(700, () => {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
    c.update(buf);
    c.final();
    c.getAuthTag();
    return 1;
  });
}

/** Plain SQLite inserts of `payload` bytes, WAL + synchronous=FULL like Verity's store. */
function rawSqlite(dir: string, payload: number, perTx: number): Promise<number> {
  const db = new DatabaseSync(join(dir, `raw-${perTx}.db`));
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const blob = randomBytes(payload);
  return rate(1500, () => {
    if (perTx === 1) {
      ins.run(blob);
      return 1;
    }
    db.exec('BEGIN');
    for (let i = 0; i < perTx; i++) ins.run(blob);
    db.exec('COMMIT');
    return perTx;
  }).finally(() => db.close());
}

const ACCESS = { actor: 'service:bench', purpose: 'service-provision' } as const;

function sampleData(i: number): JsonValue {
  return {
    avatar: `avatar-${i}`,
    world: 'eu-1',
    pos: [i % 1000, (i * 7) % 1000, (i * 13) % 1000],
    inventory: ['sword', 'shield', 'potion', 'map'],
    bio: 'explorer of distant shards, collector of rare crystals, friend of many guilds',
  };
}

export async function benchCore(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-'));
  const figures: Figure[] = [];
  let v: Verity | undefined;
  try {
    const scale = quick ? 0.2 : 1;
    figures.push({ name: 'sha256MBps', value: await sha256MBps(), unit: 'MB/s' });
    figures.push({ name: 'aesGcmMBps', value: await aesGcmMBps(), unit: 'MB/s' });
    const keys = await SoftwareKeyStore.create(
      join(dir, 'keys.json'),
      { passphrase: 'bench' },
      { kdf: { N: 1024, r: 8, p: 1 } },
    );
    v = await openVerity({
      store: await openSqliteStore(join(dir, 'verity.db')),
      keys,
      origin: 'verity.bench/log',
      unknownTypes: 'generic',
    });
    const vault = v.vault;
    // Create the subjects' keys first: steady state is writes for subjects that exist.
    const subjects = 1000;
    await concurrent(subjects, 256, (i) =>
      vault.put({ ...ACCESS, subject: `player-${i}`, type: 'avatar.state', data: sampleData(i) }),
    );
    const sealedBytes =
      (
        await v.store.reader.getRecord(
          (await v.store.reader.listRecordsBySubject(await vault.subjectRef('player-1'), { limit: 1 }))[0]?.id ?? '',
        )
      )?.envelope?.byteLength ?? 300;
    const writes = Math.round(40_000 * scale);
    const ids: string[] = [];
    const { result: sealedWrites, cpuMicros } = await withCpu(() =>
      concurrent(writes, 512, async (i) => {
        const r = await vault.put({
          ...ACCESS,
          subject: `player-${i % subjects}`,
          type: 'avatar.state',
          data: sampleData(i),
        });
        if (i % 4 === 0) ids.push(r.id);
      }),
    );
    figures.push({ name: 'sealedWritesPerSec', value: sealedWrites, unit: 'writes/s' });
    figures.push({ name: 'sealedWriteCpuMicros', value: cpuMicros / writes, unit: 'µs' });
    const reads = Math.round(20_000 * scale);
    const sealedReads = await concurrent(reads, 512, (i) => vault.get(ids[(i * 7919) % ids.length] as string, ACCESS));
    figures.push({ name: 'sealedReadsPerSec', value: sealedReads, unit: 'reads/s' });
    const entry = utf8(
      JSON.stringify({
        v: 1,
        actor: 'service:bench',
        action: 'record.read',
        resource: 'record:rec_AAAAAAAAAAAAAAAAAAAAAA@1',
        purpose: 'service-provision',
        outcome: 'success',
        time: Date.now(),
        subject: 'sp_AAAAAAAAAAAAAAAAAAAAAA',
      }),
    );
    const appends = Math.round(200_000 * scale);
    const logAppends = await concurrent(appends, 4096, () => v!.log.append([entry]));
    figures.push({ name: 'logAppendsPerSec', value: logAppends, unit: 'appends/s' });
    const size = (await v.log.head()).size;
    // Steady state of a server: every tile has been expanded once (a cold tile costs 255 hashes).
    for (let i = 0; i < size; i += 128) await v.log.inclusionProof(i);
    let k = 0;
    const proofs = await rate(1500 * scale + 300, async () => {
      await v!.log.inclusionProof((k++ * 104_729) % size);
      return 1;
    });
    figures.push({ name: 'inclusionProofsPerSec', value: proofs, unit: 'proofs/s' });
    figures.push({ name: 'logSize', value: size, unit: 'entries' });
    figures.push({ name: 'sealedRecordBytes', value: sealedBytes, unit: 'bytes' });
    figures.push({ name: 'rawSqliteInsertsPerSec', value: await rawSqlite(dir, sealedBytes, 1), unit: 'inserts/s' });
    figures.push({
      name: 'rawSqliteBatchedInsertsPerSec',
      value: await rawSqlite(dir, sealedBytes, 1000),
      unit: 'inserts/s',
    });
  } finally {
    await v?.close();
    await rm(dir, { recursive: true, force: true });
  }
  const get = (n: string) => figures.find((f) => f.name === n)?.value ?? Number.NaN;
  figures.push({
    name: 'sealedWritesVsRawSqliteInserts',
    value: get('sealedWritesPerSec') / get('rawSqliteInsertsPerSec'),
    unit: 'ratio',
  });
  figures.push({
    name: 'sealedWritesVsRawSqliteBatchedInserts',
    value: get('sealedWritesPerSec') / get('rawSqliteBatchedInsertsPerSec'),
    unit: 'ratio',
  });
  return figures;
}
