export type { AddCheckpointResult, Prover, WitnessEndpoint } from './client.ts';
export { parseWitnessEndpoint, WitnessClient } from './client.ts';
export { initWitnessDir, openWitnessDir } from './dir.ts';
export type { AddCheckpoint } from './protocol.ts';
export {
  formatAddCheckpoint,
  MAX_PROOF_LINES,
  MAX_REQUEST_BYTES,
  parseAddCheckpoint,
  parseSizeBody,
  SIZE_MEDIA_TYPE,
} from './protocol.ts';
export type { LogState, StateTx } from './state.ts';
export { WitnessState } from './state.ts';
export type { WitnessOptions } from './witness.ts';
export { Witness } from './witness.ts';
export type { StartReport, WitnessEvent, WitnessedLog, WitnessingOptions } from './witnessing.ts';
export { Witnessing } from './witnessing.ts';
