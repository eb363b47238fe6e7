import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessReports, accessReportToJsonLines } from '../src/reports/index.ts';
import { verifyAccessReport } from '../src/sdk/index.ts';
import { benchVerity, concurrent, type Figure, rawSha256PerSec } from './core.ts';

export async function benchReports(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-reports-'));
  const v = await benchVerity(dir, 'reports', { unknownTypes: 'generic' });
  try {
    const lines = 10_000;
    const access = { actor: 'service:world-1', purpose: 'service-provision' };
    // Other players' writes between hers, so the log is larger than her report (3 entries per line).
    const others = quick ? 0 : 2 * lines;
    await concurrent(lines + others, 256, (i) =>
      v.vault.put({ ...access, subject: i % 3 === 0 ? 'player-0' : `player-${i}`, type: 'avatar.state', data: { i } }),
    );
    const reports = new AccessReports(v.store, v.log, v.vault);
    const ref = await v.vault.subjectRef('player-0');
    const built0 = performance.now();
    const report = await reports.build(ref, { actor: 'operator:dpo', purpose: 'user-request' }, { limit: 50_000 });
    const buildMs = performance.now() - built0;
    const text = accessReportToJsonLines(report);
    const hashesPerLine = report.lines.reduce((s, l) => s + l.proof.length + 1, 0) / Math.max(1, report.lines.length);
    const raw = rawSha256PerSec(500);
    // The SDK's whole job on the text a client receives, best of three runs.
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      verifyAccessReport(text, { verifierKey: v.log.verifierKey });
      best = Math.min(best, performance.now() - t0);
    }
    const n = report.lines.length;
    const proofsPerSec = n / (best / 1000);
    return [
      { name: 'reportLines', value: n, unit: 'lines' },
      { name: 'reportBuildMs', value: buildMs, unit: 'ms' },
      { name: 'reportVerifyMs', value: best, unit: 'ms' },
      { name: 'reportProofsPerSec', value: proofsPerSec, unit: 'proofs/s' },
      { name: 'rawSha256HashesPerSec', value: raw, unit: 'hashes/s' },
      // Hashes the proofs take (leaf + path), as a share of what raw SHA-256 does in that time.
      { name: 'reportHashesVsRawSha256', value: (proofsPerSec * hashesPerLine) / raw, unit: 'ratio' },
    ];
  } finally {
    await v.close();
    await rm(dir, { recursive: true, force: true });
  }
}
