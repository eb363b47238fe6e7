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
