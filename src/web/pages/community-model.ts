// What the governance pages of the Trust Center read (FGMV-46 7.4.3, 7.4.5): the governance
// document, proposals and the policy in force as the API answers them, and two helpers of their
// display (a duration in words, what a proposed policy changes).
export interface Role {
  description: string;
  rights: string[];
}
export interface GovernanceDoc {
  version: string;
  hash: string;
  roles: Record<string, Role>;
  votingPeriodMs: number;
  quorum: number;
  majority: number;
  timelockMs: number;
  changes: string[];
}
export interface Proposal {
  id: string;
  title: string;
  rationale: string;
  change: { kind: string; version: string; hash: string; document?: PolicyDoc };
  proposedAs: string;
  governance: { version: string; hash: string };
  status: 'open' | 'adopted' | 'rejected' | 'cancelled' | 'enacted';
  createdAt: number;
  closesAt: number;
  quorum: number;
  majority: number;
  timelockMs: number;
  tally: { yes: number; no: number; abstain: number; votesHash: string; logIndex: number } | null;
  enactAfter: number | null;
  cancelled: { at: number; reason: string } | null;
  enacted: { at: number; policyLogIndex: number } | null;
  logIndices: number[];
}
export interface PolicyDoc {
  version: string;
  purposes?: Record<string, unknown>;
  categories?: Record<string, unknown>;
  [k: string]: unknown;
}
export interface InForce {
  version: string;
  hash: string;
  document: PolicyDoc;
  logIndex: number | null;
  enactedBy: string | null;
}

export const TONE: Record<Proposal['status'], string> = {
  open: '',
  adopted: 'given',
  enacted: 'given',
  rejected: 'withdrawn',
  cancelled: 'withdrawn',
};

/** A duration in words: "2 days", "3 h 5 min". */
export function span(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  const parts = [d > 0 ? `${d} day${d === 1 ? '' : 's'}` : '', h > 0 ? `${h} h` : '', min > 0 ? `${min} min` : ''];
  return parts.filter((p) => p !== '').join(' ') || 'less than a minute';
}
/** What a proposed policy changes against the one in force: purposes and categories added, removed, changed. */
export function policyDiff(from: PolicyDoc, to: PolicyDoc): { what: string; change: string }[] {
  const out: { what: string; change: string }[] = [];
  const keyed = (label: string, a: Record<string, unknown> = {}, b: Record<string, unknown> = {}) => {
    for (const k of Object.keys(b).sort())
      if (!(k in a)) out.push({ what: `${label} ${k}`, change: 'added' });
      else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push({ what: `${label} ${k}`, change: 'changed' });
    for (const k of Object.keys(a).sort()) if (!(k in b)) out.push({ what: `${label} ${k}`, change: 'removed' });
  };
  keyed('purpose', from.purposes, to.purposes);
  keyed('data category', from.categories, to.categories);
  const rest = (d: PolicyDoc) => {
    const { purposes: _p, categories: _c, version: _v, ...r } = d;
    return r as Record<string, unknown>;
  };
  keyed('section', rest(from), rest(to));
  return out;
}
