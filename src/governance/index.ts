export type { GovernanceDocument, Right, Role } from './document.ts';
export { DEFAULT_GOVERNANCE, governanceDocument, governanceHash, RIGHTS, ROLES, rolesWith } from './document.ts';
export type { Feedback, GovernanceAccess, Proposal, ProposalStatus, VoterProof } from './governance.ts';
export {
  CHANGE_KIND,
  FEEDBACK_KIND,
  Governance,
  PROPOSAL_KIND,
  VOTE_KIND,
  VOTER_KEY,
  voteNonce,
} from './governance.ts';
export type { Choice, ProvenEntry, TallyEvidence, VerifiedTally } from './tally.ts';
export { CHOICES, MAX_TALLY_VOTES, verifyTally, votesHash } from './tally.ts';
