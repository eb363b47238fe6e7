// The key process (issue 15, FGMV-46 7.3.4): sealed writes with the keys in a separate process
// beside the same writes with the keys in this one, in the same run (target: within 20%), for
// subjects that exist (a checkpoint signature per group commit crosses the boundary) and for new
// subjects (a data key and a pseudonym MAC each); and the key process's size against its budget.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyProcess } from '../src/keyproc/index.ts';
import { keyProcessBudget, measureKeyProcess } from '../src/keyproc/size.ts';
import { type KeyStore, SoftwareKeyStore } from '../src/keys/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { openVerity } from '../src/verity/index.ts';
import { concurrent, type Figure } from './core.ts';

const ACCESS = { actor: 'service:bench', purpose: 'service-provision' };
const PASSPHRASE = 'bench passphrase';

/**
 * Sealed writes over `keys` on a fresh SQLite store: `subjects` new subjects (a data key and a
 * pseudonym MAC each), then `writes` for the first 2,000 of them (a checkpoint signature per group
 * commit). Ten thousand new subjects by default: over 2,000 (eight rounds of 256 in flight, a
 * quarter of a second) the ratio of the key process to in-process keys moved from 0.73 to 1.16
 * between runs of the same code, the start and end of the run weighing as much as its middle (D344).
 */
export async function sealedWritesWith(
  keys: KeyStore,
  dir: string,
  name: string,
  writes: number,
  subjects = 10_000,
): Promise<{ existing: number; fresh: number }> {
  const v = await openVerity({
    store: await openSqliteStore(join(dir, `${name}.db`)),
    keys,
    origin: `verity.bench/${name}`,
    unknownTypes: 'generic',
  });
  try {
    const fresh = await concurrent(subjects, 256, (i) =>
      v.vault.put({ ...ACCESS, subject: `p-${i}`, type: 'avatar.state', data: { i } }),
    );
    const existing = await concurrent(writes, 512, (i) =>
      v.vault.put({ ...ACCESS, subject: `p-${i % 2000}`, type: 'avatar.state', data: { i, pos: [i, i, i] } }),
    );
    return { existing, fresh };
  } finally {
    await v.close();
  }
}

async function run(
  dir: string,
  name: string,
  remote: boolean,
  writes: number,
  subjects: number,
): Promise<{ existing: number; fresh: number }> {
  const file = join(dir, `${name}.keys.json`);
  await (await SoftwareKeyStore.create(file, { passphrase: PASSPHRASE }, { kdf: { N: 1024, r: 8, p: 1 } })).close();
  const keys: KeyStore = remote
    ? await KeyProcess.start({ kind: 'software', file })
    : await SoftwareKeyStore.open(file, { passphrase: PASSPHRASE });
  return sealedWritesWith(keys, dir, name, writes, subjects);
}

export async function benchKeyProcess(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-keyproc-'));
  // The key process reads the secret from its environment, as under `verity serve`.
  process.env['VERITY_PASSPHRASE'] = PASSPHRASE;
  const writes = quick ? 4000 : 20_000;
  const subjects = quick ? 2000 : 10_000;
  try {
    const r = {
      local: [] as { existing: number; fresh: number }[],
      remote: [] as { existing: number; fresh: number }[],
    };
    // In-process, then key process, then each again: the machine's drift falls on both.
    for (const round of [0, 1])
      for (const remote of [false, true])
        r[remote ? 'remote' : 'local'].push(
          await run(dir, `${remote ? 'remote' : 'local'}-${round}`, remote, writes, subjects),
        );
    const best = (xs: { existing: number; fresh: number }[], k: 'existing' | 'fresh') =>
      Math.max(...xs.map((x) => x[k]));
    const size = measureKeyProcess();
    const budget = keyProcessBudget();
    return [
      { name: 'keyProcessSealedWritesPerSec', value: best(r.remote, 'existing'), unit: 'writes/s' },
      { name: 'inProcessKeysSealedWritesPerSec', value: best(r.local, 'existing'), unit: 'writes/s' },
      {
        name: 'keyProcessWritesVsInProcess',
        value: best(r.remote, 'existing') / best(r.local, 'existing'),
        unit: 'ratio',
      },
      {
        name: 'keyProcessNewSubjectWritesVsInProcess',
        value: best(r.remote, 'fresh') / best(r.local, 'fresh'),
        unit: 'ratio',
      },
      { name: 'keyProcessOwnLines', value: size.ownLines, unit: `lines (budget ${budget.ownLines})` },
      {
        name: 'keyProcessDependencyLines',
        value: size.dependencyLines,
        unit: `lines (budget ${budget.dependencyLines})`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
