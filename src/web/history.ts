// The player's access history, verified here: one request for the whole report, the checkpoint's
// signature (and witnesses' cosignatures) checked once, then every line's inclusion proof against
// it (hashes shared between neighbouring lines are decoded once), and the checkpoint proven
// consistent with the one this browser pinned. Each line keeps its own result.
import { type InspectedAccessReport, inspectAccessReport } from '../sdk/index.ts';
import { api, type Consistency, checkWith, consistency, trust } from './api.ts';

export interface History {
  readonly report: InspectedAccessReport;
  /** The report's checkpoint extends (or is) the one this browser pinned before. */
  readonly consistent: Consistency;
  readonly fetchMs: number;
  readonly verifyMs: number;
  readonly cosigned: number;
}

/** Most lines read at once (the server's page limit). */
const LIMIT = 50_000;

export async function loadHistory(): Promise<History> {
  const t = await trust();
  const t0 = performance.now();
  const raw = await api<unknown>('GET', `/v1/reports/access?purpose=user-request&limit=${LIMIT}`);
  const t1 = performance.now();
  const report = inspectAccessReport(raw, checkWith(t));
  const consistent = await consistency(t, report.header.checkpoint);
  const t2 = performance.now();
  return {
    report,
    consistent,
    fetchMs: t1 - t0,
    verifyMs: t2 - t1,
    cosigned: report.cosignatures?.length ?? 0,
  };
}
