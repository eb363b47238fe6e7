// Consent records (ISO/IEC TS 27560) and their evidence as clients check it: what a consent and a
// change of it are, and `verifyConsentProofs`. No store and no policy here, so the SDK can take it
// into a browser; src/privacy records and proves consents on the server.
export type { ConsentProofs, ProvenChange, ProvenObject, VerifiedConsent } from './proof.ts';
export { objectStateValue, verifyConsentAnswer, verifyConsentProofs } from './proof.ts';
export type { ConsentChange, ConsentHistoryItem, ConsentRecord, ConsentStatus } from './records.ts';
export {
  CONSENT_KIND,
  CONSENT_STATUSES,
  changeCommitment,
  checkHistoryItem,
  checkRecord,
  consentObjectId,
  HISTORY_KIND,
  historyObjectId,
  METHOD_RE,
  POLICY_KIND,
  REGION_RE,
  SUBJECT_KIND,
} from './records.ts';
