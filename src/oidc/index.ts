export type { IssuerConfig, IssuerInput, JwkSet, PublicJwk, SigningAlgorithm } from './config.ts';
export {
  checkIssuerName,
  checkJwks,
  ISSUER_KIND,
  issuerConfig,
  JWKS_KIND,
  MAX_JWKS_BYTES,
  parseJwks,
  SUPPORTED_ALGORITHMS,
} from './config.ts';
export type { IssuerAccess, IssuerInfo, IssuerKeys } from './issuers.ts';
export { Issuers } from './issuers.ts';
export type { FetchLike } from './jwks.ts';
export { fetchJwks } from './jwks.ts';
export { NONCE_KIND, NONCE_TTL_S, Nonces } from './nonces.ts';
export type { OidcSession } from './signin.ts';
export { OidcSignIn, playerIdOf } from './signin.ts';
export type { KeyResolver, RefusalReason, VerifiedIdToken } from './verify.ts';
export { decodeIdTokenUnverified, IdTokenError, MAX_ID_TOKEN_LENGTH, validateIdToken } from './verify.ts';
