export { DEFAULT_PRIVACY_POLICY } from './default-policy.ts';
export type {
  Category,
  ConsentMode,
  LegalBasis,
  PrivacyPolicyDocument,
  Purpose,
  Regime,
} from './policy.ts';
export { PrivacyPolicy } from './policy.ts';
export type { ConsentAnswer, ConsentInput, InstalledPolicy, PrivacyAccess } from './privacy.ts';
export { Privacy } from './privacy.ts';
export type { ConsentProofs, ProvenChange, ProvenObject, VerifiedConsent } from './proof.ts';
export { verifyConsentProofs } from './proof.ts';
export { proveConsents } from './prove.ts';
export type { ConsentChange, ConsentHistoryItem, ConsentRecord, ConsentStatus } from './records.ts';
export { CONSENT_STATUSES, METHOD_RE, REGION_RE } from './records.ts';
export { POLICY_FORMAT, POLICY_SCHEMA } from './schema.ts';
