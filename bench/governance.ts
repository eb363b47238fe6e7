import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { Governance, governanceDocument, verifyTally } from '../src/governance/index.ts';
import { assess } from '../src/oscal/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { benchVerity, concurrent, type Figure, rawSha256PerSec } from './core.ts';

export async function benchGovernance(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-governance-'));
  const clock = fixedClock(Date.now());
  const v = await benchVerity(dir, 'governance', { clock });
  try {
    const privacy = await Privacy.open({
      store: v.store,
      log: v.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
      clock,
    });
    const g = new Governance({
      store: v.store,
      log: v.log,
      keys: v.keys,
      privacy,
      clock,
      document: governanceDocument({ votingPeriodMs: 3_600_000, timelockMs: 0, quorum: 1 }),
    });
    const operator = { actor: 'operator:bench', role: 'operator' as const };
    const p = await g.propose(
      { title: 'bench', rationale: 'bench', policy: { ...DEFAULT_PRIVACY_POLICY, version: '9.9.9' } },
      operator,
    );
    const votes = quick ? 1_000 : 10_000;
    const refs: string[] = [];
    for (let i = 0; i < votes; i++) refs.push(await v.vault.subjectRef(`voter-${i}`));
    // The raw limit of the same machine and store: group-committed log appends of one audit entry each.
    const rawAppends = await concurrent(votes, 256, (i) =>
      v.log.submit((_tx, batch) =>
        batch.add(
          encodeAuditEntry({
            actor: 'player:bench',
            action: 'governance.feedback',
            resource: `governance-feedback:raw-${i}`,
            purpose: 'governance',
            outcome: 'success',
            time: clock.now(),
          }),
        ),
      ),
    );
    const votesPerSec = await concurrent(votes, 256, (i) =>
      g.vote(
        p.id,
        i % 4 === 0 ? 'no' : 'yes',
        { kind: 'session', subjectRef: refs[i] as string, method: 'passkey', actor: 'player:bench' },
        'player:bench',
      ),
    );
    clock.advance(3_600_000);
    const t0 = performance.now();
    await g.close(p.id, operator);
    const tallyMs = performance.now() - t0;
    const t1 = performance.now();
    const ev = await g.evidence(p.id);
    const evidenceMs = performance.now() - t1;
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      verifyTally(ev, v.log.verifierKey);
      best = Math.min(best, performance.now() - t);
    }
    const raw = rawSha256PerSec(500);
    const hashes = [ev.proposed, ...ev.votes, ev.tally].reduce((s, e) => s + e.proof.length + 1, 0);
    const t2 = performance.now();
    await assess(
      { store: v.store, log: v.log, keys: v.keys, clock, privacy, governance: g },
      { actor: 'auditor:bench' },
    );
    const oscalMs = performance.now() - t2;
    return [
      { name: 'governanceVotes', value: votes, unit: 'votes' },
      { name: 'governanceVotesPerSec', value: votesPerSec, unit: 'votes/s' },
      { name: 'rawLogAppendsPerSec', value: rawAppends, unit: 'appends/s' },
      { name: 'governanceVotesVsRawAppends', value: votesPerSec / rawAppends, unit: 'ratio' },
      { name: 'governanceTallyMs', value: tallyMs, unit: 'ms' },
      { name: 'governanceEvidenceMs', value: evidenceMs, unit: 'ms' },
      { name: 'governanceTallyVerifyMs', value: best, unit: 'ms' },
      // Hashes the recount takes (leaves and proof paths) as a share of raw SHA-256 in that time.
      { name: 'governanceVerifyHashesVsRawSha256', value: hashes / (best / 1000) / raw, unit: 'ratio' },
      { name: 'oscalAssessmentMs', value: oscalMs, unit: 'ms' },
    ];
  } finally {
    await v.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// Run on its own: `sh scripts/node.sh bench/governance.ts [--quick]`.
if (import.meta.main) {
  for (const f of await benchGovernance(process.argv.includes('--quick')))
    process.stdout.write(`${f.name.padEnd(36)} ${f.value.toFixed(3).padStart(14)} ${f.unit}\n`);
}
