export type { Classification, Provenance, ProvenanceSignature, RecordMeta, Sensitivity } from './model.ts';
export { TRANSITIONS } from './model.ts';
export { GENERIC_SCHEMA_ID } from './schemas.ts';
export type { Access, PutInput, PutResult, ReadResult, RecordProof, VaultLimits, VaultOptions } from './vault.ts';
export { DEFAULT_VAULT_LIMITS, SUBJECT_INDEX_KEY, Vault } from './vault.ts';
