// A tally anyone can recount (FGMV-46 7.4.5: results published with proofs). The evidence is the
// proposal's entry, every vote's entry and the tally's entry, each with its RFC 9162 inclusion
// proof against one signed checkpoint. `verifyTally` checks the checkpoint's signature, every
// proof, that each vote is about this proposal, cast before voting closed, by a voter pseudonym
// seen once, and that the recount equals the published counts and the hash of the set of votes.
// It reads no store and no server-side module, so the SDK ships it to browsers: an auditor or a
// player runs it on what `GET /v1/governance/proposals/{id}/tally` served.

import { type AuditEntry, decodeAuditEntry } from '../audit/index.ts';
import { canonicalJson, fromBase64, toBase64Url, utf8 } from '../encoding/index.ts';
import { GovernanceError, isVerityError } from '../errors/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import { parseVerifierKey, verifyCheckpoint } from '../note/index.ts';
import { sha256 } from '../platform/index.ts';

/** The choices of a vote. */
export const CHOICES = ['yes', 'no', 'abstain'] as const;
export type Choice = (typeof CHOICES)[number];

/** One log entry with its inclusion proof in the evidence's checkpoint. */
export interface ProvenEntry {
  readonly index: number;
  /** The entry's bytes, standard base64. */
  readonly entry: string;
  /** The audit path, standard base64 hashes. */
  readonly proof: readonly string[];
}

/** What a tally's verifier is given. */
export interface TallyEvidence {
  readonly proposal: string;
  /** The signed checkpoint every proof leads to. */
  readonly checkpoint: string;
  readonly proposed: ProvenEntry;
  readonly votes: readonly ProvenEntry[];
  readonly tally: ProvenEntry;
}

/** The recount. */
export interface VerifiedTally {
  readonly proposal: string;
  readonly yes: number;
  readonly no: number;
  readonly abstain: number;
  readonly outcome: 'adopted' | 'rejected';
  readonly treeSize: number;
}

/** Most votes one evidence document carries (a larger vote pages its evidence: not built). */
export const MAX_TALLY_VOTES = 1_000_000;

/** The hash a tally commits to: SHA-256 over the RFC 8785 form of the sorted vote log indices. */
export function votesHash(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  return `sha256:${toBase64Url(sha256(utf8(canonicalJson(sorted))))}`;
}

function bad(what: string): GovernanceError {
  return new GovernanceError('VERITY_E_GOVERNANCE_TALLY_INVALID', `the tally does not verify: ${what}`);
}

/**
 * Verifies a tally's evidence against the log's verifier key (`verity log key`). Throws
 * VERITY_E_GOVERNANCE_TALLY_INVALID naming the first fault.
 */
