// What community governance is made of: the kinds of its state objects, proposals, feedback,
// voter proofs, and the checks of their fields (see governance.ts).

import { canonicalJson, toBase64Url, utf8 } from '../encoding/index.ts';
import { GovernanceError, InputError, quote, StoreError } from '../errors/index.ts';
import { sha256 } from '../platform/index.ts';
import type { Role } from './document.ts';

export const PROPOSAL_KIND = 'governance.proposal';
export const VOTE_KIND = 'governance.vote';
/** One per proposal and holder key that voted with a credential (D435): `PROPOSAL/PSEUDONYM`. */
export const HOLDER_KIND = 'governance.holder';
export const FEEDBACK_KIND = 'governance.feedback';
/** The document a proposal would enact, kept apart so that votes read a small proposal. */
export const CHANGE_KIND = 'governance.change';
/** The KeyStore MAC key voter pseudonyms are derived under. */
export const VOTER_KEY = 'governance-voter';
export const PURPOSE = 'governance';
const PROPOSAL_RE = /^gp_[A-Za-z0-9_-]{22}$/;
export const PAGE = 1000;

export type ProposalStatus = 'open' | 'adopted' | 'rejected' | 'cancelled' | 'enacted';

/** A proposal and where it stands. */
export interface Proposal {
  readonly id: string;
  readonly title: string;
  readonly rationale: string;
  /** What it changes: a new privacy policy version (the document itself: `change(id)`). */
  readonly change: {
    readonly kind: 'privacy-policy';
    readonly version: string;
    readonly hash: string;
  };
  /** The role it was proposed in. */
  readonly proposedAs: Role;
  /** The governance document it is decided under. */
  readonly governance: { readonly version: string; readonly hash: string };
  readonly status: ProposalStatus;
  readonly createdAt: number;
  readonly closesAt: number;
  readonly quorum: number;
  readonly majority: number;
  readonly timelockMs: number;
  readonly tally: {
    readonly yes: number;
    readonly no: number;
    readonly abstain: number;
    readonly votesHash: string;
    readonly logIndex: number;
  } | null;
  /** Adopted: when the timelock ends and it may be enacted. */
  readonly enactAfter: number | null;
  readonly cancelled: { readonly at: number; readonly reason: string } | null;
  readonly enacted: { readonly at: number; readonly policyLogIndex: number } | null;
  /** Log index of each step: proposed first. */
  readonly logIndices: readonly number[];
  readonly updatedAt: number;
}

/** A feedback entry on the data policies. */
export interface Feedback {
  readonly id: string;
  readonly role: Role;
  /** What it is about: `general`, a purpose or data category of the policy, or `proposal:ID`. */
  readonly topic: string;
  /** The privacy policy version in force when it was given. */
  readonly policyVersion: string;
  readonly text: string;
  readonly at: number;
  readonly logIndex: number;
}

/** Who acts, in which stakeholder role. */
export interface GovernanceAccess {
  readonly actor: string;
  readonly role: Role;
}

/** How a voter proves to be one verified person. */
export type VoterProof =
  /** A player's session: it counts only when the session was signed in with a passkey. */
  | { readonly kind: 'session'; readonly subjectRef: string; readonly method: string; readonly actor: string }
  /** A membership SD-JWT VC presentation, key bound with the nonce `voteNonce(proposal, choice)`. */
  | { readonly kind: 'credential'; readonly presentation: string };

/** The nonce a membership presentation's key binding must carry: it binds the choice. */
export function voteNonce(proposal: string, choice: string): string {
  return `governance-vote:${proposal}:${choice}`;
}

export function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} must be 1 to ${max} characters of text`);
  return v;
}

export function checkProposalId(id: unknown): string {
  if (typeof id !== 'string' || !PROPOSAL_RE.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `proposal id ${quote(id)} must look like gp_ and 22 characters`);
  return id;
}

export function isConflict(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'VERITY_E_STORE_CONFLICT';
}

/** A salted commitment to free text: the log fixes the text without showing it. */
export function commitment(t: string, salt: Uint8Array): string {
  return `sha256:${toBase64Url(sha256(utf8(canonicalJson({ salt: toBase64Url(salt), text: t }))))}`;
}

/** Refuses a vote on a proposal that is not open at `now`. */
export function checkVotingOpen(p: Proposal, now: number): void {
  if (p.status !== 'open' || now >= p.closesAt)
    throw new GovernanceError(
      'VERITY_E_GOVERNANCE_STATE',
      `voting on proposal ${p.id} is closed (${p.status}, closing time ${new Date(p.closesAt).toISOString()})`,
    );
}
