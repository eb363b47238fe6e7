export type { DidWebIdentity, DidWebKey, IdentityAccess } from './identities.ts';
export { DID_WEB_KIND, DidWebIdentities } from './identities.ts';
export type { DidDocument, VerificationMethod } from './key.ts';
export { DID_CONTEXT, didKeyDocument, didKeyFromJwk, jwkFromDidKey } from './key.ts';
export type { DidFetch } from './web.ts';
export { didWebDocument, didWebFor, didWebUrl, parseDidWeb, resolveDid, verificationKey } from './web.ts';
