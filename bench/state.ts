// The authenticated state (issue 10): sealed writes with the state map beside the same writes
// without it, in one run; how the map's cost grows from 10,000 to 1,000,000 keys; the size of a
// state proof; the SDK's verification of a read with its proofs; start-up against the log's size.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareKeyStore } from '../src/keys/index.ts';
import { verifyLogHead } from '../src/log/index.ts';
import { sha256 } from '../src/platform/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { EMPTY_STATE_ROOT, encodeStateProof, StateTree, stateKey } from '../src/smt/index.ts';
import { openSqliteRowStore } from '../src/store/sqlite.ts';
import { authenticate } from '../src/store/state.ts';
import { openVerity, type Verity } from '../src/verity/index.ts';
import { concurrent, type Figure, withCpu } from './core.ts';

const ACCESS = { actor: 'service:bench', purpose: 'service-provision' };

async function core(dir: string, name: string, baseline: boolean): Promise<Verity> {
  const keys = await SoftwareKeyStore.create(
    join(dir, `${name}.keys.json`),
    { passphrase: 'bench' },
    {
      kdf: { N: 1024, r: 8, p: 1 },
    },
  );
  const rows = await openSqliteRowStore(join(dir, `${name}.db`));
  await rows.migrate();
  return openVerity({
    store: authenticate(rows, { baseline }),
    keys,
    origin: `verity.bench/${name}`,
    unknownTypes: 'generic',
  });
}

/** Sealed writes per second on a fresh store (1,000 subjects, their keys made first), and CPU µs a write. */
async function sealedWrites(v: Verity, writes: number): Promise<{ perSec: number; cpuMicros: number }> {
  await concurrent(1000, 256, (i) => v.vault.put({ ...ACCESS, subject: `p-${i}`, type: 'avatar.state', data: { i } }));
  const { result, cpuMicros } = await withCpu(() =>
    concurrent(writes, 512, (i) =>
      v.vault.put({ ...ACCESS, subject: `p-${i % 1000}`, type: 'avatar.state', data: { i, pos: [i, i, i] } }),
    ),
  );
  return { perSec: result, cpuMicros: cpuMicros / writes };
}

/** The map alone over nodes in memory: cost per key and proof size as it grows. */
async function mapGrowth(sizes: readonly number[]): Promise<Figure[]> {
  const rows = new Map<string, Uint8Array>();
  const source = {
    getStateNodes: async (ps: readonly Uint8Array[]) => ps.map((p) => rows.get(String.fromCharCode(...p))),
  };
  const tree = new StateTree();
  let root = EMPTY_STATE_ROOT;
  let n = 0;
  const out: Figure[] = [];
  /** Adds 1,000 keys. */
  const grow = async () => {
    const batch = Array.from({ length: 1000 }, (_, j) => ({
      key: stateKey('record', `r${n + j}`),
      value: sha256(Uint8Array.of(j)),
    }));
    const u = await tree.update(source, root, batch);
    for (const w of u.writes) rows.set(String.fromCharCode(...w.pos), w.node);
    u.commit();
    root = u.root;
    n += 1000;
  };
  for (const size of sizes) {
    while (n < size - 10_000) await grow();
    // The last 10,000 keys, timed: what one more key costs at this size.
    const t0 = performance.now();
    for (let b = 0; b < 10; b++) await grow();
    const micros = ((performance.now() - t0) * 1000) / 10_000;
    let max = 0;
    let sum = 0;
    const cold = new StateTree();
    for (let i = 0; i < 200; i++) {
      const p = await cold.prove(source, root, stateKey('record', `r${(i * 7919) % n}`));
      const bytes = encodeStateProof(p.proof).byteLength;
      max = Math.max(max, bytes);
      sum += bytes;
    }
    const label = size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
    out.push(
      { name: `stateMapMicrosPerKeyAt${label}`, value: micros, unit: 'µs' },
      { name: `stateProofBytesAvgAt${label}`, value: sum / 200, unit: 'bytes' },
      { name: `stateProofBytesMaxAt${label}`, value: max, unit: 'bytes' },
    );
  }
  return out;
}

