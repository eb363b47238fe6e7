export type { Choice, ProvenEntry, TallyEvidence, TallyInspection, VerifiedTally } from './tally.ts';
export { CHOICES, inspectTally, MAX_TALLY_VOTES, verifyTally, votesHash } from './tally.ts';
