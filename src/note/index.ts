export type { Checkpoint } from './checkpoint.ts';
export { formatCheckpoint, parseCheckpoint, verifyCheckpoint } from './checkpoint.ts';
export type { NoteSignature, NoteSigner, NoteVerifier, OpenedNote } from './note.ts';
export {
  ALG_ED25519,
  formatVerifierKey,
  isValidKeyName,
  keyHash,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  openNote,
  parseVerifierKey,
  signNote,
} from './note.ts';
