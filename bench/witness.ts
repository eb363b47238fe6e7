// Witness cosigning: checkpoints per second through the whole add-checkpoint path (request
// parsing, the log's signature, the consistency proof, the durable compare-and-swap of the state,
// the cosignature), with 16 logs submitting at once (each one checkpoint at a time, as a log
// does) and with one log alone, beside the machine's raw Ed25519 signing and verifying rates.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8 } from '../src/encoding/index.ts';
import { formatAddCheckpoint, initWitnessDir, openWitnessDir, type Witness } from '../src/witness/index.ts';
import { MemoryLog } from '../test/helpers/memlog.ts';
import type { Figure } from './core.ts';

const LOGS = 16;

/** Request bodies of `steps` checkpoints of one log, each extending the previous by 1 to 16 entries. */
async function requests(origin: string, steps: number): Promise<{ vkey: string; bodies: Uint8Array[] }> {
  const log = new MemoryLog(origin);
  const bodies: Uint8Array[] = [];
  let old = 0;
  for (let i = 0; i < steps; i++) {
    log.append(1 + ((i * 7) % 16));
    bodies.push(utf8(formatAddCheckpoint({ oldSize: old, proof: log.proof(old), note: await log.note() })));
    old = log.size;
  }
  return { vkey: log.vkey, bodies };
}

/** Each log's requests in order, all logs at once; returns checkpoints per second. */
async function cosignRate(w: Witness, logs: { bodies: Uint8Array[] }[]): Promise<number> {
  const start = performance.now();
  await Promise.all(
    logs.map(async (l) => {
      for (const b of l.bodies) await w.addCheckpoint(b);
    }),
  );
  const n = logs.reduce((a, l) => a + l.bodies.length, 0);
  return n / ((performance.now() - start) / 1000);
}

function rawEd25519(): { signPerSec: number; verifyPerSec: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // About the size of a cosigned message: header, time line and a checkpoint body.
  const msg = Buffer.alloc(120, 7);
  const sig = sign(null, msg, privateKey);
  const rate = (f: () => void) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 700) {
      for (let i = 0; i < 100; i++) f();
      n += 100;
    }
    return n / ((performance.now() - start) / 1000);
  };
  return {
    signPerSec: rate(() => sign(null, msg, privateKey)),
    verifyPerSec: rate(() => verify(null, msg, publicKey, sig)),
  };
}

export async function benchWitness(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-witness-'));
  try {
    initWitnessDir(join(dir, 'w'), 'bench.example/witness');
    const w = openWitnessDir(join(dir, 'w'));
    try {
      const steps = quick ? 60 : 250;
      const many = await Promise.all(Array.from({ length: LOGS }, (_, i) => requests(`bench.example/log-${i}`, steps)));
      const one = await requests('bench.example/alone', quick ? 150 : 600);
      for (const l of [...many, one]) w.addLog(l.vkey);
      const perSec = await cosignRate(w, many);
      const alonePerSec = await cosignRate(w, [one]);
      const raw = rawEd25519();
      // Each checkpoint costs one verification (the log's signature) and one signature.
      const bound = 1 / (1 / raw.signPerSec + 1 / raw.verifyPerSec);
      return [
        { name: 'witnessCosignPerSec', value: perSec, unit: 'checkpoints/s' },
        { name: 'witnessCosignOneLogPerSec', value: alonePerSec, unit: 'checkpoints/s' },
        { name: 'rawEd25519SignPerSec', value: raw.signPerSec, unit: 'signatures/s' },
        { name: 'rawEd25519VerifyPerSec', value: raw.verifyPerSec, unit: 'verifications/s' },
        { name: 'witnessVsEd25519SignVerify', value: perSec / bound, unit: 'ratio' },
        { name: 'witnessOneLogVsEd25519SignVerify', value: alonePerSec / bound, unit: 'ratio' },
      ];
    } finally {
      w.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const f of await benchWitness(process.argv.includes('--quick')))
    process.stdout.write(`${f.name}  ${f.value.toFixed(f.unit === 'ratio' ? 3 : 0)} ${f.unit}\n`);
}
