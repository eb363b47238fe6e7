export type {
  Disclosable,
  Disclosure,
  DisclosureFrame,
  IssueSdJwtOptions,
  JwsAlgorithm,
  JwsSigner,
  KeyBindingInput,
  KeyBindingOptions,
  PrivateCryptoKey,
  SdJwtParts,
  StatusBits,
  VerifiedJws,
  VerifiedSdJwt,
  VerifySdJwtOptions,
} from '../sdjwt/index.ts';
export {
  algorithmOf,
  checkSdJwtVcClaims,
  checkStatus,
  cryptoKeySigner,
  decodeJwsUnverified,
  decodeSdJwtUnverified,
  isSdJwtVc,
  issueSdJwt,
  JWS_ALGORITHMS,
  listDisclosures,
  MAX_SD_JWT_CHARS,
  NEVER_DISCLOSABLE,
  presentSdJwt,
  publicJwk,
  SD_JWT_VC_TYP,
  SD_JWT_VC_TYPES,
  STATUS,
  STATUS_LIST_TYP,
  StatusList,
  signJws,
  signStatusListToken,
  splitSdJwt,
  statusReference,
  verifyJws,
  verifySdJwt,
} from '../sdjwt/index.ts';
export type { CredentialAccess, CredentialRecord, CredentialType, IssueRequest } from './credentials.ts';
export { CREDENTIAL_KIND, CREDENTIAL_TYPES, Credentials, STATUS_ENTRY_KIND, STATUS_LIST_KIND } from './credentials.ts';
export type { IssuerKey, TrustedIssuer } from './trust.ts';
export { keyByKid, TRUSTED_ISSUER_KIND, TrustList } from './trust.ts';
export type { PresentationPolicy, VerifiedPresentation } from './verifier.ts';
export { PresentationVerifier } from './verifier.ts';
