export type { Access, VaultLimits, VaultOptions } from './context.ts';
export { auditEntry, DEFAULT_VAULT_LIMITS } from './context.ts';
export { SUBJECT_INDEX_KEY } from './keyring.ts';
export type { Classification, Provenance, ProvenanceSignature, RecordMeta, Sensitivity } from './model.ts';
export { TRANSITIONS } from './model.ts';
export type { ListDecision, ReadResult, RecordFacts, RecordProof } from './read.ts';
export { GENERIC_SCHEMA_ID } from './schemas.ts';
export { Vault } from './vault.ts';
export type { PutInput, PutResult } from './write.ts';