export function verifyTally(ev: TallyEvidence, verifierKey: string): VerifiedTally {
  // INVARIANT: everything in `ev` is attacker-controlled until its proof has been checked.
  if (typeof ev !== 'object' || ev === null || !Array.isArray(ev.votes)) throw bad('malformed evidence');
  if (ev.votes.length > MAX_TALLY_VOTES) throw bad(`more than ${MAX_TALLY_VOTES} votes`);
  let size: number;
  let root: Uint8Array;
  try {
    const { checkpoint } = verifyCheckpoint(String(ev.checkpoint), parseVerifierKey(verifierKey));
    size = checkpoint.size;
    root = checkpoint.rootHash;
  } catch (e) {
    // Attacker-controlled input: whatever fails in it (a RangeError from the Merkle checks
    // included) makes the evidence invalid, under one code.
    throw bad(`the checkpoint: ${e instanceof Error ? e.message : String(e)}`);
  }
  const open = (p: ProvenEntry, what: string): AuditEntry => {
    if (typeof p !== 'object' || p === null) throw bad(`${what} is missing`);
    try {
      if (!Number.isSafeInteger(p.index) || !Array.isArray(p.proof) || p.proof.length > 64)
        throw bad(`${what} is malformed`);
      const bytes = fromBase64(String(p.entry), what);
      const path = p.proof.map((h) => fromBase64(String(h), 'a proof hash'));
      verifyInclusion(hashLeaf(bytes), p.index, size, path, root);
      return decodeAuditEntry(bytes);
    } catch (e) {
      if (isVerityError(e, 'VERITY_E_GOVERNANCE_TALLY_INVALID')) throw e;
      throw bad(`${what} at ${String(p.index).slice(0, 24)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const resource = `governance-proposal:${ev.proposal}`;
  const proposed = open(ev.proposed, 'the proposal entry');
  if (proposed.action !== 'governance.propose' || proposed.resource !== resource)
    throw bad('the proposal entry is not this proposal’s');
  const closesAt = proposed.details?.['closesAt'];
  if (typeof closesAt !== 'number') throw bad('the proposal entry names no closing time');
  const seen = new Set<string>();
  const counts = { yes: 0, no: 0, abstain: 0 };
  const indices: number[] = [];
  for (const v of ev.votes) {
    const e = open(v, 'a vote');
    if (e.action !== 'governance.vote' || e.resource !== resource) throw bad(`entry ${v.index} is not a vote on it`);
    if (e.time >= closesAt) throw bad(`the vote at ${v.index} was cast after voting closed`);
    const voter = e.details?.['voter'];
    const choice = e.details?.['choice'];
    if (typeof voter !== 'string' || seen.has(voter)) throw bad(`voter of the vote at ${v.index} is missing or twice`);
    if (typeof choice !== 'string' || !(CHOICES as readonly string[]).includes(choice))
      throw bad(`the vote at ${v.index} has no valid choice`);
    seen.add(voter);
    counts[choice as Choice]++;
    indices.push(v.index);
  }
  const t = open(ev.tally, 'the tally entry');
  if (t.action !== 'governance.tally' || t.resource !== resource) throw bad('the tally entry is not this proposal’s');
  const d = t.details ?? {};
  if (d['yes'] !== counts.yes || d['no'] !== counts.no || d['abstain'] !== counts.abstain)
    throw bad(
      `the recount (${counts.yes} yes, ${counts.no} no, ${counts.abstain} abstain) differs from the published tally`,
    );
  if (t.contentHash !== votesHash(indices)) throw bad('the set of votes differs from the one the tally commits to');
  if (t.time < closesAt) throw bad('the tally was made before voting closed');
  const outcome = d['outcome'];
  if (outcome !== 'adopted' && outcome !== 'rejected') throw bad('the tally names no outcome');
  return { proposal: ev.proposal, ...counts, outcome, treeSize: size };
}

/** Each entry of a tally's evidence checked on its own, for a reader who wants to see which one failed. */
export interface TallyInspection {
  /** The checkpoint's signature with the verifier key. */
  readonly checkpoint: { readonly ok: boolean; readonly size?: number; readonly error?: string };
  readonly entries: readonly {
    readonly index: number;
    readonly role: 'proposal' | 'vote' | 'tally';
    /** Proven included in the checkpoint and decoded as an audit entry. */
    readonly ok: boolean;
    readonly error?: string;
    readonly entry?: AuditEntry;
  }[];
  /** The recount, when the whole evidence verifies (`verifyTally`). */
  readonly result?: VerifiedTally;
  /** Why the whole evidence does not verify (the first fault `verifyTally` names). */
  readonly error?: string;
}

/**
 * Checks a tally's evidence entry by entry (each inclusion proof, each entry decoded) and then as a
 * whole with `verifyTally`; never throws on what the evidence holds. A page shows each vote's mark
 * from it, and calls the tally verified only when `result` is set.
 */
export function inspectTally(ev: TallyEvidence, verifierKey: string): TallyInspection {
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  if (typeof ev !== 'object' || ev === null || !Array.isArray(ev.votes) || ev.votes.length > MAX_TALLY_VOTES)
    return { checkpoint: { ok: false, error: 'malformed evidence' }, entries: [], error: 'malformed evidence' };
  let cp: { size: number; rootHash: Uint8Array } | undefined;
  let checkpoint: TallyInspection['checkpoint'];
  try {
    cp = verifyCheckpoint(String(ev.checkpoint), parseVerifierKey(verifierKey)).checkpoint;
    checkpoint = { ok: true, size: cp.size };
  } catch (e) {
    checkpoint = { ok: false, error: message(e) };
  }
  const one = (p: ProvenEntry | undefined, role: 'proposal' | 'vote' | 'tally') => {
    const index = typeof p?.index === 'number' ? p.index : -1;
    try {
      if (p === undefined || !Number.isSafeInteger(p.index) || !Array.isArray(p.proof) || p.proof.length > 64)
        throw new Error('the entry is malformed');
      const bytes = fromBase64(String(p.entry), 'the entry');
      if (cp === undefined) throw new Error('the checkpoint does not verify');
      verifyInclusion(
        hashLeaf(bytes),
        p.index,
        cp.size,
        p.proof.map((h) => fromBase64(String(h), 'a proof hash')),
        cp.rootHash,
      );
      return { index, role, ok: true, entry: decodeAuditEntry(bytes) };
    } catch (e) {
      return { index, role, ok: false, error: message(e) };
    }
  };
  const entries = [one(ev.proposed, 'proposal'), ...ev.votes.map((v) => one(v, 'vote')), one(ev.tally, 'tally')];
  try {
    return { checkpoint, entries, result: verifyTally(ev, verifierKey) };
  } catch (e) {
    return { checkpoint, entries, error: message(e) };
  }
}
