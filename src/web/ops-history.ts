// The operators' history of retention runs and key rotations, verified here: the checkpoint's
// signature (and witnesses' cosignatures) once, every entry's inclusion proof against it, and the
// checkpoint proven consistent with the one this browser pinned. Each entry keeps its own result.
import { type InspectedEntries, inspectProvenEntries } from '../sdk/index.ts';
import { api, type Consistency, checkWith, consistency, trust } from './api.ts';

export type OpsKind = 'retention' | 'rotation';

export interface OpsHistory {
  readonly inspected: InspectedEntries;
  readonly consistent: Consistency;
  /** Newer entries the checkpoint does not cover yet. */
  readonly pending: number;
  /** The cursor of the next (older) page, if any. */
  readonly next: number | null;
}

/** Entries per page (the server's limit is 100). */
const LIMIT = 20;

export async function loadOpsHistory(kind: OpsKind, before?: number): Promise<OpsHistory> {
  const t = await trust();
  const raw = await api<{ pending?: unknown; next?: unknown }>(
    'GET',
    `/v1/trust/operations/history?kind=${kind}&limit=${LIMIT}${before === undefined ? '' : `&before=${before}`}`,
  );
  const inspected = inspectProvenEntries(raw, checkWith(t));
  const consistent = await consistency(t, String((raw as { checkpoint?: unknown }).checkpoint));
  return {
    inspected,
    consistent,
    pending: typeof raw.pending === 'number' ? raw.pending : 0,
    next: typeof raw.next === 'number' ? raw.next : null,
  };
}
