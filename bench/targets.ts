// The targets the issues set, each with the test of whether a run met it, so that the benchmark
// marks a missed one instead of printing the target beside the figure and leaving the reader to
// compare. A target may read other figures of the same run (ratios to the machine's raw limits).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from './core.ts';

export interface Target {
  readonly text: string;
  readonly met: (value: number, figure: (name: string) => number | undefined) => boolean;
}

const atLeast = (n: number): Target => ({ text: `>= ${n}`, met: (v) => v >= n });
const below = (n: number): Target => ({ text: `< ${n}`, met: (v) => v < n });
const atMost = (n: number): Target => ({ text: `<= ${n}`, met: (v) => v <= n });

const sdkBudget = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'packages', 'sdk', 'size-budget.json'), 'utf8')) as {
    browserGzipBytes: number;
  }
).browserGzipBytes;

export const TARGETS: Readonly<Record<string, Target>> = {
  sealedWritesPerSec: {
    text: '>= 20000 and >= 50% of rawSqliteInsertsPerSec',
    met: (v, figure) => v >= 20000 && v >= 0.5 * (figure('rawSqliteInsertsPerSec') ?? Number.POSITIVE_INFINITY),
  },
  logAppendsPerSec: atLeast(100000),
  // Issue 13: the Trust Center renders and verifies a 10,000-line access history in under 2 s in Chromium.
  trustHistory10kMs: below(2000),
  inclusionProofsPerSec: atLeast(50000),
  authzP99Micros: below(100),
  httpWritesPerSec: atLeast(5000),
  httpWriteP99Ms: below(20),
  httpPgWritesVsSqlite: atLeast(0.5),
  pseudonymsPerSec: atLeast(500000),
  piiScanMBps: atLeast(20),
  piiScanOneThreadMBps: atLeast(20),
  // Issue 14: on the held-back half of the independent corpus, overall F1 >= 0.92, PERSON and
  // LOCATION F1 >= 0.85, every structured type's recall >= 0.97, at most 3% of messages without
  // personal data with any finding.
  piiHeldOutOverallF1: atLeast(0.92),
  piiHeldOutPERSONF1: atLeast(0.85),
  piiHeldOutLOCATIONF1: atLeast(0.85),
  piiHeldOutNoPiiAlarmRate: atMost(0.03),
  ...Object.fromEntries(
    ['EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'IP_ADDRESS', 'URL', 'CRYPTO_WALLET', 'US_SSN', 'DATE_OF_BIRTH'].map(
      (t) => [`piiHeldOut${t}Recall`, atLeast(0.97)],
    ),
  ),
  sdkBrowserGzipBytes: atMost(sdkBudget),
  // Issue 16: in a 500-member room, add, update and remove commits under 250 ms and their
  // processing by another member under 150 ms, a newcomer's join under 300 ms, one message
  // encrypted or decrypted under 1 ms.
  mlsAddCommitMs: below(250),
  mlsUpdateCommitMs: below(250),
  mlsRemoveCommitMs: below(250),
  mlsAddProcessMs: below(150),
  mlsUpdateProcessMs: below(150),
  mlsRemoveProcessMs: below(150),
  mlsJoinMs: below(300),
  mlsEncryptMs: below(1),
  mlsDecryptMs: below(1),
  // Issue 15: sealed writes with the keys in the key process within 20% of the same writes with
  // the keys in the server's process, in the same run.
  keyProcessWritesVsInProcess: atLeast(0.8),
  keyProcessNewSubjectWritesVsInProcess: atLeast(0.8),
  // Issue 10: the state map costs at most a quarter of sealed writes, which stay >= 20,000/s; a
  // state proof at a million keys is at most 1.5 KB; the SDK verifies >= 5,000 reads/s with their
  // proofs; start-up does not grow with the log.
  stateWritesVsWithoutMap: atLeast(0.75),
  stateSealedWritesPerSec: atLeast(20000),
  stateProofBytesMaxAt1M: atMost(1536),
  sdkVerifiedReadsPerSec: atLeast(5000),
  startupHeadCheckMsAt1M: {
    text: '<= 5 x startupHeadCheckMsAt10k + 50',
    met: (v, figure) => v <= 5 * (figure('startupHeadCheckMsAt10k') ?? 0) + 50,
  },
  // Issue 12: reading a player's consent at decision time adds at most 10 µs to the p99 of an
  // authorization decision, measured beside the same decisions without it in the same run.
  consentAddedP99Micros: atMost(10),
  // Witness cosigning at least 1,000 checkpoints/s (the whole add-checkpoint path, durable).
  witnessCosignPerSec: atLeast(1000),
  // Issue 11: risk scoring under 1 ms per event at p99; ROC AUC at least 0.95 on the held-out split.
  riskScoreP99Micros: below(1000),
  riskHeldOutRocAuc: atLeast(0.95),
  // Issue 11: SD-JWT VC verification with key binding keeps at least a quarter of the bound set by
  // its two signature verifications (the raw rates of the same run).
  vcVerifyEdDSAVsRaw: atLeast(0.25),
  vcVerifyES256VsRaw: atLeast(0.25),
  // Issue 12: an access report of 10,000 lines verifies in the SDK in under a second (its proofs/s
  // and their hashes as a share of raw SHA-256 are printed beside it).
  reportVerifyMs: {
    text: '< 1000 with >= 10000 lines',
    met: (v, figure) => v < 1000 && (figure('reportLines') ?? 0) >= 10000,
  },
  // Issue 13: a tally of 10,000 votes recounted from the log with every proof in under a second.
  governanceTallyVerifyMs: {
    text: '< 1000 with >= 10000 votes',
    met: (v, figure) => v < 1000 && (figure('governanceVotes') ?? 0) >= 10000,
  },
};

/** Each figure that has a target, with whether this run met it. */
export function judge(figures: readonly Figure[]): { name: string; target: string; met: boolean }[] {
  const byName = new Map(figures.map((f) => [f.name, f.value]));
  return figures.flatMap((f) => {
    const t = TARGETS[f.name];
    return t === undefined ? [] : [{ name: f.name, target: t.text, met: t.met(f.value, (n) => byName.get(n)) }];
  });
}
