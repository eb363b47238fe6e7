// `npm run bench [-- --json] [-- --quick] [-- --mls-full]`: prints Verity's figures beside the machine's raw limits.
import { buildSdk, sdkBrowserSize } from '../scripts/build-sdk.ts';
import { benchAccess } from './access.ts';
import { benchBoot } from './boot.ts';
import { benchChain } from './chain.ts';
import { benchConsent } from './consent.ts';
import { benchCore, type Figure } from './core.ts';
import { benchDeid } from './deid.ts';
import { benchGovernance } from './governance.ts';
import { measureHttp } from './http.ts';
import { benchKeyProcess } from './keyproc.ts';
import { benchKeys } from './keys.ts';
import { benchMls } from './mls.ts';
import { benchPasskeys } from './passkeys.ts';
import { benchReports } from './reports.ts';
import { benchRisk } from './risk.ts';
import { benchState } from './state.ts';
import { judge } from './targets.ts';
import { benchTrustCenter } from './trust-center.ts';
import { benchVc } from './vc.ts';
import { benchWitness } from './witness.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');

const figures: Figure[] = [
  ...(await benchCore(quick)),
  ...(await benchKeys(quick)),
  ...benchAccess(quick),
  ...(await benchConsent(quick)),
  ...(await benchDeid(quick)),
  ...(await benchWitness(quick)),
  ...(await benchKeyProcess(quick)),
  ...(await benchPasskeys(quick)),
  ...benchRisk(quick),
  ...(await benchVc(quick)),
  ...(await benchReports(quick)),
  // In Chromium: skipped (with a note) where Debian's chromium is not installed.
  ...(await benchTrustCenter(quick)),
  ...(await benchGovernance(quick)),
  ...(await benchBoot(quick)),
  // Gas per contract operation beside OpenZeppelin's plain ERC-721; tx/s in process and on loopback.
  ...(await benchChain(quick)),
  // Issue 16: MLS rooms of 500 members (100 with --quick); --mls-full adds growth from 100 to 1,000.
  ...(await benchMls(quick, process.argv.includes('--mls-full'))),
];
{
  // HTTP on SQLite, then the same load on PostgreSQL, in the same run.
  const r = await measureHttp(quick);
  const p = await measureHttp(quick, process.env['VERITY_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test');
  figures.push(
    { name: 'httpWritesPerSec', value: r.writes.perSec, unit: 'writes/s' },
    { name: 'httpWriteP50Ms', value: r.writes.p50Ms, unit: 'ms' },
    { name: 'httpWriteP99Ms', value: r.writes.p99Ms, unit: 'ms' },
    { name: 'httpReadsPerSec', value: r.reads.perSec, unit: 'reads/s' },
    { name: 'httpReadP50Ms', value: r.reads.p50Ms, unit: 'ms' },
    { name: 'httpReadP99Ms', value: r.reads.p99Ms, unit: 'ms' },
    { name: 'httpPgWritesPerSec', value: p.writes.perSec, unit: 'writes/s' },
    { name: 'httpPgWriteP99Ms', value: p.writes.p99Ms, unit: 'ms' },
    { name: 'httpPgReadsPerSec', value: p.reads.perSec, unit: 'reads/s' },
    { name: 'httpPgWritesVsSqlite', value: p.writes.perSec / r.writes.perSec, unit: 'ratio' },
  );
}
{
  // What a browser-based world's client ships for the SDK package (packages/sdk).
  await buildSdk();
  const size = await sdkBrowserSize();
  figures.push(
    { name: 'sdkBrowserMinifiedBytes', value: size.minified, unit: 'bytes' },
    { name: 'sdkBrowserGzipBytes', value: size.gzipped, unit: 'bytes' },
  );
}
// Last: the state map's growth to a million keys leaves the heap large for whatever ran after it.
figures.push(...(await benchState(quick)));
const verdicts = judge(figures);
const missed = verdicts.filter((v) => !v.met).map((v) => v.name);
if (json) {
  const out: Record<string, number | string> = {};
  for (const f of figures) out[f.name] = Math.round(f.value * 1000) / 1000;
  out['machine'] = `${(await import('node:os')).cpus().length} cores, node ${process.version}`;
  const targets: Record<string, { target: string; met: boolean }> = {};
  for (const v of verdicts) targets[v.name] = { target: v.target, met: v.met };
  process.stdout.write(`${JSON.stringify({ ...out, targets, missed })}\n`);
} else {
  const w = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const value =
      f.unit === 'ratio' || f.unit === 'ms' || f.unit === 'MB/s'
        ? f.value.toFixed(3)
        : Math.round(f.value).toLocaleString('en-US');
    const v = verdicts.find((x) => x.name === f.name);
    const target = v === undefined ? '' : `   target ${v.target}: ${v.met ? 'met' : 'MISSED'}`;
    process.stdout.write(`${f.name.padEnd(w)}  ${value.padStart(12)} ${f.unit}${target}\n`);
  }
  process.stdout.write(
    missed.length === 0
      ? `all ${verdicts.length} targets met\n`
      : `MISSED ${missed.length} of ${verdicts.length} targets: ${missed.join(', ')}\n`,
  );
}
