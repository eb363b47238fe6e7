// Recounting a governance tally where its reader is (FGMV-46 7.4.5: results published with
// proofs): the portable verifier of src/tally, so a browser or a world's client checks a tally's
// evidence against the log key it pinned, without trusting the server that served it.
export type { Choice, ProvenEntry, TallyEvidence, TallyInspection, VerifiedTally } from '../tally/index.ts';
export { CHOICES, inspectTally, verifyTally, votesHash } from '../tally/index.ts';
