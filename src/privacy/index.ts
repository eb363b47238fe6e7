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
export type { ConsentAnswer, ConsentInput, PrivacyAccess } from './privacy.ts';
export { Privacy } from './privacy.ts';
export { proveConsents } from './prove.ts';
export { POLICY_FORMAT, POLICY_SCHEMA } from './schema.ts';
export type { InstalledPolicy } from './versions.ts';
