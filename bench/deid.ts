// De-identification benchmarks (issue targets on a 2-core machine): pseudonyms, vault tokens and
// FF1 per second, beside the machine's raw limits measured in the same run (one-shot SHA-256 of
// the same values; AES-128 blocks).
import { createCipheriv, hash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deid, Pseudonymizer } from '../src/deid/index.ts';
import { FF1 } from '../src/fpe/index.ts';
import { SoftwareKeyStore } from '../src/keys/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { openVerity } from '../src/verity/index.ts';
import type { Figure } from './core.ts';

const ACCESS = { actor: 'service:bench', purpose: 'analytics' };

function perSec(n: number, fn: () => void): number {
  const start = performance.now();
  fn();
  return n / ((performance.now() - start) / 1000);
}

export async function benchDeid(quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  const n = quick ? 200_000 : 1_000_000;
  const values = Array.from({ length: n }, (_, i) => `player-${i}@example.com`);
  // The machine's limit for per-value hashing: one one-shot SHA-256 per value (no key, no encoding).
  perSec(50_000, () => {
    for (let i = 0; i < 50_000; i++) hash('sha256', values[i] as string, 'buffer');
  });
  const rawHash = perSec(n, () => {
    for (const v of values) hash('sha256', v, 'buffer');
  });
  const p = new Pseudonymizer(new Uint8Array(randomBytes(32)), 1);
  p.apply(values.slice(0, 50_000));
  const pseudonyms = perSec(n, () => p.apply(values));
  figures.push(
    { name: 'pseudonymsPerSec', value: pseudonyms, unit: 'values/s' },
    { name: 'rawSha256PerValuePerSec', value: rawHash, unit: 'hashes/s' },
    { name: 'pseudonymsVsRawSha256', value: pseudonyms / rawHash, unit: 'ratio' },
  );

  // FF1 on 16-digit card numbers, beside raw AES-128 single-block encryptions.
  const key = new Uint8Array(randomBytes(16));
  const f = new FF1(key, 10);
  const cards = Array.from({ length: quick ? 5_000 : 20_000 }, (_, i) => String(4_000_000_000_000_000 + i * 7919));
  const ff1 = perSec(cards.length, () => {
    for (const c of cards) f.encrypt(c);
  });
  const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const block = new Uint8Array(16);
  const aesBlocks = perSec(200_000, () => {
    for (let i = 0; i < 200_000; i++) ecb.update(block);
  });
  figures.push(
    { name: 'ff1OpsPerSec', value: ff1, unit: 'ops/s' },
    { name: 'rawAesBlocksPerSec', value: aesBlocks, unit: 'blocks/s' },
    { name: 'ff1VsRawAesBlocks', value: ff1 / aesBlocks, unit: 'ratio' },
  );

  // Vault tokens: durable sealed writes on the embedded store (SQLite), 64 in flight.
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-deid-'));
  try {
    const keys = await SoftwareKeyStore.create(
      join(dir, 'keys.json'),
      { passphrase: 'bench' },
      { kdf: { N: 1024, r: 8, p: 1 } },
    );
    const v = await openVerity({
      store: await openSqliteStore(join(dir, 'verity.db')),
      keys,
      origin: 'verity.bench/log',
    });
    try {
      const deid = new Deid(v);
      const total = quick ? 2_000 : 10_000;
      await deid.tokenize('warm-up', 'x', 'email', ACCESS);
      let next = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < total) {
            const i = next++;
            await deid.tokenize(`player-${i % 1000}`, `player-${i}@example.com`, 'email', ACCESS);
          }
        }),
      );
      figures.push({ name: 'tokensPerSec', value: total / ((performance.now() - start) / 1000), unit: 'tokens/s' });
    } finally {
      await v.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}
