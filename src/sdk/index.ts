export type { AttestationAnswer, Evidence, VerifyAttestationOptions } from '../attestation/index.ts';
export { newNonce, verifyAttestation } from '../attestation/index.ts';
export type { AppraisalTarget, Appraiser, AttestOptions } from './attestation.ts';
export { attest, pinnedAttestation } from './attestation.ts';
export type { CheckpointStore, KeyValueStorage } from './checkpoints.ts';
export { webStorageCheckpoints } from './checkpoints.ts';
export type { VerityClientOptions } from './client.ts';
export { VerityClient } from './client.ts';
export { ConsentClient } from './consent.ts';
export { CredentialsClient, createPresentation, disclosable } from './credentials.ts';
export type { InspectedEntries, InspectedEntry } from './entries.ts';
export { inspectProvenEntries } from './entries.ts';
export type { Choice, ProvenEntry, TallyEvidence, TallyInspection, VerifiedTally } from './governance.ts';
export { CHOICES, inspectTally, verifyTally, votesHash } from './governance.ts';
export type { SignedIn } from './identity.ts';
export { IdentityClient } from './identity.ts';
export { IncidentClient, type IncidentInput, type IncidentNotification } from './incidents.ts';
export type { VerifiedRecord } from './records.ts';
export type {
  InspectedAccessReport,
  InspectedLine,
  VerifiedAccessReport,
  VerifyAccessReportOptions,
} from './reports.ts';
export { inspectAccessReport, parseAccessReport, verifyAccessReport } from './reports.ts';
export type { TrustAttribute, TrustEvidence, TrustFinding, TrustStatus } from './trust.ts';
export { TRUST_ATTRIBUTES, trustReport, verifyProvenance } from './trust.ts';
