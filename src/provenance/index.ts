export type { LicenceTerms, ProvenanceManifest, ResolveOptions, VerifiedProvenance } from './manifest.ts';
export {
  contentOf,
  MAX_MANIFEST_BYTES,
  PROVENANCE_FORMAT,
  PROVENANCE_TYP,
  provenanceDigest,
  signProvenance,
  verifyManifest,
  verifyProvenance,
} from './manifest.ts';
export type { SealedProvenance } from './sealed.ts';
export { CreationProvenance, PROVENANCE_RECORD_TYPE } from './sealed.ts';
