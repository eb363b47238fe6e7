export type { CredentialAccess, CredentialRecord, CredentialType, IssueRequest } from './credentials.ts';
export { CREDENTIAL_KIND, CREDENTIAL_TYPES, Credentials, STATUS_LIST_KIND } from './credentials.ts';
export type { Disclosable, DisclosureFrame, IssueSdJwtOptions, JwsSigner, KeyBindingInput } from './issue.ts';
export { issueSdJwt, listDisclosures, presentSdJwt } from './issue.ts';
export type { JwsAlgorithm, PrivateCryptoKey, VerifiedJws } from './jws.ts';
export {
  algorithmOf,
  cryptoKeySigner,
  decodeJwsUnverified,
  JWS_ALGORITHMS,
  publicJwk,
  signJws,
  verifyJws,
} from './jws.ts';
export type { Disclosure, KeyBindingOptions, SdJwtParts, VerifiedSdJwt, VerifySdJwtOptions } from './sd-jwt.ts';
export { decodeSdJwtUnverified, MAX_SD_JWT_CHARS, splitSdJwt, verifySdJwt } from './sd-jwt.ts';
export { checkSdJwtVcClaims, isSdJwtVc, NEVER_DISCLOSABLE, SD_JWT_VC_TYP, SD_JWT_VC_TYPES } from './sd-jwt-vc.ts';
export type { StatusBits } from './status-list.ts';
export {
  checkStatus,
  STATUS,
  STATUS_LIST_TYP,
  StatusList,
  signStatusListToken,
  statusReference,
} from './status-list.ts';
export type { IssuerKey, TrustedIssuer } from './trust.ts';
export { keyByKid, TRUSTED_ISSUER_KIND, TrustList } from './trust.ts';
export type { PresentationPolicy, VerifiedPresentation } from './verifier.ts';
export { PresentationVerifier } from './verifier.ts';
