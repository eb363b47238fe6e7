export type { AttesterOptions } from './attester.ts';
export { Attester } from './attester.ts';
export type { AttestationAnswer, Evidence, VerifyAttestationOptions } from './evidence.ts';
export {
  ATTESTATION_FORMAT,
  ATTESTATION_KEY,
  attestationMessage,
  DEFAULT_MAX_AGE_MS,
  newNonce,
  parseAttestationAnswer,
  replayEvents,
  verifyAttestation,
} from './evidence.ts';
