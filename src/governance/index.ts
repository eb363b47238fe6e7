export type { Choice, ProvenEntry, TallyEvidence, TallyInspection, VerifiedTally } from '../tally/index.ts';
export { CHOICES, inspectTally, MAX_TALLY_VOTES, verifyTally, votesHash } from '../tally/index.ts';
export type { GovernanceDocument, Right, Role } from './document.ts';
export { DEFAULT_GOVERNANCE, governanceDocument, governanceHash, RIGHTS, ROLES, rolesWith } from './document.ts';
export { Governance } from './governance.ts';
export type { Feedback, GovernanceAccess, Proposal, ProposalStatus, VoterProof } from './model.ts';
export { CHANGE_KIND, FEEDBACK_KIND, PROPOSAL_KIND, VOTE_KIND, VOTER_KEY, voteNonce } from './model.ts';