export async function benchState(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-state-'));
  const figures: Figure[] = [];
  const writes = quick ? 4000 : 20_000;
  try {
    // Without, then with, then each again: the machine's drift falls on both.
    const rates: { with: number[]; without: number[] } = { with: [], without: [] };
    const cpu: { with: number[]; without: number[] } = { with: [], without: [] };
    for (const round of [0, 1]) {
      for (const baseline of [true, false]) {
        const v = await core(dir, `${baseline ? 'plain' : 'map'}-${round}`, baseline);
        try {
          const r = await sealedWrites(v, writes);
          rates[baseline ? 'without' : 'with'].push(r.perSec);
          cpu[baseline ? 'without' : 'with'].push(r.cpuMicros);
        } finally {
          await v.close();
        }
      }
    }
    const best = (xs: number[]) => Math.max(...xs);
    const least = (xs: number[]) => Math.min(...xs);
    figures.push(
      { name: 'stateSealedWriteCpuMicros', value: least(cpu.with), unit: 'µs' },
      { name: 'stateSealedWriteWithoutMapCpuMicros', value: least(cpu.without), unit: 'µs' },
      { name: 'stateSealedWritesPerSec', value: best(rates.with), unit: 'writes/s' },
      { name: 'stateSealedWritesWithoutMapPerSec', value: best(rates.without), unit: 'writes/s' },
      { name: 'stateWritesVsWithoutMap', value: best(rates.with) / best(rates.without), unit: 'ratio' },
    );

    // The SDK verifying a read and its proofs (inclusion, entry, content, state), no network.
    const v = await core(dir, 'sdk', false);
    try {
      const w = await v.vault.put({ ...ACCESS, subject: 'p-1', type: 'avatar.state', data: { x: 1 } });
      const answer = JSON.stringify(await v.vault.get(w.id, ACCESS));
      const checkpoint = await v.log.checkpoint();
      const client = new VerityClient({
        url: 'http://verity.invalid',
        verifierKey: v.log.verifierKey,
        fetch: async (input) =>
          new Response(String(input).includes('/v1/log/checkpoint') ? checkpoint : answer, {
            status: 200,
            headers: {
              'content-type': String(input).includes('/v1/log/checkpoint') ? 'text/plain' : 'application/json',
            },
          }),
      });
      await client.getRecord(w.id, { purpose: ACCESS.purpose });
      const n = quick ? 1000 : 5000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await client.getRecord(w.id, { purpose: ACCESS.purpose });
      figures.push({ name: 'sdkVerifiedReadsPerSec', value: n / ((performance.now() - t0) / 1000), unit: 'reads/s' });

      // Start-up against the log's size: the constant-time head check at 10,000 and 1,000,000 entries.
      const entry = new TextEncoder().encode('{"bench":true}');
      for (const target of quick ? [10_000, 100_000] : [10_000, 1_000_000]) {
        for (let size = (await v.log.head()).size; size < target; ) {
          // Appends of 1,000 entries, 32 in flight: group commit puts several in one transaction.
          const n = Math.min(32, Math.ceil((target - size) / 1000));
          await Promise.all(
            Array.from({ length: n }, (_, k) =>
              v.log.append(Array.from({ length: Math.max(0, Math.min(1000, target - size - k * 1000)) }, () => entry)),
            ),
          );
          size = (await v.log.head()).size;
        }
        const t0 = performance.now();
        await verifyLogHead(v.log, v.store);
        const label = target >= 1_000_000 ? `${target / 1_000_000}M` : `${target / 1000}k`;
        figures.push({ name: `startupHeadCheckMsAt${label}`, value: performance.now() - t0, unit: 'ms' });
      }
    } finally {
      await v.close();
    }
    figures.push(...(await mapGrowth(quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000])));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}
