export type { Checkpoint } from './checkpoint.ts';
export { formatCheckpoint, parseCheckpoint, verifyCheckpoint } from './checkpoint.ts';
export type { VerifiedCosignature } from './cosignature.ts';
export {
  ALG_COSIGNATURE_V1,
  addCosignatures,
  COSIGNATURE_BYTES,
  cosign,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignerKeyHash,
  formatCosignerKey,
  isLineBy,
  parseCosignerKey,
  splitNote,
  verifyCosignedCheckpoint,
} from './cosignature.ts';
export type { NoteSignature, NoteSigner, NoteVerifier, OpenedNote, ParsedKey } from './note.ts';
export {
  ALG_ED25519,
  formatVerifierKey,
  isValidKeyName,
  keyHash,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  openNote,
  parseKeyString,
  parseSignatureLine,
  parseVerifierKey,
  signNote,
} from './note.ts';
